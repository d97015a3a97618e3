// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaWatchRequest {
}

export interface ReplicaWatchRequest__Output {
}
