// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface DiskGetRequest {
  'name'?: (string);
}

export interface DiskGetRequest__Output {
  'name': (string);
}
