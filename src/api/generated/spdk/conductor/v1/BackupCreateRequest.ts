// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


export interface BackupCreateRequest {
  /**
   * Default: the engine's name, else the replica's.
   */
  'volume'?: (string);
  /**
   * Without engine: the replica to back up. With engine: the member whose snapshot is staged
   * (it must be a member on this node); '' picks this node's first member in sync.
   */
  'replica'?: (string);
  /**
   * An existing snapshot of the replica (with engine: a volume snapshot of the engine); '' takes
   * one (with engine: a volume snapshot on every member in sync, as EngineSnapshotCreate), which
   * is deleted when the backup ends.
   */
  'snapshot'?: (string);
  'labels'?: ({[key: string]: string});
  /**
   * An engine on this node: back up its volume through one of its members.
   */
  'engine'?: (string);
}

export interface BackupCreateRequest__Output {
  /**
   * Default: the engine's name, else the replica's.
   */
  'volume': (string);
  /**
   * Without engine: the replica to back up. With engine: the member whose snapshot is staged
   * (it must be a member on this node); '' picks this node's first member in sync.
   */
  'replica': (string);
  /**
   * An existing snapshot of the replica (with engine: a volume snapshot of the engine); '' takes
   * one (with engine: a volume snapshot on every member in sync, as EngineSnapshotCreate), which
   * is deleted when the backup ends.
   */
  'snapshot': (string);
  'labels': ({[key: string]: string});
  /**
   * An engine on this node: back up its volume through one of its members.
   */
  'engine': (string);
}
