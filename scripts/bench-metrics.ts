/**
 * What one /metrics scrape costs the main loop at scale: a node's in-memory state with 3,000
 * replicas (one snapshot each, 2,000 exported) on 4 disks, 500 engines of two members seen by the
 * monitor, 2 rebuilds running and 10 queued, a resource sample and a volume I/O sample of every
 * engine. Prints the observation alone, a whole render (observation, registry update, text), the
 * longest turn of the event loop during a render (the per-engine text is written in slices and kept
 * between scrapes while unchanged) and the exposition's size.
 *
 *   npm run bench:metrics [-- --replicas 3000 --engines 500 --scrapes 200]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { LoopDelay } from '../src/api/health-loop-delay.js';
import { monoMs } from '../src/api/health-worker-messages.js';
import { NodeMetrics } from '../src/api/metrics/node-metrics.js';
import type { VolumeIoCounters } from '../src/domain/engine/volume-io.js';
import { defaultBudget } from '../src/domain/engine/timeout-budget.js';
import type { ResourceSnapshot } from '../src/domain/health/readings.js';
import type { EngineInfo, RebuildInfo } from '../src/domain/model.js';
import { Inventory } from '../src/domain/node/inventory.js';
import { headLvolName, ownerTag, parseLvolName } from '../src/domain/node/naming.js';
import { BudgetMargins, observeNode } from '../src/domain/node/observation.js';
import type { EngineSpec } from '../src/domain/node/state-file.js';

const { values } = parseArgs({ options: { replicas: { type: 'string', default: '3000' }, engines: { type: 'string', default: '500' }, scrapes: { type: 'string', default: '200' } } });
const replicaCount = Number(values.replicas);
const engineCount = Number(values.engines);
const scrapes = Number(values.scrapes);
const MIB = 1024 * 1024;
const DISKS = 4;

const inventory = new Inventory();
for (let d = 0; d < DISKS; d++) {
  inventory.disks.set(`disk-${d}`, {
    name: `disk-${d}`,
    bdevName: `aio.disk-${d}`,
    kind: 'aio',
    path: `/dev/disk-${d}`,
    lvstoreName: `lvs.disk-${d}`,
    lvstoreUuid: `uuid-${d}`,
    clusterSize: MIB,
    blockSize: 4096,
    totalClusters: 1_000_000,
    freeClusters: 400_000,
  });
}
for (let i = 0; i < replicaCount; i++) {
  const replica = `replica-${i}`;
  const disk = `disk-${i % DISKS}`;
  const head = headLvolName(replica);
  const snap = `s.base.${ownerTag(replica)}`;
  inventory.putLvol({ name: head, disk, uuid: `u-${i}`, sizeBytes: 10 * 1024 * MIB, allocatedClusters: 100, isSnapshot: false, parent: snap, clones: [], role: parseLvolName(head) });
  inventory.putLvol({ name: snap, disk, uuid: `s-${i}`, sizeBytes: 10 * 1024 * MIB, allocatedClusters: 50, isSnapshot: true, parent: undefined, clones: [head], role: parseLvolName(snap) });
  if (i % 3 !== 2) inventory.exports.set(replica, { replica, nqn: `nqn:${replica}`, hosts: ['h'], listeners: [{ address: '10.0.0.1', port: 20000 + i }], namespace: undefined });
}

const specs: EngineSpec[] = [];
const seen = new Map<string, EngineInfo>();
const io = new Map<string, VolumeIoCounters>();
for (let e = 0; e < engineCount; e++) {
  const name = `volume-${e}`;
  const members = [`replica-${2 * e}`, `replica-${2 * e + 1}`];
  specs.push({ name, sizeBytes: 10 * 1024 * MIB, replicas: members.map((m) => ({ name: m, kind: 'local' as const })), frontend: 'export-only', hostNqns: ['h'], port: 30000 + e });
  seen.set(name, {
    name,
    sizeBytes: 10 * 1024 * MIB,
    state: e % 50 === 0 ? 'degraded' : 'healthy',
    reason: '',
    raidName: `e.${name}`,
    members: members.map((m, k) => ({ name: m, kind: 'local', bdevName: m, state: e % 50 === 0 && k === 1 ? 'rebuilding' : 'healthy', reason: '', controllerState: undefined })),
    frontend: undefined,
    rebuild: undefined,
    rebuilds: [],
  });
  io.set(name, { readOps: e * 1000, writeOps: e * 500, unmapOps: 0, readBytes: e * 4096000, writeBytes: e * 2048000, unmapBytes: 0, readLatencySec: e / 10, writeLatencySec: e / 20 });
}
const rebuild = (n: number, state: RebuildInfo['state']): RebuildInfo => ({
  engine: `volume-${n * 50}`,
  replica: `replica-${n * 100 + 1}`,
  state,
  reason: '',
  path: 'raid',
  pathReason: '',
  sourceReplica: '',
  percent: 40,
  bytesDone: 4 * 1024 * MIB,
  bytesTotal: 10 * 1024 * MIB,
  rateBytesPerSec: 100 * MIB,
  etaSec: 60,
  queuePosition: state === 'queued' ? n : 0,
  snapshots: [],
  raid: undefined,
  throttle: { engaged: false, limitMbSec: 0, reason: '' },
  createdAtMs: 0,
  startedAtMs: 0,
  processStartedAtMs: 0,
  finishedAtMs: 0,
});
const rebuilds = [rebuild(0, 'rebuilding'), rebuild(1, 'rebuilding'), ...Array.from({ length: 10 }, (_, i) => rebuild(i + 2, 'queued'))];
const pool = { modules: [], retries: 0 };
const resources = {
  at: Date.now(),
  tookMs: 150,
  hugepages: { meminfo: undefined, pools: [{ pageSizeBytes: 2 * MIB, total: 2048, free: 1000, reserved: 0, surplus: 0, available: 1000, source: 'sysfs', bound: 'node pool' }], problems: [] },
  dma: { mode: 'hugepages', heapBytes: 2048 * MIB, freeBytes: 900 * MIB, greatestFreeBytes: 500 * MIB, availableBytes: 2900 * MIB, note: '' },
  iobuf: { ...pool, modules: ['accel', 'bdev', 'nvmf_TCP'].map((module) => ({ module, small_pool: { cache: 1000, main: 10, retry: 0 }, large_pool: { cache: 500, main: 5, retry: 1 } })) },
  reactors: [{ lcore: 0, busyPct: 30 }],
  reactorBusyPct: 30,
  rpcLatencyP90Ms: 10,
  rpcCalls: 100,
  reserved: { bytes: 0, subsystems: 0, count: 0 },
  problems: [],
} as unknown as ResourceSnapshot;

const margins = new BudgetMargins();
const budget = defaultBudget();
const observe = () =>
  observeNode(
    {
      inventory,
      specs,
      lastSeen: (n) => seen.get(n),
      rebuilds,
      throttle: { engaged: false, limitMbSec: 0, reason: '' },
      resources,
      subsystems: { count: (2 * replicaCount) / 3 + engineCount, max: 4096 },
      budget,
    },
    margins,
  );
const loopDelay = new LoopDelay();
const metrics = new NodeMetrics({ observe, loopDelay: () => loopDelay.stats(), volumeIo: () => sample, volumeRates: () => ({ windowSec: 10, rates: [] }) });

// A scrape every few seconds against an iostat period of 10 s: a new volume I/O sample every 4th scrape.
let sample = { at: Date.now(), engines: io };
const observeMs: number[] = [];
const renderMs: number[] = [];
const renderCpuMs: number[] = [];
const turnMs: number[] = [];
/** Each stage's wall time per render, from the render's own marks (as the scrape trace shows them). */
const stageMs = new Map<string, number[]>();
let size = 0;
for (let i = 0; i < scrapes; i++) {
  let t0 = performance.now();
  observe();
  observeMs.push(performance.now() - t0);
  if (i % 4 === 0) sample = { at: Date.now(), engines: io };
  // The longest stretch the render held the loop: what a probe or a call answered meanwhile waits.
  let longest = 0;
  let last = performance.now();
  let rendering = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (rendering) setImmediate(tick);
  };
  setImmediate(tick);
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const marks: Record<string, number> = { got: monoMs() };
  size = (await metrics.render(marks)).body.length;
  renderMs.push(performance.now() - t0);
  let before = marks.got!;
  for (const [stage, at] of Object.entries(marks)) {
    if (stage === 'got') continue;
    stageMs.set(stage, [...(stageMs.get(stage) ?? []), at - before]);
    before = at;
  }
  const cpu = process.cpuUsage(cpu0);
  renderCpuMs.push((cpu.user + cpu.system) / 1000);
  rendering = false;
  await new Promise<void>((resolve) => setImmediate(resolve));
  turnMs.push(Math.max(longest, performance.now() - last));
}
metrics.close();
loopDelay.close();

