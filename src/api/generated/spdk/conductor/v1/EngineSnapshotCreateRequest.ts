// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineSnapshotCreateRequest {
  'engine'?: (string);
  'name'?: (string);
  'labels'?: ({[key: string]: string});
}

export interface EngineSnapshotCreateRequest__Output {
  'engine': (string);
  'name': (string);
  'labels': ({[key: string]: string});
}
