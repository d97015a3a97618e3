/**
 * The 4 ms poller (lib/init/rpc.c RPC_SELECT_INTERVAL) that paces everything the RPC server does,
 * plus the core's own per-poll work (examine holds ending, copy progress). Ticks are scheduled
 * against absolute deadlines so the period does not drift with the work done in a tick.
 */
import { mainThreadCpuMs } from './thread-cpu.js';

export const POLL_INTERVAL_MS = 4;

export type TickHook = (tick: number) => void;

export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private readonly hooks: TickHook[] = [];
  private nextDeadline = 0;
  /** Number of the tick being run (or last run). */
  tick = 0;

  constructor(
    private readonly onError: (err: unknown) => void,
    /** spdk_tgt's is 4 ms; tests that replay thousands of calls may shorten it. */
    private readonly intervalMs = POLL_INTERVAL_MS,
  ) {}

  /** Hooks run in registration order at every tick, after the RPC server's poll. */
  every(hook: TickHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  start(): void {
    this.nextDeadline = performance.now() + this.intervalMs;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const delay = Math.max(0, this.nextDeadline - performance.now());
    this.timer = setTimeout(() => this.run(), delay);
  }

  /**
   * The longest tick since the last `takeLongestTick()`, wall and CPU time (sim_poll_stats); the
   * CPU is the main thread's (thread-cpu.ts), the thread that stands for the reactor.
   */
  takeLongestTick(): { wallMs: number; cpuMs: number; ticks: number } {
    const longest = { ...this.longest, ticks: this.tick - this.longestSince };
    this.longest = { wallMs: 0, cpuMs: 0 };
    this.longestSince = this.tick;
    return longest;
  }

  private longest = { wallMs: 0, cpuMs: 0 };
  private longestSince = 0;
  /** The main thread's CPU (ms) when the last tick began; undefined before the first. */
  tickStartCpuMs: number | undefined;

  private run(): void {
    this.tick++;
    const startedWall = performance.now();
    const startedCpu = mainThreadCpuMs();
    this.tickStartCpuMs = startedCpu;
    for (const hook of this.hooks) {
      try {
        hook(this.tick);
      } catch (err) {
        this.onError(err);
      }
    }
    const now = performance.now();
    this.longest.wallMs = Math.max(this.longest.wallMs, now - startedWall);
    this.longest.cpuMs = Math.max(this.longest.cpuMs, mainThreadCpuMs() - startedCpu);
    this.nextDeadline += this.intervalMs;
    // After a long tick (a 1 MB bdev_get_bdevs), skip missed deadlines instead of bursting.
    if (this.nextDeadline < now) this.nextDeadline = now + this.intervalMs;
    if (this.timer !== null) this.schedule();
  }
}
