/**
 * Generic bdev calls and the bdevs a disk is made of: malloc (tests), null, aio and io_uring.
 * Contracts: rpc-schemas/spdk/bdev_{get_bdevs,wait_for_examine,malloc_*,null_*,aio_*,uring_*,get_iostat,set_qos_limit}.json.
 */

import type { CallOptions, SpdkCaller } from '../call.js';
import type { NvmeTransportId } from './nvme.js';
import type { RaidBdevInfo } from './raid.js';

export interface BdevGetBdevsParams {
  /** A name or an alias (an lvol's "lvs/lvol" works too). */
  name?: string;
  /** Milliseconds to wait for a bdev of that name to appear. */
  timeout?: number;
}

/** driver_specific.lvol of an lvol bdev. */
export interface LvolBdevInfo {
  lvol_store_uuid: string;
  base_bdev: string;
  thin_provision: boolean;
  num_allocated_clusters: number;
  snapshot: boolean;
  clone: boolean;
  esnap_clone: boolean;
  /** The parent snapshot's name, on clones. */
  base_snapshot?: string;
  /** The clones' names, on snapshots. */
  clones?: string[];
  /** The parent bdev's name, on esnap clones. */
  external_snapshot_name?: string;
}

/** One entry of driver_specific.nvme: a path of an NVMe bdev. */
export interface NvmeBdevPath {
  trid: NvmeTransportId;
  ctrlr_data: { cntlid: number; subnqn?: string; serial_number?: string; model_number?: string; ana_reporting?: boolean };
  /** `ana_state` is present only when the target reports ANA; it is the one place it can be read. */
  ns_data: { id: number; ana_state?: string };
}

export interface BdevDriverSpecific {
  lvol?: LvolBdevInfo;
  nvme?: NvmeBdevPath[];
  raid?: RaidBdevInfo;
  aio?: { filename: string };
}

export interface Bdev {
  /** An lvol bdev is named by its uuid; its "lvs/lvol" name is in `aliases`. */
  name: string;
  aliases: string[];
  product_name: string;
  block_size: number;
  num_blocks: number;
  uuid: string;
  claimed: boolean;
  claim_type?: string;
  /** The QoS limits in force (bdev_set_qos_limit); 0 = none. */
  assigned_rate_limits?: { rw_ios_per_sec: number; rw_mbytes_per_sec: number; r_mbytes_per_sec: number; w_mbytes_per_sec: number };
  driver_specific: BdevDriverSpecific;
}

export interface MallocCreateParams {
  name?: string;
  block_size: number;
  num_blocks: number;
  uuid?: string;
  optimal_io_boundary?: number;
  md_size?: number;
  md_interleave?: boolean;
  dif_type?: number;
  dif_is_head_of_md?: boolean;
  physical_block_size?: number;
  dif_pi_format?: number;
  numa_id?: number;
}

export interface NullCreateParams {
  name: string;
  block_size: number;
  num_blocks: number;
  uuid?: string;
  physical_block_size?: number;
  md_size?: number;
  dif_type?: number;
  dif_pi_format?: number;
  dif_is_head_of_md?: boolean;
  preferred_write_granularity?: number;
  preferred_write_alignment?: number;
  optimal_write_size?: number;
  preferred_unmap_granularity?: number;
  preferred_unmap_alignment?: number;
}

export interface AioCreateParams {
  name: string;
  filename: string;
  /** Omit to take the device's logical block size. 256 and 1000 are refused with -22. */
  block_size?: number;
  readonly?: boolean;
  fallocate?: boolean;
  uuid?: string;
  nowait?: boolean;
}

export interface UringCreateParams {
  filename: string;
  name: string;
  block_size?: number;
  uuid?: string;
}

export interface BdevNameParams {
  name: string;
}

export interface BdevGetIostatParams {
  /** Omit for every bdev. A missing one fails the whole call with -19. */
  names?: string[];
  /** Per thread (channel) instead of totals; needs exactly one name. */
  per_channel?: boolean;
  /** Resets after reading: "maxmin" the max/min latencies, "all" everything, "error" io_error. */
  reset_mode?: 'all' | 'maxmin' | 'error' | 'none';
}

