// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineReplicaListRequest {
  'name'?: (string);
}

export interface EngineReplicaListRequest__Output {
  'name': (string);
}
