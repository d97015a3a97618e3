/**
 * How the bdev_lvol_* methods validate their params in spdk_tgt v26.05: the decoder tables of
 * module/bdev/lvol/vbdev_lvol_rpc.c (core/param-specs.ts, checked against schema.json), all
 * answering -32603 "spdk_json_decode_object failed", and the checks rpc_bdev_lvol_create_lvstore
 * and vbdev_lvs_create_ext make before they open the base bdev. The other methods look their
 * objects up first, so their checks stay in lvol/rpc.ts.
 */
import type { ValidationTable } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { PARAM_SPECS } from '../core/param-specs.js';

/** SPDK_LVS_NAME_MAX includes the NUL. */
const LVS_NAME_MAX = 64;
const CLEAR_METHODS = ['none', 'unmap', 'write_zeroes'];
const EINVAL = { code: -errno.EINVAL, message: strerror(errno.EINVAL) };

const str = (p: Record<string, unknown>, key: string) => p[key] as string | undefined;
const u32 = (p: Record<string, unknown>, key: string) => (p[key] as number | undefined) ?? 0;

const LVOL_METHODS = [
  'bdev_lvol_check_shallow_copy',
  'bdev_lvol_clone',
  'bdev_lvol_clone_bdev',
  'bdev_lvol_create',
  'bdev_lvol_decouple_parent',
  'bdev_lvol_delete',
  'bdev_lvol_delete_lvstore',
  'bdev_lvol_get_lvols',
  'bdev_lvol_get_lvstores',
  'bdev_lvol_grow_lvstore',
  'bdev_lvol_inflate',
  'bdev_lvol_rename',
  'bdev_lvol_rename_lvstore',
  'bdev_lvol_resize',
  'bdev_lvol_set_parent',
  'bdev_lvol_set_parent_bdev',
  'bdev_lvol_set_read_only',
  'bdev_lvol_snapshot',
  'bdev_lvol_start_shallow_copy',
] as const;

export type LvolMethod = (typeof LVOL_METHODS)[number] | 'bdev_lvol_create_lvstore';

export const LVOL_VALIDATION: ValidationTable = {
  ...Object.fromEntries(LVOL_METHODS.map((m) => [m, { specs: PARAM_SPECS[m] }])),
  bdev_lvol_create_lvstore: {
    specs: PARAM_SPECS.bdev_lvol_create_lvstore,
    checks: [
      {
        name: 'clear_method none, unmap or write_zeroes (any case)',
        fails: (p) => str(p, 'clear_method') !== undefined && !CLEAR_METHODS.includes(str(p, 'clear_method')!.toLowerCase()),
        code: -errno.EINVAL,
        message: 'Invalid clear_method parameter',
      },
      { name: 'lvs_name between 1 and 63 characters', fails: (p) => str(p, 'lvs_name')!.length === 0 || str(p, 'lvs_name')!.length >= LVS_NAME_MAX, ...EINVAL },
      {
        name: 'md_page_size 0 or a power of 2 from 4096 to 65536',
        fails: (p) => {
          const size = u32(p, 'md_page_size');
          return size !== 0 && (size < 4096 || size > 65536 || (size & (size - 1)) !== 0);
        },
        ...EINVAL,
      },
    ],
  },
};
