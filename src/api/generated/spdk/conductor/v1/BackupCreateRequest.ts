// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupCreateRequest {
  /**
   * Default: the replica's name.
   */
  'volume'?: (string);
  'replica'?: (string);
  /**
   * An existing snapshot of the replica; '' takes one.
   */
  'snapshot'?: (string);
  'labels'?: ({[key: string]: string});
}

export interface BackupCreateRequest__Output {
  /**
   * Default: the replica's name.
   */
  'volume': (string);
  'replica': (string);
  /**
   * An existing snapshot of the replica; '' takes one.
   */
  'snapshot': (string);
  'labels': ({[key: string]: string});
}
