/**
 * Params of every method the core registers, as spdk_tgt v26.05 decodes them (schema.json),
 * kept in code so the simulator runs without the shared data. test/sim/core/param-specs.test.ts
 * checks this table against schema.json. Decode failures of all these methods are
 * -32603 "spdk_json_decode_object failed" (transcript 08 shows it for bdev_* and lvol methods).
 */
import type { ParamSpec } from './decode.js';

/** Methods whose handlers take no params: any params get -32602 "<method> method requires no parameters". */
export const NO_PARAM_METHODS = ['spdk_get_version', 'framework_get_reactors', 'thread_get_stats', 'env_dpdk_get_mem_stats', 'iobuf_get_stats', 'bdev_wait_for_examine'] as const;

export const PARAM_SPECS = {
  rpc_get_methods: [
    { name: 'current', type: 'boolean' },
    { name: 'include_aliases', type: 'boolean' },
  ],
  framework_get_config: [
    { name: 'name', type: 'string', required: true },
    { name: 'with_batches', type: 'boolean' },
  ],
  bdev_get_bdevs: [
    { name: 'name', type: 'string' },
    { name: 'timeout', type: 'uint64' },
  ],
  bdev_malloc_create: [
    { name: 'name', type: 'string' },
    { name: 'block_size', type: 'uint32', required: true },
    { name: 'num_blocks', type: 'uint64', required: true },
    { name: 'uuid', type: 'uuid' },
    { name: 'optimal_io_boundary', type: 'uint32' },
    { name: 'md_size', type: 'uint32' },
    { name: 'md_interleave', type: 'boolean' },
    { name: 'dif_type', type: 'int32' },
    { name: 'dif_is_head_of_md', type: 'boolean' },
    { name: 'physical_block_size', type: 'uint32' },
    { name: 'dif_pi_format', type: 'uint32' },
    { name: 'numa_id', type: 'int32' },
  ],
  bdev_malloc_delete: [{ name: 'name', type: 'string', required: true }],
  bdev_null_create: [
    { name: 'name', type: 'string', required: true },
    { name: 'block_size', type: 'uint32', required: true },
    { name: 'num_blocks', type: 'uint64', required: true },
    { name: 'uuid', type: 'uuid' },
    { name: 'physical_block_size', type: 'uint32' },
    { name: 'md_size', type: 'uint32' },
    { name: 'dif_type', type: 'int32' },
    { name: 'dif_pi_format', type: 'uint32' },
    { name: 'dif_is_head_of_md', type: 'boolean' },
    { name: 'preferred_write_granularity', type: 'uint32' },
    { name: 'preferred_write_alignment', type: 'uint32' },
    { name: 'optimal_write_size', type: 'uint32' },
    { name: 'preferred_unmap_granularity', type: 'uint32' },
    { name: 'preferred_unmap_alignment', type: 'uint32' },
  ],
  bdev_null_delete: [{ name: 'name', type: 'string', required: true }],
  bdev_null_resize: [
    { name: 'name', type: 'string', required: true },
    { name: 'new_size', type: 'uint64', required: true },
  ],
  bdev_aio_create: [
    { name: 'name', type: 'string', required: true },
    { name: 'filename', type: 'string', required: true },
    { name: 'block_size', type: 'uint32' },
    { name: 'readonly', type: 'boolean' },
    { name: 'fallocate', type: 'boolean' },
    { name: 'uuid', type: 'uuid' },
    { name: 'nowait', type: 'boolean' },
  ],
  bdev_aio_delete: [{ name: 'name', type: 'string', required: true }],
  bdev_aio_rescan: [{ name: 'name', type: 'string', required: true }],
  bdev_lvol_check_shallow_copy: [{ name: 'operation_id', type: 'uint32', required: true }],
  bdev_lvol_clone: [
    { name: 'snapshot_name', type: 'string', required: true },
    { name: 'clone_name', type: 'string', required: true },
  ],
  bdev_lvol_clone_bdev: [
    { name: 'bdev', type: 'string', required: true },
    { name: 'lvs_name', type: 'string', required: true },
    { name: 'clone_name', type: 'string', required: true },
  ],
  bdev_lvol_create: [
    { name: 'lvol_name', type: 'string', required: true },
    { name: 'size_in_mib', type: 'uint64', required: true },
    { name: 'thin_provision', type: 'boolean' },
    { name: 'uuid', type: 'string' },
    { name: 'lvs_name', type: 'string' },
    { name: 'clear_method', type: 'string' },
  ],
  bdev_lvol_create_lvstore: [
    { name: 'bdev_name', type: 'string', required: true },
    { name: 'lvs_name', type: 'string', required: true },
    { name: 'cluster_sz', type: 'uint32' },
    { name: 'clear_method', type: 'string' },
    { name: 'num_md_pages_per_cluster_ratio', type: 'uint32' },
    { name: 'md_page_size', type: 'uint32' },
  ],
  bdev_lvol_decouple_parent: [{ name: 'name', type: 'string', required: true }],
  bdev_lvol_delete: [{ name: 'name', type: 'string', required: true }],
  bdev_lvol_delete_lvstore: [
    { name: 'uuid', type: 'string' },
    { name: 'lvs_name', type: 'string' },
  ],
  bdev_lvol_get_lvols: [
    { name: 'lvs_uuid', type: 'string' },
    { name: 'lvs_name', type: 'string' },
  ],
  bdev_lvol_get_lvstores: [
    { name: 'uuid', type: 'string' },
    { name: 'lvs_name', type: 'string' },
  ],
  bdev_lvol_grow_lvstore: [
    { name: 'uuid', type: 'string' },
    { name: 'lvs_name', type: 'string' },
  ],
  bdev_lvol_inflate: [{ name: 'name', type: 'string', required: true }],
  bdev_lvol_rename: [
    { name: 'old_name', type: 'string', required: true },
    { name: 'new_name', type: 'string', required: true },
  ],
  bdev_lvol_rename_lvstore: [
    { name: 'old_name', type: 'string', required: true },
    { name: 'new_name', type: 'string', required: true },
  ],
  bdev_lvol_resize: [
    { name: 'name', type: 'string', required: true },
    { name: 'size_in_mib', type: 'uint64', required: true },
  ],
  bdev_lvol_set_parent: [
    { name: 'lvol_name', type: 'string', required: true },
    { name: 'parent_name', type: 'string', required: true },
  ],
  bdev_lvol_set_parent_bdev: [
    { name: 'lvol_name', type: 'string', required: true },
    { name: 'parent_name', type: 'string', required: true },
  ],
  bdev_lvol_set_read_only: [{ name: 'name', type: 'string', required: true }],
  bdev_lvol_snapshot: [
    { name: 'lvol_name', type: 'string', required: true },
    { name: 'snapshot_name', type: 'string', required: true },
  ],
  bdev_lvol_start_shallow_copy: [
    { name: 'src_lvol_name', type: 'string', required: true },
    { name: 'dst_bdev_name', type: 'string', required: true },
  ],
} as const satisfies Record<string, readonly ParamSpec[]>;

export type SpecifiedMethod = keyof typeof PARAM_SPECS;
