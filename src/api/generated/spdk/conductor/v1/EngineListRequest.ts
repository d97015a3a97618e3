// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineListRequest {
}

export interface EngineListRequest__Output {
}
