/**
 * How late the main event loop runs its timers (perf_hooks.monitorEventLoopDelay), summarised per
 * window: the figure that says whether anything on the loop runs too long, for /readyz?verbose,
 * the benchmarks and the metrics. The histogram is the runtime's own (sampled off the loop's work);
 * reading it at a window's end costs a few percentile lookups.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopDelayStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The window these figures cover, ms, and when it ended (ISO 8601). */
  windowMs: number;
  windowEnd: string;
}

export class LoopDelay {
  private readonly histogram: IntervalHistogram;
  private timer: NodeJS.Timeout;
  private windowStart = Date.now();
  private last: LoopDelayStats | undefined;

  /** `windowMs`: how long each summary covers; `resolutionMs`: the sampling timer's period. */
  constructor(
    private readonly windowMs = 10_000,
    private readonly resolutionMs = 10,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    this.timer = this.schedule();
  }

  /**
   * Ends the running window now and starts the next full one. The service's start (compiling the
   * SPDK contracts, building the API's descriptors: a second of the loop before the API listens)
   * is then a window of its own, and the first windows of serving show only serving.
   */
  cut(): void {
    clearInterval(this.timer);
    this.rotate();
    this.timer = this.schedule();
  }

  /** The last complete window; the one still running until a first one has ended. */
  stats(): LoopDelayStats {
    return this.last ?? this.summary(Date.now());
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private schedule(): NodeJS.Timeout {
    return setInterval(() => this.rotate(), this.windowMs).unref();
  }

  private rotate(): void {
    this.last = this.summary(Date.now());
    this.histogram.reset();
    this.windowStart = Date.now();
  }

  private summary(now: number): LoopDelayStats {
    // A sample is the time between two runs of a timer of resolutionMs: the delay is what exceeds
    // it. No sample yet reads as NaN percentiles: report zeros, not garbage.
    const empty = this.histogram.count === 0;
    const ms = (ns: number): number => (empty ? 0 : Math.max(0, Math.round((ns / 1e6 - this.resolutionMs) * 100) / 100));
    return {
      p50Ms: ms(this.histogram.percentile(50)),
      p99Ms: ms(this.histogram.percentile(99)),
      maxMs: ms(this.histogram.max),
      windowMs: now - this.windowStart,
      windowEnd: new Date(now).toISOString(),
    };
  }
}
