// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

/**
 * QoS limits in spdk_tgt's units; 0 = unlimited.
 */
export interface EngineQos {
  /**
   * reads and writes together; a multiple of 1000
   */
  'rwIosPerSec'?: (number | string | Long);
  /**
   * MiB/s, reads and writes together
   */
  'rwMbytesPerSec'?: (number | string | Long);
  'rMbytesPerSec'?: (number | string | Long);
  'wMbytesPerSec'?: (number | string | Long);
}

/**
 * QoS limits in spdk_tgt's units; 0 = unlimited.
 */
export interface EngineQos__Output {
  /**
   * reads and writes together; a multiple of 1000
   */
  'rwIosPerSec': (number);
  /**
   * MiB/s, reads and writes together
   */
  'rwMbytesPerSec': (number);
  'rMbytesPerSec': (number);
  'wMbytesPerSec': (number);
}
