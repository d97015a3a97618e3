// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupTargetGetRequest {
}

export interface BackupTargetGetRequest__Output {
}
