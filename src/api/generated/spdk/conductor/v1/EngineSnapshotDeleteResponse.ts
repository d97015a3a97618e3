// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineSnapshotDeleteResponse {
}

export interface EngineSnapshotDeleteResponse__Output {
}
