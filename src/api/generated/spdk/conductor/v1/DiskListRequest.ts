// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface DiskListRequest {
}

export interface DiskListRequest__Output {
}
