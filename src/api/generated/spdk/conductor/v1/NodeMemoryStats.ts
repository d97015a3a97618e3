// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeMemoryStats {
  /**
   * the service's process
   */
  'rssBytes'?: (number | string | Long);
  'heapUsedBytes'?: (number | string | Long);
  /**
   * hugepages, no-huge, unknown
   */
  'dmaMode'?: (string);
  /**
   * spdk_tgt's DMA heap, as last sampled
   */
  'dmaHeapBytes'?: (number | string | Long);
  'dmaFreeBytes'?: (number | string | Long);
  'dmaLargestFreeBytes'?: (number | string | Long);
  /**
   * free in the heap plus what it can still map
   */
  'dmaAvailableBytes'?: (number | string | Long);
  'hugepageSizeBytes'?: (number | string | Long);
  'hugepagesTotal'?: (number | string | Long);
  'hugepagesFree'?: (number | string | Long);
}

export interface NodeMemoryStats__Output {
  /**
   * the service's process
   */
  'rssBytes': (number);
  'heapUsedBytes': (number);
  /**
   * hugepages, no-huge, unknown
   */
  'dmaMode': (string);
  /**
   * spdk_tgt's DMA heap, as last sampled
   */
  'dmaHeapBytes': (number);
  'dmaFreeBytes': (number);
  'dmaLargestFreeBytes': (number);
  /**
   * free in the heap plus what it can still map
   */
  'dmaAvailableBytes': (number);
  'hugepageSizeBytes': (number);
  'hugepagesTotal': (number);
  'hugepagesFree': (number);
}
