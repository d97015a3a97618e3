// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaExpandRequest {
  'name'?: (string);
  'sizeBytes'?: (number | string | Long);
}

export interface ReplicaExpandRequest__Output {
  'name': (string);
  'sizeBytes': (number);
}
