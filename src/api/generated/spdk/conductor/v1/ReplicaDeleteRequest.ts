// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaDeleteRequest {
  'name'?: (string);
  /**
   * also while a local engine or a connected host uses it
   */
  'force'?: (boolean);
}

export interface ReplicaDeleteRequest__Output {
  'name': (string);
  /**
   * also while a local engine or a connected host uses it
   */
  'force': (boolean);
}
