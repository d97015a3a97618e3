// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { NodeObjectCounts as _spdk_conductor_v1_NodeObjectCounts, NodeObjectCounts__Output as _spdk_conductor_v1_NodeObjectCounts__Output } from '../../../spdk/conductor/v1/NodeObjectCounts.js';
import type { NodeMemoryStats as _spdk_conductor_v1_NodeMemoryStats, NodeMemoryStats__Output as _spdk_conductor_v1_NodeMemoryStats__Output } from '../../../spdk/conductor/v1/NodeMemoryStats.js';
import type { NodeStatsRebuild as _spdk_conductor_v1_NodeStatsRebuild, NodeStatsRebuild__Output as _spdk_conductor_v1_NodeStatsRebuild__Output } from '../../../spdk/conductor/v1/NodeStatsRebuild.js';
import type { VolumeIoRate as _spdk_conductor_v1_VolumeIoRate, VolumeIoRate__Output as _spdk_conductor_v1_VolumeIoRate__Output } from '../../../spdk/conductor/v1/VolumeIoRate.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeStats {
  /**
   * when the service put it together
   */
  'atMs'?: (number | string | Long);
  'objects'?: (_spdk_conductor_v1_NodeObjectCounts | null);
  /**
   * healthy, degraded, faulted, unknown (not looked at yet)
   */
  'enginesByState'?: ({[key: string]: number});
  'memory'?: (_spdk_conductor_v1_NodeMemoryStats | null);
  /**
   * queued and running
   */
  'rebuilds'?: (_spdk_conductor_v1_NodeStatsRebuild)[];
  /**
   * busiest first (read + write bytes per second)
   */
  'topVolumes'?: (_spdk_conductor_v1_VolumeIoRate)[];
  /**
   * the window the rates are over; 0: not sampled twice yet
   */
  'ioWindowSec'?: (number | string);
  /**
   * NVMe-oF subsystems in spdk_tgt, as last counted
   */
  'subsystems'?: (number);
  /**
   * spdk_tgt's limit (0: not counted yet)
   */
  'maxSubsystems'?: (number);
  /**
   * the service's main loop delay, 99th percentile over the health worker's last complete window (event_loop_delay_window_sec)
   */
  'eventLoopDelayP99Sec'?: (number | string);
  /**
   * the window event_loop_delay_p99_sec covers (health worker's LoopDelay: about 10 s; shorter only before the first window ends)
   */
  'eventLoopDelayWindowSec'?: (number | string);
}

export interface NodeStats__Output {
  /**
   * when the service put it together
   */
  'atMs': (number);
  'objects': (_spdk_conductor_v1_NodeObjectCounts__Output | null);
  /**
   * healthy, degraded, faulted, unknown (not looked at yet)
   */
  'enginesByState': ({[key: string]: number});
  'memory': (_spdk_conductor_v1_NodeMemoryStats__Output | null);
  /**
   * queued and running
   */
  'rebuilds': (_spdk_conductor_v1_NodeStatsRebuild__Output)[];
  /**
   * busiest first (read + write bytes per second)
   */
  'topVolumes': (_spdk_conductor_v1_VolumeIoRate__Output)[];
  /**
   * the window the rates are over; 0: not sampled twice yet
   */
  'ioWindowSec': (number);
  /**
   * NVMe-oF subsystems in spdk_tgt, as last counted
   */
  'subsystems': (number);
  /**
   * spdk_tgt's limit (0: not counted yet)
   */
  'maxSubsystems': (number);
  /**
   * the service's main loop delay, 99th percentile over the health worker's last complete window (event_loop_delay_window_sec)
   */
  'eventLoopDelayP99Sec': (number);
  /**
   * the window event_loop_delay_p99_sec covers (health worker's LoopDelay: about 10 s; shorter only before the first window ends)
   */
  'eventLoopDelayWindowSec': (number);
}
