/**
 * NodeResources: what spdk_tgt can still take, read periodically and cached, so that
 * - admission refuses work that cannot fit (RESOURCE_EXHAUSTED with the numbers) before anything
 *   is made, instead of spdk_tgt failing it halfway: a rebuild whose 16 windows find no piece of
 *   DMA memory big enough is -12 and its member is dropped; an attach near exhaustion "succeeds"
 *   while its qpairs fail (transcript 14);
 * - the rebuild bandwidth is throttled while spdk_tgt is short of memory or slow to answer
 *   (RebuildThrottle, in rebuild-throttle.ts, follows each sample).
 *
 * One sample (every health.samplePeriodMs, never two at once) reads the node's hugepages, spdk_tgt's
 * DMA heap (env_dpdk_get_mem_stats: a file spdk_tgt writes on its own host, ~150 ms of spdk_tgt's
 * time, so never on a health path), iobuf pools and reactor load. Everyone else reads the cache.
 *
 * What counts as free DMA memory depends on spdk_tgt's memory mode, read from the dump:
 * - hugepages (spdk_tgt's default, dynamic): the heap maps more hugepages whenever it runs short,
 *   so free = heap free + the node's available pages of that size (a 16 MiB allocation succeeds
 *   with 9 MiB free in the heap while the pool has pages: transcript 14, phase 6). A heap started
 *   with `--env-context=--legacy-mem` cannot grow, but nothing spdk_tgt reports tells it apart:
 *   it is over-estimated by the node's free pages (the simulator says which it is: its pool);
 * - --no-huge: the heap is the -s size and never grows: free = heap free.
 *
 * Reservations: an admitted piece of work holds its estimate, which counts against a reading
 * (a sample, or the subsystem count) until that reading was taken after the work allocated; from
 * then on the reading includes it and counting it again would be double. Callers admit right
 * before the work starts and release when it ends, so:
 * - a rebuild frees its windows when it ends: its hold counts until released, or until a reading
 *   taken one sample period after the admission (the windows are in it by then);
 * - engines, exports and attaches make controllers and subsystems that outlive the work: their
 *   holds count until a reading taken after the release (or one period after the admission).
 * A sample that fails (spdk_tgt gone, or hung past the sample deadline) is logged; admission then
 * admits without a check (logged once per reason) rather than block work on a broken reading.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { ConductorError, SpdkTransportError } from '../../errors.js';
import { readHugepages } from '../../host/hugepages.js';
import type { CallOptions } from '../../spdk/call.js';
import type { SpdkClient } from '../../spdk/client.js';
import type { Reactors, SpdkMethods } from '../../spdk/methods/index.js';
import type { Admission, AdmissionRequest, Reservation } from './admission.js';
import type { ThrottleInfo } from '../model.js';
import { RebuildThrottle } from './rebuild-throttle.js';
import type { ReactorLoad, ResourceSnapshot } from './readings.js';
import { dmaReading, mib, readDump } from './dma-reading.js';

export type { DmaReading } from './dma-reading.js';
export type { ReactorLoad, ResourceSnapshot } from './readings.js';

export { CLEAN_SAMPLES_TO_RELEASE } from './rebuild-throttle.js';

const MIB = 1024 * 1024;
/** RAID_BDEV_PROCESS_MAX_QD: a rebuild allocates 16 windows up front, as one element (transcript 14, phase 5). */
export const REBUILD_WINDOWS = 16;
/**
 * DMA one NVMe/TCP controller takes: 59,904 bytes per attach, every attach alike (transcript 14,
 * phase 2: Free_size after cx1..cx55; six elements of 192 to 36,032 bytes each). The first attach of
 * a target takes another ~59 KiB once (its poll group), not counted.
 */
