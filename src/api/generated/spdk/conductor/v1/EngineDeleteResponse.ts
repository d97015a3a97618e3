// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineDeleteResponse {
}

export interface EngineDeleteResponse__Output {
}