const pct = (xs: number[], p: number): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
};
console.log(`${replicaCount} replicas (${inventory.exports.size} exported, ${replicaCount} snapshots) on ${DISKS} disks, ${engineCount} engines, ${rebuilds.length} rebuilds; ${scrapes} scrapes`);
console.log(`observation   p50 ${pct(observeMs, 50)} ms  p99 ${pct(observeMs, 99)} ms  max ${pct(observeMs, 100)} ms`);
console.log(`whole render  min ${pct(renderMs, 0)} ms  p50 ${pct(renderMs, 50)} ms  p99 ${pct(renderMs, 99)} ms  max ${pct(renderMs, 100)} ms  (first ${renderMs[0]!.toFixed(1)} ms)`);
console.log(
  `render CPU    p50 ${pct(renderCpuMs, 50)} ms  p99 ${pct(renderCpuMs, 99)} ms  (the process's, GC threads included: on a loaded machine the wall times above are mostly waiting for a core)`,
);
console.log(`stages, p50 (min)  ${[...stageMs].map(([stage, ms]) => `${stage} ${pct(ms, 50)} (${pct(ms, 0)})`).join('  ')} ms`);
console.log(`longest turn  p50 ${pct(turnMs, 50)} ms  p99 ${pct(turnMs, 99)} ms  max ${pct(turnMs, 100)} ms  (first ${turnMs[0]!.toFixed(1)} ms)`);
console.log(
  `exposition    ${(size / 1024).toFixed(0)} KiB, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
