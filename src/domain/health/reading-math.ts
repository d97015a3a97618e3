/** What a sample computes from its readings: reactor load between two readings, latency percentiles. */
import type { Reactor, Reactors } from '../../spdk/methods/index.js';
import type { ThreadCpu } from './reactor-threads.js';
import type { ReactorLoad, ReactorMode } from './readings.js';

/**
 * The unit of framework_get_reactors' usr/sys/irq: Linux's USER_HZ, in which /proc/stat counts
 * (proc(5): "units of USER_HZ (1/100ths of a second on most architectures, use
 * sysconf(_SC_CLK_TCK) to obtain the right value)"). The kernel fixes it at 100 whatever CONFIG_HZ
 * is (include/asm-generic/param.h) on x86-64 and arm64, where SPDK runs; Node has no sysconf to
 * ask. spdk_tgt's host is taken to be Linux (on FreeBSD v26.05 reports kern.cp_times' ticks).
 */
export const USER_HZ = 100;

/** A framework_get_reactors answer and when it arrived (a monotonic clock, ms). */
export interface ReactorsReading {
  reactors: Reactors;
  atMs: number;
  /** Interrupt-mode reactors' own threads' CPU time, by lcore, read right after the answer (reactor-threads.ts). */
  threads?: ReadonlyMap<number, ThreadCpu>;
}

/**
 * Load of each reactor between two framework_get_reactors readings, or undefined when spdk_tgt
 * restarted in between (another pid, or counters that went back).
 *
 * A polling reactor's load is the share of its ticks in which pollers did work (busy / (busy +
 * idle)); it polls its core at 100% CPU regardless. A reactor in interrupt mode counts no ticks
 * (v26.05 lib/event/reactor.c counts busy_tsc and idle_tsc only in its polling loop), so its load
 * is its core's CPU time over the wall time between the readings: Δ(usr + sys + irq) jiffies /
 * (elapsed s × USER_HZ), clamped to [0, 1]. That is the whole core's CPU, other processes on it
 * included; so when both readings have the reactor's own thread's CPU time (`threads`, same tid),
 * its load is that instead: Δ(utime + stime) over the same wall time (`cpu: 'thread'`). A reactor
 * with a thread figure in only one of the two readings (its thread gone, or seen only now), another
 * tid, or thread counters gone back gives none for the interval; with none in either it is the
 * core's (`cpu: 'core'`). A reactor that changed mode between the two readings, or whose figure
 * has nothing to divide by, gives none for the interval.
 */
export function reactorLoad(previous: ReactorsReading, current: ReactorsReading): ReactorLoad[] | undefined {
  const [p0, c0] = [previous.reactors, current.reactors];
  if (p0.pid !== undefined && c0.pid !== undefined && p0.pid !== c0.pid) return undefined;
  const elapsedSec = (current.atMs - previous.atMs) / 1000;
  const before = new Map(p0.reactors.map((r) => [r.lcore, r]));
  const load: ReactorLoad[] = [];
  for (const r of c0.reactors) {
    const p = before.get(r.lcore);
    if (!p) continue;
    const busy = r.busy - p.busy;
    const idle = r.idle - p.idle;
    const jiffies = cpuJiffies(r) - cpuJiffies(p);
    if (busy < 0 || idle < 0 || jiffies < 0) return undefined;
    if (r.in_interrupt !== p.in_interrupt) continue;
    if (r.in_interrupt) {
      if (elapsedSec <= 0) continue;
      const [pt, ct] = [previous.threads?.get(r.lcore), current.threads?.get(r.lcore)];
      if (pt === undefined && ct === undefined) {
        load.push({ lcore: r.lcore, busyPct: share(jiffies, elapsedSec), interrupt: true, cpu: 'core' });
      } else if (pt !== undefined && ct !== undefined && pt.tid === ct.tid && ct.ticks >= pt.ticks) {
        load.push({ lcore: r.lcore, busyPct: share(ct.ticks - pt.ticks, elapsedSec), interrupt: true, cpu: 'thread' });
      }
    } else if (busy + idle > 0) {
      load.push({ lcore: r.lcore, busyPct: (busy * 100) / (busy + idle), interrupt: false });
    }
  }
  return load;
}

/** USER_HZ ticks over the wall time, %, at most 100. */
function share(ticks: number, elapsedSec: number): number {
  return Math.min(100, (ticks * 100) / (elapsedSec * USER_HZ));
}

function cpuJiffies(r: Reactor): number {
  return r.usr + r.sys + r.irq;
}

/** The nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], pct: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))];
}

/** The reactors' mode in one word, as NodeInfo says it: '' when none was read. */
export function reactorMode(modes: readonly ReactorMode[]): '' | 'polling' | 'interrupt' | 'mixed' {
  if (modes.length === 0) return '';
  const interrupt = modes.filter((m) => m.interrupt).length;
  return interrupt === 0 ? 'polling' : interrupt === modes.length ? 'interrupt' : 'mixed';
}
