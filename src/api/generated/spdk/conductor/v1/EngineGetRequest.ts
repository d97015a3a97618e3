// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineGetRequest {
  'name'?: (string);
}

export interface EngineGetRequest__Output {
  'name': (string);
}
