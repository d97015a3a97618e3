// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface EngineRevert {
  'snapshot'?: (string);
  /**
   * the member reverted; the others are rebuilt from it
   */
  'source'?: (string);
  /**
   * The last step done: recorded, down (export, raid and remote controllers gone), reverted,
   * raid (made again over the source), exported (the rebuilds are queued next).
   */
  'phase'?: (string);
}

export interface EngineRevert__Output {
  'snapshot': (string);
  /**
   * the member reverted; the others are rebuilt from it
   */
  'source': (string);
  /**
   * The last step done: recorded, down (export, raid and remote controllers gone), reverted,
   * raid (made again over the source), exported (the rebuilds are queued next).
   */
  'phase': (string);
}
