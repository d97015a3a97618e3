/**
 * One sample of the node's resources, as NodeResources takes it every health period and the
 * rebuild throttle judges it.
 */
import type { HugepageReading } from '../../host/hugepages.js';
import type { IobufModuleStats } from '../../spdk/methods/index.js';
import type { DmaReading } from './dma-reading.js';

export interface ReactorLoad {
  lcore: number;
  /**
   * Since the previous sample: a polling reactor's share of ticks in which pollers did work (it
   * polls at 100% CPU regardless); a reactor in interrupt mode, its own thread's CPU share when
   * the service can see spdk_tgt's threads, else its core's (everything that ran on the core, not
   * only spdk_tgt). See reading-math.ts reactorLoad.
   */
  busyPct: number;
  /** The reactor was in interrupt mode at both readings. */
  interrupt: boolean;
  /** In interrupt mode, whose CPU busyPct is: the reactor's thread's, or its core's. */
  cpu?: 'thread' | 'core';
}

/** A reactor's mode as the sample's framework_get_reactors reading says. */
export interface ReactorMode {
  lcore: number;
  interrupt: boolean;
}

export interface ResourceSnapshot {
  /** When the sample started (options.now clock); its readings are from then or later. */
  at: number;
  tookMs: number;
  hugepages: HugepageReading;
  dma: DmaReading;
  iobuf: { modules: IobufModuleStats[]; retries: number } | undefined;
  reactors: ReactorLoad[];
  /** Every reactor of this sample's reading (none when it could not be read), its first sample's included. */
  reactorModes: ReactorMode[];
  /**
   * The busiest reactor's load, polling or interrupt mode alike; undefined on the first sample,
   * after a restart of spdk_tgt, and when every reactor changed mode since the previous sample.
   */
  reactorBusyPct: number | undefined;
  /** p90 of the spdk_tgt call latencies recorded since the previous sample; undefined without calls. */
  rpcLatencyP90Ms: number | undefined;
  rpcCalls: number;
  /** Reservations this sample does not reflect yet (see admission-ledger.ts). */
  reserved: { bytes: number; subsystems: number; count: number };
  /** What could not be read, and why. */
  problems: string[];
}
