// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaExpandRequest {
  'name'?: (string);
  'sizeBytes'?: (number | string | Long);
  /**
   * also while a local engine or a connected host uses it
   */
  'force'?: (boolean);
  /**
   * Only the checks (size, the disk's free space for the growth, users): the answer is the replica
   * as it is, or the refusal the expand would meet; nothing changes. EngineExpand asks every member first.
   */
  'checkOnly'?: (boolean);
}

export interface ReplicaExpandRequest__Output {
  'name': (string);
  'sizeBytes': (number);
  /**
   * also while a local engine or a connected host uses it
   */
  'force': (boolean);
  /**
   * Only the checks (size, the disk's free space for the growth, users): the answer is the replica
   * as it is, or the refusal the expand would meet; nothing changes. EngineExpand asks every member first.
   */
  'checkOnly': (boolean);
}
