/**
 * One sample of the node's resources, as NodeResources takes it every health period and the
 * rebuild throttle judges it.
 */
import type { HugepageReading } from '../../host/hugepages.js';
import type { IobufModuleStats } from '../../spdk/methods/index.js';
import type { DmaReading } from './dma-reading.js';

export interface ReactorLoad {
  lcore: number;
  /** Share of ticks in which pollers did work since the previous sample (a reactor polls at 100% CPU regardless). */
  busyPct: number;
}

export interface ResourceSnapshot {
  /** When the sample started (options.now clock); its readings are from then or later. */
  at: number;
  tookMs: number;
  hugepages: HugepageReading;
  dma: DmaReading;
  iobuf: { modules: IobufModuleStats[]; retries: number } | undefined;
  reactors: ReactorLoad[];
  /** The busiest reactor's busy share; undefined on the first sample and after a restart of spdk_tgt. */
  reactorBusyPct: number | undefined;
  /** p90 of the spdk_tgt call latencies recorded since the previous sample; undefined without calls. */
  rpcLatencyP90Ms: number | undefined;
  rpcCalls: number;
  /** Reservations this sample does not reflect yet (see admission-ledger.ts). */
  reserved: { bytes: number; subsystems: number; count: number };
  /** What could not be read, and why. */
  problems: string[];
}
