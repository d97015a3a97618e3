/**
 * Volume snapshots under host writes, and clone times, over real processes: three simulators for
 * two replica nodes and an engine node (each with the service in this process, serving its API on
 * TCP so that the engine node reaches the others as peers) and a fourth as the host, which attaches
 * the volume's export and writes 4 KiB blocks in a loop while the snapshots are taken.
 *
 *   npm run bench:volume-snapshots -- [--snapshots 100] [--size-mib 64]
 *
 * Prints p50/p99 of EngineSnapshotCreate's time and of its window (first member asked → last
 * answered, from the service's log), the host's write latency with and without snapshots running
 * (no pause is imposed: this is what the snapshots cost the host), and the time of a linked clone,
 * a full clone here and a full clone from another node of the volume's last snapshot.
 *
 * Then a volume revert (EngineSnapshotRevert) of a --revert-mib volume (default 1 GiB) over two
 * members, a local one and one on a replica node, with no host connected: once without a superblock
 * (the local member is the source, the remote one rebuilt), once with one (the remote member is the
 * source, the local one rebuilt). Prints the call's time (down, revert, raid, export: the volume is
 * reachable again) and the time until the rebuild ended (the volume redundant again).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/load.js';
import { startService, type ServiceHandle } from '../src/service.js';
import { connectRaw, type RawRpc } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const MIB = 1024 * 1024;
const BLOCK = 4096;
const ENGINE_HOST_NQN = 'nqn.2024-11.io.spdk-conductor:engine:bench-volume-snapshots';
const HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000c10e';

const { values } = parseArgs({
  options: { snapshots: { type: 'string', default: '100' }, 'size-mib': { type: 'string', default: '64' }, 'revert-mib': { type: 'string', default: '1024' } },
});
const COUNT = Number(values.snapshots);
const SIZE = Number(values['size-mib']) * MIB;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-vsnap-'));
const children: ChildProcess[] = [];
const services: ServiceHandle[] = [];
const windows: number[] = [];

/** The engine node's log, read for the windows it reports. */
const engineLog = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) {
      if (!line.includes('volume snapshot created')) continue;
      const parsed = JSON.parse(line) as { windowMs?: number };
      if (typeof parsed.windowMs === 'number') windows.push(parsed.windowMs);
    }
    done();
  },
});

