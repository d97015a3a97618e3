// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface DiskDeleteResponse {
}

export interface DiskDeleteResponse__Output {
}
