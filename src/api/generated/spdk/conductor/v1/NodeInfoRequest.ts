// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface NodeInfoRequest {
}

export interface NodeInfoRequest__Output {
}
