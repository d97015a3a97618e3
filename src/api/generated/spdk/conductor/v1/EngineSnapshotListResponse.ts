// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { VolumeSnapshot as _spdk_conductor_v1_VolumeSnapshot, VolumeSnapshot__Output as _spdk_conductor_v1_VolumeSnapshot__Output } from '../../../spdk/conductor/v1/VolumeSnapshot.js';

export interface EngineSnapshotListResponse {
  'snapshots'?: (_spdk_conductor_v1_VolumeSnapshot)[];
}

export interface EngineSnapshotListResponse__Output {
  'snapshots': (_spdk_conductor_v1_VolumeSnapshot__Output)[];
}
