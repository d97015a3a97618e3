// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What the volume served since its raid was made (spdk_tgt's counters), latency summed.
 */
export interface VolumeIo {
  'readOps'?: (number | string | Long);
  'writeOps'?: (number | string | Long);
  'readBytes'?: (number | string | Long);
  'writeBytes'?: (number | string | Long);
  /**
   * summed over the reads
   */
  'readLatencySec'?: (number | string);
  'writeLatencySec'?: (number | string);
  /**
   * when spdk_tgt was read
   */
  'sampledAtMs'?: (number | string | Long);
}

/**
 * What the volume served since its raid was made (spdk_tgt's counters), latency summed.
 */
export interface VolumeIo__Output {
  'readOps': (number);
  'writeOps': (number);
  'readBytes': (number);
  'writeBytes': (number);
  /**
   * summed over the reads
   */
  'readLatencySec': (number);
  'writeLatencySec': (number);
  /**
   * when spdk_tgt was read
   */
  'sampledAtMs': (number);
}
