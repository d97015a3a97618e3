// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface DiskDeleteResponse {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent'?: (boolean);
}

export interface DiskDeleteResponse__Output {
  /**
   * there was nothing to delete: the call changed nothing
   */
  'alreadyAbsent': (boolean);
}
