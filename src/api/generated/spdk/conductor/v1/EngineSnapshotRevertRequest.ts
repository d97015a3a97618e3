// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineSnapshotRevertRequest {
  'engine'?: (string);
  /**
   * the volume snapshot
   */
  'name'?: (string);
  /**
   * the member to revert (a replica name); empty: chosen by the node
   */
  'source'?: (string);
}

export interface EngineSnapshotRevertRequest__Output {
  'engine': (string);
  /**
   * the volume snapshot
   */
  'name': (string);
  /**
   * the member to revert (a replica name); empty: chosen by the node
   */
  'source': (string);
}
