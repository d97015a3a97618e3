// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { RebuildState as _spdk_conductor_v1_RebuildState, RebuildState__Output as _spdk_conductor_v1_RebuildState__Output } from '../../../spdk/conductor/v1/RebuildState.js';
import type { RebuildPath as _spdk_conductor_v1_RebuildPath, RebuildPath__Output as _spdk_conductor_v1_RebuildPath__Output } from '../../../spdk/conductor/v1/RebuildPath.js';
import type { SnapshotCopy as _spdk_conductor_v1_SnapshotCopy, SnapshotCopy__Output as _spdk_conductor_v1_SnapshotCopy__Output } from '../../../spdk/conductor/v1/SnapshotCopy.js';
import type { RebuildProgress as _spdk_conductor_v1_RebuildProgress, RebuildProgress__Output as _spdk_conductor_v1_RebuildProgress__Output } from '../../../spdk/conductor/v1/RebuildProgress.js';
import type { RebuildThrottle as _spdk_conductor_v1_RebuildThrottle, RebuildThrottle__Output as _spdk_conductor_v1_RebuildThrottle__Output } from '../../../spdk/conductor/v1/RebuildThrottle.js';
import type { Long } from '@grpc/proto-loader';

export interface Rebuild {
  'engine'?: (string);
  'replica'?: (string);
  'state'?: (_spdk_conductor_v1_RebuildState);
  /**
   * why it is in this state
   */
  'reason'?: (string);
  'path'?: (_spdk_conductor_v1_RebuildPath);
  /**
   * why this path (e.g. the source node has no shallow copy)
   */
  'pathReason'?: (string);
  /**
   * where the snapshots came from
   */
  'sourceReplica'?: (string);
  /**
   * of the whole rebuild (snapshot bytes and raid range together)
   */
  'percent'?: (number);
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  /**
   * over the last seconds
   */
  'rateBytesPerSec'?: (number | string);
  /**
   * -1 when unknown
   */
  'etaSec'?: (number | string | Long);
  /**
   * 1 = next; 0 when not queued
   */
  'queuePosition'?: (number);
  'snapshots'?: (_spdk_conductor_v1_SnapshotCopy)[];
  /**
   * SPDK's process while REBUILDING
   */
  'raid'?: (_spdk_conductor_v1_RebuildProgress | null);
  'throttle'?: (_spdk_conductor_v1_RebuildThrottle | null);
  /**
   * EngineReplicaAdd accepted it
   */
  'createdAtMs'?: (number | string | Long);
  /**
   * left the queue (0: not yet)
   */
  'startedAtMs'?: (number | string | Long);
  /**
   * SPDK's raid rebuild process was first seen (0: not yet)
   */
  'processStartedAtMs'?: (number | string | Long);
  /**
   * 0 while it runs
   */
  'finishedAtMs'?: (number | string | Long);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface Rebuild__Output {
  'engine': (string);
  'replica': (string);
  'state': (_spdk_conductor_v1_RebuildState__Output);
  /**
   * why it is in this state
   */
  'reason': (string);
  'path': (_spdk_conductor_v1_RebuildPath__Output);
  /**
   * why this path (e.g. the source node has no shallow copy)
   */
  'pathReason': (string);
  /**
   * where the snapshots came from
   */
  'sourceReplica': (string);
  /**
   * of the whole rebuild (snapshot bytes and raid range together)
   */
  'percent': (number);
  'bytesDone': (number);
  'bytesTotal': (number);
  /**
   * over the last seconds
   */
  'rateBytesPerSec': (number);
  /**
   * -1 when unknown
   */
  'etaSec': (number);
  /**
   * 1 = next; 0 when not queued
   */
  'queuePosition': (number);
  'snapshots': (_spdk_conductor_v1_SnapshotCopy__Output)[];
  /**
   * SPDK's process while REBUILDING
   */
  'raid': (_spdk_conductor_v1_RebuildProgress__Output | null);
  'throttle': (_spdk_conductor_v1_RebuildThrottle__Output | null);
  /**
   * EngineReplicaAdd accepted it
   */
  'createdAtMs': (number);
  /**
   * left the queue (0: not yet)
   */
  'startedAtMs': (number);
  /**
   * SPDK's raid rebuild process was first seen (0: not yet)
   */
  'processStartedAtMs': (number);
  /**
   * 0 while it runs
   */
  'finishedAtMs': (number);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
