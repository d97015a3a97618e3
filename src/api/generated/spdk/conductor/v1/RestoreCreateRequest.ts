// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface RestoreCreateRequest {
  'volume'?: (string);
  'backupId'?: (string);
  'disk'?: (string);
  'replica'?: (string);
}

export interface RestoreCreateRequest__Output {
  'volume': (string);
  'backupId': (string);
  'disk': (string);
  'replica': (string);
}
