/**
 * An opt-in tracer of the main loop (CONDUCTOR_LOOP_TRACE=1, for benchmarks and diagnosis): the
 * event loop's delay every second, and every named synchronous span of 10 ms or more (with the
 * CPU time it used), so that the task which delayed liveness has a name. Off, a span costs one
 * variable read.
 */
import { openSync, readSync, closeSync } from 'node:fs';
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
  const cpu = threadCpuMs();
  try {
    return work();
  } finally {
    const ms = performance.now() - started;
    // CPU time beside wall time: on a contended machine a span's wall time is mostly waiting for a
    // core. The main thread's own (schedstat), not the process's: GC and compiler threads running
    // meanwhile are not the span's.
    if (ms >= SLOW_SPAN_MS) sink.warn({ span: name, ms: Math.round(ms * 10) / 10, cpuMs: Math.round((threadCpuMs() - cpu) * 10) / 10 }, 'slow main-loop task');
  }
}

/** /proc/thread-self/schedstat, kept open while tracing (undefined: not Linux, or schedstats off). */
let schedstat: number | undefined;
const schedText = Buffer.alloc(64);

/** This thread's time on a CPU, ms: schedstat's first field where there is one, else the process's user+system. */
function threadCpuMs(): number {
  if (schedstat !== undefined) {
    try {
      const n = readSync(schedstat, schedText, 0, schedText.length, 0);
      const space = schedText.indexOf(0x20);
      if (space > 0 && space < n) return Number(schedText.toString('latin1', 0, space)) / 1e6;
    } catch {
      // Fall back below.
    }
  }
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/** Starts tracing when the environment asks for it; returns what stops it. */
export function startLoopTrace(log: Logger, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env.CONDUCTOR_LOOP_TRACE !== '1') return () => undefined;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  try {
    schedstat = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    schedstat = undefined;
  }
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
    if (schedstat !== undefined) closeSync(schedstat);
    schedstat = undefined;
  };
}
