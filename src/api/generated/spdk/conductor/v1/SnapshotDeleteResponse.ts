// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotDeleteResponse {
}

export interface SnapshotDeleteResponse__Output {
}
