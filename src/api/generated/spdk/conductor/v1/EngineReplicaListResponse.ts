// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { EngineMember as _spdk_conductor_v1_EngineMember, EngineMember__Output as _spdk_conductor_v1_EngineMember__Output } from '../../../spdk/conductor/v1/EngineMember.js';

export interface EngineReplicaListResponse {
  'members'?: (_spdk_conductor_v1_EngineMember)[];
}

export interface EngineReplicaListResponse__Output {
  'members': (_spdk_conductor_v1_EngineMember__Output)[];
}
