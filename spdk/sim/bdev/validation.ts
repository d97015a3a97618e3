/**
 * How the bdev module's methods validate their params in spdk_tgt v26.05: the decoder tables of
 * lib/bdev/bdev_rpc.c and module/bdev/{malloc,null,aio}/*_rpc.c (core/param-specs.ts, checked
 * against schema.json) and the checks create_malloc_disk and bdev_null_create make before they
 * allocate anything, in their order. Checks that need a lookup or the file (aio's block size
 * against the device, a name taken) stay in the handlers; an empty name is the bdev layer's
 * (spdk_bdev_register, core/registry.ts).
 */
import type { ParamCheck, ValidationTable } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { PARAM_SPECS } from '../core/param-specs.js';

const EINVAL = { code: -errno.EINVAL, message: strerror(errno.EINVAL) };
const MD_SIZES = [0, 8, 16, 32, 64, 128];

const num = (p: Record<string, unknown>, key: string) => (p[key] as number | undefined) ?? 0;

const numBlocksZero: ParamCheck = { name: 'num_blocks must be greater than 0', fails: (p) => num(p, 'num_blocks') === 0, ...EINVAL };
const blockSizeAligned: ParamCheck = { name: 'block_size a multiple of 512', fails: (p) => num(p, 'block_size') % 512 !== 0, ...EINVAL };
const physicalAligned: ParamCheck = { name: 'physical_block_size a multiple of 512', fails: (p) => num(p, 'physical_block_size') % 512 !== 0, ...EINVAL };
const mdSize: ParamCheck = { name: 'md_size one of 0, 8, 16, 32, 64, 128', fails: (p) => !MD_SIZES.includes(num(p, 'md_size')), ...EINVAL };

export const BDEV_VALIDATION: ValidationTable = {
  bdev_get_bdevs: { specs: PARAM_SPECS.bdev_get_bdevs },
  bdev_malloc_create: { specs: PARAM_SPECS.bdev_malloc_create, checks: [numBlocksZero, blockSizeAligned, physicalAligned, mdSize] },
  bdev_malloc_delete: { specs: PARAM_SPECS.bdev_malloc_delete },
  bdev_null_create: { specs: PARAM_SPECS.bdev_null_create, checks: [mdSize, blockSizeAligned, physicalAligned, numBlocksZero] },
  bdev_null_delete: { specs: PARAM_SPECS.bdev_null_delete },
  bdev_null_resize: { specs: PARAM_SPECS.bdev_null_resize },
  bdev_aio_create: { specs: PARAM_SPECS.bdev_aio_create },
  bdev_aio_delete: { specs: PARAM_SPECS.bdev_aio_delete },
  bdev_aio_rescan: { specs: PARAM_SPECS.bdev_aio_rescan },
};
