/**
 * /metrics of a real `serve` process on a simulator: after known operations the values are right
 * (an engine's state and members, volume I/O counted from writes through the simulator's raid, a
 * rebuild's progress and its end by outcome, spdk_tgt call counts and errors by code), and the
 * whole exposition follows the conventions (prefix, units, _total counters, no label that grows
 * with the replica count). `node stats` shows the same node, and which hugepage bound applies.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClients, createApiClients, invoke } from '../../src/api/client.js';
import { waitFor } from '../api/helpers/api-server.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type Exposition, familyOf, scrapeMetrics, sum, value } from './helpers/exposition.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);
const MIB = 1024 * 1024;
const SIZE = 32 * MIB;
const BLOCK = 4096;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000beef';
const SPDK_LIMIT = 1536 * MIB;
const REBUILD_MB_SEC = 2;

/** Families whose unit is the thing they count (Prometheus names counts by the noun). */
const COUNTS = new Set([
  'objects',
  'disk_replicas',
  'engine_state',
  'engines',
  'engine_members',
  'rebuilds',
  'rebuild_throttle_engaged',
  'reactor_interrupt_mode',
  'hugepages',
  'hugepages_bound_pages',
  'hugepages_bound',
  'nvmf_subsystems',
  'nvmf_subsystems_limit',
]);
const UNITS = /_(seconds|bytes|ratio|bytes_per_second|total|info)$/;

let node: ServeProcess;
let api: ApiClients;
let sim: SimClient;

function scrape(): Promise<Exposition> {
  return scrapeMetrics(node.httpBase);
}

async function until<T>(what: string, deadlineMs: number, condition: (e: Exposition) => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  return waitFor(what, async () => condition(await scrape()), deadlineMs);
}

beforeAll(async () => {
  node = await startServe({
    CONDUCTOR_METRICS_IOSTAT_PERIOD_MS: '300',
    CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '300',
    CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '500',
    // Slow enough that a scrape and `node stats` (a CLI process each) see the rebuild under way: 32 MiB take 16 s.
    CONDUCTOR_REBUILD_MAX_MB_SEC: String(REBUILD_MB_SEC),
    // Only the configured limit throttles here: on a loaded machine the simulator's RPC latency and
    // reactor load can pass the defaults (250 ms, 95%) and engage the health throttle, which the
    // rebuild case expects not engaged (the throttle's own tests: test/domain/health/resources.test.ts).
    CONDUCTOR_HEALTH_RPC_LATENCY_MAX_MS: '600000',
    CONDUCTOR_HEALTH_REACTOR_BUSY_MAX_PCT: '100',
    // spdk_tgt's own container limit, 1.5 GiB: with the simulator's ~780 MiB mapped it allows ~370
    // more pages, fewer than its pool's 1024, so it is the bound `node stats` names.
    CONDUCTOR_HEALTH_SPDK_HUGEPAGES_LIMIT_BYTES: `2Mi=${SPDK_LIMIT}`,
  });
  api = createApiClients({ unixSocket: node.apiSocket });
  sim = await SimClient.connect(node.sim.socket);
  await invoke(api.disks, 'DiskCreate', { name: 'd', path: node.diskFile('d', 1024) });
  for (const r of ['a1', 'a2']) await invoke(api.replicas, 'ReplicaCreate', { name: r, diskName: 'd', sizeBytes: SIZE });
  await invoke(api.engines, 'EngineCreate', {
    name: 'v',
    sizeBytes: SIZE,
    replicas: [{ local: { name: 'a1' } }, { local: { name: 'a2' } }],
    frontend: 'FRONTEND_KIND_EXPORT_ONLY',
    hostNqns: [HOST],
  });
}, 120_000);

afterAll(async () => {
  sim?.close();
  api?.close();
  await node?.stop();
});

