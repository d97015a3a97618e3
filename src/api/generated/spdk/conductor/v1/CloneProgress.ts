// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface CloneProgress {
  'sourceReplica'?: (string);
  'snapshot'?: (string);
  /**
   * copying (the chain's snapshots copied from another node, one at a time), inflating (a full
   * clone here: spdk_tgt reports no progress until it is done), done.
   */
  'phase'?: (string);
  /**
   * of the snapshots' allocated clusters
   */
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  /**
   * the snapshot being copied, 1-based, of steps
   */
  'step'?: (number);
  'steps'?: (number);
  'percent'?: (number);
}

export interface CloneProgress__Output {
  'sourceReplica': (string);
  'snapshot': (string);
  /**
   * copying (the chain's snapshots copied from another node, one at a time), inflating (a full
   * clone here: spdk_tgt reports no progress until it is done), done.
   */
  'phase': (string);
  /**
   * of the snapshots' allocated clusters
   */
  'bytesDone': (number);
  'bytesTotal': (number);
  /**
   * the snapshot being copied, 1-based, of steps
   */
  'step': (number);
  'steps': (number);
  'percent': (number);
}
