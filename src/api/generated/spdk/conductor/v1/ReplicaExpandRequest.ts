// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaExpandRequest {
  'name'?: (string);
  'sizeBytes'?: (number | string | Long);
  /**
   * also while a local engine or a connected host uses it
   */
  'force'?: (boolean);
}

export interface ReplicaExpandRequest__Output {
  'name': (string);
  'sizeBytes': (number);
  /**
   * also while a local engine or a connected host uses it
   */
  'force': (boolean);
}
