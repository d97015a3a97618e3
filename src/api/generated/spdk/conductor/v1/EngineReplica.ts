// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { RemoteReplica as _spdk_conductor_v1_RemoteReplica, RemoteReplica__Output as _spdk_conductor_v1_RemoteReplica__Output } from '../../../spdk/conductor/v1/RemoteReplica.js';
import type { LocalReplica as _spdk_conductor_v1_LocalReplica, LocalReplica__Output as _spdk_conductor_v1_LocalReplica__Output } from '../../../spdk/conductor/v1/LocalReplica.js';

export interface EngineReplica {
  'remote'?: (_spdk_conductor_v1_RemoteReplica | null);
  'local'?: (_spdk_conductor_v1_LocalReplica | null);
  'replica'?: "remote"|"local";
}

export interface EngineReplica__Output {
  'remote'?: (_spdk_conductor_v1_RemoteReplica__Output | null);
  'local'?: (_spdk_conductor_v1_LocalReplica__Output | null);
  'replica'?: "remote"|"local";
}
