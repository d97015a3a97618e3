/**
 * The common part of a bdev_get_bdevs entry. Keys come in spdk_tgt's order; optional keys
 * (numa_id, claim_type, memory_domains) appear only when the bdev has them, as recorded.
 */
import type { SimBdev } from '../core/contract.js';

const ORDER = [
  'name',
  'aliases',
  'product_name',
  'block_size',
  'num_blocks',
  'preferred_write_alignment',
  'preferred_write_granularity',
  'optimal_write_size',
  'preferred_unmap_alignment',
  'preferred_unmap_granularity',
  'uuid',
  'numa_id',
  'assigned_rate_limits',
  'claimed',
  'claim_type',
  'zoned',
  'supported_io_types',
  'memory_domains',
  'driver_specific',
] as const;

const ORDER_SET = new Set<string>(ORDER);

export type IoTypes = Readonly<Record<string, boolean>>;

/** supported_io_types keys in spdk_tgt's order, all false: modules set theirs. */
export function ioTypes(enabled: readonly string[]): Record<string, boolean> {
  const all = [
    'read',
    'write',
    'unmap',
    'flush',
    'reset',
    'nvme_admin',
    'nvme_io',
    'nvme_io_md',
    'write_zeroes',
    'zcopy',
    'get_zone_info',
    'zone_management',
    'zone_append',
    'compare',
    'compare_and_write',
    'abort',
    'seek_hole',
    'seek_data',
    'copy',
    'nvme_iov_md',
    'nvme_nssr',
    'write_uncorrectable',
  ];
  const out: Record<string, boolean> = {};
  for (const k of all) out[k] = enabled.includes(k);
  return out;
}

const NO_LIMITS = { rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 };

/** `limits`: the bdev's QoS limits (bdev_set_qos_limit), 0 where none is set. */
export function bdevEntry(bdev: SimBdev, limits: Readonly<Record<string, number>> = NO_LIMITS): Record<string, unknown> {
  const specific = bdev.describe();
  const core: Record<string, unknown> = {
    name: bdev.name,
    aliases: bdev.aliases,
    product_name: bdev.productName,
    block_size: bdev.blockSize,
    num_blocks: bdev.numBlocks,
    preferred_write_alignment: 0,
    preferred_write_granularity: 0,
    optimal_write_size: 0,
    preferred_unmap_alignment: 0,
    preferred_unmap_granularity: 0,
    uuid: bdev.uuid,
    assigned_rate_limits: { ...limits },
    claimed: bdev.claim !== null,
    zoned: false,
    driver_specific: {},
  };
  if (bdev.claim !== null) core['claim_type'] = bdev.claim.claimType;
  const out: Record<string, unknown> = {};
  for (const key of ORDER) {
    if (key in specific) out[key] = specific[key];
    else if (key in core) out[key] = core[key];
  }
  for (const [k, v] of Object.entries(specific)) if (!ORDER_SET.has(k)) out[k] = v;
  return out;
}
