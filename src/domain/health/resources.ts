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
 * The node's available pages are the smallest of three bounds (host/hugepages.ts): the pool, this
 * process's hugetlb cgroup, and spdk_tgt's own container limit (health.spdkHugepagesLimitBytes,
 * from the downward API) minus what spdk_tgt has mapped of that size, which only its dump says.
 *
 * What admitted work holds (its DMA memory until a sample includes it, the subsystems it will
 * make) is kept by the admission ledger (admission-ledger.ts); an admission checks the last
 * sample and the ledger together, with nothing awaited between the check and the hold.
 *
 * Subsystems are counted, not estimated: what spdk_tgt has (the NQNs nvmf_get_subsystems listed,
 * kept current by the ledger as the service's own creates and deletes finish) plus what running
 * work will make. The full list (~1 MB of JSON at 2,000 exports, parsed on the main loop) is read
 * again only when a sample needs it: work released without saying what it made, spdk_tgt
 * restarted, or SUBSYSTEM_RECOUNT_MS since the last list (subsystems made by others than this
 * service). A deleted subsystem stops counting when its delete is answered. The limit is
 * spdk_tgt's own max_subsystems, read from framework_get_config nvmf at the start and after
 * spdk_tgt restarted, unless spdk.maxSubsystems sets it.
 * A sample that fails (spdk_tgt gone, or hung past the sample deadline) is logged; admission then
 * admits without a check (logged once per reason) rather than block work on a broken reading.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { ConductorError, SpdkRpcError, SpdkTransportError } from '../../errors.js';
import { boundBySpdkLimit, parseSpdkHugepageLimits, readHugepages, type SpdkHugepageLimits } from '../../host/hugepages.js';
import type { CallOptions } from '../../spdk/call.js';
import type { SpdkClient } from '../../spdk/client.js';
import type { SpdkMethods } from '../../spdk/methods/index.js';
import type { Admission, AdmissionRequest, Reservation, SubsystemLimit } from './admission.js';
import type { ThrottleInfo } from '../model.js';
import { RebuildThrottle } from './rebuild-throttle.js';
import type { ReactorLoad, ReactorMode, ResourceSnapshot } from './readings.js';
import { dmaReading, mib, readDump } from './dma-reading.js';
import { DumpSchedule } from './dump-schedule.js';
import { percentile, reactorLoad, type ReactorsReading } from './reading-math.js';
import { readReactorThreads } from './reactor-threads.js';
import { LimitUnknown, maxSubsystemsIn } from './max-subsystems.js';
import { bounded } from './bounded-wait.js';
import { estimateOf, type Estimate } from './admission-estimate.js';
import { AdmissionLedger } from './admission-ledger.js';

export type { DmaReading } from './dma-reading.js';
export type { ReactorLoad, ReactorMode, ResourceSnapshot } from './readings.js';

export { CLEAN_SAMPLES_TO_RELEASE } from './rebuild-throttle.js';
export { CONTROLLER_DMA_BYTES, REBUILD_WINDOWS } from './admission-estimate.js';

const MIB = 1024 * 1024;

/** A sample lists every subsystem again at least this often, to see those others made or deleted. */
export const SUBSYSTEM_RECOUNT_MS = 60_000;
/** spdk_tgt's default nvmf max_subsystems, the discovery subsystem included (transcript 14, phase 3). */
export const DEFAULT_MAX_SUBSYSTEMS = 1024;
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
  /** Where spdk_tgt's reactor threads are read (<procRoot>/<pid>/task/<tid>/stat); default '/proc'. */
  procRoot?: string;
  now?: () => number;
  /** spdk_tgt's nvmf max_subsystems, not read from spdk_tgt; default: config's spdk.maxSubsystems, else read. */
  maxSubsystems?: number;
}

export class NodeResources implements Admission {
  private readonly spdk: SpdkMethods;
  private readonly client: SpdkClient;
  private readonly log: Logger;
  private readonly hostRoot: string;
  private readonly procRoot: string;
  private readonly now: () => number;
  private limit: SubsystemLimit;
  /** The limit came from config: spdk_tgt is not asked. */
  private readonly limitFixed: boolean;
  private limitKnown = false;
  private limitRead: Promise<void> | undefined;
  private readonly period: number;
  private readonly deadlineMs: number;
  private readonly windowKb: number;
  /** spdk_tgt's hugepage limit per page size (health.spdkHugepagesLimitBytes): it runs in another container. */
  private readonly spdkLimits: SpdkHugepageLimits;
  private readonly thresholds: { dmaFreeBytes: number; rpcMs: number; busyPct: number; reserveBytes: number };

