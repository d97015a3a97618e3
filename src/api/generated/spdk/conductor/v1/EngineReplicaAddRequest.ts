// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { EngineReplica as _spdk_conductor_v1_EngineReplica, EngineReplica__Output as _spdk_conductor_v1_EngineReplica__Output } from '../../../spdk/conductor/v1/EngineReplica.js';

export interface EngineReplicaAddRequest {
  /**
   * the engine
   */
  'name'?: (string);
  'replica'?: (_spdk_conductor_v1_EngineReplica | null);
}

export interface EngineReplicaAddRequest__Output {
  /**
   * the engine
   */
  'name': (string);
  'replica': (_spdk_conductor_v1_EngineReplica__Output | null);
}