export const CONTROLLER_DMA_BYTES = 59_904;
/** spdk_tgt's default nvmf max_subsystems, the discovery subsystem included (transcript 14, phase 3). */
export const DEFAULT_MAX_SUBSYSTEMS = 1024;
/** Past this many holds an admission prunes the ledger itself rather than wait for a sample. */
const MAX_HELD_BEFORE_PRUNE = 4096;
/** MALLOC_ELEM_HEADER_LEN: an element's header sits in the same piece as its data. */
const ELEMENT_HEADER = 64;
const MAX_LATENCIES = 10_000;

export interface ResourcesOptions {
  spdk: SpdkMethods;
  client: SpdkClient;
  log: Logger;
  config: Config;
  /** Where proc/meminfo and sys/kernel/mm/hugepages are read; default '/'. */
  hostRoot?: string;
  now?: () => number;
  /** spdk_tgt's nvmf max_subsystems when raised at its start-up; default 1024. */
  maxSubsystems?: number;
}

interface Estimate {
  bytes: number;
  onePiece: boolean;
  detail: string;
  subsystems: number;
}

interface Held {
  readonly what: string;
  readonly bytes: number;
  readonly subsystems: number;
  readonly at: number;
  /** Its objects outlive the work (controllers, subsystems): it counts on after release until seen. */
  readonly persists: boolean;
  releasedAt?: number;
}

/** A reading taken at `readAt` or later includes the hold's allocations. */
function settledAt(h: Held, period: number): number {
  return h.releasedAt === undefined ? h.at + period : Math.min(h.releasedAt, h.at + period);
}

export class NodeResources implements Admission {
  private readonly spdk: SpdkMethods;
  private readonly client: SpdkClient;
  private readonly log: Logger;
  private readonly hostRoot: string;
  private readonly now: () => number;
  private readonly maxSubsystems: number;
  private readonly period: number;
  private readonly deadlineMs: number;
  private readonly windowKb: number;
  private readonly thresholds: { dmaFreeBytes: number; rpcMs: number; busyPct: number; reserveBytes: number };

  private last: ResourceSnapshot | undefined;
  private inFlight: Promise<ResourceSnapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private failing: string | undefined;
  private admissionOff: string | undefined;
  private readonly held = new Set<Held>();
  /** The subsystems held that a count read at `at` does not reflect (see subsystemsReservedSince). */
  private subsystemsHeld: { at: number; sum: number } | undefined;
  private latencies: number[] = [];
  private latencyNext = 0;
  private prevReactors: Reactors | undefined;
  private subsystems: { count: number; at: number } | undefined;
  private subsystemRead: Promise<void> | undefined;
  private readonly rebuildThrottle: RebuildThrottle;

  constructor(options: ResourcesOptions) {
    const c = options.config;
    this.spdk = options.spdk;
    this.client = options.client;
    this.log = options.log.child({ component: 'resources' });
    this.hostRoot = options.hostRoot ?? '/';
    this.now = options.now ?? Date.now;
    this.maxSubsystems = options.maxSubsystems ?? DEFAULT_MAX_SUBSYSTEMS;
    this.period = c['health.samplePeriodMs'];
    this.deadlineMs = Math.min(10_000, Math.max(2_000, 2 * this.period));
    this.windowKb = c['rebuild.windowKb'];
    this.thresholds = {
      dmaFreeBytes: c['health.dmaFreeMinMib'] * MIB,
      rpcMs: c['health.rpcLatencyMaxMs'],
      busyPct: c['health.reactorBusyMaxPct'],
      reserveBytes: c['health.admissionReserveMib'] * MIB,
    };
    this.rebuildThrottle = new RebuildThrottle({
      spdk: this.spdk,
      log: this.log,
      config: c,
      deadlineMs: this.deadlineMs,
      thresholds: this.thresholds,
      readings: () => ({ last: this.last, failing: this.failing }),
    });
  }