/** Counters of spdk_bdev_dump_io_stat_json; latencies in ticks of `tick_rate` per second. */
export interface BdevIoCounters {
  bytes_read: number;
  num_read_ops: number;
  bytes_written: number;
  num_write_ops: number;
  bytes_unmapped: number;
  num_unmap_ops: number;
  read_latency_ticks: number;
  max_read_latency_ticks: number;
  min_read_latency_ticks: number;
  write_latency_ticks: number;
  max_write_latency_ticks: number;
  min_write_latency_ticks: number;
  /** Failed I/O by status ("failed", "nvme_error"...); empty when none. */
  io_error: Record<string, number>;
}

export interface BdevIostat {
  tick_rate: number;
  ticks: number;
  /** An lvol is listed under its uuid. */
  bdevs: Array<BdevIoCounters & { name: string }>;
}

export interface BdevIostatPerChannel {
  tick_rate: number;
  ticks: number;
  name: string;
  channels: Array<BdevIoCounters & { thread_id: number }>;
}

export interface BdevSetQosLimitParams {
  name: string;
  /** Rounded up to a multiple of 1000 without an error. 0 clears a limit; limits not given are kept. */
  rw_ios_per_sec?: number;
  rw_mbytes_per_sec?: number;
  r_mbytes_per_sec?: number;
  w_mbytes_per_sec?: number;
}

export class BdevMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /**
   * Lists all bdevs, or the one named. A name that does not exist is an error (-19), not an empty
   * list. With ~1000 bdevs the answer is over 1 MB and takes ~24 ms: ask by name when you can.
   */
  getBdevs(params?: BdevGetBdevsParams, options?: CallOptions): Promise<Bdev[]> {
    return this.caller.call('bdev_get_bdevs', params, options);
  }

  /**
   * Resolves once every module finished examining new bdevs: lvstores on a new aio bdev are
   * loaded, and a bdev just created is no longer held by examine. Call it before
   * bdev_lvol_start_shallow_copy onto a fresh destination, which otherwise can fail with -32602
   * "Operation not permitted".
   */
  waitForExamine(options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_wait_for_examine', undefined, options);
  }

  /**
   * Creates a RAM bdev from hugepages and resolves with its name. Fails with -12 when no
   * 2 MiB-aligned run of free memory is large enough, even with plenty free in pieces.
   */
  mallocCreate(params: MallocCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_malloc_create', params, options);
  }

  mallocDelete(params: BdevNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_malloc_delete', params, options);
  }

  /** Creates a null bdev (writes are dropped, reads return zeroes) and resolves with its name. */
  nullCreate(params: NullCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_null_create', params, options);
  }

  nullDelete(params: BdevNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_null_delete', params, options);
  }

  /**
   * Creates an aio bdev on a file or block device and resolves with its name. Examine then loads
   * any lvstore on it (with its lvols) ~20 ms later: call {@link waitForExamine} before relying
   * on them. A second aio bdev on a file already open (block_size left to auto-detect) was
   * refused with -22; a missing file is -2, a directory -21.
   */
  aioCreate(params: AioCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_aio_create', params, options);
  }

  /** Deletes an aio bdev. Its lvstore is unloaded, not destroyed: re-creating the bdev brings it back. */
  aioDelete(params: BdevNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_aio_delete', params, options);
  }

  /** Re-reads the size of the file under an aio bdev (after the file grew). */
  aioRescan(params: BdevNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_aio_rescan', params, options);
  }

  /** Creates an io_uring bdev and resolves with its name; examine loads its lvstore as for aio. */
  uringCreate(params: UringCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_uring_create', params, options);
  }

  uringDelete(params: BdevNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_uring_delete', params, options);
  }

  /** I/O counters of every bdev or of the named ones (totals over all channels). */
  getIostat(params?: BdevGetIostatParams & { per_channel?: false }, options?: CallOptions): Promise<BdevIostat>;
  getIostat(params: BdevGetIostatParams & { per_channel: true }, options?: CallOptions): Promise<BdevIostatPerChannel>;
  getIostat(params?: BdevGetIostatParams, options?: CallOptions): Promise<BdevIostat | BdevIostatPerChannel> {
    return this.caller.call('bdev_get_iostat', params, options);
  }

  /**
   * Sets QoS rate limits on a bdev (also on a raid and on a claimed raid member). No limit given
   * is -22 "No rate limits specified"; MB/s above 2^44-1 are clamped to it.
   */
  setQosLimit(params: BdevSetQosLimitParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_set_qos_limit', params, options);
  }
}
