/** What a sample computes from its readings: reactor load between two readings, latency percentiles. */
import type { Reactors } from '../../spdk/methods/index.js';
import type { ReactorLoad } from './readings.js';

/**
 * Busy share of each reactor between two framework_get_reactors readings, or undefined when
 * spdk_tgt restarted in between (another pid, or counters that went back).
 */
export function reactorLoad(previous: Reactors, current: Reactors): ReactorLoad[] | undefined {
  if (previous.pid !== undefined && current.pid !== undefined && previous.pid !== current.pid) return undefined;
  const before = new Map(previous.reactors.map((r) => [r.lcore, r]));
  const load: ReactorLoad[] = [];
  for (const r of current.reactors) {
    const p = before.get(r.lcore);
    if (!p) continue;
    const busy = r.busy - p.busy;
    const idle = r.idle - p.idle;
    if (busy < 0 || idle < 0) return undefined;
    if (busy + idle > 0) load.push({ lcore: r.lcore, busyPct: (busy * 100) / (busy + idle) });
  }
  return load;
}

/** The nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], pct: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))];
}