describe('/metrics', () => {
  it('answers the text exposition, and an engine as the monitor sees it', async () => {
    const res = await fetch(`${node.httpBase}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = await until('engine v healthy', 30_000, (e) => value(e, 'spdk_conductor_engine_state', { engine: 'v', state: 'healthy' }) === 1 && e);
    // Only the current state is written.
    expect(value(e, 'spdk_conductor_engine_state', { engine: 'v', state: 'degraded' })).toBeUndefined();
    expect(value(e, 'spdk_conductor_engine_members', { engine: 'v', state: 'healthy' })).toBe(2);
    expect(value(e, 'spdk_conductor_engines', { state: 'healthy' })).toBe(1);
    expect(value(e, 'spdk_conductor_engine_size_bytes', { engine: 'v' })).toBe(SIZE);
    expect(value(e, 'spdk_conductor_objects', { kind: 'replica' })).toBe(2);
    expect(value(e, 'spdk_conductor_objects', { kind: 'disk' })).toBe(1);
    expect(value(e, 'spdk_conductor_disk_size_bytes', { disk: 'd' })).toBeGreaterThan(900 * MIB);
    const margin = value(e, 'spdk_conductor_timeout_budget_margin_seconds', { engine: 'v', rule: 'ours.io-failover-before-host-io-timeout' });
    expect(margin).toBeGreaterThanOrEqual(value(e, 'spdk_conductor_timeout_budget_required_margin_seconds', { engine: 'v', rule: 'ours.io-failover-before-host-io-timeout' })!);
    // The resource sampler's last reading: the simulator's DMA heap and its subsystems (discovery + the engine's).
    await until('a resource sample', 30_000, (e) => (value(e, 'spdk_conductor_dma_heap_bytes') ?? 0) > 0);
    await until('the subsystem count', 30_000, (e) => value(e, 'spdk_conductor_nvmf_subsystems') === 2 && value(e, 'spdk_conductor_nvmf_subsystems_limit')! >= 1024);
  }, 90_000);

  it("has spdk_tgt's resources as the simulator answers them: reactors, iobuf, DMA heap, hugepages and their bounds", async () => {
    const PAGE = String(2 * MIB);
    // The DMA heap as the simulator reports it now (sim_set_memory without params only reads), in a
    // sample taken since: nothing allocates meanwhile, so the figures are equal.
    type Memory = { heap_size: number; free_size: number; greatest_free_size: number; hugepages_free: number };
    let asked = await sim.call<Memory>('sim_set_memory', {});
    const [e, m] = await until('a sample of the DMA heap as the simulator reports it', 30_000, async (e) => {
      const m = asked;
      asked = await sim.call<Memory>('sim_set_memory', {});
      const same =
        value(e, 'spdk_conductor_dma_heap_bytes') === m.heap_size &&
        value(e, 'spdk_conductor_dma_free_bytes') === m.free_size &&
        value(e, 'spdk_conductor_dma_largest_free_block_bytes') === m.greatest_free_size;
      // A reactor's busy share needs two samples (the ticks between them): a first one has none yet.
      const busySampled = e.samples.some((x) => x.name === 'spdk_conductor_reactor_busy_ratio');
      return same && busySampled && ([e, m] as const);
    });
    expect(m.hugepages_free).toBeGreaterThan(0);
    // Its bounds: the simulator's pool (standing for the node's: the same figure `node stats` shows)
    // and spdk_tgt's configured limit minus what it has mapped, the smaller one applied.
    const pool = value(e, 'spdk_conductor_hugepages_bound_pages', { page_size_bytes: PAGE, bound: 'node_pool' });
    const limit = value(e, 'spdk_conductor_hugepages_bound_pages', { page_size_bytes: PAGE, bound: 'spdk_tgt_limit' })!;
    expect(pool).toBe(m.hugepages_free);
    expect(limit).toBeLessThan(m.hugepages_free);
    expect(limit).toBeLessThanOrEqual(Math.floor((SPDK_LIMIT - m.heap_size) / (2 * MIB)) + 1);
    expect(value(e, 'spdk_conductor_hugepages_bound', { page_size_bytes: PAGE, bound: 'spdk_tgt_limit' })).toBe(1);
    expect(value(e, 'spdk_conductor_hugepages_bound', { page_size_bytes: PAGE, bound: 'node_pool' })).toBeUndefined();
    expect(value(e, 'spdk_conductor_dma_available_bytes')).toBe(m.free_size + limit * 2 * MIB);
    // The node's pools as its sysfs says (the host's, also under the simulator), with `available`
    // the smallest bound for the page size spdk_tgt's heap maps.
    const sysfs = '/sys/kernel/mm/hugepages';
    for (const dir of readdirSync(sysfs)) {
      const size = String(Number(/^hugepages-(\d+)kB$/.exec(dir)![1]) * 1024);
      const read = (f: string) => Number(readFileSync(`${sysfs}/${dir}/${f}`, 'utf8'));
      expect(value(e, 'spdk_conductor_hugepages', { page_size_bytes: size, state: 'total' }), dir).toBe(read('nr_hugepages'));
      expect(value(e, 'spdk_conductor_hugepages', { page_size_bytes: size, state: 'free' }), dir).toBe(read('free_hugepages'));
      expect(value(e, 'spdk_conductor_hugepages', { page_size_bytes: size, state: 'reserved' }), dir).toBe(read('resv_hugepages'));
    }
    expect(value(e, 'spdk_conductor_hugepages', { page_size_bytes: PAGE, state: 'available' })).toBe(limit);
    // One reactor, as framework_get_reactors lists them, busy for a share of its ticks.
    const reactors = await sim.call<{ reactors: Array<{ lcore: number }> }>('framework_get_reactors');
    const busy = e.samples.filter((x) => x.name === 'spdk_conductor_reactor_busy_ratio');
    expect(busy.map((x) => x.labels.lcore)).toEqual(reactors.reactors.map((r) => String(r.lcore)));
    for (const x of busy) {
      expect(x.value).toBeGreaterThanOrEqual(0);
      expect(x.value).toBeLessThanOrEqual(1);
    }
    // iobuf: every module iobuf_get_stats lists, each pool and source with its count.
    const iobuf = await sim.call<Array<Record<string, unknown> & { module: string }>>('iobuf_get_stats');
    expect(iobuf.length).toBeGreaterThan(0);
    const allocations = e.samples.filter((x) => x.name === 'spdk_conductor_iobuf_allocations_total');
    expect(allocations).toHaveLength(iobuf.length * 6);
    for (const mod of iobuf) {
      for (const pool of ['small', 'large']) {
        const counts = mod[`${pool}_pool`] as Record<string, number>;
        for (const source of ['cache', 'main', 'retry'])
          expect(value(e, 'spdk_conductor_iobuf_allocations_total', { module: mod.module, pool, source }), `${mod.module} ${pool} ${source}`).toBe(counts[source]);
      }
    }
    // The sample is recent (one every 500 ms here; the bound is loose for a busy machine) and took some time.
    const age = value(e, 'spdk_conductor_resource_sample_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
    expect(value(e, 'spdk_conductor_resource_sample_duration_seconds')).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it("has the process's and Node's figures, and the loop delay only as the health worker measures it", async () => {
    const e = await scrape();
    for (const family of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(e.types.has(`spdk_conductor_${family}`), family).toBe(true);
    }
    expect(e.types.has('spdk_conductor_event_loop_delay_p99_seconds')).toBe(true);
    // prom-client's own lag families would mean a second monitorEventLoopDelay on the main loop.
    expect([...e.types.keys()].filter((f) => f.includes('eventloop_lag'))).toEqual([]);
  });

  it("counts a volume's reads and writes through its raid, with latencies in seconds", async () => {
    // A baseline from settled counters: the raid's own reads (examine, a member joining) may still be
    // on their way into the next iostat sample (every 300 ms). Settled: the same in scrapes > 2 periods apart.
    const counts = (e: Exposition) => ['read', 'write'].map((k) => value(e, `spdk_conductor_volume_${k}_ops_total`, { engine: 'v' }) ?? 0).join('/');
    let last = await scrape();
    let lastAt = Date.now();
    const before = await until('the volume counters settled', 30_000, (e) => {
      if (Date.now() - lastAt < 700) return false;
      const settled = counts(e) === counts(last) && e;
      [last, lastAt] = [e, Date.now()];
      return settled;
    });
    const writes0 = value(before, 'spdk_conductor_volume_write_ops_total', { engine: 'v' }) ?? 0;
    const bytes0 = value(before, 'spdk_conductor_volume_written_bytes_total', { engine: 'v' }) ?? 0;
    const reads0 = value(before, 'spdk_conductor_volume_read_ops_total', { engine: 'v' }) ?? 0;
    const bytes0read = (e: Exposition) => value(e, 'spdk_conductor_volume_read_bytes_total', { engine: 'v' }) ?? 0;
    for (let i = 0; i < 8; i++) await sim.call('sim_bdev_write', { name: 'e.v', offset_blocks: i * 16, data_base64: randomBytes(2 * BLOCK).toString('base64') });
    for (let i = 0; i < 3; i++) await sim.call('sim_bdev_read', { name: 'e.v', offset_blocks: i, num_blocks: 1 });
    // A sample may fall between the writes and the reads: wait for one taken after both.
    const e = await until(
      'the reads and writes counted',
      30_000,
      (e) => (value(e, 'spdk_conductor_volume_write_ops_total', { engine: 'v' }) ?? 0) >= writes0 + 8 && (value(e, 'spdk_conductor_volume_read_ops_total', { engine: 'v' }) ?? 0) >= reads0 + 3 && e,
    );
    expect(value(e, 'spdk_conductor_volume_write_ops_total', { engine: 'v' })).toBe(writes0 + 8);
    expect(value(e, 'spdk_conductor_volume_written_bytes_total', { engine: 'v' })).toBe(bytes0 + 8 * 2 * BLOCK);
    expect(value(e, 'spdk_conductor_volume_read_ops_total', { engine: 'v' })).toBe(reads0 + 3);
    expect(e.types.get('spdk_conductor_volume_write_ops_total')).toBe('counter');
    // Simulated I/O takes microseconds to milliseconds: a sum of ticks left unconverted would be millions.
    const latency = value(e, 'spdk_conductor_volume_write_latency_seconds_total', { engine: 'v' })!;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(10);
    // Every volume family is what bdev_get_iostat answers for the raid, latencies in seconds of its
    // tick rate: nothing moves now, so the next sample carries the raid's figures of this moment.
    const raw = await sim.call<{ tick_rate: number; bdevs: Array<Record<string, number>> }>('bdev_get_iostat', { names: ['e.v'] });
    const r = raw.bdevs[0]!;
    expect(r.bytes_read).toBeGreaterThanOrEqual(3 * BLOCK);
    const io = await until('a sample with the raid as it is now', 30_000, (e) => value(e, 'spdk_conductor_volume_read_bytes_total', { engine: 'v' }) === r.bytes_read && e);
    expect(value(io, 'spdk_conductor_volume_read_bytes_total', { engine: 'v' })).toBe(bytes0read(before) + 3 * BLOCK);
    expect(value(io, 'spdk_conductor_volume_read_ops_total', { engine: 'v' })).toBe(r.num_read_ops);
    expect(value(io, 'spdk_conductor_volume_write_ops_total', { engine: 'v' })).toBe(r.num_write_ops);
    expect(value(io, 'spdk_conductor_volume_written_bytes_total', { engine: 'v' })).toBe(r.bytes_written);
    expect(value(io, 'spdk_conductor_volume_read_latency_seconds_total', { engine: 'v' })).toBeCloseTo(r.read_latency_ticks! / raw.tick_rate, 9);
    expect(value(io, 'spdk_conductor_volume_read_latency_seconds_total', { engine: 'v' })).toBeGreaterThan(0);
    expect(value(io, 'spdk_conductor_volume_write_latency_seconds_total', { engine: 'v' })).toBeCloseTo(r.write_latency_ticks! / raw.tick_rate, 9);
    // Nothing unmapped the volume: spdk_tgt's counters and the families say 0.
    expect([r.num_unmap_ops, r.bytes_unmapped]).toEqual([0, 0]);
    expect(value(io, 'spdk_conductor_volume_unmap_ops_total', { engine: 'v' })).toBe(0);
    expect(value(io, 'spdk_conductor_volume_unmapped_bytes_total', { engine: 'v' })).toBe(0);
    expect(io.types.get('spdk_conductor_volume_unmapped_bytes_total')).toBe('counter');
    // The sample the figures come from is recent (iostat every 300 ms; the bound is loose for a busy machine).
    const age = value(io, 'spdk_conductor_volume_io_sample_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
  }, 60_000);

  it('counts spdk_tgt calls per method and failures by code', async () => {
    const before = await scrape();
    const creates = value(before, 'spdk_conductor_spdk_rpc_duration_seconds_count', { method: 'bdev_lvol_create' }) ?? 0;
    await invoke(api.replicas, 'ReplicaCreate', { name: 'c1', diskName: 'd', sizeBytes: SIZE });
    // A member whose export is not there: the attach fails in spdk_tgt and the create is refused.
    const refused = await invoke(api.engines, 'EngineCreate', {
      name: 'w',
      sizeBytes: SIZE,
      replicas: [{ local: { name: 'c1' } }, { remote: { name: 'ghost', address: '127.0.0.1', port: 9, nqn: 'nqn.2024-11.io.spdk-conductor:replica:ghost' } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST],
    }).then(
      () => 'created',
      (err: Error) => err.message,
    );
    expect(refused).not.toBe('created');
    const e = await scrape();
    expect(value(e, 'spdk_conductor_spdk_rpc_duration_seconds_count', { method: 'bdev_lvol_create' })).toBe(creates + 1);
    const errors = e.samples.filter((s) => s.name === 'spdk_conductor_spdk_rpc_errors_total' && s.labels.method === 'bdev_nvme_attach_controller');
    expect(errors.length, refused).toBeGreaterThan(0);
    for (const s of errors) expect(s.labels.code).toMatch(/^(-\d+|timeout|closed|aborted|bad-result|internal)$/);
    await invoke(api.replicas, 'ReplicaDelete', { name: 'c1' });
  }, 60_000);

  it("shows a rebuild's progress while it runs and counts its end by outcome", async () => {
    const ended0 = sum(await scrape(), 'spdk_conductor_rebuilds_ended_total', { outcome: 'done' });
    // Data in the volume for the rebuild to copy.
    for (let i = 0; i < 16; i++) await sim.call('sim_bdev_write', { name: 'e.v', offset_blocks: i * 256, data_base64: randomBytes(8 * BLOCK).toString('base64') });
    await invoke(api.engines, 'EngineReplicaRemove', { name: 'v', replicaName: 'a2' });
    await invoke(api.replicas, 'ReplicaCreate', { name: 'a3', diskName: 'd', sizeBytes: SIZE });
    await invoke(api.engines, 'EngineReplicaAdd', { name: 'v', replica: { local: { name: 'a3' } } });
    const running = await until('the rebuild under way', 60_000, (e) => {
      const p = value(e, 'spdk_conductor_rebuild_progress_ratio', { engine: 'v', replica: 'a3' });
      return p !== undefined && e;
    });
    const progress = value(running, 'spdk_conductor_rebuild_progress_ratio', { engine: 'v', replica: 'a3' })!;
    expect(progress).toBeGreaterThanOrEqual(0);
    expect(progress).toBeLessThanOrEqual(1);
    expect(value(running, 'spdk_conductor_engine_members', { engine: 'v', state: 'rebuilding' })).toBe(1);
    expect(sum(running, 'spdk_conductor_rebuilds')).toBe(1);
    // `node stats` has the rebuild's row: its progress in bytes, its rate and its ETA.
    let last = '';
    const row = await waitFor(
      "the rebuild's row with a rate",
      async () => {
        last = (await run(process.execPath, [CLI, 'node', 'stats', '--api-socket', node.apiSocket], { timeout: 30_000 })).stdout;
        return /^v\s+a3\s+rebuilding\s+\d+% \(\S+ \S+ of \S+ \S+\)\s+\S+ \S+\/s\s+\d+ s$/m.exec(last)?.[0];
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the last answer:\n${last}`);
    });
    expect(row).toMatch(/^v\s+a3\s+rebuilding/);
    // The throttle as configured (rebuild.maxMbSec, not engaged).
    const at = { engine: 'v', replica: 'a3' };
    const copying = await until('a rebuild rate', 30_000, (e) => (value(e, 'spdk_conductor_rebuild_rate_bytes_per_second', at) ?? 0) > 0 && e);
    expect(value(copying, 'spdk_conductor_rebuild_throttle_limit_bytes_per_second')).toBe(REBUILD_MB_SEC * MIB);
    expect(value(copying, 'spdk_conductor_rebuild_throttle_engaged')).toBe(0);
    // Bytes, rate and ETA agree with each other.
    const done = value(copying, 'spdk_conductor_rebuild_done_bytes', at)!;
    const size = value(copying, 'spdk_conductor_rebuild_size_bytes', at)!;
    const rate = value(copying, 'spdk_conductor_rebuild_rate_bytes_per_second', at)!;
    expect(size).toBeGreaterThan(SIZE / 2);
    expect(size).toBeLessThanOrEqual(SIZE);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThanOrEqual(size);
    expect(value(copying, 'spdk_conductor_rebuild_progress_ratio', at)).toBeCloseTo(done / size, 9);
    expect(value(copying, 'spdk_conductor_rebuild_eta_seconds', at)).toBe(Math.ceil((size - done) / rate));
    const stats = JSON.parse((await run(process.execPath, [CLI, 'node', 'stats', '--json', '--api-socket', node.apiSocket], { timeout: 30_000 })).stdout);
    expect(stats.objects).toMatchObject({ disks: 1, replicas: 3, engines: 1 });
    const e = await until('the rebuild counted as done', 120_000, (e) => sum(e, 'spdk_conductor_rebuilds_ended_total', { outcome: 'done' }) === ended0 + 1 && e);
    expect(value(e, 'spdk_conductor_rebuild_progress_ratio', { engine: 'v', replica: 'a3' })).toBeUndefined();
    expect(sum(e, 'spdk_conductor_rebuild_copied_bytes_total', { outcome: 'done' })).toBeGreaterThan(0);
    await until('engine v healthy again', 30_000, (e) => value(e, 'spdk_conductor_engine_members', { engine: 'v', state: 'healthy' }) === 2);
    await invoke(api.replicas, 'ReplicaDelete', { name: 'a2' });
  }, 240_000);

  it("counts a disk's allocated and free bytes as its lvstore does, after known writes to a thin replica", async () => {
    const disk = await invoke(api.disks, 'DiskGet', { name: 'd' });
    const cluster = Number(disk.clusterSizeBytes);
    type Lvstore = { free_clusters: number; total_data_clusters: number; cluster_size: number };
    const lvstore = async (): Promise<Lvstore> => (await sim.call<Lvstore[]>('bdev_lvol_get_lvstores', { lvs_name: disk.lvstoreName }))[0]!;
    const figures = (e: Exposition) => [value(e, 'spdk_conductor_disk_allocated_bytes', { disk: 'd' }), value(e, 'spdk_conductor_disk_free_bytes', { disk: 'd' })];
    const asLvstore = (l: Lvstore) => [(l.total_data_clusters - l.free_clusters) * l.cluster_size, l.free_clusters * l.cluster_size];
    // A thin replica takes no cluster until written.
    const before = asLvstore(await lvstore());
    const k = await invoke(api.replicas, 'ReplicaCreate', { name: 'k', diskName: 'd', sizeBytes: 4 * cluster });
    await until("the disk's figures as its lvstore's", 30_000, (e) => JSON.stringify(figures(e)) === JSON.stringify(before));
    expect(asLvstore(await lvstore())).toEqual(before);
    // One block in each of three clusters allocates three; a create (the service reads the disk again after one) shows them.
    for (const c of [0, 1, 3]) await sim.call('sim_bdev_write', { name: k.lvolAlias, offset_blocks: (c * cluster) / BLOCK, data_base64: randomBytes(BLOCK).toString('base64') });
    await invoke(api.replicas, 'ReplicaCreate', { name: 'k2', diskName: 'd', sizeBytes: cluster });
    const after = [before[0]! + 3 * cluster, before[1]! - 3 * cluster];
    expect(asLvstore(await lvstore())).toEqual(after);
    const e = await until('three clusters more allocated', 30_000, (e) => JSON.stringify(figures(e)) === JSON.stringify(after) && e);
    expect(value(e, 'spdk_conductor_disk_size_bytes', { disk: 'd' })).toBe(after[0]! + after[1]!);
    for (const r of ['k', 'k2']) await invoke(api.replicas, 'ReplicaDelete', { name: r });
    await until('the clusters freed', 30_000, (e) => JSON.stringify(figures(e)) === JSON.stringify(before));
  }, 60_000);

  it('follows the conventions: prefix, units, _total counters, labels that do not grow with replicas', async () => {
    const before = await scrape();
    for (let i = 0; i < 12; i++) await invoke(api.replicas, 'ReplicaCreate', { name: `many-${i}`, diskName: 'd', sizeBytes: 4 * MIB, hostNqns: i % 2 ? [HOST] : [] });
    const after = await scrape();
    for (const [family, type] of after.types) {
      expect(family).toMatch(/^spdk_conductor_[a-z0-9_]+$/);
      if (type === 'counter') expect(family).toMatch(/_total$/);
      const own = family.slice('spdk_conductor_'.length);
      if (own.startsWith('nodejs_') || own.startsWith('process_')) continue;
      expect(UNITS.test(own) || COUNTS.has(own), `${family}: a unit suffix, or a count`).toBe(true);
    }
    for (const s of after.samples) {
      expect(after.types.has(familyOf(after, s.name)), `${s.name} has a TYPE`).toBe(true);
      for (const v of Object.values(s.labels)) expect(v).not.toMatch(/^many-/);
    }
    // Twelve more replicas (half exported) changed values, not the number of series.
    const series = (e: Exposition) => new Set(e.samples.filter((s) => !/nodejs_|process_|spdk_rpc_/.test(s.name)).map((s) => `${s.name}${JSON.stringify(s.labels)}`));
    expect([...series(after)].filter((k) => !series(before).has(k))).toEqual([]);
    expect(value(after, 'spdk_conductor_disk_replicas', { disk: 'd', exported: 'true' })).toBe(6);
    expect(value(after, 'spdk_conductor_objects', { kind: 'replica' })! - value(before, 'spdk_conductor_objects', { kind: 'replica' })!).toBe(12);
  }, 60_000);
});

