/**
 * The data path of backups and restores on upstream spdk_tgt, which has no RPC to read or write a
 * bdev's bytes: a snapshot is shallow-copied into an aio bdev over a sparse staging file that the
 * service reads; a restore writes a thin lvol through a loopback NVMe/TCP export of it, the service
 * being the host (restore-nvmf.ts, backup.restoreVia nvmf-tcp), or a sparse staging file that
 * spdk_tgt opens as an aio bdev, clones into the lvstore and inflates (restore-sink.ts, transcript 20). This file is the interface the backup
 * jobs call; the object store, formats and job states are theirs, not this layer's.
 *
 * Every staging file and aio bdev carries the `bk-` prefix and is removed on every path (done,
 * failed, aborted) and, after a kill, by sweepOrphans at the next start. Staging space is admitted
 * like memory: a stage or restore that does not fit in the staging directory is refused with the
 * numbers (STAGING_SPACE_EXHAUSTED, resource-exhausted) before anything is made.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { BlockBuffers } from '../../objectstore/block-buffers.js';

/** One range of the staged image that holds data; `offset` is a byte offset into the volume. */
export interface StagedBlock {
  readonly offset: number;
  readonly data: Buffer;
  /** Given when the block is in a slot of the caller's block buffers: gives the slot back once the caller is done with data. */
  readonly release?: () => void;
  /** The whole slot `data` is in, SLOT_HEADROOM to SLOT_HEADROOM_MAX bytes from its start (with `release`): the caller may write over it, e.g. the block's frame. */
  readonly slot?: Buffer;
}

/**
 * A snapshot staged for reading: for `full` the whole image of the snapshot (its chain copied
 * oldest first into one file), for `delta` only the clusters the snapshot itself owns (what
 * changed since its parent snapshot). Holes read as zeros in the volume.
 */
export interface StagedImage {
  /** The volume's size in bytes (the staging file's length). */
  readonly sizeBytes: number;
  /** The lvstore's cluster size: the unit the shallow copy allocates in. */
  readonly clusterBytes: number;
  /** Bytes of the image that hold data (the allocated clusters copied; an upper bound of what blocks() yields). */
  readonly allocatedBytes: number;
  /**
   * Yields the blocks that hold data, in offset order, each at a multiple of blockBytes and
   * blockBytes long (the last one of the volume may be shorter). A block whose bytes are all zero
   * is not yielded: a hole and zeros are the same to a restore. Without `buffers` the buffer of a
   * yielded block is the caller's to keep; with them each block is read into a slot the caller
   * gives back with the block's release() (the reader waits for a free slot: that is its
   * backpressure). An aborted signal ends the iteration with CANCELLED.
   */
  blocks(blockBytes: number, signal?: AbortSignal, buffers?: BlockBuffers): AsyncIterable<StagedBlock>;
  /** Removes the aio bdev and the staging file and releases the admitted space; idempotent, safe on every path. */
  close(): Promise<void>;
}

export interface StageRequest {
  readonly replica: string;
  /** The snapshot's user-given name (as in SnapshotCreate). */
  readonly snapshot: string;
  /** `full`: the snapshot's whole image; `delta`: only its own clusters (relative to its parent snapshot). */
  readonly mode: 'full' | 'delta';
  /** Aborting removes everything made so far and rejects with CANCELLED. */
  readonly signal?: AbortSignal;
  /**
   * Answer as soon as the copy runs where the image can be read behind it (one snapshot to copy:
   * `delta`, or `full` of a snapshot with no snapshot before it); its blocks() then yields each
   * block once the copy has made it final, and fails with the copy's failure. Otherwise (a chain
   * to copy oldest first) the stage answers when the copies are done, as without it.
   */
  readonly follow?: boolean;
  /** Who stages, named to whoever finds the snapshot held by the copy (copy-holds.ts), e.g. "backup bk-…". */
  readonly holder?: string;
  /** Bytes copied by spdk_tgt so far of the total to copy (clusters × cluster size). */
  onProgress?(p: { bytes: number; total: number }): void;
  /**
   * The stage waits for another copy of a snapshot it copies (a rebuild's, or another stage's:
   * spdk_tgt refuses a second copy of a snapshot, EBUSY): who, and how far that copy got (in
   * clusters, when known). Told when the wait starts, on that copy's progress and every second.
   */
  onWait?(hold: { holder: string; progress?: { copied: number; total: number } }): void;
}