  private last: ResourceSnapshot | undefined;
  private inFlight: Promise<ResourceSnapshot> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private failing: string | undefined;
  private admissionOff: string | undefined;
  private readonly ledger: AdmissionLedger;
  private latencies: number[] = [];
  private latencyNext = 0;
  private prevReactors: ReactorsReading | undefined;
  /** The reactors' modes as last logged, e.g. "0:interrupt 1:polling". */
  private loggedModes = '';
  private subsystemRead: Promise<void> | undefined;
  /** spdk_tgt restarted since the last list: what it has is no longer what the ledger's count holds. */
  private recountAfterRestart = false;
  private readonly dumps: DumpSchedule;
  private readonly rebuildThrottle: RebuildThrottle;

  constructor(options: ResourcesOptions) {
    const c = options.config;
    this.spdk = options.spdk;
    this.client = options.client;
    this.log = options.log.child({ component: 'resources' });
    this.dumps = new DumpSchedule(c['health.memDumpSpacing'], this.log);
    this.hostRoot = options.hostRoot ?? '/';
    this.procRoot = options.procRoot ?? '/proc';
    this.now = options.now ?? Date.now;
    const fixed = options.maxSubsystems ?? (c['spdk.maxSubsystems'] > 0 ? c['spdk.maxSubsystems'] : undefined);
    this.limitFixed = fixed !== undefined;
    this.limit = { max: fixed ?? DEFAULT_MAX_SUBSYSTEMS, source: fixed !== undefined ? 'config' : 'default' };
    this.period = c['health.samplePeriodMs'];
    this.ledger = new AdmissionLedger(this.period, this.now);
    this.deadlineMs = Math.min(10_000, Math.max(2_000, 2 * this.period));
    this.windowKb = c['rebuild.windowKb'];
    this.spdkLimits = parseSpdkHugepageLimits(c['health.spdkHugepagesLimitBytes']);
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
    await this.readLimit();
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
    const need = estimateOf(request, this.windowKb);
    const snap = need.bytes > 0 ? await this.fresh(options) : undefined;
    // The count is read with every sample; only a node never sampled reads it here.
    if (need.subsystems > 0 && !this.ledger.known()) await bounded(this.refreshSubsystems(), options);
    // From here to the hold nothing awaits: concurrent admissions see each other's holds.
    if (need.bytes > 0 && snap) this.checkMemory(request, need, snap);
    // A subsystem made again (a create that died left it) takes no more room than it has.
    const subsystems = request.nqn !== undefined && this.ledger.known()?.nqns.has(request.nqn) ? 0 : need.subsystems;
    if (subsystems > 0) this.checkSubsystems(request, need);
    return this.ledger.hold(request, need.bytes, subsystems);
  }

  subsystemsGone(nqns: readonly string[]): void {
    for (const nqn of nqns) this.ledger.noteSubsystem(nqn, false);
  }

  subsystemLimit(): SubsystemLimit {
    return { ...this.limit };
  }

  throttle(): ThrottleInfo {
    return this.rebuildThrottle.info();
  }

