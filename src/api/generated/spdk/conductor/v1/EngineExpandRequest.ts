// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

export interface EngineExpandRequest {
  'name'?: (string);
  /**
   * the new size: > 0, a multiple of 1 MiB, at least the current size
   */
  'sizeBytes'?: (number | string | Long);
}

export interface EngineExpandRequest__Output {
  'name': (string);
  /**
   * the new size: > 0, a multiple of 1 MiB, at least the current size
   */
  'sizeBytes': (number);
}
