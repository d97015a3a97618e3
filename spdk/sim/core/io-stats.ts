/**
 * Per-bdev I/O statistics as spdk_tgt's bdev layer keeps them (lib/bdev/bdev.c): a device-level
 * stat (I/O of channels that were closed, and the error counts) plus one stat per open channel,
 * i.e. per spdk thread that submits I/O to the bdev. The simulator's host I/O (NVMe/TCP and the
 * sim_bdev_* methods that stand for it) runs as the nvmf poll group's thread; everything else
 * (examine, lvol metadata, raid rebuild) as short-lived channels whose counts go to the device
 * stat at once, as the app thread's examine channels do in spdk_tgt.
 */

/** spdk_get_ticks_hz() of the machine transcript 19 was recorded on (TSC at 2.1 GHz). */
export const TICK_RATE = 2_100_000_000;

const TICKS_PER_NS_X10 = 21n;

/** spdk_get_ticks(): like the TSC, counts from boot (CLOCK_MONOTONIC) at TICK_RATE. */
export function ticksNow(): number {
  return Number((process.hrtime.bigint() * TICKS_PER_NS_X10) / 10n);
}

function ticksSince(startNs: bigint): number {
  return Number(((process.hrtime.bigint() - startNs) * TICKS_PER_NS_X10) / 10n);
}

/** enum spdk_bdev_reset_stat_mode, as the RPCs name it. */
export const RESET_MODES = ['all', 'maxmin', 'error', 'none'] as const;
export type ResetMode = (typeof RESET_MODES)[number];

export type IoKind = 'read' | 'write' | 'unmap' | 'copy';

const KINDS: readonly IoKind[] = ['read', 'write', 'unmap', 'copy'];
/** The byte and op counter names of spdk_bdev_dump_io_stat_json, per kind. */
const COUNTER_NAMES: Record<IoKind, readonly [string, string]> = {
  read: ['bytes_read', 'num_read_ops'],
  write: ['bytes_written', 'num_write_ops'],
  unmap: ['bytes_unmapped', 'num_unmap_ops'],
  copy: ['bytes_copied', 'num_copy_ops'],
};

interface KindStat {
  bytes: number;
  ops: number;
  latency: number;
  max: number;
  /** UINT64_MAX in spdk (reported as 0) until an I/O completes. */
  min: number;
}

const fresh = (): KindStat => ({ bytes: 0, ops: 0, latency: 0, max: 0, min: Number.POSITIVE_INFINITY });

/** struct spdk_bdev_io_stat without its error part. */
export class IoStat {
  private readonly kinds = new Map<IoKind, KindStat>(KINDS.map((k) => [k, fresh()]));

  record(kind: IoKind, bytes: number, latencyTicks: number): void {
    const s = this.kinds.get(kind)!;
    s.bytes += bytes;
    s.ops++;
    s.latency += latencyTicks;
    s.max = Math.max(s.max, latencyTicks);
    s.min = Math.min(s.min, latencyTicks);
  }

  /** spdk_bdev_add_io_stat */
  add(other: IoStat): void {
    for (const k of KINDS) {
      const s = this.kinds.get(k)!;
      const o = other.kinds.get(k)!;
      s.bytes += o.bytes;
      s.ops += o.ops;
      s.latency += o.latency;
      s.max = Math.max(s.max, o.max);
      s.min = Math.min(s.min, o.min);
    }
  }

  /** spdk_bdev_reset_io_stat for the counters ("error" leaves them). */
  reset(mode: ResetMode): void {
    if (mode === 'none' || mode === 'error') return;
    for (const s of this.kinds.values()) {
      s.max = 0;
      s.min = Number.POSITIVE_INFINITY;
      if (mode === 'all') {
        s.bytes = 0;
        s.ops = 0;
        s.latency = 0;
      }
    }
  }

  /** The counters in spdk_bdev_dump_io_stat_json's order. */
  toJson(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of KINDS) {
      const s = this.kinds.get(k)!;
      out[COUNTER_NAMES[k][0]] = s.bytes;
      out[COUNTER_NAMES[k][1]] = s.ops;
    }
    for (const k of KINDS) {
      const s = this.kinds.get(k)!;
      out[`${k}_latency_ticks`] = s.latency;
      out[`max_${k}_latency_ticks`] = s.max;
      out[`min_${k}_latency_ticks`] = s.min === Number.POSITIVE_INFINITY ? 0 : s.min;
    }
    return out;
  }
}

