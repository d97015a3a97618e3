// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface HugepageBoundFigure {
  /**
   * node_pool, hugetlb_cgroup, spdk_tgt_limit
   */
  'bound'?: (string);
  /**
   * pages it still lets spdk_tgt map
   */
  'availablePages'?: (number | string | Long);
  /**
   * the cgroup's or spdk_tgt's limit (0 for node_pool)
   */
  'limitBytes'?: (number | string | Long);
  /**
   * charged against that limit: the cgroup's usage, what spdk_tgt has mapped (0 for node_pool)
   */
  'usedBytes'?: (number | string | Long);
}

export interface HugepageBoundFigure__Output {
  /**
   * node_pool, hugetlb_cgroup, spdk_tgt_limit
   */
  'bound': (string);
  /**
   * pages it still lets spdk_tgt map
   */
  'availablePages': (number);
  /**
   * the cgroup's or spdk_tgt's limit (0 for node_pool)
   */
  'limitBytes': (number);
  /**
   * charged against that limit: the cgroup's usage, what spdk_tgt has mapped (0 for node_pool)
   */
  'usedBytes': (number);
}
