// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotDeleteResponse {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent'?: (boolean);
}

export interface SnapshotDeleteResponse__Output {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent': (boolean);
}
