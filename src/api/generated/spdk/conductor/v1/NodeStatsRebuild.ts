// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeStatsRebuild {
  'engine'?: (string);
  'replica'?: (string);
  /**
   * queued, copying-snapshots, rebuilding
   */
  'state'?: (string);
  'percent'?: (number);
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  'rateBytesPerSec'?: (number | string);
  /**
   * -1 when unknown
   */
  'etaSec'?: (number | string | Long);
  'queuePosition'?: (number);
}

export interface NodeStatsRebuild__Output {
  'engine': (string);
  'replica': (string);
  /**
   * queued, copying-snapshots, rebuilding
   */
  'state': (string);
  'percent': (number);
  'bytesDone': (number);
  'bytesTotal': (number);
  'rateBytesPerSec': (number);
  /**
   * -1 when unknown
   */
  'etaSec': (number);
  'queuePosition': (number);
}
