// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineListRequest {
  /**
   * Paging, as in node.proto's ReplicaListRequest: name order, 0 = a page of 200, at most 500.
   */
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface EngineListRequest__Output {
  /**
   * Paging, as in node.proto's ReplicaListRequest: name order, 0 = a page of 200, at most 500.
   */
  'pageSize': (number);
  'pageToken': (string);
}
