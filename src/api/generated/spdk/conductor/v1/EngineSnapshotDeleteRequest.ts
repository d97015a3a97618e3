// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineSnapshotDeleteRequest {
  'engine'?: (string);
  'name'?: (string);
}

export interface EngineSnapshotDeleteRequest__Output {
  'engine': (string);
  'name': (string);
}