async function startSim(name: string): Promise<string> {
  const socket = path.join(dir, `spdk-${name}.sock`);
  const sim = spawn(process.execPath, [SIM, '--socket', socket, '--name', name, '--mem-dump', path.join(dir, `mem-${name}.txt`), '--quiet'], { stdio: 'ignore' });
  children.push(sim);
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(socket)) {
    if (sim.exitCode !== null) throw new Error(`simulator ${name} exited (${sim.exitCode})`);
    if (Date.now() > deadline) throw new Error(`simulator ${name} did not listen within 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return socket;
}

async function startNode(name: string, portMin: number, log: pino.Logger = pino({ level: 'silent' })): Promise<{ service: ServiceHandle; apiAddress: string; disk: string }> {
  const socket = await startSim(name);
  const nodeDir = fs.mkdtempSync(path.join(dir, `${name}-`));
  const config = loadConfig({
    env: {
      CONDUCTOR_SPDK_SOCKET: socket,
      CONDUCTOR_API_SOCKET: path.join(dir, `api-${name}.sock`),
      CONDUCTOR_API_TCP: '127.0.0.1:0',
      // Benchmark nodes on loopback reach each other without certificates.
      CONDUCTOR_API_TCP_INSECURE: 'true',
      // One state directory per service (each takes its directory's lock; its disk files go there too).
      CONDUCTOR_STATE_FILE: path.join(nodeDir, 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(portMin),
      CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99),
      CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN,
    },
  });
  const service = await startService(config, { logger: log, sysfsRoot: dir });
  services.push(service);
  if (!(await service.recovered)) throw new Error(`node ${name} did not recover: ${service.readiness().reason}`);
  return { service, apiAddress: `127.0.0.1:${service.api.tcp!.port}`, disk: diskFile(nodeDir, 8192) };
}

function diskFile(nodeDir: string, mib: number): string {
  const file = path.join(nodeDir, 'disk.img');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, mib * MIB);
  return file;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(34)} n=${String(sorted.length).padStart(5)}  p50 ${quantile(sorted, 0.5).toFixed(1).padStart(7)} ms  p99 ${quantile(sorted, 0.99).toFixed(1).padStart(7)} ms  max ${(sorted.at(-1) ?? Number.NaN).toFixed(1).padStart(7)} ms`;
}

/** Writes random blocks until `stop()`; each write's latency goes to `into()` as it completes. */
function writer(host: RawRpc, bdev: string, into: () => number[]): { stop(): Promise<number> } {
  let stopped = false;
  let count = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const block = Math.floor(Math.random() * (SIZE / BLOCK));
      await host.call('sim_bdev_write', { name: bdev, offset_blocks: block, data_base64: randomBytes(BLOCK).toString('base64'), timeout_ms: 5000 });
      into().push(performance.now() - started);
      count++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return count;
    },
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const base = 27000 + Math.floor(Math.random() * 20) * 100;
  const [r0, r1] = await Promise.all([startNode('r0', base), startNode('r1', base + 100)]);
  const engine = await startNode('engine', base + 200, pino({ level: 'info' }, engineLog));
  for (const [i, node] of [r0, r1].entries()) {
    await node.service.domain.diskCreate({ name: 'd', path: node.disk });
    await node.service.domain.replicaCreate(`bv-r${i}`, 'd', SIZE, undefined, [ENGINE_HOST_NQN]);
  }
  await engine.service.domain.diskCreate({ name: 'd', path: engine.disk });
  await engine.service.domain.replicaCreate('bv-l', 'd', SIZE);
  const remote = async (i: number, node: typeof r0) => {
    const info = await node.service.domain.replicaGet(`bv-r${i}`);
    return { name: `bv-r${i}`, kind: 'remote' as const, address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: node.apiAddress };
  };
  const volume = await engine.service.domain.engineCreate({
    name: 'bv',
    sizeBytes: SIZE,
    replicas: [{ name: 'bv-l', kind: 'local' }, await remote(0, r0), await remote(1, r1)],
    frontend: 'export-only',
    hostNqns: [HOST_NQN],
  });
  const hostSocket = await startSim('host');
  const host = await connectRaw(hostSocket);
  const f = volume.frontend!;
  const [bdev] = await host.call<string[]>('bdev_nvme_attach_controller', {
    name: 'vol',
    trtype: 'tcp',
    adrfam: 'ipv4',
    traddr: f.address,
    trsvcid: String(f.port),
    subnqn: f.nqn,
    hostnqn: HOST_NQN,
  });

  const idle: number[] = [];
  const during: number[] = [];
  let bucket = idle;
  const writes = writer(host, bdev!, () => bucket);
  await new Promise((r) => setTimeout(r, 3000));
  bucket = during;
  const calls: number[] = [];
  for (let i = 0; i < COUNT; i++) calls.push(await timed(() => engine.service.domain.engineSnapshotCreate({ engine: 'bv', name: `bs-${i}` })));
  bucket = idle;
  await new Promise((r) => setTimeout(r, 1000));
  const written = await writes.stop();

  console.log(`volume of ${SIZE / MIB} MiB over 3 members (1 local, 2 remote), ${COUNT} volume snapshots under host writes (${written} writes of 4 KiB)`);
  console.log(summary('EngineSnapshotCreate', calls));
  console.log(summary('window (first asked → last made)', windows));
  console.log(summary('host write, no snapshot running', idle));
  console.log(summary('host write, snapshots running', during));

  const last = `bs-${COUNT - 1}`;
  const linked = await timed(() => r0.service.domain.replicaClone({ name: 'bv-linked', sourceReplica: 'bv-r0', snapshot: last, mode: 'linked' }));
  const full = await timed(() => r0.service.domain.replicaClone({ name: 'bv-full', sourceReplica: 'bv-r0', snapshot: last, mode: 'full' }));
  const across = await timed(() => r1.service.domain.replicaClone({ name: 'bv-across', sourceReplica: 'bv-r0', snapshot: last, mode: 'full', diskName: 'd', sourceApiAddress: r0.apiAddress }));
  await revert(engine, r0, false);
  await revert(engine, r0, true);
  const deletes: number[] = [];
  // The linked clone holds the last snapshot (SNAPSHOT_HAS_CHILDREN): only the ones before it are deleted.
  const deletable = Math.min(COUNT - 1, 20);
  for (let i = 0; i < deletable; i++) deletes.push(await timed(() => engine.service.domain.engineSnapshotDelete('bv', `bs-${i}`)));
  host.close();
  console.log(summary(`EngineSnapshotDelete (first ${deletable})`, deletes));
  console.log(`clone of ${last} (${COUNT} snapshots in the chain): linked ${linked.toFixed(0)} ms, full here ${full.toFixed(0)} ms, full from another node ${across.toFixed(0)} ms`);
}

/** One revert of a fresh two-member volume to a snapshot of it; `superblock`: members with its room (a remote source). */
async function revert(engine: NodeOf, replicaNode: NodeOf, superblock: boolean): Promise<void> {
  const size = Number(values['revert-mib']) * MIB;
  const name = superblock ? 'bw' : 'bu';
  const bytes = size + (superblock ? 4 * MIB : 0);
  const remote = await replicaNode.service.domain.replicaCreate(`${name}-r`, 'd', bytes, undefined, [ENGINE_HOST_NQN]);
  await engine.service.domain.replicaCreate(`${name}-l`, 'd', bytes);
  const domain = engine.service.domain;
  await domain.engineCreate({
    name,
    sizeBytes: size,
    replicas: [
      { name: `${name}-l`, kind: 'local' },
      { name: `${name}-r`, kind: 'remote', address: '127.0.0.1', port: remote.export!.port, nqn: remote.export!.nqn, apiAddress: replicaNode.apiAddress },
    ],
    frontend: 'export-only',
    hostNqns: [HOST_NQN],
  });
  await domain.engineSnapshotCreate({ engine: name, name: 'before' });
  const started = performance.now();
  const answer = await domain.engineSnapshotRevert({ engine: name, snapshot: 'before' });
  const call = performance.now() - started;
  for (;;) {
    const e = await domain.engineGet(name);
    if (e.state === 'healthy' && e.rebuilds.length === 0 && !e.rebuild) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const whole = performance.now() - started;
  const rebuilt = answer.rebuilds.map((r) => r.replica).join(', ');
  console.log(
    `revert of a ${size / MIB} MiB volume, 2 members, ${superblock ? 'superblock, remote source' : 'no superblock, local source'}: EngineSnapshotRevert ${call.toFixed(0)} ms (exported again), ${whole.toFixed(0)} ms until ${rebuilt} was rebuilt`,
  );
}

type NodeOf = Awaited<ReturnType<typeof startNode>>;

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const service of services.reverse()) await service.close().catch(() => undefined);
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
