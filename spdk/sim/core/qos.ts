/**
 * A bdev's QoS rate limits (bdev_set_qos_limit) and their enforcement, as lib/bdev/bdev.c does
 * it: 1 ms timeslices, each limit gets limit/1000 per timeslice (at least 1 I/O or 512 bytes);
 * an I/O passes while every limit that applies to it has quota left, even if it overruns it (the
 * overrun is paid back from the next timeslices); otherwise it waits, in order, for a timeslice
 * with quota. Reads and writes of every submitter count (host, raid, lvol metadata, rebuild).
 */
import { performance } from 'node:perf_hooks';

/** spdk_bdev_qos_rate_limit_type order; also the order bdev_get_bdevs and framework_get_config use. */
export const QOS_LIMIT_NAMES = ['rw_ios_per_sec', 'rw_mbytes_per_sec', 'r_mbytes_per_sec', 'w_mbytes_per_sec'] as const;
export type QosLimitName = (typeof QOS_LIMIT_NAMES)[number];

const MIB = 1024 * 1024;
/** SPDK_BDEV_QOS_MIN_IOS_PER_SEC: IOPS limits are rounded up to a multiple of it. */
const MIN_IOS_PER_SEC = 1000;
/** SPDK_BDEV_QOS_MAX_MBYTES_PER_SEC = UINT64_MAX / 1 MiB: larger MB/s values are clamped to it. */
export const MAX_MBYTES_PER_SEC = 2 ** 44 - 1;
const TIMESLICE_MS = 1;
/** SPDK_BDEV_QOS_MIN_IO_PER_TIMESLICE, SPDK_BDEV_QOS_MIN_BYTE_PER_TIMESLICE */
const MIN_PER_TIMESLICE = [1, 512, 512, 512] as const;

/**
 * What spdk_bdev_set_qos_rate_limits stores for a requested value (undefined: not given; 0:
 * clears that limit): IOPS rounded up to a multiple of 1000, MB/s clamped to the maximum.
 * Returns the value in user units and a warning for the log, if spdk_tgt logs one.
 */
export function normalizeLimit(name: QosLimitName, value: number): { value: number; warning?: string } {
  if (name === 'rw_ios_per_sec') {
    const rest = value % MIN_IOS_PER_SEC;
    if (rest === 0) return { value };
    return { value: value + MIN_IOS_PER_SEC - rest, warning: `Requested rate limit ${value} is not a multiple of ${MIN_IOS_PER_SEC}` };
  }
  if (value > MAX_MBYTES_PER_SEC) {
    return { value: MAX_MBYTES_PER_SEC, warning: `Requested rate limit ${value} will result in uint64_t overflow, reset to ${MAX_MBYTES_PER_SEC}` };
  }
  return { value };
}

interface Waiter {
  readonly read: boolean;
  readonly bytes: number;
  readonly go: () => void;
}

export class Qos {
  /** Limits in user units (IOPS, MB/s); 0 = not set. */
  private readonly limits: number[] = [0, 0, 0, 0];
  private readonly perTimeslice: number[] = [0, 0, 0, 0];
  private readonly remaining: number[] = [0, 0, 0, 0];
  private lastTimeslice = performance.now();
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** True while any limit is set (spdk's bdev->internal.qos exists). */
  get enabled(): boolean {
    return this.limits.some((l) => l > 0);
  }

  /** The limits in user units, in QOS_LIMIT_NAMES order (0 = none), as assigned_rate_limits shows them. */
  assigned(): Record<QosLimitName, number> {
    return Object.fromEntries(QOS_LIMIT_NAMES.map((n, i) => [n, this.limits[i]!])) as Record<QosLimitName, number>;
  }

  /** Applies normalized values (see normalizeLimit); names not given keep their limit. */
  set(values: Partial<Record<QosLimitName, number>>): void {
    QOS_LIMIT_NAMES.forEach((name, i) => {
      const v = values[name];
      if (v === undefined) return;
      this.limits[i] = v;
      const perSecond = i === 0 ? v : v * MIB;
      this.perTimeslice[i] = v === 0 ? 0 : Math.max(Math.floor((perSecond * TIMESLICE_MS) / 1000), MIN_PER_TIMESLICE[i]!);
    });
    // bdev_qos_update_max_quota_per_timeslice: every limit starts a full timeslice again.
    for (let i = 0; i < this.limits.length; i++) this.remaining[i] = this.perTimeslice[i]!;
    this.lastTimeslice = performance.now();
    if (!this.enabled) this.release();
    else this.drain();
  }

  /** Resolves when the I/O may be submitted; undefined when it may go at once. */
  admit(read: boolean, bytes: number): Promise<void> | undefined {
    if (!this.enabled || (this.queue.length === 0 && this.take(read, bytes))) return undefined;
    return new Promise((go) => {
      this.queue.push({ read, bytes, go });
      this.schedule();
    });
  }

  /** Stops queueing: what waits goes now (QoS disabled, bdev deleted). */
  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.queue.splice(0)) w.go();
  }

  private applies(i: number, read: boolean): boolean {
    if (this.perTimeslice[i] === 0) return false;
    return i < 2 || (i === 2 ? read : !read);
  }

  private take(read: boolean, bytes: number): boolean {
    this.refill();
    for (let i = 0; i < 4; i++) if (this.applies(i, read) && this.remaining[i]! <= 0) return false;
    for (let i = 0; i < 4; i++) if (this.applies(i, read)) this.remaining[i]! -= i === 0 ? 1 : bytes;
    return true;
  }

  /**
   * The QoS poller's work for the timeslices elapsed since it last ran: an overrun (negative
   * quota) is paid back, but unused quota does not accumulate past one timeslice.
   */
  private refill(): void {
    const elapsed = Math.floor((performance.now() - this.lastTimeslice) / TIMESLICE_MS);
    if (elapsed <= 0) return;
    this.lastTimeslice += elapsed * TIMESLICE_MS;
    for (let i = 0; i < 4; i++) {
      const max = this.perTimeslice[i]!;
      this.remaining[i] = Math.min(this.remaining[i]! + elapsed * max, max);
    }
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const wait = Math.max(1, Math.ceil(this.lastTimeslice + TIMESLICE_MS - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain();
    }, wait);
  }

  private drain(): void {
    while (this.queue.length > 0 && this.take(this.queue[0]!.read, this.queue[0]!.bytes)) this.queue.shift()!.go();
    if (this.queue.length > 0) this.schedule();
  }
}
