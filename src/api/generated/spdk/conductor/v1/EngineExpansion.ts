// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

export interface EngineExpansion {
  /**
   * the size asked for
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * the members already grown to it
   */
  'grown'?: (string)[];
}

export interface EngineExpansion__Output {
  /**
   * the size asked for
   */
  'sizeBytes': (number);
  /**
   * the members already grown to it
   */
  'grown': (string)[];
}
