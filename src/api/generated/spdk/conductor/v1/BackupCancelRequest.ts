// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupCancelRequest {
  'id'?: (string);
}

export interface BackupCancelRequest__Output {
  'id': (string);
}
