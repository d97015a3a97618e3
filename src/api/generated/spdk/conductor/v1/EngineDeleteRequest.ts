// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineDeleteRequest {
  'name'?: (string);
}

export interface EngineDeleteRequest__Output {
  'name': (string);
}
