/**
 * The main event loop's delay over a rolling minute: a perf_hooks histogram that starts afresh
 * every WINDOW_MS, read from the window that ended last (or the current one before any has), so a
 * scrape every 15 s and NodeStats see the same figures and neither resets them for the other.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const WINDOW_MS = 60_000;
/** perf_hooks' sampling resolution, ms: finer costs a timer wake-up that often. */
const RESOLUTION_MS = 10;

export interface LoopDelayFigures {
  p50Sec: number;
  p99Sec: number;
  maxSec: number;
}

export class LoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly rotate: NodeJS.Timeout;
  private lastWindow: LoopDelayFigures | undefined;

  constructor() {
    this.histogram.enable();
    this.rotate = setInterval(() => {
      this.lastWindow = figures(this.histogram);
      this.histogram.reset();
    }, WINDOW_MS);
    this.rotate.unref();
  }

  figures(): LoopDelayFigures {
    return this.lastWindow ?? figures(this.histogram);
  }

  close(): void {
    clearInterval(this.rotate);
    this.histogram.disable();
  }
}

function figures(h: IntervalHistogram): LoopDelayFigures {
  // An empty histogram reports its max as 0 and min as 2^63: nothing measured is no delay.
  if (h.count === 0) return { p50Sec: 0, p99Sec: 0, maxSec: 0 };
  return { p50Sec: h.percentile(50) / 1e9, p99Sec: h.percentile(99) / 1e9, maxSec: h.max / 1e9 };
}
