// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const RebuildState = {
  REBUILD_STATE_UNSPECIFIED: 'REBUILD_STATE_UNSPECIFIED',
  /**
   * waiting for a rebuild slot on this node (queue_position)
   */
  REBUILD_STATE_QUEUED: 'REBUILD_STATE_QUEUED',
  /**
   * shallow-copying the snapshot chain to the new replica
   */
  REBUILD_STATE_COPYING_SNAPSHOTS: 'REBUILD_STATE_COPYING_SNAPSHOTS',
  /**
   * in the raid; SPDK's rebuild process is copying the head
   */
  REBUILD_STATE_REBUILDING: 'REBUILD_STATE_REBUILDING',
  /**
   * the member is healthy
   */
  REBUILD_STATE_DONE: 'REBUILD_STATE_DONE',
  /**
   * reason says why; the member is not in the raid
   */
  REBUILD_STATE_FAILED: 'REBUILD_STATE_FAILED',
  REBUILD_STATE_CANCELLED: 'REBUILD_STATE_CANCELLED',
} as const;

export type RebuildState =
  | 'REBUILD_STATE_UNSPECIFIED'
  | 0
  /**
   * waiting for a rebuild slot on this node (queue_position)
   */
  | 'REBUILD_STATE_QUEUED'
  | 1
  /**
   * shallow-copying the snapshot chain to the new replica
   */
  | 'REBUILD_STATE_COPYING_SNAPSHOTS'
  | 2
  /**
   * in the raid; SPDK's rebuild process is copying the head
   */
  | 'REBUILD_STATE_REBUILDING'
  | 3
  /**
   * the member is healthy
   */
  | 'REBUILD_STATE_DONE'
  | 4
  /**
   * reason says why; the member is not in the raid
   */
  | 'REBUILD_STATE_FAILED'
  | 5
  | 'REBUILD_STATE_CANCELLED'
  | 6

export type RebuildState__Output = typeof RebuildState[keyof typeof RebuildState]
