// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Replica as _spdk_conductor_v1_Replica, Replica__Output as _spdk_conductor_v1_Replica__Output } from '../../../spdk/conductor/v1/Replica.js';

export interface ReplicaListResponse {
  'replicas'?: (_spdk_conductor_v1_Replica)[];
}

export interface ReplicaListResponse__Output {
  'replicas': (_spdk_conductor_v1_Replica__Output)[];
}
