// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaDeleteResponse {
}

export interface ReplicaDeleteResponse__Output {
}
