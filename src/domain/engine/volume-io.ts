/**
 * Volume I/O: what each engine's raid bdev served, read from spdk_tgt's bdev_get_iostat at a
 * bounded interval (one call for every engine, the raids named, so the answer stays small at
 * thousands of lvols) and cached, so that a metrics scrape or NodeStats never calls spdk_tgt.
 * spdk_tgt counts latency in ticks of its `tick_rate`: converted to seconds here. Rates are the
 * difference of the last two samples.
 *
 * A raid named in the request that spdk_tgt no longer has fails the whole call (-19, transcript
 * 19); the sample is then taken again without names (every bdev: large at thousands of lvols) and
 * the raids picked from it. Raids found absent that way are left out of the next samples (a
 * faulted engine whose raid is gone would otherwise cost that large call every period) and asked
 * for again every ABSENT_RECHECK samples.
 */
import type { Logger } from 'pino';
import type { SpdkClient } from '../../spdk/client.js';
import type { BdevIoCounters, BdevIostat, SpdkMethods } from '../../spdk/methods/index.js';

export interface VolumeIoCounters {
  readOps: number;
  writeOps: number;
  unmapOps: number;
  readBytes: number;
  writeBytes: number;
  unmapBytes: number;
  readLatencySec: number;
  writeLatencySec: number;
}

export interface VolumeIoSample {
  /** Date.now() when spdk_tgt answered. */
  at: number;
  /** By engine name. */
  engines: ReadonlyMap<string, VolumeIoCounters>;
}

export interface VolumeIoRate {
  engine: string;
  readOpsPerSec: number;
  writeOpsPerSec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
}

export interface VolumeIoOptions {
  spdk: SpdkMethods;
  client: Pick<SpdkClient, 'verdictOf' | 'capabilities'>;
  /** The engines to read, raid bdev name → engine name. */
  raids: () => ReadonlyMap<string, string>;
  periodMs: number;
  log: Logger;
}

/** At most this many names per call: bdev_get_iostat's params schema allows 1024. */
const MAX_NAMES = 1024;
const ABSENT_RECHECK = 30;

export class VolumeIo {
  private last: VolumeIoSample | undefined;
  private previous: VolumeIoSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private failing: string | undefined;
  private absent = new Set<string>();
  private samples = 0;

  constructor(private readonly options: VolumeIoOptions) {}

  start(): void {
    if (this.timer || this.closed || this.options.periodMs === 0) return;
    this.timer = setInterval(() => void this.sample(), this.options.periodMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** The last sample; never waits on spdk_tgt. */
  latest(): VolumeIoSample | undefined {
    return this.last;
  }

  /** The last two samples (the window rates are taken over); never waits on spdk_tgt. */
  lastTwo(): { previous: VolumeIoSample | undefined; last: VolumeIoSample | undefined } {
    return { previous: this.previous, last: this.last };
  }

  /** Per engine, what it served per second between the last two samples (the window, in seconds). */
  rates(): { windowSec: number; rates: VolumeIoRate[] } {
    const [a, b] = [this.previous, this.last];
    if (!a || !b || b.at <= a.at) return { windowSec: 0, rates: [] };
    const secs = (b.at - a.at) / 1000;
    const out: VolumeIoRate[] = [];
    for (const [engine, now] of b.engines) {
      const before = a.engines.get(engine);
      // A raid made again (or spdk_tgt restarted) starts from zero: no rate until the next sample.
      if (!before || now.readOps < before.readOps || now.writeOps < before.writeOps) continue;
      out.push({
        engine,
        readOpsPerSec: (now.readOps - before.readOps) / secs,
        writeOpsPerSec: (now.writeOps - before.writeOps) / secs,
        readBytesPerSec: (now.readBytes - before.readBytes) / secs,
        writeBytesPerSec: (now.writeBytes - before.writeBytes) / secs,
      });
    }
    return { windowSec: secs, rates: out };
  }

  /** Takes a sample now, or joins the one in flight. Never throws: a failure is logged and the cache kept. */
  sample(): Promise<void> {
    this.running ??= this.take().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async take(): Promise<void> {
    const raids = this.options.raids();
    if (raids.size === 0 || this.closed) {
      this.keep({ at: Date.now(), engines: new Map() });
      return;
    }
    try {
      if (!(await this.options.client.capabilities.has('bdev_get_iostat'))) return this.fail('spdk_tgt has no bdev_get_iostat');
      if (++this.samples % ABSENT_RECHECK === 0) this.absent.clear();
      const names = [...raids.keys()].filter((n) => !this.absent.has(n));
      const answers: BdevIostat[] = [];
      try {
        for (let i = 0; i < names.length; i += MAX_NAMES) answers.push(await this.options.spdk.bdev.getIostat({ names: names.slice(i, i + MAX_NAMES) }));
      } catch (err) {
        if (this.options.client.verdictOf(err) !== 'gone') throw err;
        const all = await this.options.spdk.bdev.getIostat();
        answers.splice(0, answers.length, all);
        const present = new Set(all.bdevs.map((b) => b.name));
        this.absent = new Set(names.filter((n) => !present.has(n)));
        this.options.log.debug({ absent: [...this.absent].slice(0, 10), count: this.absent.size }, 'raids not in spdk_tgt are left out of the next volume I/O samples');
      }
      const engines = new Map<string, VolumeIoCounters>();
      for (const answer of answers) {
        for (const bdev of answer.bdevs) {
          const engine = raids.get(bdev.name);
          if (engine !== undefined) engines.set(engine, counters(bdev, answer.tick_rate));
        }
      }
      if (this.failing !== undefined) this.options.log.info({ engines: engines.size }, 'volume I/O statistics read again');
      this.failing = undefined;
      this.keep({ at: Date.now(), engines });
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  private keep(sample: VolumeIoSample): void {
    this.previous = this.last;
    this.last = sample;
  }

  private fail(why: string): void {
    if (this.failing !== why) this.options.log.warn({ err: why }, 'cannot read volume I/O statistics; the metrics keep the last sample');
    this.failing = why;
  }
}

function counters(c: BdevIoCounters, tickRate: number): VolumeIoCounters {
  return {
    readOps: c.num_read_ops,
    writeOps: c.num_write_ops,
    unmapOps: c.num_unmap_ops,
    readBytes: c.bytes_read,
    writeBytes: c.bytes_written,
    unmapBytes: c.bytes_unmapped,
    readLatencySec: c.read_latency_ticks / tickRate,
    writeLatencySec: c.write_latency_ticks / tickRate,
  };
}
