// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const RebuildPath = {
  /**
   * not chosen yet
   */
  REBUILD_PATH_UNSPECIFIED: 'REBUILD_PATH_UNSPECIFIED',
  /**
   * snapshots shallow-copied oldest first, then the raid rebuilds the head
   */
  REBUILD_PATH_SNAPSHOT_PRESERVING: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
  /**
   * SPDK's raid rebuild only: the whole range, no snapshots on the new replica
   */
  REBUILD_PATH_RAID: 'REBUILD_PATH_RAID',
} as const;

export type RebuildPath =
  /**
   * not chosen yet
   */
  | 'REBUILD_PATH_UNSPECIFIED'
  | 0
  /**
   * snapshots shallow-copied oldest first, then the raid rebuilds the head
   */
  | 'REBUILD_PATH_SNAPSHOT_PRESERVING'
  | 1
  /**
   * SPDK's raid rebuild only: the whole range, no snapshots on the new replica
   */
  | 'REBUILD_PATH_RAID'
  | 2

export type RebuildPath__Output = typeof RebuildPath[keyof typeof RebuildPath]
