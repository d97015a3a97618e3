/**
 * bdev_lvol_*: lvstores (one per disk) and lvols (replicas, their snapshots and clones).
 * Contracts: rpc-schemas/spdk/bdev_lvol_*.json.
 *
 * Name lvols by their "lvs/lvol" alias, not their uuid, in every call: the client serialises calls
 * that name the same object by the param's value, and only the alias is the same in all of them.
 */

import type { CallOptions, SpdkCaller } from '../call.js';

export type ClearMethod = 'none' | 'unmap' | 'write_zeroes';

export interface LvstoreCreateParams {
  bdev_name: string;
  lvs_name: string;
  /** Bytes; default 4 MiB. */
  cluster_sz?: number;
  clear_method?: ClearMethod;
  num_md_pages_per_cluster_ratio?: number;
  md_page_size?: number;
}

/** Name the lvstore by `lvs_name` (or `uuid`). */
export interface LvstoreSelector {
  uuid?: string;
  lvs_name?: string;
}

export interface Lvstore {
  uuid: string;
  name: string;
  base_bdev: string;
  total_data_clusters: number;
  free_clusters: number;
  block_size: number;
  /** Bytes. */
  cluster_size: number;
}

export interface LvolCreateParams {
  /** The bare name (no "lvs/"); empty or 64 characters is refused with -22. */
  lvol_name: string;
  size_in_mib: number;
  thin_provision?: boolean;
  /** The lvstore's uuid (give this or lvs_name). */
  uuid?: string;
  lvs_name?: string;
  clear_method?: ClearMethod;
}

export interface LvolGetLvolsParams {
  lvs_uuid?: string;
  lvs_name?: string;
}

export interface Lvol {
  /** "lvs/lvol" */
  alias: string;
  uuid: string;
  name: string;
  is_thin_provisioned: boolean;
  is_snapshot: boolean;
  is_clone: boolean;
  is_esnap_clone: boolean;
  is_degraded: boolean;
  num_allocated_clusters: number;
  lvs: { name: string; uuid: string };
}

export interface LvolNameParams {
  /** "lvs/lvol" alias or uuid. */
  name: string;
}

export interface LvolSnapshotParams {
  /** The lvol to snapshot, "lvs/lvol". */
  lvol_name: string;
  /** Bare name of the new snapshot, in the same lvstore. */
  snapshot_name: string;
}

export interface LvolCloneParams {
  /** "lvs/snapshot" */
  snapshot_name: string;
  /** Bare name of the new clone. */
  clone_name: string;
}

export interface LvolCloneBdevParams {
  /** The bdev that becomes the clone's external snapshot. */
  bdev: string;
  lvs_name: string;
  clone_name: string;
}

export interface LvolSetParentParams {
  /** "lvs/lvol" of a thin lvol. */
  lvol_name: string;
  /** A snapshot for set_parent; any bdev name or uuid for set_parent_bdev. */
  parent_name: string;
}

export interface LvolResizeParams {
  name: string;
  size_in_mib: number;
}

export interface RenameParams {
  old_name: string;
  /** For an lvol: the bare new name, kept in the same lvstore. */
  new_name: string;
}

export interface ShallowCopyStartParams {
  /** "lvs/lvol" of a read-only lvol or snapshot. */
  src_lvol_name: string;
  dst_bdev_name: string;
}

export interface ShallowCopyStatus {
  copied_clusters: number;
  total_clusters: number;
  state: 'in progress' | 'complete' | 'error';
  /** Set with `state: "error"`. */
  error?: string;
}

