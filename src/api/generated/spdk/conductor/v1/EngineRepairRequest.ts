// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineRepairRequest {
  'name'?: (string);
}

export interface EngineRepairRequest__Output {
  'name': (string);
}
