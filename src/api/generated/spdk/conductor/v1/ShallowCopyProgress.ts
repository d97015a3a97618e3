// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface ShallowCopyProgress {
  /**
   * in progress, complete
   */
  'state'?: (string);
  'copiedClusters'?: (number | string | Long);
  'totalClusters'?: (number | string | Long);
  'clusterSizeBytes'?: (number | string | Long);
  /**
   * Set while this copy waits for another copy of the same snapshot to end (spdk_tgt runs one copy
   * of a snapshot at a time): who copies it ("backup bk-..."), and how far that copy got when known
   * (waiting_total_clusters 0: not known). Sent at least every few seconds while it waits.
   */
  'waitingFor'?: (string);
  'waitingCopiedClusters'?: (number | string | Long);
  'waitingTotalClusters'?: (number | string | Long);
}

export interface ShallowCopyProgress__Output {
  /**
   * in progress, complete
   */
  'state': (string);
  'copiedClusters': (number);
  'totalClusters': (number);
  'clusterSizeBytes': (number);
  /**
   * Set while this copy waits for another copy of the same snapshot to end (spdk_tgt runs one copy
   * of a snapshot at a time): who copies it ("backup bk-..."), and how far that copy got when known
   * (waiting_total_clusters 0: not known). Sent at least every few seconds while it waits.
   */
  'waitingFor': (string);
  'waitingCopiedClusters': (number);
  'waitingTotalClusters': (number);
}