  /** NVMe-oF subsystems as last counted, against the limit admission uses; undefined before a count. */
  subsystemUse(): { count: number; max: number } | undefined {
    const known = this.ledger.known();
    return known && { count: known.nqns.size, max: this.limit.max };
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
      // Stamped when the answer arrives: v26.05 reads the cores' jiffies as it answers, and an
      // interrupt-mode reactor's load is those jiffies over the wall time between two answers.
      // Interrupt-mode reactors' own threads are read right after (reactor-threads.ts), off the timing.
      part('framework_get_reactors', () => timed(() => this.spdk.info.getReactors(opts))).then(async (reactors): Promise<ReactorsReading | undefined> => {
        if (!reactors) return undefined;
        const atMs = performance.now();
        return { reactors, atMs, threads: await readReactorThreads(this.procRoot, reactors) };
      }),
      caps.simulator ? part('sim_set_memory', () => this.client.callUnchecked<{ hugepages_free: number | null }>('sim_set_memory', {}, opts)) : undefined,
    ]);
    // Before the count: a restart of spdk_tgt found here makes this sample list its subsystems.
    const load = reactors ? this.reactorLoad(reactors) : [];
    const modes = reactors ? reactors.reactors.reactors.map((r) => ({ lcore: r.lcore, interrupt: r.in_interrupt })) : [];
    if (reactors) this.logModes(modes, reactors);
    if (!this.limitKnown) await this.readLimit();
    const subsystemsRead = this.recountDue() ? this.refreshSubsystems(true) : undefined;
    const kept = this.dumps.kept(at, this.last?.dma, this.thresholds.reserveBytes);
    const dump = kept ? kept.read : await part('env_dpdk_get_mem_stats', () => readDump(this.spdk, opts, reactors?.reactors.pid));
    if (!kept) this.dumps.took(dump, at, this.period);
    await subsystemsRead;
    const hugepages = await hugepagesRead;
    // spdk_tgt's own limit needs what it has mapped, which only its dump says.
    boundBySpdkLimit(hugepages, this.spdkLimits, dump && 'dump' in dump ? dump.dump.segments.bytesByPageSize : undefined);
    const dma = { ...dmaReading(dump, hugepages, simPool, problems, this.spdkLimits), readAt: kept ? kept.askedAt : at };
    const p90 = this.takeLatencyP90();
    const snapshot: ResourceSnapshot = {
      at,
      tookMs: Math.round(performance.now() - started),
      hugepages,
      dma,
      iobuf: iobuf && { modules: iobuf, retries: iobuf.reduce((n, m) => n + m.small_pool.retry + m.large_pool.retry, 0) },
      reactors: load,
      reactorModes: modes,
      reactorBusyPct: load.length > 0 ? Math.max(...load.map((r) => r.busyPct)) : undefined,
      rpcLatencyP90Ms: p90.value,
      rpcCalls: p90.count,
      reserved: { bytes: 0, subsystems: 0, count: 0 },
      problems,
    };
    this.last = snapshot;
    snapshot.reserved = this.ledger.reservedSince(dma.readAt);
    if (this.failing !== undefined) this.log.info('spdk_tgt sampled again');
    this.failing = undefined;
    await this.rebuildThrottle.update(snapshot);
    return snapshot;
  }

  /** Load per reactor between this and the previous reading; none after a restart of spdk_tgt. */
  private reactorLoad(current: ReactorsReading): ReactorLoad[] {
    const previous = this.prevReactors;
    this.prevReactors = current;
    if (previous === undefined) return [];
    const load = reactorLoad(previous, current);
    if (load === undefined) {
      this.log.warn({ pid: current.reactors.pid, previousPid: previous.reactors.pid }, 'spdk_tgt restarted: its rebuild options are applied again and its max_subsystems read again');
      this.rebuildThrottle.forgetApplied();
      this.limitKnown = this.limitFixed;
      this.recountAfterRestart = true;
      this.dumps.forget();
      return [];
    }
    return load;
  }

  /**
   * Logs the reactors' modes, and whose CPU an interrupt-mode reactor's load is (its thread's when
   * it could be read, else its core's), when they are first read and whenever one changes.
   */
  private logModes(modes: ReactorMode[], reading: ReactorsReading): void {
    const cpuOf = (m: ReactorMode): string => (reading.threads?.has(m.lcore) ? 'thread' : 'core');
    const key = modes.map((m) => `${m.lcore}:${m.interrupt ? `interrupt(${cpuOf(m)} CPU)` : 'polling'}`).join(' ');
    if (key === this.loggedModes) return;
    const first = this.loggedModes === '';
    this.loggedModes = key;
    const interrupt = modes.filter((m) => m.interrupt);
    const threads = interrupt.filter((m) => cpuOf(m) === 'thread').length;
    const how =
      interrupt.length === 0
        ? "polling: a reactor's load is its share of busy ticks"
        : threads === interrupt.length
          ? `an interrupt-mode reactor's load is its own thread's CPU share (${this.procRoot}/${reading.reactors.pid}/task/<tid>/stat)`
          : threads === 0
            ? `an interrupt-mode reactor's load is its core's CPU share, other processes on the core included: spdk_tgt's reactor threads are not visible in ${this.procRoot} (another PID namespace, no access, or not named reactor_<lcore>)`
            : `an interrupt-mode reactor's load is its own thread's CPU share where ${this.procRoot} shows it, else its core's`;
    this.log.info({ reactors: modes.map((m) => (m.interrupt ? { ...m, cpu: cpuOf(m) } : m)) }, `${first ? "spdk_tgt's reactors" : "spdk_tgt's reactor modes changed"}: ${key} (${how})`);
  }

  private takeLatencyP90(): { value: number | undefined; count: number } {
    const values = this.latencies;
    this.latencies = [];
    this.latencyNext = 0;
    return { value: percentile(values, 90), count: values.length };
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
    const reserved = this.ledger.heldSince(snap.dma.readAt ?? snap.at).bytes;
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
      ...(dma.bound ? { hugepagesBound: dma.bound } : {}),
    });
  }

  /** Reads the subsystem count (with `force`, or when the cached one is older than a period); one read at a time. */
  private refreshSubsystems(force = false): Promise<void> {
    const known = this.ledger.known();
    if (!force && known && this.now() - known.at < this.period) return Promise.resolve();
    this.subsystemRead ??= (async () => {
      const at = this.now();
      try {
        if (!(await this.client.capabilities.has('nvmf_get_subsystems'))) return;
        const asked = this.ledger.countAsked();
        const list = await this.spdk.nvmf.getSubsystems(undefined, { deadlineMs: this.deadlineMs });
        this.ledger.counted(asked, new Set(list.map((s) => s.nqn)), at);
        this.recountAfterRestart = false;
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot count NVMe-oF subsystems; admitted without that check');
      } finally {
        this.ledger.countEnded();
      }
    })().finally(() => {
      this.subsystemRead = undefined;
    });
    return this.subsystemRead;
  }

  /** Whether this sample must list the subsystems (see the head of this file). */
  private recountDue(): boolean {
    const known = this.ledger.known();
    if (this.recountAfterRestart || this.ledger.unsettledSubsystems() > 0 || !known) return true;
    return this.now() - known.at >= SUBSYSTEM_RECOUNT_MS;
  }

  /**
   * spdk_tgt's max_subsystems, from its nvmf configuration (nvmf_set_max_subsystems, written by
   * spdk_nvmf_tgt_write_config_json); spdk_tgt that cannot tell keeps the default, logged.
   */
  private readLimit(): Promise<void> {
    if (this.limitFixed) {
      this.limitKnown = true;
      return Promise.resolve();
    }
    this.limitRead ??= (async () => {
      try {
        if (!(await this.client.capabilities.has('framework_get_config'))) throw new LimitUnknown('spdk_tgt has no framework_get_config');
        const max = maxSubsystemsIn(await this.spdk.info.getConfig('nvmf', { deadlineMs: this.deadlineMs }));
        if (max === undefined) throw new LimitUnknown('framework_get_config nvmf has no nvmf_set_max_subsystems');
        this.limitKnown = true;
        if (this.limit.max !== max || this.limit.source !== 'spdk_tgt') this.log.info({ maxSubsystems: max, was: this.limit.max }, "spdk_tgt's max_subsystems read");
        this.limit = { max, source: 'spdk_tgt' };
      } catch (err) {
        // spdk_tgt not reachable (yet): the next sample asks again.
        if (!(err instanceof SpdkRpcError || err instanceof LimitUnknown)) return;
        // Not asked again until spdk_tgt restarts: its answer would not change.
        this.limitKnown = true;
        this.limit = { max: DEFAULT_MAX_SUBSYSTEMS, source: 'default' };
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), maxSubsystems: DEFAULT_MAX_SUBSYSTEMS },
          "cannot read spdk_tgt's max_subsystems; using the default (set spdk.maxSubsystems to override)",
        );
      }
    })().finally(() => {
      this.limitRead = undefined;
    });
    return this.limitRead;
  }

  private checkSubsystems(request: AdmissionRequest, need: Estimate): void {
    const known = this.ledger.known();
    if (!known) return;
    const count = known.nqns.size;
    const reserved = this.ledger.subsystemsReserved();
    const max = this.limit.max;
    if (count + reserved + need.subsystems <= max) return;
    throw new ConductorError(
      'SPDK_LIMIT_REACHED',
      `${request.what} needs ${need.subsystems} NVMe-oF subsystem${need.subsystems === 1 ? '' : 's'}; spdk_tgt has ${count} of its ${max} ` +
        `(max_subsystems, the discovery subsystem included), ${reserved} reserved by running work`,
      { kind: request.kind, subsystems: count, maxSubsystems: max, maxSubsystemsSource: this.limit.source, reservedSubsystems: reserved },
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

function unavailable(err: unknown): ConductorError {
  return new ConductorError('SPDK_UNREACHABLE', `spdk_tgt cannot be sampled: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}
