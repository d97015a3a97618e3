// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupListRequest {
  /**
   * '' for every volume in the target.
   */
  'volume'?: (string);
}

export interface BackupListRequest__Output {
  /**
   * '' for every volume in the target.
   */
  'volume': (string);
}
