// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaListRequest {
  'diskName'?: (string);
}

export interface ReplicaListRequest__Output {
  'diskName': (string);
}
