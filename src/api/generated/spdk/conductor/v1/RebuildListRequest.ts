// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface RebuildListRequest {
  'engine'?: (string);
}

export interface RebuildListRequest__Output {
  'engine': (string);
}