/** What bdev_get_iostat reports for one bdev: device totals, or its open channels. */
export class DeviceStats {
  /** bdev->internal.stat: I/O of closed channels. */
  private readonly closed = new IoStat();
  /** bdev_io_status_get_string(status) -> count; spdk counts errors on the device, not per channel. */
  private readonly errors = new Map<string, number>();
  /** Open channels by spdk thread id. */
  private readonly channels = new Map<number, IoStat>();

  /** Opens the channel of `thread` (an export's poll group channel exists before any I/O). */
  openChannel(thread: number): IoStat {
    let ch = this.channels.get(thread);
    if (ch === undefined) {
      ch = new IoStat();
      this.channels.set(thread, ch);
    }
    return ch;
  }

  record(thread: number | undefined, kind: IoKind, bytes: number, latencyTicks: number): void {
    (thread === undefined ? this.closed : this.openChannel(thread)).record(kind, bytes, latencyTicks);
  }

  recordError(status: string): void {
    this.errors.set(status, (this.errors.get(status) ?? 0) + 1);
  }

  /** spdk_bdev_get_device_stat: closed channels plus every open one, then the reset asked for. */
  device(reset: ResetMode): Record<string, unknown> {
    const total = new IoStat();
    total.add(this.closed);
    for (const ch of this.channels.values()) total.add(ch);
    const out = { ...total.toJson(), io_error: Object.fromEntries(this.errors) };
    this.reset(reset);
    return out;
  }

  /** bdev_get_iostat per_channel: each open channel (its error part is always empty in spdk). */
  perChannel(reset: ResetMode): Array<Record<string, unknown>> {
    return [...this.channels].map(([thread, ch]) => {
      const out = { thread_id: thread, ...ch.toJson(), io_error: {} };
      ch.reset(reset);
      return out;
    });
  }

  /** bdev_reset_device_stat */
  reset(mode: ResetMode): void {
    if (mode === 'all' || mode === 'error') this.errors.clear();
    this.closed.reset(mode);
    for (const ch of this.channels.values()) ch.reset(mode);
  }
}

/**
 * The spdk thread whose channel the I/O being submitted goes through (undefined: a short-lived
 * channel). Set only while `runOnThread`'s function runs synchronously: the bdev it submits to
 * takes it at submission, and so do bdevs below that one submits to before its first await.
 * Deeper I/O counts in the device totals only. (AsyncLocalStorage would follow every await, but
 * on Node 20 it slows every promise of the process down by about 2.5x.)
 */
let currentThread: number | undefined;

export function runOnThread<T>(thread: number, fn: () => T): T {
  const outer = currentThread;
  currentThread = thread;
  try {
    return fn();
  } finally {
    currentThread = outer;
  }
}

export function ioThread(): number | undefined {
  return currentThread;
}

/**
 * The zeros of a Write Zeroes, marked by their memory: the modules below (lvol, raid) pass slices
 * of the caller's buffer on to their base bdevs, so every layer the zeros reach sees the mark.
 */
const writeZeroesMemory = new WeakSet<ArrayBufferLike>();

/**
 * A buffer of `bytes` zeros to write as SPDK_BDEV_IO_TYPE_WRITE_ZEROES: v26.05's bdev layer does
 * not count that type in the I/O statistics (bdev_io_update_io_stat has no case for it) and QoS
 * does not limit it (bdev_qos_io_to_limit). Every bdev of the simulator supports write_zeroes, so
 * no layer falls back to counted writes (spdk_bdev_write_zeroes_blocks' bdev_write_zero_buffer).
 */
export function writeZeroesBuffer(bytes: number): Buffer {
  // Buffer.alloc never hands out a slice of the shared pool: the memory is this buffer's own.
  const zeros = Buffer.alloc(bytes);
  writeZeroesMemory.add(zeros.buffer);
  return zeros;
}

/** Is `data` (or the buffer it is a slice of) the zeros of a Write Zeroes? */
export function isWriteZeroes(data: Buffer): boolean {
  return writeZeroesMemory.has(data.buffer);
}

export function latencyClock(): () => number {
  const start = process.hrtime.bigint();
  return () => ticksSince(start);
}
