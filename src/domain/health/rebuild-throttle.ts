/**
 * RebuildThrottle: the rebuild bandwidth that NodeResources' samples call for. After each sample
 * it engages when free DMA memory < health.dmaFreeMinMib, the RPC latency p90 since the previous
 * sample > health.rpcLatencyMaxMs, or the busiest reactor > health.reactorBusyMaxPct; it releases
 * after CLEAN_SAMPLES_TO_RELEASE samples in a row under all three (a reading that cannot be taken
 * cannot breach; a failed sample changes nothing). spdk_tgt copies process_max_bandwidth_mb_sec
 * into a rebuild when it starts, so a change only applies to rebuilds started afterwards: the
 * rebuild queue holds new starts while `throttle().engaged`.
 *
 * Apart from sampling and admission because it only reads samples; its one write to spdk_tgt
 * (bdev_raid_set_options) is serialized here and retried at the next sample when it fails.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { RaidSetOptionsParams, SpdkMethods } from '../../spdk/methods/index.js';
import type { ThrottleInfo } from '../model.js';
import type { ResourceSnapshot } from './readings.js';
import { mib } from './dma-reading.js';

const MIB = 1024 * 1024;
/** Readings back under every threshold this many samples in a row release the throttle. */
export const CLEAN_SAMPLES_TO_RELEASE = 2;

export interface ThrottleThresholds {
  dmaFreeBytes: number;
  rpcMs: number;
  busyPct: number;
}

export interface RebuildThrottleOptions {
  spdk: SpdkMethods;
  /** NodeResources' logger: the throttle's lines belong with the node's resource lines. */
  log: Logger;
  config: Config;
  /** Bound on one bdev_raid_set_options call (the sample deadline). */
  deadlineMs: number;
  /** Shared with admission, and logged whole on release. */
  thresholds: ThrottleThresholds;
  /** The last sample and why sampling fails now: a released throttle's reason tells them. */
  readings: () => { last: ResourceSnapshot | undefined; failing: string | undefined };
}

interface Breach {
  readonly text: string;
  readonly reading: number;
  readonly threshold: number;
}

export class RebuildThrottle {
  private readonly spdk: SpdkMethods;
  private readonly log: Logger;
  private readonly deadlineMs: number;
  private readonly windowKb: number;
  private readonly normalMbSec: number;
  private readonly throttledMbSec: number;
  private readonly thresholds: ThrottleThresholds;
  private readonly readings: RebuildThrottleOptions['readings'];

  private stopped = false;
  private engaged = false;
  private cleanStreak = 0;
  private breaches: Breach[] = [];
  private windowApplied = false;
  private appliedMbSec: number | undefined;
  private applyProblem: string | undefined;
  private applying: Promise<void> = Promise.resolve();
  private notified: string | undefined;
  private readonly listeners = new Set<(t: ThrottleInfo) => void>();

  constructor(options: RebuildThrottleOptions) {
    const c = options.config;
    this.spdk = options.spdk;
    this.log = options.log;
    this.deadlineMs = options.deadlineMs;
    this.windowKb = c['rebuild.windowKb'];
    this.normalMbSec = c['rebuild.maxMbSec'];
    // A throttle never raises a limit that is lower already.
    this.throttledMbSec = this.normalMbSec === 0 ? c['rebuild.throttledMbSec'] : Math.min(this.normalMbSec, c['rebuild.throttledMbSec']);
    this.thresholds = options.thresholds;
    this.readings = options.readings;
  }

  info(): ThrottleInfo {
    const wanted = this.engaged ? this.throttledMbSec : this.normalMbSec;
    return { engaged: this.engaged, limitMbSec: this.appliedMbSec ?? wanted, reason: this.reason(wanted) };
  }

