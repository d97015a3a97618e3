// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaUnexposeRequest {
  'name'?: (string);
}

export interface ReplicaUnexposeRequest__Output {
  'name': (string);
}
