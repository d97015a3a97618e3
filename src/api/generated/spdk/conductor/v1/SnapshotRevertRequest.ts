// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotRevertRequest {
  'replicaName'?: (string);
  'name'?: (string);
  /**
   * also while a local engine uses the replica
   */
  'force'?: (boolean);
}

export interface SnapshotRevertRequest__Output {
  'replicaName': (string);
  'name': (string);
  /**
   * also while a local engine uses the replica
   */
  'force': (boolean);
}
