/**
 * prom-client's process and Node.js metrics (CPU, memory, heap spaces, fds, handles, GC, version)
 * without its event-loop-lag collector: that one enables a monitorEventLoopDelay of its own, a
 * third sampler of the same loop beside the health worker's (health-loop-delay.ts, exported as
 * `spdk_conductor_event_loop_delay_*`) and CONDUCTOR_LOOP_TRACE's. collectDefaultMetrics cannot
 * leave one out, so its collectors are registered one by one, from prom-client's own list.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type Registry } from 'prom-client';

type Collector = (registry: Registry, config: { prefix: string }) => void;

/** The collector prom-client's list names that would start a second event-loop monitor. */
export const LEFT_OUT = 'eventLoopLag';

const require = createRequire(import.meta.url);

export function collectProcessMetrics(registry: Registry, prefix: string): void {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name === LEFT_OUT) continue;
    (require(`prom-client/lib/metrics/${name}.js`) as Collector)(registry, { prefix });
  }
}
