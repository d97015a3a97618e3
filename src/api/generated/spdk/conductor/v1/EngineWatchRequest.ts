// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineWatchRequest {
}

export interface EngineWatchRequest__Output {
}
