// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


/**
 * A replica on this node, by name.
 */
export interface LocalReplica {
  'name'?: (string);
}

/**
 * A replica on this node, by name.
 */
export interface LocalReplica__Output {
  'name': (string);
}
