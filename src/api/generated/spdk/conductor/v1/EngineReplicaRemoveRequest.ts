// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineReplicaRemoveRequest {
  /**
   * the engine
   */
  'name'?: (string);
  'replicaName'?: (string);
}

export interface EngineReplicaRemoveRequest__Output {
  /**
   * the engine
   */
  'name': (string);
  'replicaName': (string);
}
