// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaExposeRequest {
  'name'?: (string);
  /**
   * at least one
   */
  'hostNqns'?: (string)[];
}

export interface ReplicaExposeRequest__Output {
  'name': (string);
  /**
   * at least one
   */
  'hostNqns': (string)[];
}
