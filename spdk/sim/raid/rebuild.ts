/**
 * A raid1 rebuild ("process"), as bdev_raid.c runs it: the range is copied window by window from a
 * healthy member to the target; each window is quiesced (raid writes into it wait, writes already
 * in flight there finish first) and the window offset is what bdev_raid_get_bdevs reports.
 *
 * Throttling is spdk_tgt's token bucket: tokens accrue at process_max_bandwidth_mb_sec, a window
 * may start while the balance is positive and then costs the size of the PREVIOUS window (the first
 * costs nothing). So two windows go at once and then one per window/bandwidth — 64 MiB at 16 MiB/s
 * with 1 MiB windows shows 512 blocks after ~60 ms and finishes in ~3.9 s, as transcript 03 does.
 */
import { SimIoError } from '../core/contract.js';
import { EIO } from '../fabric/errno.js';

export interface RebuildHost {
  readonly name: string;
  readonly blockSize: number;
  readonly numBlocks: number;
  /** A raid read that never uses the target (its member failures are handled as usual). */
  readSource(lba: number, count: number): Promise<Buffer>;
  writeTarget(lba: number, data: Buffer): Promise<void>;
  /** Resolves when raid writes in flight over [start, end) have finished. */
  drainWrites(start: number, end: number): Promise<void>;
  /** Called once, when the copy ended: status 0, or a negative errno it stopped with. */
  finished(status: number): void;
  log(event: string, fields?: Record<string, unknown>): void;
}

export interface RebuildOptions {
  readonly windowKb: number;
  readonly maxMbPerSec: number;
  /** Before the first window: spdk_tgt starts the process thread asynchronously (~10 ms). */
  readonly startDelayMs?: number;
}

interface WindowLock {
  readonly start: number;
  readonly end: number;
  readonly released: Promise<void>;
  release(): void;
}

export class Rebuild {
  /** Blocks copied so far: the window offset. */
  offset = 0;
  private lock: WindowLock | null = null;
  private stopStatus = 0;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private readonly windowBlocks: number;
  private readonly bytesPerMs: number;
  private readonly bytesMax: number;
  private bytesAvailable = 0;
  private lastTokenAt = performance.now();
  /** When the balance turns positive again, while the process sleeps for tokens. */
  private tokensDueAt: number | undefined;
  private previousWindowBlocks = 0;

  constructor(
    private readonly host: RebuildHost,
    readonly targetName: string,
    opts: RebuildOptions,
  ) {
    this.windowBlocks = Math.max(1, Math.ceil((opts.windowKb * 1024) / host.blockSize));
    this.bytesPerMs = (opts.maxMbPerSec * 1024 * 1024) / 1000;
    this.bytesMax = this.bytesPerMs;
    void this.run(opts.startDelayMs ?? 10);
  }

  get info(): Record<string, unknown> {
    return {
      type: 'rebuild',
      target: this.targetName,
      progress: {
        blocks: this.offset,
        percent: Math.floor((this.offset * 100) / this.host.numBlocks),
      },
    };
  }

  /** Raid writes overlapping the window being copied wait until it is done. */
  async waitUnlocked(lba: number, count: number): Promise<void> {
    for (;;) {
      const lock = this.lock;
      if (!lock || lba + count <= lock.start || lba >= lock.end) return;
      await lock.released;
    }
  }

  /** Stops the copy (target or source went away); `finished` follows with `status`. */
  stop(status: number): void {
    if (this.stopStatus === 0) this.stopStatus = status;
    this.wakeUp();
  }

  private async run(startDelayMs: number): Promise<void> {
    await this.sleep(startDelayMs);
    let status = 0;
    while (this.stopStatus === 0 && this.offset < this.host.numBlocks) {
      if (this.bytesPerMs > 0 && !this.takeToken()) {
        const ms = Math.max(1, Math.ceil(-this.bytesAvailable / this.bytesPerMs));
        this.tokensDueAt = this.lastTokenAt + ms;
        await this.sleep(ms);
        continue;
      }
      const start = this.offset;
      const count = Math.min(this.windowBlocks, this.host.numBlocks - start);
      const outcome = await this.copyWindow(start, count);
      if (outcome !== 0) {
        status = outcome;
        break;
      }
      this.offset = start + count;
      this.previousWindowBlocks = count;
      // Local members answer in microtasks: yield so RPCs are served while an unthrottled copy runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (status === 0) status = this.stopStatus;
    this.host.finished(status);
  }

  private async copyWindow(start: number, count: number): Promise<number> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.lock = { start, end: start + count, released, release };
    try {
      await this.host.drainWrites(start, start + count);
      let data: Buffer;
      try {
        data = await this.host.readSource(start, count);
        if (this.stopStatus !== 0) return this.stopStatus;
        await this.host.writeTarget(start, data);
      } catch (err) {
        return err instanceof SimIoError ? -Math.abs(err.errno) : -EIO;
      }
      return 0;
    } finally {
      this.lock = null;
      release();
    }
  }

  private takeToken(): boolean {
    // spdk_tgt's process poller runs continuously and takes the token as soon as the balance is
    // positive; this one sleeps until then, and its timer can fire late on a busy machine. Taken
    // as of the moment it was due, the lateness accrues to the next window instead of being cut
    // off by the 1 ms cap: a late timer no longer slows the rebuild below its configured rate.
    const at = Math.min(performance.now(), this.tokensDueAt ?? Infinity);
    this.tokensDueAt = undefined;
    this.bytesAvailable = Math.min(this.bytesMax, this.bytesAvailable + (at - this.lastTokenAt) * this.bytesPerMs);
    this.lastTokenAt = at;
    if (this.bytesAvailable > 0) {
      this.bytesAvailable -= this.previousWindowBlocks * this.host.blockSize;
      return true;
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopStatus !== 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.wakeUp(), ms);
    });
  }

  private wakeUp(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