export class LvolMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /**
   * Creates an lvstore on a bdev and resolves with its uuid. A bdev already claimed (by an lvstore
   * or anything else) is refused with -1; a taken lvs_name with -17.
   */
  createLvstore(params: LvstoreCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_lvol_create_lvstore', params, options);
  }

  /** Destroys an lvstore with every lvol on it. */
  deleteLvstore(params: LvstoreSelector, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_delete_lvstore', params, options);
  }

  /** Lists lvstores, or the one named. */
  getLvstores(params?: LvstoreSelector, options?: CallOptions): Promise<Lvstore[]> {
    return this.caller.call('bdev_lvol_get_lvstores', params, options);
  }

  renameLvstore(params: RenameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_rename_lvstore', params, options);
  }

  /**
   * Creates an lvol and resolves with its uuid. A thick lvol larger than the free clusters fails
   * with -32602 "No space left on device"; a taken name with -17; a missing lvstore with -19.
   */
  create(params: LvolCreateParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_lvol_create', params, options);
  }

  /**
   * Deletes an lvol. A snapshot with exactly one clone is merged into that clone (slow: the
   * deadline class is "slow"); with two or more clones it fails with -32603 "Operation not
   * permitted".
   */
  delete(params: LvolNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_delete', params, options);
  }

  /**
   * Lists lvols, optionally of one lvstore. Parent/clone links are not here: read them from
   * bdev_get_bdevs → driver_specific.lvol (base_snapshot, clones).
   */
  getLvols(params?: LvolGetLvolsParams, options?: CallOptions): Promise<Lvol[]> {
    return this.caller.call('bdev_lvol_get_lvols', params, options);
  }

  /**
   * Snapshots an lvol and resolves with the snapshot's uuid; the lvol becomes the snapshot's
   * clone. A taken name is -32602 "File exists"; a snapshot or read-only lvol cannot be
   * snapshotted (-32602 "Invalid argument").
   */
  snapshot(params: LvolSnapshotParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_lvol_snapshot', params, options);
  }

  /**
   * Clones a snapshot (or a read-only lvol) and resolves with the clone's uuid. A writable
   * non-snapshot source is -32602 "Invalid argument"; a taken name -32602 "File exists".
   */
  clone(params: LvolCloneParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_lvol_clone', params, options);
  }

  /** Creates a thin lvol whose parent is another bdev (an esnap clone) and resolves with its uuid. */
  cloneBdev(params: LvolCloneBdevParams, options?: CallOptions): Promise<string> {
    return this.caller.call('bdev_lvol_clone_bdev', params, options);
  }

  /**
   * Makes a snapshot the parent of a thin lvol. A parent that is not a snapshot is -32602
   * "Invalid argument".
   */
  setParent(params: LvolSetParentParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_set_parent', params, options);
  }

  /**
   * Makes an external bdev the parent of a thin lvol. The parent must be unclaimed (not exported
   * or otherwise opened) and its size a multiple of the cluster size, and the lvol thin;
   * otherwise -32602 "Invalid argument". A missing parent is -32602 "No such device", a missing
   * lvol -19.
   */
  setParentBdev(params: LvolSetParentParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_set_parent_bdev', params, options);
  }

  /**
   * Sets an lvol's size. Shrinking one that is open (exported) is -32602 "Device or resource
   * busy"; snapshots and read-only lvols are -32602 "Operation not permitted".
   */
  resize(params: LvolResizeParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_resize', params, options);
  }

  /** Renames an lvol; snapshots cannot be renamed (-32602 "Operation not permitted"). */
  rename(params: RenameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_rename', params, options);
  }

  /** Allocates every cluster and drops the parent; on an lvol without parent it succeeds again. */
  inflate(params: LvolNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_inflate', params, options);
  }

  /**
   * Copies the clusters the lvol reads from its parent and drops the parent. Unlike inflate, an
   * lvol without a parent is refused (-32602 "Invalid argument").
   */
  decoupleParent(params: LvolNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_decouple_parent', params, options);
  }

  /** Makes an lvol read-only for good; it can then be cloned but not snapshotted or resized. */
  setReadOnly(params: LvolNameParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_lvol_set_read_only', params, options);
  }

  /**
   * Starts copying the clusters a read-only lvol (a snapshot) owns, not its parents', to another
   * bdev and resolves with an operation id for {@link checkShallowCopy}. A writable source is
   * accepted here and fails later: its check reports `state: "error"`, "Operation not permitted".
   * Right after creating the destination this can fail with -32602 "Operation not permitted"
   * while examine still holds it: call bdev_wait_for_examine first. A missing destination is
   * -32602 "No such device".
   */
  startShallowCopy(params: ShallowCopyStartParams, options?: CallOptions): Promise<{ operation_id: number }> {
    return this.caller.call('bdev_lvol_start_shallow_copy', params, options);
  }

  /**
   * Reports a shallow copy's progress. A final state (`complete` or `error`) is reported exactly
   * once; afterwards the id is unknown (-19), so never resend this blindly after a lost answer.
   */
  checkShallowCopy(operationId: number, options?: CallOptions): Promise<ShallowCopyStatus> {
    return this.caller.call('bdev_lvol_check_shallow_copy', { operation_id: operationId }, options);
  }
}
