// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaDeleteResponse {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent'?: (boolean);
}

export interface ReplicaDeleteResponse__Output {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent': (boolean);
}
