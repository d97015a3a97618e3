// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotCopy {
  /**
   * the snapshot's name (the same on the source and the new replica)
   */
  'name'?: (string);
  /**
   * pending, copying, copied, skipped (already on the new replica)
   */
  'state'?: (string);
  'copiedClusters'?: (number | string | Long);
  'totalClusters'?: (number | string | Long);
}

export interface SnapshotCopy__Output {
  /**
   * the snapshot's name (the same on the source and the new replica)
   */
  'name': (string);
  /**
   * pending, copying, copied, skipped (already on the new replica)
   */
  'state': (string);
  'copiedClusters': (number);
  'totalClusters': (number);
}