describe('node stats', () => {
  it('prints objects, memory and the busiest volumes over the sampling window', async () => {
    for (let i = 0; i < 20; i++) await sim.call('sim_bdev_write', { name: 'e.v', offset_blocks: i, data_base64: randomBytes(BLOCK).toString('base64') });
    const { stdout } = await run(process.execPath, [CLI, 'node', 'stats', '--api-socket', node.apiSocket], { timeout: 30_000 });
    expect(stdout).toMatch(/^objects\s+1 disks, \d+ replicas, \d+ snapshots, \d+ exports, 1 engines, 0 rebuilds$/m);
    expect(stdout).toMatch(/^engines\s+1 healthy$/m);
    expect(stdout).toMatch(/^dma memory\s+\S+ \S+ free of /m);
    expect(stdout).toMatch(/^top volumes by I\/O over the last \d+\.\d s:$/m);
    // Writing to v all the while (the rates are over the last window between two iostat samples,
    // 300 ms here): the busiest volume is v, with its writes.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await sim.call('sim_bdev_write', { name: 'e.v', offset_blocks: i % 64, data_base64: randomBytes(BLOCK).toString('base64') });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const json = await waitFor(
      'v at the top, with writes',
      async () => {
        const json = JSON.parse((await run(process.execPath, [CLI, 'node', 'stats', '--json', '--top', '1', '--api-socket', node.apiSocket], { timeout: 30_000 })).stdout);
        return json.topVolumes[0]?.engine === 'v' && json.topVolumes[0].writeOpsPerSec > 0 && json;
      },
      60_000,
    ).finally(() => (writing = false));
    await writer;
    expect(json.topVolumes).toHaveLength(1);
    expect(json.topVolumes[0].writeBytesPerSec).toBeGreaterThan(0);
    expect(json.ioWindowSec).toBeGreaterThan(0);
    expect(json.memory.rssBytes).toBeGreaterThan(0);
    // Which bound sets the pages spdk_tgt can still map, and each one's figure: the simulator's pool
    // (standing for the node's) and spdk_tgt's configured limit minus what it has mapped.
    const m = json.memory;
    expect(m.hugepagesBound).toBe('spdk_tgt_limit');
    expect(m.hugepageBounds).toHaveLength(2);
    const [pool, limit] = m.hugepageBounds;
    expect(pool).toMatchObject({ bound: 'node_pool', limitBytes: 0, usedBytes: 0 });
    expect(limit).toMatchObject({ bound: 'spdk_tgt_limit', limitBytes: SPDK_LIMIT });
    expect(limit.usedBytes).toBeGreaterThanOrEqual(700 * MIB);
    expect(limit.availablePages).toBe(Math.floor((SPDK_LIMIT - limit.usedBytes) / (2 * MIB)));
    expect(limit.availablePages).toBeLessThan(pool.availablePages);
    expect(m.hugepagesAvailable).toBe(limit.availablePages);
    // /metrics shows the same bounds: the simulator's pool as node_pool (not the host's sysfs pool).
    const e = await scrape();
    expect(value(e, 'spdk_conductor_hugepages_bound_pages', { page_size_bytes: String(2 * MIB), bound: 'node_pool' })).toBe(pool.availablePages);
    expect(pool.availablePages).toBeGreaterThan(0);
    expect(stdout).toMatch(/^main loop delay\s+p99 \d+\.\d ms \(over the last \d+\.\d s window\)$/m);
    expect(json.eventLoopDelayWindowSec).toBeGreaterThan(0);
    expect(stdout).toMatch(/^hugepage bound\s+spdk_tgt_limit \(\d+ more pages\); node_pool \d+, spdk_tgt_limit \d+ \(limit 1\.5 GiB, [\d.]+ MiB used\)$/m);
    const bad = await run(process.execPath, [CLI, 'node', 'stats', '--top', '0', '--api-socket', node.apiSocket], { timeout: 30_000 }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/--top "0" is not a whole number from 1 to 100/);
  }, 120_000);

  it('--watch prints again until interrupted, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'node', 'stats', '--watch', '--json', '--api-socket', node.apiSocket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('two answers', () => out.split('\n').filter((l) => l.startsWith('{')).length >= 2, 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    for (const line of out.trim().split('\n')) expect(JSON.parse(line).objects.engines).toBe(1);
  }, 90_000);
});