export interface RestoreRequest {
  /** The disk whose lvstore receives the new replica. */
  readonly disk: string;
  /** The new replica's name; it must not exist (REPLICA_EXISTS). */
  readonly replica: string;
  /** The volume's size in bytes: a whole number of the disk's clusters, as ReplicaCreate takes. */
  readonly sizeBytes: number;
  /** Bytes the caller will write (e.g. the manifest's stored blocks), for staging admission; default sizeBytes. */
  readonly allocatedBytes?: number;
  /** Aborting removes everything made so far (file, bdev, half-made lvol) and rejects with CANCELLED. */
  readonly signal?: AbortSignal;
  /**
   * The backup restored, recorded with the finished replica as a fresh clone (StateFile.recordClone,
   * mode `restore`): its image may start with a superblock engine's raid superblock, which an
   * engine over it may then clear (engine/stale-superblock.ts). Absent: recorded as `unknown`.
   */
  readonly origin?: { readonly volume: string; readonly backupId: string };
}

/**
 * A restore under way: blocks are written into the new lvol (over NVMe/TCP) or a sparse staging
 * file, then commit makes the replica. Exactly one of commit and abort ends it; after a failed
 * commit everything is already removed.
 */
export interface CommitProgress {
  readonly percent: number;
  /** A slow step starting, e.g. `inflate`. */
  readonly step?: string;
  /** How long that step may take at most (its call's deadline), ms. */
  readonly expectMs?: number;
}

export interface RestoreSink {
  /** Writes data at a byte offset of the volume (any order; unwritten ranges read as zeros). */
  write(offset: number, data: Buffer): Promise<void>;
  /** Writes go to the disk with O_DIRECT where `data` is page-aligned memory (restore-slots.ts). */
  readonly directIo?: boolean;
  /**
   * Builds the replica. Over NVMe/TCP: flush, disconnect, the export deleted, the lvol renamed.
   * Through a staging file: aio bdev over the file, bdev_lvol_clone_bdev into the disk's lvstore under
   * the replica's head name, bdev_lvol_inflate (percent of the inflate's progress as far as
   * spdk_tgt reports it: 0 then 100), then deletes the aio bdev (only once no clone uses it) and the file.
   * The replica is then in the inventory as any replica made by ReplicaCreate (not exposed).
   * Before a step that reports nothing for long (the inflate), onProgress gets `step` and
   * `expectMs`, the step's own deadline: no progress is to be expected before it.
   */
  commit(onProgress?: (p: CommitProgress) => void): Promise<{ replica: string; uuid: string }>;
  /** Removes everything the restore made; idempotent. */
  abort(): Promise<void>;
}

/** Raw sequential rates of a file in the staging directory, for comparing backup and restore throughput against. */
export interface RawRate {
  readonly bytes: number;
  /** Written and fdatasync'd: on the disk. */
  readonly writeBytesPerSec: number;
  /** The same writes timed before the fdatasync: into the page cache, as an unsynced writer sees them. */
  readonly cachedWriteBytesPerSec: number;
  readonly readBytesPerSec: number;
}

export interface DataPath {
  /** Stages a snapshot of a local replica for reading. Refuses with REPLICA_NOT_FOUND, SNAPSHOT_NOT_FOUND, STAGING_SPACE_EXHAUSTED, CANCELLED. */
  stageSnapshot(req: StageRequest): Promise<StagedImage>;
  /** Opens a restore into a new replica on a local disk. Refuses with DISK_NOT_FOUND, REPLICA_EXISTS, INVALID_SIZE, STAGING_SPACE_EXHAUSTED. */
  openRestore(req: RestoreRequest): Promise<RestoreSink>;
  /**
   * Removes the staging files, `bk-` aio bdevs and half-built restore lvols a previous process (or
   * a spdk_tgt that went away) left: recovery calls it at start, before ready; with `skipLive`,
   * reconcile calls it after spdk_tgt came back, and what a stage, restore or zeroing under way
   * uses is left alone.
   */
  sweepOrphans(options?: CallOptions, sweep?: { skipLive?: boolean }): Promise<{ removed: string[] }>;
  /** A restore into `replica` is under way (opened, not yet committed or aborted). */
  isRestoring(replica: string): boolean;
  /** Measures the raw sequential write then read rate of a `bytes`-long file in the staging directory (removed after). */
  measureRawRate(bytes: number): Promise<RawRate>;
}
