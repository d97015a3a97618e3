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
}

export interface ShallowCopyProgress__Output {
  /**
   * in progress, complete
   */
  'state': (string);
  'copiedClusters': (number);
  'totalClusters': (number);
  'clusterSizeBytes': (number);
}
