/**
 * Replica rebuilds end to end over real processes: two replica nodes and an engine node, each a
 * simulator plus a `serve` process, the client talking gRPC over their Unix sockets and the nodes
 * reaching each other over NVMe/TCP (and, with --snapshots, gRPC over TCP as peers). A raid1
 * volume over one replica on each replica node; each round replaces one member by a fresh empty
 * replica on the same node (EngineReplicaRemove, ReplicaDelete, ReplicaCreate, EngineReplicaAdd)
 * and follows RebuildGet every 50 ms until the rebuild ends.
 *
 *   npm run bench:rebuild -- [--rounds 5] [--size-mib 256] [--rate-mb 64] [--snapshots [--fill-mib N]]
 *
 * Prints per round and as a summary: the start latency (process_started_at_ms − created_at_ms:
 * EngineReplicaAdd accepted → spdk_tgt's rebuild process first seen), EngineReplicaAdd's own
 * latency at the client, the total time (finished_at_ms − created_at_ms, and the client's wall time
 * from EngineReplicaAdd to DONE) against size/rate (target ≤ 1.1), and the effective rate.
 * --rate-mb reaches the engine node as CONDUCTOR_REBUILD_MAX_MB_SEC; if spdk_tgt does not show it
 * within 3 s of readiness (serve not applying it yet), the bench sets it once with a raw
 * bdev_raid_set_options and says so. The ratio also depends on the raid's process window
 * (process_window_size_kb), printed from spdk_tgt. A raw 20 ms poll of bdev_raid_get_bdevs on the
 * engine node tells the copy's own duration apart from the service's lag in seeing it start and end.
 * --snapshots writes --fill-mib through the raid, takes one volume snapshot before the first round
 * and gives every replica its node's api_address: the rebuilds copy the snapshot first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { createApiClients, invoke, isServiceError, type ApiClients } from '../src/api/client.js';
import type { Rebuild__Output } from '../src/api/generated/spdk/conductor/v1/Rebuild.js';
import { connectRaw } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000b0b0';
const ENGINE_NQN = 'nqn.2024-11.io.spdk-conductor:engine:bench-engine';
const MIB = 1024 * 1024;
const POLL_MS = 50;
const VOLUME = 'bench';
const SNAPSHOT = 'bench-s1';
/** The engine node's timeout budget as the rebuild tests have it (test/engine/helpers/cluster.ts FAST_BUDGET). */
const FAST_BUDGET: Record<string, string> = {
  CONDUCTOR_TIMEOUTS_REPLICA_RECONNECT_DELAY_SEC: '1',
  CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: '1',
  CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '2',
  CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '1000',
  CONDUCTOR_TIMEOUTS_HOST_IO_TIMEOUT_SEC: '5',
  CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '6',
  CONDUCTOR_TIMEOUTS_HOST_RECONNECT_DELAY_SEC: '1',
  CONDUCTOR_TIMEOUTS_HOST_KEEP_ALIVE_TMO_SEC: '1',
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'size-mib': { type: 'string', default: '256' },
    'rate-mb': { type: 'string', default: '64' },
    snapshots: { type: 'boolean', default: false },
    'fill-mib': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const sizeMib = Number(values['size-mib']);
const rateMb = Number(values['rate-mb']);
const fillMib = Math.min(sizeMib, Number(values['fill-mib'] ?? Math.ceil(sizeMib / 4)));
const snapshots = values.snapshots;
if (![rounds, sizeMib, rateMb, fillMib].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: bench-rebuild [--rounds N] [--size-mib N] [--rate-mb N] [--snapshots [--fill-mib N]] (positive integers)\n');
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rebuild-'));
const children: ChildProcess[] = [];
const clientsToClose: ApiClients[] = [];
let cleanedUp = false;
/** Our own children only, by their PIDs; then the temp dir. Safe to call twice. */
function cleanUpNow(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

interface Node {
  name: string;
  spdkSocket: string;
  apiSocket: string;
  apiTcp: string;
  log: string;
  sim: ChildProcess;
  serve: ChildProcess;
  api: ApiClients;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** API ports in 22000-22999, below the kernel's ephemeral range (32768+), skipping busy ones. */
const takenPorts = new Set<number>();
async function apiPort(): Promise<number> {
  const start = 22000 + Math.floor(Math.random() * 1000);
  for (let i = 0; i < 1000; i++) {
    const port = 22000 + ((start - 22000 + i) % 1000);
    if (!takenPorts.has(port) && (await portFree(port))) {
      takenPorts.add(port);
      return port;
    }
  }
  throw new Error('no free port in 22000-22999');
}

async function waitFor(what: string, child: ChildProcess, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: process exited (${child.exitCode ?? child.signalCode})`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Node i gets export ports 23000 + 250·i … +249. */
async function startNode(name: string, index: number, env: Record<string, string>): Promise<Node> {
  const spdkSocket = path.join(dir, `spdk-${name}.sock`);
  const sim = spawn(process.execPath, [SIM, '--socket', spdkSocket, '--name', name, '--mem-dump', path.join(dir, `mem-dump-${name}.txt`), '--quiet'], { stdio: 'ignore' });
  children.push(sim);
  await waitFor(`simulator ${name}`, sim, async () => fs.existsSync(spdkSocket));
  const apiSocket = path.join(dir, `api-${name}.sock`);
  const apiTcp = `127.0.0.1:${await apiPort()}`;
  const log = path.join(dir, `serve-${name}.log`);
  const out = fs.openSync(log, 'w');
  const serve = spawn(process.execPath, [CLI, 'serve'], {
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      CONDUCTOR_LOG_LEVEL: process.env.CONDUCTOR_LOG_LEVEL ?? 'info',
      CONDUCTOR_SPDK_SOCKET: spdkSocket,
      CONDUCTOR_API_SOCKET: apiSocket,
      CONDUCTOR_API_TCP: apiTcp,
      // Benchmark nodes on loopback reach each other without certificates.
      CONDUCTOR_API_TCP_INSECURE: 'true',
      CONDUCTOR_STATE_FILE: path.join(dir, `state-${name}.json`),
      CONDUCTOR_EXPORT_PORT_MIN: String(23000 + 250 * index),
      CONDUCTOR_EXPORT_PORT_MAX: String(23000 + 250 * index + 249),
      ...env,
    },
  });
  fs.closeSync(out);
  children.push(serve);
  await waitFor(`serve ${name}`, serve, async () => fs.existsSync(apiSocket));
  const api = createApiClients({ unixSocket: apiSocket });
  clientsToClose.push(api);
  await waitFor(`serve ${name} readiness`, serve, async () => (await api.healthCheck('').catch(() => '')) === 'SERVING');
  return { name, spdkSocket, apiSocket, apiTcp, log, sim, serve, api };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function describeError(err: unknown): string {
  return isServiceError(err) ? `${err.code} ${err.details}` : err instanceof Error ? err.message : String(err);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** bdev_raid_set_options as spdk_tgt holds it now. */
async function raidOptions(socket: string): Promise<{ process_window_size_kb?: number; process_max_bandwidth_mb_sec?: number }> {
  const rpc = await connectRaw(socket);
  try {
    const config = await rpc.call<Array<{ method: string; params: Record<string, number> }>>('framework_get_config', { name: 'bdev' });
    return config.find((c) => c.method === 'bdev_raid_set_options')?.params ?? {};
  } finally {
    rpc.close();
  }
}

/** The configured rate is in spdk_tgt when serve applied it; else (for now) it is set here once, and said so. */
async function ensureRate(engine: Node): Promise<{ windowKb: number; setByBench: boolean }> {
  const deadline = Date.now() + 3000;
  let options = await raidOptions(engine.spdkSocket);
  while (options.process_max_bandwidth_mb_sec !== rateMb && Date.now() < deadline) {
    await sleep(100);
    options = await raidOptions(engine.spdkSocket);
  }
  if (options.process_max_bandwidth_mb_sec === rateMb) return { windowKb: options.process_window_size_kb ?? 0, setByBench: false };
  console.log(
    `NOTE: serve did not apply CONDUCTOR_REBUILD_MAX_MB_SEC=${rateMb} (spdk_tgt has process_max_bandwidth_mb_sec=${options.process_max_bandwidth_mb_sec}); ` +
      'set here with a raw bdev_raid_set_options',
  );
  const rpc = await connectRaw(engine.spdkSocket);
  try {
    await rpc.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: rateMb });
  } finally {
    rpc.close();
  }
  options = await raidOptions(engine.spdkSocket);
  if (options.process_max_bandwidth_mb_sec !== rateMb) throw new Error(`bdev_raid_set_options did not take: ${JSON.stringify(options)}`);
  return { windowKb: options.process_window_size_kb ?? 0, setByBench: true };
}

interface Member {
  node: Node;
  name: string;
  spec: { name: string; address: string; port: number; nqn: string; apiAddress?: string };
}

async function createReplica(node: Node, name: string, engineHostNqn: string): Promise<Member> {
  const replica = await invoke(node.api.replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: sizeMib * MIB, hostNqns: [engineHostNqn] });
  const exp = replica.export!;
  return { node, name, spec: { name, address: exp.address, port: exp.port, nqn: exp.nqn, ...(snapshots ? { apiAddress: node.apiTcp } : {}) } };
}

/** spdk_tgt resets a connection whose request outgrows its 256 KiB receive buffer: 128 KiB is 171 KiB in base64. */
const FILL_CHUNK = 128 * 1024;

/** Random data over the first fillMib of the volume, through the engine's raid (both members get it). */
async function fill(engine: Node, raidName: string): Promise<void> {
  const rpc = await connectRaw(engine.spdkSocket);
  try {
    for (let offset = 0; offset < fillMib * MIB; offset += FILL_CHUNK) {
      await rpc.call('sim_bdev_write', { name: raidName, offset_blocks: offset / 4096, data_base64: randomBytes(FILL_CHUNK).toString('base64') });
    }
  } finally {
    rpc.close();
  }
}

/**
 * Watches the raid in spdk_tgt directly (every RAW_POLL_MS): when its rebuild process was first
 * and last seen, on the service's clock (Date.now, same host). This separates what the copy took
 * from how late the service, which follows spdk_tgt every 100 ms (20 ms until the process shows), notices its start and end.
 */
const RAW_POLL_MS = 20;
interface RawWatch {
  stop(): Promise<{ firstSeenMs: number; lastSeenMs: number; goneMs: number }>;
}
async function watchProcess(socket: string, raidName: string): Promise<RawWatch> {
  const rpc = await connectRaw(socket);
  let firstSeenMs = 0;
  let lastSeenMs = 0;
  let goneMs = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const raids = await rpc.call<Array<{ name: string; process?: unknown }>>('bdev_raid_get_bdevs', { category: 'all' });
      const now = Date.now();
      const running = raids.find((r) => r.name === raidName)?.process !== undefined;
      if (running) {
        firstSeenMs ||= now;
        lastSeenMs = now;
      } else if (firstSeenMs && !goneMs) goneMs = now;
      await sleep(RAW_POLL_MS);
    }
  })().catch(() => undefined);
  let result: Promise<{ firstSeenMs: number; lastSeenMs: number; goneMs: number }> | undefined;
  return {
    stop() {
      stopped = true;
      result ??= loop.then(() => {
        rpc.close();
        return { firstSeenMs, lastSeenMs, goneMs };
      });
      return result;
    },
  };
}

interface Round {
  round: number;
  replica: string;
  removeMs: number;
  recreateMs: number;
  addMs: number;
  wallMs: number;
  /** RebuildGet answers NOT_FOUND seen while polling. */
  notFound: number;
  rebuild: Rebuild__Output;
  raw: { firstSeenMs: number; lastSeenMs: number; goneMs: number };
}

async function oneRound(round: number, engine: Node, raidName: string, members: Member[], slot: number, engineHostNqn: string): Promise<Round> {
  const old = members[slot]!;
  const removed = await timed(() => invoke(engine.api.engines, 'EngineReplicaRemove', { name: VOLUME, replicaName: old.name }));
  const recreated = await timed(async () => {
    await invoke(old.node.api.replicas, 'ReplicaDelete', { name: old.name });
    return createReplica(old.node, `${old.node.name}-g${round}`, engineHostNqn);
  });
  const fresh = recreated.value;
  members[slot] = fresh;
  const watch = await watchProcess(engine.spdkSocket, raidName);
  try {
    return await follow(round, engine, fresh, removed.ms, recreated.ms, watch);
  } finally {
    await watch.stop();
  }
}

async function follow(round: number, engine: Node, fresh: Member, removeMs: number, recreateMs: number, watch: RawWatch): Promise<Round> {
  const started = performance.now();
  const added = await timed(() => invoke(engine.api.engines, 'EngineReplicaAdd', { name: VOLUME, replica: { remote: fresh.spec } }));
  let notFound = 0;
  for (;;) {
    let rebuild;
    try {
      rebuild = await invoke(engine.api.engines, 'RebuildGet', { engine: VOLUME, replica: fresh.name });
    } catch (err) {
      // A rebuild is visible from EngineReplicaAdd until long after it ends: NOT_FOUND is a bug.
      // It is counted and printed (a few would not spoil the figures), and many end the run.
      if (!isServiceError(err) || err.code !== grpc.status.NOT_FOUND || ++notFound > 3) throw err;
      await sleep(POLL_MS);
      continue;
    }
    if (rebuild.state === 'REBUILD_STATE_DONE') {
      const wallMs = performance.now() - started;
      return { round, replica: fresh.name, removeMs, recreateMs, addMs: added.ms, wallMs, notFound, rebuild, raw: await watch.stop() };
    }
    if (rebuild.state === 'REBUILD_STATE_FAILED' || rebuild.state === 'REBUILD_STATE_CANCELLED') {
      throw new Error(`round ${round}: rebuild of ${fresh.name} ${rebuild.state}: ${rebuild.reason}`);
    }
    await sleep(POLL_MS);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const max = (xs: number[]): number => Math.max(...xs);
const ms = (x: number): string => `${Math.round(x)} ms`;
const idealMs = (sizeMib / rateMb) * 1000;

function printRound(r: Round): void {
  const b = r.rebuild;
  const start = b.processStartedAtMs - b.createdAtMs;
  const total = b.finishedAtMs - b.createdAtMs;
  const raidPhase = b.finishedAtMs - b.processStartedAtMs;
  const copy = snapshots
    ? `  snapshots ${b.snapshots.map((s) => `${s.name}:${s.state}:${s.copiedClusters}/${s.totalClusters}`).join(',') || '-'}` + `  queue→process ${ms(b.processStartedAtMs - b.startedAtMs)}`
    : '';
  const raw = r.raw.goneMs
    ? `  | spdk_tgt seen raw: start ${ms(r.raw.firstSeenMs - b.createdAtMs)}, process ${ms(r.raw.goneMs - r.raw.firstSeenMs)} (${((r.raw.goneMs - r.raw.firstSeenMs) / idealMs).toFixed(3)}×),` +
      ` service lag start ${ms(b.processStartedAtMs - r.raw.firstSeenMs)} end ${ms(b.finishedAtMs - r.raw.goneMs)}`
    : '  | spdk_tgt process not seen by the raw poll';
  console.log(
    `round ${r.round}  ${r.replica.padEnd(6)}  remove ${ms(r.removeMs)}  delete+create ${ms(r.recreateMs)}  add ${ms(r.addMs)}` +
      `  start ${ms(start)}  total ${ms(total)} (${(total / idealMs).toFixed(3)}×)  wall ${ms(r.wallMs)} (${(r.wallMs / idealMs).toFixed(3)}×)` +
      `  raid phase ${ms(raidPhase)}  ${(sizeMib / (total / 1000)).toFixed(1)} MiB/s  path ${b.path.replace('REBUILD_PATH_', '').toLowerCase()}${raw}` +
      `${b.throttle?.engaged ? `  THROTTLED ${b.throttle.limitMbSec} MiB/s (${b.throttle.reason})` : ''}` +
      `${r.notFound ? `  RebuildGet NOT_FOUND ×${r.notFound}` : ''}${copy}`,
  );
}

function printSummary(results: Round[], windowKb: number, rateNote: string): void {
  const starts = results.map((r) => r.rebuild.processStartedAtMs - r.rebuild.createdAtMs);
  const totals = results.map((r) => r.rebuild.finishedAtMs - r.rebuild.createdAtMs);
  const walls = results.map((r) => r.wallMs);
  const adds = results.map((r) => r.addMs);
  const raidPhases = results.map((r) => r.rebuild.finishedAtMs - r.rebuild.processStartedAtMs);
  const label = snapshots ? 'snapshot-preserving rebuilds' : 'raid rebuilds';
  console.log(`\n${results.length} ${label} of ${sizeMib} MiB at a configured ${rateMb} MiB/s${rateNote}; raid process window ${windowKb} KiB; ideal ${ms(idealMs)}`);
  console.log(`start latency (process_started − created)   median ${ms(median(starts))}  max ${ms(max(starts))}`);
  console.log(`EngineReplicaAdd at the client               median ${ms(median(adds))}  max ${ms(max(adds))}`);
  console.log(`total (finished − created) / ideal           median ${(median(totals) / idealMs).toFixed(3)}×  max ${(max(totals) / idealMs).toFixed(3)}×  (target ≤ 1.10×)`);
  console.log(`wall (Add → RebuildGet DONE) / ideal         median ${(median(walls) / idealMs).toFixed(3)}×  max ${(max(walls) / idealMs).toFixed(3)}×`);
  console.log(`effective rate (size / total)                median ${(sizeMib / (median(totals) / 1000)).toFixed(1)} MiB/s (configured ${rateMb})`);
  console.log(`raid phase rate (size / (finished − process_started))  median ${(sizeMib / (median(raidPhases) / 1000)).toFixed(1)} MiB/s`);
  const seen = results.filter((r) => r.raw.goneMs);
  if (seen.length) {
    const rawProcess = seen.map((r) => r.raw.goneMs - r.raw.firstSeenMs);
    console.log(
      `spdk_tgt's process, raw ${RAW_POLL_MS} ms poll: start after Add median ${ms(median(seen.map((r) => r.raw.firstSeenMs - r.rebuild.createdAtMs)))},` +
        ` duration / ideal median ${(median(rawProcess) / idealMs).toFixed(3)}× (${(sizeMib / (median(rawProcess) / 1000)).toFixed(1)} MiB/s);` +
        ` service lag median start ${ms(median(seen.map((r) => r.rebuild.processStartedAtMs - r.raw.firstSeenMs)))} end ${ms(median(seen.map((r) => r.rebuild.finishedAtMs - r.raw.goneMs)))}`,
    );
  }
  if (snapshots) {
    const copies = results.map((r) => r.rebuild.processStartedAtMs - r.rebuild.startedAtMs);
    console.log(`snapshot copy + join (process_started − started)  median ${ms(median(copies))}  max ${ms(max(copies))}  (${fillMib} MiB written before the snapshot)`);
  }
}

async function main(): Promise<void> {
  const diskMib = Math.max(1024, 3 * sizeMib + 256);
  const nodes = await Promise.all([
    startNode('r0', 0, { CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_NQN}-r0` }),
    startNode('r1', 1, { CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_NQN}-r1` }),
    startNode('engine', 2, { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_NQN, CONDUCTOR_REBUILD_MAX_MB_SEC: String(rateMb), ...FAST_BUDGET }),
  ]);
  const [r0, r1, engine] = nodes as [Node, Node, Node];
  try {
    for (const node of [r0, r1]) {
      const file = path.join(dir, `disk-${node.name}.img`);
      fs.writeFileSync(file, '');
      fs.truncateSync(file, diskMib * MIB);
      await invoke(node.api.disks, 'DiskCreate', { name: 'd', path: file });
    }
    const engineHostNqn = (await invoke(engine.api.node, 'NodeInfo', {})).hostNqn;
    const members = [await createReplica(r0, 'r0-g0', engineHostNqn), await createReplica(r1, 'r1-g0', engineHostNqn)];
    const created = await invoke(engine.api.engines, 'EngineCreate', {
      name: VOLUME,
      sizeBytes: sizeMib * MIB,
      replicas: members.map((m) => ({ remote: m.spec })),
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST],
    });
    if (created.state !== 'ENGINE_STATE_HEALTHY') throw new Error(`engine ${created.state}: ${created.reason}`);
    const { windowKb, setByBench } = await ensureRate(engine);
    if (snapshots) {
      await fill(engine, created.raidName);
      await Promise.all(members.map((m) => invoke(m.node.api.snapshots, 'SnapshotCreate', { replicaName: m.name, name: SNAPSHOT, labels: { volume: VOLUME }, userCreated: true })));
    }
    console.log(
      `${rounds} rounds: ${sizeMib} MiB volume, raid1 over r0 and r1, engine node rebuild rate ${rateMb} MiB/s, process window ${windowKb} KiB` +
        `${snapshots ? `, snapshot ${SNAPSHOT} after ${fillMib} MiB written` : ''}; RebuildGet every ${POLL_MS} ms (the service follows spdk_tgt every 100 ms)`,
    );
    const results: Round[] = [];
    for (let round = 1; round <= rounds; round++) {
      const result = await oneRound(round, engine, created.raidName, members, (round - 1) % 2, engineHostNqn);
      printRound(result);
      results.push(result);
      const state = (await invoke(engine.api.engines, 'EngineGet', { name: VOLUME })).state;
      if (state !== 'ENGINE_STATE_HEALTHY') console.log(`  engine is ${state} after round ${round}`);
    }
    printSummary(results, windowKb, setByBench ? ' (set by the bench: serve did not apply it)' : ' (applied by serve)');
  } catch (err) {
    for (const node of nodes) {
      const lines = fs.readFileSync(node.log, 'utf8').trimEnd().split('\n').slice(-10);
      process.stderr.write(`--- last lines of serve ${node.name}'s log\n${lines.join('\n')}\n`);
    }
    throw err;
  } finally {
    for (const c of clientsToClose) c.close();
    await Promise.all(nodes.map((n) => stopChild(n.serve)));
    await Promise.all(nodes.map((n) => stopChild(n.sim)));
  }
}

main().then(
  () => {
    cleanUpNow();
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench-rebuild: ${describeError(err)}\n`);
    cleanUpNow();
    process.exit(1);
  },
);
