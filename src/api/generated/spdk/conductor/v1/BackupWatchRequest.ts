// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupWatchRequest {
}

export interface BackupWatchRequest__Output {
}
