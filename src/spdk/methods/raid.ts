/**
 * bdev_raid_*: the raid1 bdev an engine builds over its replicas. Contracts:
 * rpc-schemas/spdk/bdev_raid_*.json.
 */

import type { CallOptions, SpdkCaller } from '../call.js';

/** spdk_tgt's names for raid levels (schema.json enum bdev_raid_level). */
export type RaidLevel = 'raid0' | '0' | 'raid1' | '1' | 'raid5f' | '5f' | 'concat';

/** There is no "degraded" state: see {@link RaidBdevInfo.num_base_bdevs_operational}. */
export type RaidState = 'online' | 'configuring' | 'offline';

export type RaidCategory = RaidState | 'all';

export interface RaidCreateParams {
  name: string;
  raid_level: RaidLevel;
  /** In slot order. At most 255. */
  base_bdevs: string[];
  /** Required by raid0 and concat (spdk_tgt refuses them without it with -22); raid1 takes 0. */
  strip_size_kb?: number;
  uuid?: string;
  /** Store the raid's layout on its members so it reassembles on examine. Shrinks the data area. */
  superblock?: boolean;
}

export interface RaidDeleteParams {
  name: string;
  /** With `superblock: true` raids: wipe the superblock from the members. */
  clear_sb?: boolean;
}

export interface RaidAddBaseBdevParams {
  raid_bdev: string;
  base_bdev: string;
}

export interface RaidRemoveBaseBdevParams {
  /** The base bdev's name: spdk_tgt finds the raid that holds it. */
  name: string;
}

export interface RaidSetOptionsParams {
  /** Size of one rebuild window. The rebuild takes 16 windows of DMA memory up front. */
  process_window_size_kb?: number;
  /** 0 means unthrottled. */
  process_max_bandwidth_mb_sec?: number;
}

/** One slot of a raid. An empty slot reads `{name: null, uuid: "00000000-…", is_configured: false}`. */
export interface RaidBaseBdev {
  name: string | null;
  uuid: string;
  is_configured: boolean;
  data_offset: number;
  data_size: number;
}

/** A background process of a raid; the key is absent from the raid once the process is done. */
export interface RaidProcess {
  /** "rebuild" */
  type: string;
  /** The base bdev being written. */
  target: string;
  /** Blocks advance in steps of the process window; percent is an integer. */
  progress: { blocks: number; percent: number };
}

/** A raid as bdev_raid_get_bdevs and bdev_get_bdevs' driver_specific.raid report it. */
export interface RaidBdevInfo {
  uuid: string;
  strip_size_kb: number;
  state: RaidState;
  raid_level: string;
  superblock: boolean;
  num_base_bdevs: number;
  num_base_bdevs_discovered: number;
  /**
   * Members counted as working. A raid1 that lost a member stays `online` with this below
   * `num_base_bdevs`. During a rebuild it already counts the target, so also check `process`.
   */
  num_base_bdevs_operational: number;
  base_bdevs_list: RaidBaseBdev[];
  process?: RaidProcess;
}

export interface RaidBdev extends RaidBdevInfo {
  name: string;
}

export class RaidMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /**
   * Creates a raid bdev. Resolves `true` even when a named base bdev does not exist: the raid then
   * sits in `configuring` (and is not a bdev yet) until the member appears. Check the state with
   * {@link getBdevs}. A base bdev that is already claimed fails the create with -1.
   */
  create(params: RaidCreateParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_raid_create', params, options);
  }

  /**
   * Deletes a raid bdev; its base bdevs are released, not deleted. Never send this while a create
   * of the same raid may still be unanswered: the two in one poll crash spdk_tgt v26.05.
   */
  delete(params: RaidDeleteParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_raid_delete', params, options);
  }

  /** Lists raids of a category (`all` by default), including ones still `configuring`. */
  getBdevs(category: RaidCategory = 'all', options?: CallOptions): Promise<RaidBdev[]> {
    return this.caller.call('bdev_raid_get_bdevs', { category }, options);
  }

  /**
   * Puts a base bdev into a free slot; a raid1 then rebuilds onto it (the whole range, so a thin
   * member ends fully allocated) and reports the rebuild in `process`. Resolves in tens of ms,
   * long before the rebuild ends. No free slot, a missing bdev or a superblock mismatch all read
   * -22 "Failed to add base bdev …: Invalid argument"; too little DMA memory for the rebuild
   * window is -12 and the member is dropped again.
   */
  addBaseBdev(params: RaidAddBaseBdevParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_raid_add_base_bdev', params, options);
  }

  /**
   * Takes a base bdev out of its raid, leaving an empty slot. Adding it back later rebuilds it in
   * full. Note the only param is the member's name, not the raid's.
   */
  removeBaseBdev(params: RaidRemoveBaseBdevParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_raid_remove_base_bdev', params, options);
  }

  /**
   * Sets the raid module's rebuild window and bandwidth for processes started afterwards.
   * A window of 0 is refused with -22.
   */
  setOptions(params: RaidSetOptionsParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_raid_set_options', params, options);
  }
}
