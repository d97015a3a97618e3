// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface RebuildListRequest {
  /**
   * empty: every engine
   */
  'engine'?: (string);
  /**
   * Paging in (engine, replica) order, as EngineListRequest.
   */
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface RebuildListRequest__Output {
  /**
   * empty: every engine
   */
  'engine': (string);
  /**
   * Paging in (engine, replica) order, as EngineListRequest.
   */
  'pageSize': (number);
  'pageToken': (string);
}
