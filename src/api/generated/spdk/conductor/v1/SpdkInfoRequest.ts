// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SpdkInfoRequest {
}

export interface SpdkInfoRequest__Output {
}
