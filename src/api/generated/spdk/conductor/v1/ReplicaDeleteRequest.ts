// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaDeleteRequest {
  'name'?: (string);
}

export interface ReplicaDeleteRequest__Output {
  'name': (string);
}
