/**
 * How the bdev_raid_* methods validate their params in spdk_tgt v26.05 (bdev_raid_rpc.c): their
 * decoder tables (a decode failure is -32700 "spdk_json_decode_object failed", but -32603 for
 * add_base_bdev) and the checks of rpc_bdev_raid_create and _raid_bdev_create made before the
 * raid's name is looked up. The level, strip size and member count come after it (raid/rpc.ts).
 */
import { DECODE_FAILED, RAID_DECODE_FAILED, type ParamSpec, type ValidationTable } from '../core/decode.js';
import { EINVAL, strerror } from '../fabric/errno.js';

/** RAID_BDEV_SB_NAME_SIZE: names must leave room for the NUL in the superblock. */
const MAX_NAME = 63;
const LEVELS = ['raid0', '0', 'raid1', '1', 'raid5f', '5f', 'concat'] as const;

const CREATE: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'strip_size_kb', type: 'uint32' },
  { name: 'raid_level', type: { enum: LEVELS }, required: true },
  { name: 'base_bdevs', type: { array: 'string', maxCount: 255 }, required: true },
  { name: 'uuid', type: 'uuid' },
  { name: 'superblock', type: 'boolean' },
];
const DELETE: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'clear_sb', type: 'boolean' },
];
const GET: ParamSpec[] = [{ name: 'category', type: { enum: ['all', 'online', 'configuring', 'offline'] }, required: true }];
const ADD: ParamSpec[] = [
  { name: 'base_bdev', type: 'string', required: true },
  { name: 'raid_bdev', type: 'string', required: true },
];
const REMOVE: ParamSpec[] = [{ name: 'name', type: 'string', required: true }];
const SET_OPTIONS: ParamSpec[] = [
  { name: 'process_window_size_kb', type: 'uint32' },
  { name: 'process_max_bandwidth_mb_sec', type: 'uint32' },
];

export const RAID_VALIDATION: ValidationTable = {
  bdev_raid_get_bdevs: { specs: GET, failure: RAID_DECODE_FAILED },
  bdev_raid_create: {
    specs: CREATE,
    failure: RAID_DECODE_FAILED,
    checks: [
      {
        name: 'no empty base bdev name',
        fails: (p) => (p.base_bdevs as string[]).some((b) => b.length === 0),
        code: -EINVAL,
        message: `The base bdev name cannot be empty: ${strerror(EINVAL)}`,
      },
      {
        name: `name at most ${MAX_NAME} characters`,
        fails: (p) => (p.name as string).length > MAX_NAME,
        code: -EINVAL,
        message: (p) => `Failed to create RAID bdev ${String(p.name)}: ${strerror(EINVAL)}`,
      },
    ],
  },
  bdev_raid_delete: { specs: DELETE, failure: RAID_DECODE_FAILED },
  bdev_raid_add_base_bdev: { specs: ADD, failure: DECODE_FAILED },
  bdev_raid_remove_base_bdev: { specs: REMOVE, failure: RAID_DECODE_FAILED },
  bdev_raid_set_options: { specs: SET_OPTIONS, failure: RAID_DECODE_FAILED },
};
