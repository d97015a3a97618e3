// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface RebuildCancelRequest {
  'engine'?: (string);
  'replica'?: (string);
}

export interface RebuildCancelRequest__Output {
  'engine': (string);
  'replica': (string);
}