  onChange(listener: (t: ThrottleInfo) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Follows a new sample: engages or releases, sends the limit that wants, tells the listeners. */
  async update(s: ResourceSnapshot): Promise<void> {
    this.evaluate(s);
    await this.apply();
    this.notify();
  }

  /** Sends what spdk_tgt lacks of the window and the bandwidth the throttle wants; retried by the next sample on failure. */
  apply(): Promise<void> {
    this.applying = this.applying.then(async () => {
      const wanted = this.engaged ? this.throttledMbSec : this.normalMbSec;
      const params: RaidSetOptionsParams = {};
      if (!this.windowApplied) params.process_window_size_kb = this.windowKb;
      if (this.appliedMbSec !== wanted) params.process_max_bandwidth_mb_sec = wanted;
      if (Object.keys(params).length === 0 || this.stopped) return;
      try {
        await this.spdk.raid.setOptions(params, { deadlineMs: this.deadlineMs });
        this.windowApplied = true;
        const before = this.appliedMbSec;
        this.appliedMbSec = wanted;
        this.applyProblem = undefined;
        if (before !== undefined) this.log.info({ before, limitMbSec: wanted }, `rebuild bandwidth for rebuilds started from now on: ${rate(wanted)}`);
        else this.log.info(params, 'bdev_raid_set_options applied');
      } catch (err) {
        this.applyProblem = err instanceof Error ? err.message : String(err);
        this.log.warn({ err: this.applyProblem, params }, 'bdev_raid_set_options failed; retried at the next sample');
      }
    });
    return this.applying;
  }

  /** A restarted spdk_tgt has its defaults again: the next `apply()` sends both options. */
  forgetApplied(): void {
    this.windowApplied = false;
    this.appliedMbSec = undefined;
  }

  /** Sends nothing more to spdk_tgt; listeners still hear the end of a sample in flight. */
  stop(): void {
    this.stopped = true;
  }

  /** Stops, waits for an option change in flight, then drops the listeners. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.applying;
    this.listeners.clear();
  }

  /** Engages on any breach; releases after CLEAN_SAMPLES_TO_RELEASE clean samples in a row. */
  private evaluate(s: ResourceSnapshot): void {
    const t = this.thresholds;
    const breaches: Breach[] = [];
    if (s.dma.availableBytes !== undefined && s.dma.availableBytes < t.dmaFreeBytes) {
      breaches.push({ text: `free DMA memory ${mib(s.dma.availableBytes)} < ${t.dmaFreeBytes / MIB} MiB`, reading: s.dma.availableBytes / MIB, threshold: t.dmaFreeBytes / MIB });
    }
    if (s.rpcLatencyP90Ms !== undefined && s.rpcLatencyP90Ms > t.rpcMs) {
      breaches.push({ text: `spdk_tgt RPC latency p90 ${Math.round(s.rpcLatencyP90Ms)} ms > ${t.rpcMs} ms (${s.rpcCalls} calls)`, reading: s.rpcLatencyP90Ms, threshold: t.rpcMs });
    }
    if (s.reactorBusyPct !== undefined && s.reactorBusyPct > t.busyPct) {
      breaches.push({ text: `busiest reactor ${busiest(s)} > ${t.busyPct}%`, reading: s.reactorBusyPct, threshold: t.busyPct });
    }
    if (breaches.length > 0) {
      this.cleanStreak = 0;
      this.breaches = breaches;
      if (!this.engaged) {
        this.engaged = true;
        this.log.warn({ breaches, limitMbSec: this.throttledMbSec }, `rebuild throttle engaged: ${breaches.map((b) => b.text).join('; ')}`);
      }
      return;
    }
    if (!this.engaged) return;
    this.cleanStreak++;
    if (this.cleanStreak < CLEAN_SAMPLES_TO_RELEASE) return;
    this.engaged = false;
    this.breaches = [];
    this.log.info(
      {
        dmaAvailableMib: s.dma.availableBytes === undefined ? undefined : s.dma.availableBytes / MIB,
        rpcLatencyP90Ms: s.rpcLatencyP90Ms,
        reactorBusyPct: s.reactorBusyPct,
        thresholds: t,
        limitMbSec: this.normalMbSec,
      },
      `rebuild throttle released after ${CLEAN_SAMPLES_TO_RELEASE} clean samples`,
    );
  }

  private notify(): void {
    const info = this.info();
    const key = `${info.engaged}/${info.limitMbSec}`;
    if (key === this.notified) return;
    const first = this.notified === undefined;
    this.notified = key;
    if (first && !info.engaged) return;
    for (const listener of this.listeners) {
      try {
        listener(info);
      } catch (err) {
        this.log.error({ err }, 'throttle listener threw');
      }
    }
  }

  private reason(wanted: number): string {
    const pending = this.applyProblem && this.appliedMbSec !== wanted ? ` (not applied yet: ${this.applyProblem})` : '';
    if (this.engaged) {
      const easing = this.cleanStreak > 0 ? `; readings back under the thresholds (${this.cleanStreak} of ${CLEAN_SAMPLES_TO_RELEASE} clean samples)` : '';
      return (
        `${this.breaches.map((b) => b.text).join('; ')}: rebuilds limited to ${rate(wanted)} (bdev_raid_set_options process_max_bandwidth_mb_sec)${pending}; ` +
        `the limit applies to rebuild processes started from now on (running ones keep the rate they started with)${easing}`
      );
    }
    const { last: s, failing } = this.readings();
    if (!s) return `${failing ?? 'not sampled yet'}; rebuilds run at ${rate(wanted)}${pending}`;
    const t = this.thresholds;
    const dma = s.dma.availableBytes === undefined ? 'free DMA memory unknown' : `free DMA memory ${mib(s.dma.availableBytes)} ≥ ${t.dmaFreeBytes / MIB} MiB`;
    const rpc = s.rpcLatencyP90Ms === undefined ? 'no RPC latencies' : `RPC latency p90 ${Math.round(s.rpcLatencyP90Ms)} ms ≤ ${t.rpcMs} ms`;
    const busy = s.reactorBusyPct === undefined ? 'reactor load unknown' : `busiest reactor ${busiest(s)} ≤ ${t.busyPct}%`;
    return `healthy: ${dma}, ${rpc}, ${busy}; rebuilds run at ${rate(wanted)}${pending}`;
  }
}

/**
 * The busiest reactor's load as the reasons word it: a polling reactor's busy ticks ("97% busy"),
 * an interrupt-mode reactor's own thread's CPU ("97% of reactor 2's thread CPU (interrupt mode)") or,
 * when its thread cannot be seen, its core's ("97% of core 2's CPU (interrupt mode)"), the same
 * threshold for all.
 */
function busiest(s: ResourceSnapshot): string {
  const pct = Math.round(s.reactorBusyPct ?? 0);
  const top = s.reactors.find((r) => r.busyPct === s.reactorBusyPct);
  if (!top?.interrupt) return `${pct}% busy`;
  return top.cpu === 'thread' ? `${pct}% of reactor ${top.lcore}'s thread CPU (interrupt mode)` : `${pct}% of core ${top.lcore}'s CPU (interrupt mode)`;
}

/** Same format as resources.ts' mib(), which admission messages use: the two read alike in logs. */

function rate(mbSec: number): string {
  return mbSec === 0 ? 'full speed (no limit)' : `${mbSec} MiB/s`;
}
