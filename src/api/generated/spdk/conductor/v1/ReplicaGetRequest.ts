// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaGetRequest {
  'name'?: (string);
}

export interface ReplicaGetRequest__Output {
  'name': (string);
}
