/**
 * The node's Prometheus metrics: one prom-client Registry, rendered for GET /metrics on the HTTP
 * listener, and the same readings as NodeStats for `spdk-conductor node stats`.
 *
 * A scrape reads memory only: the domain's observation (inventory, engine records and what the
 * monitor last saw, the rebuild queue, the resource sampler's last sample) and the volume I/O
 * sampler's cache; spdk_tgt is never called for it. Counters that only the service sees (spdk_tgt
 * calls, rebuild outcomes) are fed by the diagnostics channels as things happen.
 *
 * The per-engine families (most of the series) are written by engine-families.ts, appended to
 * prom-client's text: see there why.
 *
 * Cardinality: labels are bounded by the node, never by the replica count. Per engine (hundreds at
 * most), per disk, per method of spdk_tgt, per reactor; running rebuilds (at most
 * rebuild.maxConcurrent) by engine and replica; replicas only as totals per disk.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { subscribe, type RebuildLifecycle } from '../../diagnostics.js';
import type { VolumeIoRate, VolumeIoSample } from '../../domain/engine/volume-io.js';
import type { NodeObservation } from '../../domain/node/observation.js';
import { ENGINE_FAMILY_NAMES, EngineFamilies } from './engine-families.js';
import type { LoopDelayStats } from '../health-loop-delay.js';
import { monoMs, type ScrapeMarks } from '../health-worker-messages.js';
import { RENDER_AGE_FAMILY, STALE_ANSWERS_FAMILY } from '../health-worker-scrapes.js';
import { collectProcessMetrics } from './process-metrics.js';
import { SpdkCallMetrics } from './spdk-calls.js';
import type { TlsSummary } from '../tls-files.js';

export const METRIC_PREFIX = 'spdk_conductor_';

export interface MetricsSources {
  observe(): NodeObservation;
  /** The main loop's delay as the health worker measures it (one monitor per process, not one each). */
  loopDelay(): LoopDelayStats;
  volumeIo(): VolumeIoSample | undefined;
  volumeRates(): { windowSec: number; rates: VolumeIoRate[] };
  /** The TLS identities in use (none without TLS): their certificates' expiry, read from memory. */
  tls?(): TlsIdentityInUse[];
}

/**
 * A TLS identity by the name its label gives it: `api` (api.tls.*: the gRPC API and the HTTPS
 * listener), `client` (client.tls.*: calls to peers). Its summary is the set in use, so a rotation
 * shows at the next scrape.
 */
export interface TlsIdentityInUse {
  identity: 'api' | 'client';
  summary: Pick<TlsSummary, 'validTo' | 'caValidTo'>;
}

export interface RenderedMetrics {
  contentType: string;
  /** The exposition, UTF-8, in a buffer of its own (the health worker takes it over whole). */
  body: Buffer;
}

/** The main loop's delay over the health worker's last window, in seconds. */
export interface LoopDelayFigures {
  p50Sec: number;
  p99Sec: number;
  maxSec: number;
  /** The window the figures cover (LoopDelay's windowMs, 10 s; shorter only before the first window ends). */
  windowSec: number;
}

/** What `node stats` shows, from the same readings as a scrape. */
export interface NodeStatsView {
  observation: NodeObservation;
  topVolumes: VolumeIoRate[];
  ioWindowSec: number;
  loop: LoopDelayFigures;
  memory: NodeJS.MemoryUsage;
}

