// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineStatsRequest {
  'name'?: (string);
}

export interface EngineStatsRequest__Output {
  'name': (string);
}
