// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineDeleteResponse {
  /**
   * there was no such engine: the call changed nothing
   */
  'alreadyAbsent'?: (boolean);
}

export interface EngineDeleteResponse__Output {
  /**
   * there was no such engine: the call changed nothing
   */
  'alreadyAbsent': (boolean);
}
