// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Snapshot as _spdk_conductor_v1_Snapshot, Snapshot__Output as _spdk_conductor_v1_Snapshot__Output } from '../../../spdk/conductor/v1/Snapshot.js';

export interface SnapshotListResponse {
  'snapshots'?: (_spdk_conductor_v1_Snapshot)[];
}

export interface SnapshotListResponse__Output {
  'snapshots': (_spdk_conductor_v1_Snapshot__Output)[];
}
