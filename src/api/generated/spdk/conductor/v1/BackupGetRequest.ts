// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupGetRequest {
  'id'?: (string);
}

export interface BackupGetRequest__Output {
  'id': (string);
}