  /**
   * Applies bdev_raid_set_options {process_window_size_kb, process_max_bandwidth_mb_sec} once,
   * takes the first sample and starts sampling. Never throws: spdk_tgt not answering yet is
   * logged and retried by the next samples.
   */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.rebuildThrottle.apply();
    await this.sample().catch((err: unknown) => this.sampleFailed(err));
    this.schedule();
  }

  /** Stops sampling; waits for a sample or option change in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.rebuildThrottle.stop();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
    await this.rebuildThrottle.close();
  }

  /** The last sample; never waits on spdk_tgt. */
  snapshot(): ResourceSnapshot | undefined {
    return this.last;
  }

  /** Takes a sample, or joins the one in flight. Rejects with UNAVAILABLE when spdk_tgt cannot be reached. */
  sample(): Promise<ResourceSnapshot> {
    this.inFlight ??= this.takeSample().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Refuses with RESOURCE_EXHAUSTED when the work's DMA memory or subsystems do not fit, else holds
   * its estimate until `release()`. Call it right before the work starts (after any queue).
   * When spdk_tgt cannot be sampled it admits and logs why admission is off: a broken reading
   * never blocks work. While the throttle is engaged rebuilds are still admitted: the rebuild
   * queue reads `throttle().engaged` to hold new starts.
   */
  async admit(request: AdmissionRequest, options: CallOptions = {}): Promise<Reservation> {
    if (this.closed) throw new ConductorError('SERVICE_STOPPING', `${request.what}: the node's resources are no longer tracked (closing)`);
    const need = this.estimate(request);
    const snap = need.bytes > 0 ? await this.fresh(options) : undefined;
    // The count is read with every sample; only a node never sampled reads it here.
    if (need.subsystems > 0 && !this.subsystems) await bounded(this.refreshSubsystems(), options);
    // From here to the hold nothing awaits: concurrent admissions see each other's holds.
    if (need.bytes > 0 && snap) this.checkMemory(request, need, snap);
    if (need.subsystems > 0) this.checkSubsystems(request, need);
    const held: Held = { what: request.what, bytes: need.bytes, subsystems: need.subsystems, at: this.now(), persists: request.kind !== 'rebuild' };
    // Released holds are dropped when a reading has seen them; while spdk_tgt cannot be read,
    // this keeps the ledger bounded all the same.
    if (this.held.size >= MAX_HELD_BEFORE_PRUNE) this.reservedSince(this.now());
    this.held.add(held);
    // A new hold is later than any count read: it adds to the cached sum.
    if (this.subsystemsHeld) this.subsystemsHeld.sum += held.subsystems;
    return {
      release: () => {
        if (!held.persists) {
          if (this.held.delete(held) && held.subsystems > 0) this.subsystemsHeld = undefined;
        } else held.releasedAt ??= this.now();
      },
    };
  }

  throttle(): ThrottleInfo {
    return this.rebuildThrottle.info();
  }

  /** NVMe-oF subsystems as last counted, against the limit admission uses; undefined before a count. */
  subsystemUse(): { count: number; max: number } | undefined {
    return this.subsystems && { count: this.subsystems.count, max: this.maxSubsystems };
  }

  onThrottle(listener: (t: ThrottleInfo) => void): () => void {
    return this.rebuildThrottle.onChange(listener);
  }

  recordRpcLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.latencies.length < MAX_LATENCIES) this.latencies.push(ms);
    else this.latencies[this.latencyNext++ % MAX_LATENCIES] = ms;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sample()
        .catch((err: unknown) => this.sampleFailed(err))
        .finally(() => this.schedule());
    }, this.period);
    this.timer.unref();
  }

  private sampleFailed(err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    if (this.failing === why) this.log.debug({ err: why }, 'sample failed again');
    else this.log.warn({ err: why }, 'cannot sample spdk_tgt; the next sample runs in one period');
    this.failing = why;
  }

  private async takeSample(): Promise<ResourceSnapshot> {
    const at = this.now();
    const started = performance.now();
    const problems: string[] = [];
    let caps;
    try {
      caps = await this.client.capabilities.get();
    } catch (err) {
      throw unavailable(err);
    }
    const opts: CallOptions = { deadlineMs: this.deadlineMs };
    const timed = async <T>(work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const value = await work();
      this.recordRpcLatency(performance.now() - t0);
      return value;
    };
    /** A missing method or an error answer is one reading less; a lost connection fails the sample. */
    const part = async <T>(method: string, work: () => Promise<T>): Promise<T | undefined> => {
      if (!caps.methods.has(method)) {
        problems.push(`spdk_tgt has no ${method}`);
        return undefined;
      }
      try {
        return await work();
      } catch (err) {
        if (err instanceof SpdkTransportError) throw unavailable(err);
        problems.push(`${method}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    };
    const hugepagesRead = readHugepages(this.hostRoot);
    // The quick calls go first and are timed: behind the dump (~150 ms of spdk_tgt's app thread)
    // they would measure the dump, not spdk_tgt's responsiveness.
    const [iobuf, reactors, simPool] = await Promise.all([
      part('iobuf_get_stats', () => timed(() => this.spdk.info.getIobufStats(opts))),
      part('framework_get_reactors', () => timed(() => this.spdk.info.getReactors(opts))),
      caps.simulator ? part('sim_set_memory', () => this.client.callUnchecked<{ hugepages_free: number | null }>('sim_set_memory', {}, opts)) : undefined,
    ]);
    const subsystemsRead = this.refreshSubsystems(true);
    const dump = await part('env_dpdk_get_mem_stats', () => readDump(this.spdk, opts));
    await subsystemsRead;
    const hugepages = await hugepagesRead;
    const dma = dmaReading(dump, hugepages, simPool, problems);
    const load = reactors ? this.reactorLoad(reactors) : [];
    const p90 = this.takeLatencyP90();
    const snapshot: ResourceSnapshot = {
      at,
      tookMs: Math.round(performance.now() - started),
      hugepages,
      dma,
      iobuf: iobuf && { modules: iobuf, retries: iobuf.reduce((n, m) => n + m.small_pool.retry + m.large_pool.retry, 0) },
      reactors: load,
      reactorBusyPct: load.length > 0 ? Math.max(...load.map((r) => r.busyPct)) : undefined,
      rpcLatencyP90Ms: p90.value,
      rpcCalls: p90.count,
      reserved: { bytes: 0, subsystems: 0, count: 0 },
      problems,
    };
    this.last = snapshot;
    snapshot.reserved = this.reservedSince(snapshot.at);
    if (this.failing !== undefined) this.log.info('spdk_tgt sampled again');
    this.failing = undefined;
    await this.rebuildThrottle.update(snapshot);
    return snapshot;
  }

  /** Busy share per reactor between this and the previous reading; none after a restart of spdk_tgt. */
  private reactorLoad(current: Reactors): ReactorLoad[] {
    const previous = this.prevReactors;
    this.prevReactors = current;
    if (previous === undefined) return [];
    const load = reactorLoad(previous, current);
    if (load === undefined) {
      this.log.warn({ pid: current.pid, previousPid: previous.pid }, 'spdk_tgt restarted: its rebuild options are applied again');
      this.rebuildThrottle.forgetApplied();
      return [];
    }
    return load;
  }

  private takeLatencyP90(): { value: number | undefined; count: number } {
    const values = this.latencies;
    this.latencies = [];
    this.latencyNext = 0;
    return { value: percentile(values, 90), count: values.length };
  }

  /** Holds a sample taken at `at` does not reflect; released holds every reading has seen are dropped. */
  private reservedSince(at: number): { bytes: number; subsystems: number; count: number } {
    const r = { bytes: 0, subsystems: 0, count: 0 };
    const subsystemsAt = this.subsystems?.at ?? Infinity;
    for (const h of this.held) {
      const settled = settledAt(h, this.period);
      // Bounded even when spdk_tgt cannot be read for a long time.
      if (h.releasedAt !== undefined && ((settled <= at && settled <= subsystemsAt) || this.now() - h.releasedAt > 10 * this.period)) {
        this.held.delete(h);
        this.subsystemsHeld = undefined;
        continue;
      }
      if (at >= settled) continue;
      r.bytes += h.bytes;
      r.subsystems += h.subsystems;
      r.count++;
    }
    return r;
  }

  private estimate(request: AdmissionRequest): Estimate {
    for (const key of ['controllers', 'subsystems'] as const) {
      const n = request[key];
      if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new ConductorError('INVALID_ARGUMENT', `${request.what}: ${key} must be a whole number ≥ 0, not ${n}`);
    }
    const controllers = request.controllers ?? (request.kind === 'attach' ? 1 : 0);
    const subsystems = request.subsystems ?? (request.kind === 'engine' || request.kind === 'export' ? 1 : 0);
    if (request.kind === 'rebuild') {
      return { bytes: REBUILD_WINDOWS * this.windowKb * 1024, onePiece: true, detail: `${REBUILD_WINDOWS} × ${this.windowKb} KiB rebuild windows`, subsystems: 0 };
    }
    const detail = `${controllers} NVMe/TCP controller${controllers === 1 ? '' : 's'} × ${(CONTROLLER_DMA_BYTES / 1024).toFixed(1)} KiB`;
    return { bytes: controllers * CONTROLLER_DMA_BYTES, onePiece: false, detail, subsystems };
  }

  /** The cached sample, or a fresh one when it is older than a period; undefined (logged) when spdk_tgt cannot be sampled. */
  private async fresh(options: CallOptions): Promise<ResourceSnapshot | undefined> {
    const last = this.last;
    if (last && this.now() - last.at < this.period) return last;
    try {
      return await bounded(this.sample(), options);
    } catch (err) {
      if (err instanceof ConductorError && (err.kind === 'aborted' || err.kind === 'deadline-exceeded')) throw err;
      this.admissionIsOff(err instanceof ConductorError && err.kind === 'unavailable' ? err.message : `spdk_tgt cannot be sampled: ${String(err)}`);
      return undefined;
    }
  }

  private checkMemory(request: AdmissionRequest, need: Estimate, snap: ResourceSnapshot): void {
    const dma = snap.dma;
    if (dma.availableBytes === undefined || dma.largestPieceBytes === undefined) {
      this.admissionIsOff(dma.problem ?? dma.note);
      return;
    }
    this.admissionIsOn();
    const reserved = this.reservedSince(snap.at).bytes;
    const room = dma.availableBytes - reserved - this.thresholds.reserveBytes;
    const piece = dma.largestPieceBytes - reserved;
    if (need.bytes <= room && (!need.onePiece || need.bytes + ELEMENT_HEADER <= piece)) return;
    const has =
      dma.growablePages === null || dma.growablePages === undefined
        ? `${mib(dma.freeBytes)} free`
        : `${mib(dma.freeBytes)} free in its heap and can map ${dma.growablePages} more hugepages (${mib(dma.growablePages * dma.pageSizeBytes)})`;
    const message =
      `${request.what} needs ${mib(need.bytes)} of DMA memory (${need.detail})${need.onePiece ? ' in one piece' : ''}; ` +
      `spdk_tgt has ${has}, largest piece ${mib(dma.largestPieceBytes)}, ${mib(reserved)} reserved by running work, ` +
      `${this.thresholds.reserveBytes / MIB} MiB kept for I/O (${dma.note})`;
    throw new ConductorError('DMA_EXHAUSTED', message, {
      kind: request.kind,
      needBytes: need.bytes,
      availableBytes: dma.availableBytes,
      largestPieceBytes: dma.largestPieceBytes,
      reservedBytes: reserved,
      keptBytes: this.thresholds.reserveBytes,
      mode: dma.mode,
    });
  }

  /** Reads the subsystem count (with `force`, or when the cached one is older than a period); one read at a time. */
  private refreshSubsystems(force = false): Promise<void> {
    if (!force && this.subsystems && this.now() - this.subsystems.at < this.period) return Promise.resolve();
    this.subsystemRead ??= (async () => {
      const at = this.now();
      try {
        if (!(await this.client.capabilities.has('nvmf_get_subsystems'))) return;
        const list = await this.spdk.nvmf.getSubsystems(undefined, { deadlineMs: this.deadlineMs });
        this.subsystems = { count: list.length, at };
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot count NVMe-oF subsystems; admitted without that check');
      }
    })().finally(() => {
      this.subsystemRead = undefined;
    });
    return this.subsystemRead;
  }

  /**
   * Subsystems held by work the count read at `at` does not reflect. Summed once per count read:
   * until the next read the sum only grows by new holds (a hold released later than the read
   * still counts), so admissions between two reads cost O(1), not a pass over every hold.
   */
  private subsystemsReservedSince(at: number): number {
    if (this.subsystemsHeld?.at !== at) {
      let sum = 0;
      for (const h of this.held) if (at < settledAt(h, this.period)) sum += h.subsystems;
      this.subsystemsHeld = { at, sum };
    }
    return this.subsystemsHeld.sum;
  }

  private checkSubsystems(request: AdmissionRequest, need: Estimate): void {
    const read = this.subsystems;
    if (!read) return;
    const reserved = this.subsystemsReservedSince(read.at);
    if (read.count + reserved + need.subsystems <= this.maxSubsystems) return;
    throw new ConductorError(
      'SPDK_LIMIT_REACHED',
      `${request.what} needs ${need.subsystems} NVMe-oF subsystem${need.subsystems === 1 ? '' : 's'}; spdk_tgt has ${read.count} of its ${this.maxSubsystems} ` +
        `(max_subsystems, the discovery subsystem included), ${reserved} reserved by running work`,
      { kind: request.kind, subsystems: read.count, maxSubsystems: this.maxSubsystems, reservedSubsystems: reserved },
    );
  }

  private admissionIsOff(why: string): void {
    if (this.admissionOff === why) return;
    this.admissionOff = why;
    this.log.warn({ reason: why }, 'admission by DMA memory is off: work is admitted without a memory check');
  }

  private admissionIsOn(): void {
    if (this.admissionOff === undefined) return;
    this.admissionOff = undefined;
    this.log.info('admission by DMA memory is on again');
  }
}

/**
 * Busy share of each reactor between two framework_get_reactors readings, or undefined when
 * spdk_tgt restarted in between (another pid, or counters that went back).
 */
export function reactorLoad(previous: Reactors, current: Reactors): ReactorLoad[] | undefined {
  if (previous.pid !== undefined && current.pid !== undefined && previous.pid !== current.pid) return undefined;
  const before = new Map(previous.reactors.map((r) => [r.lcore, r]));
  const load: ReactorLoad[] = [];
  for (const r of current.reactors) {
    const p = before.get(r.lcore);
    if (!p) continue;
    const busy = r.busy - p.busy;
    const idle = r.idle - p.idle;
    if (busy < 0 || idle < 0) return undefined;
    if (busy + idle > 0) load.push({ lcore: r.lcore, busyPct: (busy * 100) / (busy + idle) });
  }
  return load;
}

/** The nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], pct: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))];
}

function unavailable(err: unknown): ConductorError {
  return new ConductorError('SPDK_UNREACHABLE', `spdk_tgt cannot be sampled: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}

/** Waits for `work` no longer than the caller's deadline or signal (the work itself goes on). */
async function bounded<T>(work: Promise<T>, options: CallOptions): Promise<T> {
  if (options.deadlineMs === undefined && options.signal === undefined) return work;
  if (options.signal?.aborted) throw new ConductorError('CANCELLED', 'admission aborted');
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (options.deadlineMs !== undefined) {
      timer = setTimeout(() => reject(new ConductorError('ADMISSION_TIMEOUT', `admission waited ${options.deadlineMs} ms for a sample of spdk_tgt`)), options.deadlineMs);
    }
    onAbort = () => reject(new ConductorError('CANCELLED', 'admission aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
