// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotCreateRequest {
  'replicaName'?: (string);
  /**
   * [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name'?: (string);
  'labels'?: ({[key: string]: string});
  /**
   * false for snapshots the system takes (rebuild, backup)
   */
  'userCreated'?: (boolean);
}

export interface SnapshotCreateRequest__Output {
  'replicaName': (string);
  /**
   * [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name': (string);
  'labels': ({[key: string]: string});
  /**
   * false for snapshots the system takes (rebuild, backup)
   */
  'userCreated': (boolean);
}
