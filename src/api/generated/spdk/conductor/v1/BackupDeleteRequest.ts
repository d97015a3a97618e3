// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupDeleteRequest {
  'volume'?: (string);
  'backupId'?: (string);
}

export interface BackupDeleteRequest__Output {
  'volume': (string);
  'backupId': (string);
}