type Labels<L extends string> = Partial<Record<L, string | number>>;

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly calls: SpdkCallMetrics;
  private readonly unsubscribe: () => void;
  private readonly gauges: Array<Gauge<string>> = [];
  private readonly spdkCounters: Array<Counter<string>> = [];
  private readonly engineFamilies = new EngineFamilies();

  private readonly g;
  private readonly c;

  constructor(private readonly sources: MetricsSources) {
    const r = this.registry;
    collectProcessMetrics(r, METRIC_PREFIX);
    this.calls = new SpdkCallMetrics(r);
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> => {
      const g = new Gauge<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: [r] });
      this.gauges.push(g as unknown as Gauge<string>);
      return g;
    };
    /** A counter spdk_tgt keeps: set from its reading each scrape (it restarts from 0 with spdk_tgt, as a counter may). */
    const spdkCounter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> => {
      const c = new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: [r] });
      this.spdkCounters.push(c as unknown as Counter<string>);
      return c;
    };
    this.g = {
      objects: gauge('objects', 'Objects on this node by kind (disk, replica, snapshot, export, engine, rebuild)', ['kind']),
      replicas: gauge('disk_replicas', 'Replicas per disk, and how many of them are exported', ['disk', 'exported']),
      diskSize: gauge('disk_size_bytes', "A disk's lvstore data capacity", ['disk']),
      diskFree: gauge('disk_free_bytes', "A disk's unallocated capacity", ['disk']),
      diskAllocated: gauge('disk_allocated_bytes', "A disk's allocated capacity (replicas and snapshots)", ['disk']),
      engines: gauge('engines', 'Engines by state', ['state']),
      rebuilds: gauge('rebuilds', 'Rebuilds queued or running, by state', ['state']),
      rebuildProgress: gauge('rebuild_progress_ratio', 'A running rebuild, done as a fraction of its bytes', ['engine', 'replica']),
      rebuildDone: gauge('rebuild_done_bytes', 'A running rebuild: bytes copied', ['engine', 'replica']),
      rebuildTotal: gauge('rebuild_size_bytes', 'A running rebuild: bytes to copy', ['engine', 'replica']),
      rebuildRate: gauge('rebuild_rate_bytes_per_second', 'A running rebuild: copy rate over the last seconds', ['engine', 'replica']),
      rebuildEta: gauge('rebuild_eta_seconds', 'A running rebuild: time left at its rate (-1: unknown)', ['engine', 'replica']),
      throttleEngaged: gauge('rebuild_throttle_engaged', '1 while the rebuild throttle is engaged (spdk_tgt short of memory or slow)'),
      throttleLimit: gauge('rebuild_throttle_limit_bytes_per_second', 'The bandwidth rebuilds start with now (0: unlimited)'),
      dmaHeap: gauge('dma_heap_bytes', "spdk_tgt's DMA heap size, as last sampled"),
      dmaFree: gauge('dma_free_bytes', "Free bytes in spdk_tgt's DMA heap"),
      dmaLargest: gauge('dma_largest_free_block_bytes', "The largest free block in spdk_tgt's DMA heap"),
      dmaAvailable: gauge('dma_available_bytes', 'DMA memory spdk_tgt can still allocate: heap free plus hugepages it can map'),
      hugepages: gauge('hugepages', "The node's hugepages by page size and state (total, free, reserved, available: the smallest of hugepages_bound_pages)", ['page_size_bytes', 'state']),
      hugepagesBoundPages: gauge(
        'hugepages_bound_pages',
        "Hugepages each bound lets spdk_tgt still map, by page size: node_pool (free minus reserved; under the simulator, for the page size its heap maps, the simulator's pool), hugetlb_cgroup (this container's limit, where set), spdk_tgt_limit (health.spdkHugepagesLimitBytes minus what spdk_tgt has mapped)",
        ['page_size_bytes', 'bound'],
      ),
      hugepagesBound: gauge('hugepages_bound', "1 for the bound that sets a page size's available hugepages (the smallest)", ['page_size_bytes', 'bound']),
      reactorBusy: gauge(
        'reactor_busy_ratio',
        "A reactor's load between the last two samples: polling, the share of its ticks spent doing work; in interrupt mode, its own thread's CPU share, or its core's (other processes on the core count) when spdk_tgt's threads are not visible to the service",
        ['lcore'],
      ),
      reactorInterrupt: gauge('reactor_interrupt_mode', '1 for a reactor in interrupt mode (sleeps on epoll), 0 for one that busy-polls its core, as last sampled', ['lcore']),
      sampleAge: gauge('resource_sample_age_seconds', "Age of the last sample of spdk_tgt's resources"),
      sampleTook: gauge('resource_sample_duration_seconds', "How long the last sample of spdk_tgt's resources took"),
      subsystems: gauge('nvmf_subsystems', 'NVMe-oF subsystems in spdk_tgt (the discovery subsystem included), as last counted'),
      subsystemsMax: gauge('nvmf_subsystems_limit', "spdk_tgt's max_subsystems"),
      loopP50: gauge('event_loop_delay_p50_seconds', "The service's main event loop delay, median over the last 10 s window"),
      loopP99: gauge('event_loop_delay_p99_seconds', "The service's main event loop delay, 99th percentile over the last 10 s window"),
      loopMax: gauge('event_loop_delay_max_seconds', "The service's main event loop delay, maximum over the last 10 s window"),
      ioAge: gauge('volume_io_sample_age_seconds', 'Age of the last volume I/O sample (bdev_get_iostat)'),
      tlsExpiry: gauge(
        'tls_certificate_expiry_timestamp_seconds',
        'When the TLS certificate in use expires (its notAfter), Unix time, by identity: api (api.tls.cert: the gRPC API and the HTTPS listener), client (client.tls.cert: calls to peers); a rotation shows at once',
        ['identity'],
      ),
      tlsCaExpiry: gauge('tls_ca_expiry_timestamp_seconds', "The earliest notAfter among the certificates of an identity's CA bundle (api: api.tls.clientCa, client: client.tls.ca), Unix time", [
        'identity',
      ]),
    };
    this.c = {
      iobuf: spdkCounter('iobuf_allocations_total', "spdk_tgt's iobuf buffer requests by module, pool (small, large) and where they were served (cache, main) or had to wait (retry)", [
        'module',
        'pool',
        'source',
      ]),
    };
    const ended = new Counter({
      name: `${METRIC_PREFIX}rebuilds_ended_total`,
      help: 'Rebuilds that ended, by outcome (done, failed, cancelled) and path (snapshot-preserving, raid, none)',
      labelNames: ['outcome', 'path'],
      registers: [r],
    });
    const endedBytes = new Counter({ name: `${METRIC_PREFIX}rebuild_copied_bytes_total`, help: 'Bytes copied by rebuilds that ended, by outcome', labelNames: ['outcome'], registers: [r] });
    this.unsubscribe = subscribe('spdk-conductor:rebuild', (e: RebuildLifecycle) => {
      if (e.event !== 'ended') return;
      ended.inc({ outcome: e.state, path: e.path ?? 'none' });
      endedBytes.inc({ outcome: e.state }, e.bytesDone);
    });
  }

  /**
   * The exposition of every metric, from memory; a scrape costs no call to spdk_tgt.
   * `marks`: when each stage ended (monoMs), for the scrape's trace (health-worker-thread.ts).
   */
  async render(marks?: ScrapeMarks): Promise<RenderedMetrics> {
    const o = this.sources.observe();
    const io = this.sources.volumeIo();
    this.update(o);
    this.volumesAge(io);
    if (marks) marks.observed = monoMs();
    const engines = await this.engineFamilies.render(o, io);
    if (marks) marks.engines = monoMs();
    const registry = Buffer.from(await this.registry.metrics());
    if (marks) marks.registry = monoMs();
    const parts = [registry, ...engines];
    let length = 0;
    for (const part of parts) length += part.length;
    // Not Buffer.concat: a result under 4 KiB could be a slice of Buffer's shared pool.
    const body = Buffer.allocUnsafeSlow(length);
    let at = 0;
    for (const part of parts) at += part.copy(body, at);
    if (marks) marks.joined = monoMs();
    return { contentType: this.registry.contentType, body };
  }

  /** Every family name a scrape can carry (prom-client's, the per-engine ones, and the two the health worker adds to each answer). */
  familyNames(): string[] {
    return [...this.registry.getMetricsAsArray().map((m) => m.name), ...ENGINE_FAMILY_NAMES, RENDER_AGE_FAMILY, STALE_ANSWERS_FAMILY];
  }

  /** NodeStats: the readings a scrape would expose, and the busiest volumes. */
  stats(top: number): NodeStatsView {
    const { windowSec, rates } = this.sources.volumeRates();
    rates.sort((a, b) => b.readBytesPerSec + b.writeBytesPerSec - (a.readBytesPerSec + a.writeBytesPerSec));
    return { observation: this.sources.observe(), topVolumes: rates.slice(0, top), ioWindowSec: windowSec, loop: this.loopFigures(), memory: process.memoryUsage() };
  }

  private loopFigures(): LoopDelayFigures {
    const stats = this.sources.loopDelay();
    return { p50Sec: stats.p50Ms / 1000, p99Sec: stats.p99Ms / 1000, maxSec: stats.maxMs / 1000, windowSec: stats.windowMs / 1000 };
  }

  close(): void {
    this.unsubscribe();
    this.calls.close();
    this.registry.clear();
  }

  private update(o: NodeObservation): void {
    const { g } = this;
    for (const gauge of this.gauges) gauge.reset();
    for (const kind of ['disks', 'replicas', 'snapshots', 'exports', 'engines', 'rebuilds'] as const) g.objects.set({ kind: kind.slice(0, -1) }, o.objects[kind]);
    for (const d of o.disks) {
      g.diskSize.set({ disk: d.name }, d.totalBytes);
      g.diskFree.set({ disk: d.name }, d.freeBytes);
      g.diskAllocated.set({ disk: d.name }, d.allocatedBytes);
      g.replicas.set({ disk: d.name, exported: 'true' }, d.exportedReplicas);
      g.replicas.set({ disk: d.name, exported: 'false' }, d.replicas - d.exportedReplicas);
    }
    const byState: Record<string, number> = { healthy: 0, degraded: 0, faulted: 0, unknown: 0 };
    for (const e of o.engines) byState[e.state] = (byState[e.state] ?? 0) + 1;
    for (const [state, n] of Object.entries(byState)) g.engines.set({ state }, n);
    const rebuildStates: Record<string, number> = { queued: 0, 'copying-snapshots': 0, rebuilding: 0 };
    for (const b of o.rebuilds) {
      rebuildStates[b.state] = (rebuildStates[b.state] ?? 0) + 1;
      if (b.state === 'queued') continue;
      const l = { engine: b.engine, replica: b.replica };
      g.rebuildProgress.set(l, b.bytesTotal > 0 ? b.bytesDone / b.bytesTotal : b.percent / 100);
      g.rebuildDone.set(l, b.bytesDone);
      g.rebuildTotal.set(l, b.bytesTotal);
      g.rebuildRate.set(l, b.rateBytesPerSec);
      g.rebuildEta.set(l, b.etaSec);
    }
    for (const [state, n] of Object.entries(rebuildStates)) g.rebuilds.set({ state }, n);
    g.throttleEngaged.set(o.throttle.engaged ? 1 : 0);
    g.throttleLimit.set(o.throttle.limitMbSec * 1024 * 1024);
    if (o.subsystems) {
      g.subsystems.set(o.subsystems.count);
      g.subsystemsMax.set(o.subsystems.max);
    }
    this.resources(o);
    const loop = this.loopFigures();
    g.loopP50.set(loop.p50Sec);
    g.loopP99.set(loop.p99Sec);
    g.loopMax.set(loop.maxSec);
    for (const { identity, summary } of this.sources.tls?.() ?? []) {
      g.tlsExpiry.set({ identity }, Date.parse(summary.validTo) / 1000);
      g.tlsCaExpiry.set({ identity }, Date.parse(summary.caValidTo) / 1000);
    }
  }

  private resources(o: NodeObservation): void {
    const { g, c } = this;
    c.iobuf.reset();
    const s = o.resources;
    if (!s) return;
    g.sampleAge.set(Math.max(0, (Date.now() - s.at) / 1000));
    g.sampleTook.set(s.tookMs / 1000);
    if (s.dma.mode !== 'unknown') {
      g.dmaHeap.set(s.dma.heapBytes);
      g.dmaFree.set(s.dma.freeBytes);
      g.dmaLargest.set(s.dma.greatestFreeBytes);
      if (s.dma.availableBytes !== undefined) g.dmaAvailable.set(s.dma.availableBytes);
    }
    // The bounds of the page size spdk_tgt's heap maps are the DMA reading's (what admission and
    // NodeStats count: on a node, the node's pool; under the simulator, the simulator's pool, which
    // stands for it); other page sizes, the node's pools as boundFigures (host/hugepages.ts) counts them.
    const dma = s.dma.bounds && s.dma.bound ? { size: s.dma.pageSizeBytes, bounds: s.dma.bounds, bound: s.dma.bound, available: s.dma.growablePages } : undefined;
    for (const pool of s.hugepages.pools) {
      const size = pool.pageSizeBytes;
      const own = dma?.size === size ? dma : undefined;
      for (const state of ['total', 'free', 'reserved'] as const) g.hugepages.set({ page_size_bytes: size, state }, pool[state]);
      g.hugepages.set({ page_size_bytes: size, state: 'available' }, typeof own?.available === 'number' ? own.available : pool.available);
      const bounds = own?.bounds ?? [
        { bound: 'node pool', availablePages: Math.max(0, pool.free - pool.reserved) },
        ...(pool.cgroup ? [{ bound: 'hugetlb cgroup', availablePages: pool.cgroup.availablePages }] : []),
        ...(pool.spdkLimit ? [{ bound: 'spdk_tgt limit', availablePages: pool.spdkLimit.availablePages }] : []),
      ];
      for (const b of bounds) g.hugepagesBoundPages.set({ page_size_bytes: size, bound: hugepageBoundLabel(b.bound) }, b.availablePages);
      g.hugepagesBound.set({ page_size_bytes: size, bound: hugepageBoundLabel(own?.bound ?? pool.bound) }, 1);
    }
    // A host without that pool in sysfs (the simulator on a machine without hugetlbfs): the reading's bounds still show.
    if (dma && !s.hugepages.pools.some((p) => p.pageSizeBytes === dma.size)) {
      if (typeof dma.available === 'number') g.hugepages.set({ page_size_bytes: dma.size, state: 'available' }, dma.available);
      for (const b of dma.bounds) g.hugepagesBoundPages.set({ page_size_bytes: dma.size, bound: hugepageBoundLabel(b.bound) }, b.availablePages);
      g.hugepagesBound.set({ page_size_bytes: dma.size, bound: hugepageBoundLabel(dma.bound) }, 1);
    }
    for (const reactor of s.reactors) g.reactorBusy.set({ lcore: reactor.lcore }, reactor.busyPct / 100);
    for (const reactor of s.reactorModes) g.reactorInterrupt.set({ lcore: reactor.lcore }, reactor.interrupt ? 1 : 0);
    for (const m of s.iobuf?.modules ?? []) {
      for (const pool of ['small_pool', 'large_pool'] as const) {
        for (const source of ['cache', 'main', 'retry'] as const) set(c.iobuf, { module: m.module, pool: pool.replace('_pool', ''), source }, m[pool][source]);
      }
    }
  }

  private volumesAge(sample: VolumeIoSample | undefined): void {
    if (sample) this.g.ioAge.set(Math.max(0, (Date.now() - sample.at) / 1000));
  }
}

/** A hugepage bound as metrics and NodeStats name it: node_pool, hugetlb_cgroup, spdk_tgt_limit. */
export function hugepageBoundLabel(bound: string): string {
  return bound.replace(/ /g, '_');
}

/** A counter whose value spdk_tgt keeps: after reset(), one inc sets it. */
function set<L extends string>(counter: Counter<L>, labels: Labels<L>, value: number): void {
  counter.inc(labels, Math.max(0, value));
}
