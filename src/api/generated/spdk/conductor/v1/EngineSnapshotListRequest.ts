// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineSnapshotListRequest {
  'engine'?: (string);
}

export interface EngineSnapshotListRequest__Output {
  'engine': (string);
}
