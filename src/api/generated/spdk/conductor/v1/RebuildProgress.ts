// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

export interface RebuildProgress {
  /**
   * the member bdev being rebuilt
   */
  'member'?: (string);
  'percent'?: (number);
  /**
   * blocks copied so far
   */
  'blocks'?: (number | string | Long);
}

export interface RebuildProgress__Output {
  /**
   * the member bdev being rebuilt
   */
  'member': (string);
  'percent': (number);
  /**
   * blocks copied so far
   */
  'blocks': (number);
}
