// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HugepageBoundFigure as _spdk_conductor_v1_HugepageBoundFigure, HugepageBoundFigure__Output as _spdk_conductor_v1_HugepageBoundFigure__Output } from '../../../spdk/conductor/v1/HugepageBoundFigure.js';
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
  /**
   * The hugepages spdk_tgt's heap can still map (of the heap's page size; under the simulator, its
   * pool stands for the node's) have up to three bounds and the smallest applies: which one, as
   * the metrics name it: "node_pool" (free minus reserved), "hugetlb_cgroup" (this container's
   * limit, where one is set) or "spdk_tgt_limit" (health.spdkHugepagesLimitBytes minus what
   * spdk_tgt has mapped). Empty when the heap does not grow (--no-huge, a fixed heap) or no sample
   * says.
   */
  'hugepagesBound'?: (string);
  /**
   * that bound's figure: what dma_available_bytes counts beyond the heap's free
   */
  'hugepagesAvailable'?: (number | string | Long);
  /**
   * each bound that is set, node_pool first
   */
  'hugepageBounds'?: (_spdk_conductor_v1_HugepageBoundFigure)[];
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
  /**
   * The hugepages spdk_tgt's heap can still map (of the heap's page size; under the simulator, its
   * pool stands for the node's) have up to three bounds and the smallest applies: which one, as
   * the metrics name it: "node_pool" (free minus reserved), "hugetlb_cgroup" (this container's
   * limit, where one is set) or "spdk_tgt_limit" (health.spdkHugepagesLimitBytes minus what
   * spdk_tgt has mapped). Empty when the heap does not grow (--no-huge, a fixed heap) or no sample
   * says.
   */
  'hugepagesBound': (string);
  /**
   * that bound's figure: what dma_available_bytes counts beyond the heap's free
   */
  'hugepagesAvailable': (number);
  /**
   * each bound that is set, node_pool first
   */
  'hugepageBounds': (_spdk_conductor_v1_HugepageBoundFigure__Output)[];
}
