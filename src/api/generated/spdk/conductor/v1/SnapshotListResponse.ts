// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Snapshot as _spdk_conductor_v1_Snapshot, Snapshot__Output as _spdk_conductor_v1_Snapshot__Output } from '../../../spdk/conductor/v1/Snapshot.js';

export interface SnapshotListResponse {
  'snapshots'?: (_spdk_conductor_v1_Snapshot)[];
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface SnapshotListResponse__Output {
  'snapshots': (_spdk_conductor_v1_Snapshot__Output)[];
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
