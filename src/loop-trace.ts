/**
 * An opt-in tracer of the main loop (CONDUCTOR_LOOP_TRACE=1, for benchmarks and diagnosis): the
 * event loop's delay every second, and every named synchronous span of 10 ms or more (with the
 * CPU time it used), so that the task which delayed liveness has a name. Off, a span costs one
 * variable read.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** A span at least this long is logged: one such task is what a 10 ms probe answer budget can absorb. */
export const SLOW_SPAN_MS = 10;
const REPORT_MS = 1000;

let sink: Logger | undefined;

/** Runs `work` and, while tracing, logs its name and duration when it held the loop too long. */
export function span<T>(name: string, work: () => T): T {
  if (sink === undefined) return work();
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    return work();
  } finally {
    const ms = performance.now() - started;
    // CPU time beside wall time: on a contended machine a span's wall time is mostly waiting for a core.
    if (ms >= SLOW_SPAN_MS) {
      const used = process.cpuUsage(cpu);
      sink.warn({ span: name, ms: Math.round(ms * 10) / 10, cpuMs: Math.round((used.user + used.system) / 100) / 10 }, 'slow main-loop task');
    }
  }
}

/** Starts tracing when the environment asks for it; returns what stops it. */
export function startLoopTrace(log: Logger, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.CONDUCTOR_LOOP_TRACE !== '1') return () => undefined;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  sink = log;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const timer = setInterval(() => {
    log.warn({ p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) }, 'main-loop delay');
    histogram.reset();
  }, REPORT_MS);
  timer.unref();
  log.warn({ slowSpanMs: SLOW_SPAN_MS }, 'main-loop tracing on (CONDUCTOR_LOOP_TRACE)');
  return () => {
    clearInterval(timer);
    histogram.disable();
    sink = undefined;
  };
}
