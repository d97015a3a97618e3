// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface RebuildGetRequest {
  'engine'?: (string);
  'replica'?: (string);
}

export interface RebuildGetRequest__Output {
  'engine': (string);
  'replica': (string);
}
