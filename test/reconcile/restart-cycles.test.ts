/**
 * The node survives its data plane, on real processes: the service (`serve`) over a simulator
 * started beside it, two disks, 200 exported replicas (host allow-lists of one or two hosts), each
 * with a labelled snapshot, 20 engines (raid1 with a superblock over a local replica and a remote
 * one on a second node: its own service and simulator), and a host (a third simulator) writing
 * over NVMe/TCP through two replicas' exports and two engines' exports. Twenty cycles of kill -9:
 * of the simulator (spdk_tgt), of the simulator again in the middle of the reconcile, and of the
 * service itself during the reconcile (restarted on the same state directory). After each:
 * readiness went NOT_SERVING with a reason and came back SERVING; every replica is back with the
 * same NQN, address, port and hosts, snapshots with the same labels and creation times; every
 * engine is healthy with both members at the same NQN and port; every checksum matches; the host
 * writes again through its controllers. While spdk_tgt is down, lists say they are stale.
 *
 * CONDUCTOR_TEST_RESTART_REPLICAS, _ENGINES and _CYCLES set its size: 100, 4 and 8 in the suite
 * (each kind of kill at least twice); `npm run test:restart-cycles` runs the issue's 200, 20 and
 * 20 (about 10 minutes on the loaded 2-core machine, too long for CI).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { HEALTH_REASON_TRAILER } from '../../src/api/server.js';
import { startService, type ServiceRun } from '../crash/helpers/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { SimClient } from '../sim/helpers/sim-client.js';

const REPLICAS = Number(process.env.CONDUCTOR_TEST_RESTART_REPLICAS ?? 100);
const CYCLES = Number(process.env.CONDUCTOR_TEST_RESTART_CYCLES ?? 8);
const ENGINES = Number(process.env.CONDUCTOR_TEST_RESTART_ENGINES ?? 4);
const MIB = 1024 * 1024;
const REPLICA_BYTES = 4 * MIB;
const ENGINE_BYTES = 8 * MIB;
/** Room for the raid superblock beyond the volume (4 MiB on a local lvol, 1 MiB on a namespace). */
const MEMBER_BYTES = ENGINE_BYTES + 8 * MIB;
/** Blocks of 100 export ports this node needs: one per 100 replicas and engines, and a spare. */
const PORT_BLOCKS = Math.ceil((REPLICAS + ENGINES) / 100) + 1;
/** The host NQN the node attaches remote members with; the replica node exports them to it. */
const ENGINE_HOST_NQN = 'nqn.2024-11.io.spdk-conductor:engine:restart-cycles-a';
const HOST_A = 'nqn.2014-08.org.nvmexpress:uuid:3b7e1c2a-0000-4000-8000-0000000000a1';
const HOST_B = 'nqn.2014-08.org.nvmexpress:uuid:3b7e1c2a-0000-4000-8000-0000000000b2';
/** A deadline for a condition on a loaded 2-core machine, not a speed goal (bench:restart measures). */
const BACK_MS = 180_000;
/** The replicas the host writes through, over NVMe/TCP. */
const HOSTED = ['rs0', 'rs1'];
/** Replicas written directly through the simulator's block I/O. */
const names = Array.from({ length: REPLICAS }, (_, i) => `rs${i}`);
const WRITTEN = names.filter((_, i) => i % 7 === 3).slice(0, 10);
const diskOf = (name: string): string => (Number(name.slice(2)) % 2 === 0 ? 'd1' : 'd2');
const hostsOf = (name: string): string[] => (Number(name.slice(2)) % 3 === 0 ? [HOST_A, HOST_B] : [HOST_A]);
/** Engines ev<i> over ea<i> (this node, local) and eb<i> (the replica node, remote). */
const engineNames = Array.from({ length: ENGINES }, (_, i) => `ev${i}`);
/** The engines the host writes through, over NVMe/TCP. */
const HOSTED_ENGINES = engineNames.slice(0, 2);

let dir: string;
let socket: string;
let target: RunningSim;
let host: RunningSim;
let hostRpc: SimClient;
let service: ServiceRun;
/** The second node: the engines' remote members live there. */
let replicaTarget: RunningSim;
let replicaService: ServiceRun;
let portMin: number;
let blockSize = 4096;
/** What each hosted replica holds: the host's writes applied to a zeroed image. */
const images = new Map<string, Buffer>();
let writes = 0;

interface Shape {
  replicas: Map<string, string>;
  engines: Map<string, string>;
  snapshots: Map<string, string>;
  checksums: Map<string, string>;
}
let before: Shape;

/** Readiness as polled, each change once: status and reason. */
const seen: Array<{ status: string; reason: string }> = [];
let poller: NodeJS.Timeout | undefined;

async function readiness(): Promise<{ status: string; reason: string } | undefined> {
  let reason = '';
  const status = await service.clients.healthCheck('readiness', { deadlineMs: 2000, onTrailers: (t) => (reason = String(t.get(HEALTH_REASON_TRAILER)[0] ?? '')) }).catch(() => undefined);
  return status === undefined ? undefined : { status, reason };
}

function follow(): void {
  let busy = false;
  poller = setInterval(() => {
    if (busy) return;
    busy = true;
    void readiness()
      .then((now) => {
        const last = seen.at(-1);
        if (now && (!last || last.status !== now.status || last.reason !== now.reason)) seen.push(now);
      })
      .finally(() => (busy = false));
  }, 10);
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? ` (last: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startTarget(): Promise<RunningSim> {
  return startSim({ name: 'tgt', socket, args: ['--mem-dump', path.join(dir, `tgt-mem-${Date.now()}.txt`)], timeoutMs: BACK_MS });
}

async function startConductor(): Promise<ServiceRun> {
  return startService(
    {
      spdkSocket: socket,
      dir,
      portMin,
      portMax: portMin + 100 * PORT_BLOCKS - 1,
      env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '500', CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1', CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN },
    },
    { deadlineMs: BACK_MS },
  );
}

async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** One call on the target's socket (its client connection does not outlive a kill). */
async function targetCall<T>(method: string, params: unknown): Promise<T> {
  const client = await SimClient.connect(socket);
  try {
    return await client.call<T>(method, params);
  } finally {
    client.close();
  }
}

function lvol(name: string): string {
  return `lvs.${diskOf(name)}/r.${name}`;
}

async function targetChecksum(name: string): Promise<string> {
  return (await targetCall<{ sha256: string }>('sim_bdev_checksum', { name: lvol(name) })).sha256;
}

/** The volume's bytes as the engine's raid serves them (the host wrote only within them). */
async function engineChecksum(name: string): Promise<string> {
  return (await targetCall<{ sha256: string }>('sim_bdev_checksum', { name: `e.${name}`, offset_blocks: 0, num_blocks: ENGINE_BYTES / blockSize })).sha256;
}

/** Every engine healthy with both members, as comparable strings: NQN, port, superblock, members. */
async function enginesNow(): Promise<Map<string, string>> {
  const { engines, stale } = await invoke(service.clients.engines, 'EngineList', {});
  expect(stale).toBe(false);
  return new Map(
    engines.map((e) => [
      e.name,
      JSON.stringify({ state: e.state, nqn: e.frontend?.nqn, port: e.frontend?.port, superblock: e.superblock, members: e.members.map((m) => `${m.name}:${m.state}`).sort() }),
    ]),
  );
}

function replicaPage(pageToken: string) {
  return invoke(service.clients.replicas, 'ReplicaList', { diskName: '', pageSize: 500, pageToken });
}

/** What the API shows, as comparable strings: replicas with exports, a snapshot sample, checksums. */
async function shape(snapshotSample: readonly string[]): Promise<Shape> {
  // Every page (a page is 200 replicas at most; the engines' local members add to the exported ones).
  const all: Awaited<ReturnType<typeof replicaPage>>['replicas'] = [];
  for (let token = ''; ; ) {
    const list = await replicaPage(token);
    expect(list.stale, list.staleReason).toBe(false);
    all.push(...list.replicas);
    token = list.nextPageToken;
    if (token === '') break;
  }
  const replicas = new Map(
    all.map((r) => [
      r.name,
      JSON.stringify({ disk: r.diskName, size: r.sizeBytes, nqn: r.export?.nqn, address: r.export?.address, port: r.export?.port, hosts: [...(r.export?.hostNqns ?? [])].sort() }),
    ]),
  );
  const snapshots = new Map<string, string>();
  await inParallel(snapshotSample, 8, async (name) => {
    const { snapshots: list } = await invoke(service.clients.snapshots, 'SnapshotList', { replicaName: name });
    snapshots.set(name, JSON.stringify(list.map((s) => ({ name: s.name, labels: s.labels, createdAt: s.createdAt }))));
  });
  const checksums = new Map<string, string>();
  for (const name of [...WRITTEN, ...HOSTED]) checksums.set(name, await targetChecksum(name));
  for (const name of HOSTED_ENGINES) checksums.set(`engine ${name}`, await engineChecksum(name));
  // Back means healthy: both members in the raid and in sync (a rebuild is over).
  const engines = await until('every engine healthy with both members', BACK_MS, async () => {
    const now = await enginesNow();
    return [...now.values()].every((text) => text.includes('ENGINE_STATE_HEALTHY') && !/MEMBER_STATE_(?!HEALTHY)/.test(text)) && now.size === ENGINES && now;
  });
  return { replicas, snapshots, engines, checksums };
}

function expectSame(now: Shape, what: string): void {
  expect(now.replicas.size, `${what}: replica count`).toBe(before.replicas.size);
  for (const [name, text] of before.replicas) expect(now.replicas.get(name), `${what}: replica ${name}`).toBe(text);
  for (const [name, text] of now.snapshots) expect(text, `${what}: snapshots of ${name}`).toBe(before.snapshots.get(name));
  for (const [name, sum] of before.checksums) if (!HOSTED.includes(name) && !name.startsWith('engine ')) expect(now.checksums.get(name), `${what}: checksum of ${name}`).toBe(sum);
  for (const name of HOSTED) expect(now.checksums.get(name), `${what}: checksum of hosted ${name}`).toBe(sha256(images.get(name)!));
  expect(now.engines.size, `${what}: engine count`).toBe(before.engines.size);
  for (const [name, text] of before.engines) expect(now.engines.get(name), `${what}: engine ${name}`).toBe(text);
  for (const name of HOSTED_ENGINES) expect(now.checksums.get(`engine ${name}`), `${what}: checksum of engine ${name}`).toBe(sha256(images.get(`engine ${name}`)!));
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The host writes 8 blocks through each hosted replica's and engine's controller, retrying while
 * it reconnects; returns how many writes failed (timed out or refused) before one went through.
 */
async function hostWrites(deadlineMs: number): Promise<number> {
  let failed = 0;
  const targets = [
    ...HOSTED.map((name, i) => ({ image: name, bdev: `h${i}n1`, bytes: REPLICA_BYTES })),
    ...HOSTED_ENGINES.map((name, i) => ({ image: `engine ${name}`, bdev: `v${i}n1`, bytes: ENGINE_BYTES })),
  ];
  for (const { image, bdev, bytes } of targets) {
    const offset = (writes++ * 8) % (bytes / blockSize - 8);
    const data = randomBytes(8 * blockSize);
    await until(`a host write through ${image}`, deadlineMs, async () =>
      hostRpc.call('sim_bdev_write', { name: bdev, offset_blocks: offset, data_base64: data.toString('base64'), timeout_ms: 5000 }).catch((error: unknown) => {
        failed++;
        throw error;
      }),
    );
    data.copy(images.get(image)!, offset * blockSize);
  }
  return failed;
}

/** Readiness went NOT_SERVING with a reason since `from`, and is SERVING now. */
async function backServing(from: number, what: string): Promise<number> {
  const started = Date.now();
  await until(`${what}: readiness SERVING`, BACK_MS, async () => (await readiness())?.status === 'SERVING').catch((error: Error) => {
    const tail = service.output().split('\n').slice(-15).join('\n');
    const reasons = [...new Set(seen.slice(from).map((c) => c.reason))].slice(-6);
    throw new Error(`${error.message}; readiness reasons since the kill ${JSON.stringify(reasons)}; the service's last lines:\n${tail}`);
  });
  const changes = seen.slice(from);
  const down = changes.filter((c) => c.status === 'NOT_SERVING');
  expect(down.length, `${what}: readiness went NOT_SERVING (saw ${JSON.stringify(changes)})`).toBeGreaterThan(0);
  for (const c of down) expect(c.reason, `${what}: a NOT_SERVING without a reason`).not.toBe('');
  return Date.now() - started;
}

beforeAll(async () => {
  dir = tempDir('restart-cycles-');
  socket = path.join(dir, 'tgt.sock');
  // Adjacent blocks of 100 for every export of this node (replicas and engines) and a spare one.
  portMin = portBlock();
  for (let block = 1; block < PORT_BLOCKS; block++) {
    const next = portBlock();
    if (next !== portMin + 100 * block) throw new Error(`${PORT_BLOCKS} adjacent port blocks expected, got ${next} after ${portMin}`);
  }
  const replicaPorts = portBlock();
  target = await startTarget();
  host = await startSim({ name: 'host', timeoutMs: BACK_MS });
  hostRpc = await SimClient.connect(host.socket);
  service = await startConductor();
  follow();
  const api = service.clients;
  for (const disk of ['d1', 'd2']) {
    const file = path.join(dir, `${disk}.img`);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, Math.ceil(REPLICAS / 2 + 8) * 2 * REPLICA_BYTES + Math.ceil(ENGINES / 2 + 2) * 2 * MEMBER_BYTES);
    blockSize = (await invoke(api.disks, 'DiskCreate', { name: disk, path: file, kind: 'DISK_KIND_AIO' })).blockSize;
  }
  await inParallel(names, 8, async (name) => {
    await invoke(api.replicas, 'ReplicaCreate', { name, diskName: diskOf(name), sizeBytes: REPLICA_BYTES, hostNqns: hostsOf(name) });
  });
  for (const name of WRITTEN) await targetCall('sim_bdev_write', { name: lvol(name), offset_blocks: 0, data_base64: randomBytes(16 * blockSize).toString('base64') });
  await inParallel(names, 8, async (name) => {
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: name, name: 'daily', labels: { app: 'restart-cycles', replica: name }, userCreated: true });
  });
  // The host connects to two exports as HOST_A, reconnecting for as long as it takes.
  for (const [i, name] of HOSTED.entries()) {
    const replica = await invoke(api.replicas, 'ReplicaGet', { name });
    images.set(name, Buffer.alloc(REPLICA_BYTES));
    await hostRpc.call('bdev_nvme_attach_controller', {
      name: `h${i}`,
      trtype: 'tcp',
      adrfam: 'ipv4',
      traddr: replica.export!.address,
      trsvcid: String(replica.export!.port),
      subnqn: replica.export!.nqn,
      hostnqn: HOST_A,
      ctrlr_loss_timeout_sec: -1,
      reconnect_delay_sec: 1,
    });
  }
  // The second node: its own simulator and service, one disk, the engines' remote members exported to this node.
  const dirB = path.join(dir, 'replica-node');
  fs.mkdirSync(dirB);
  replicaTarget = await startSim({ name: 'rep', socket: path.join(dirB, 'tgt.sock'), timeoutMs: BACK_MS });
  replicaService = await startService(
    { spdkSocket: replicaTarget.socket, dir: dirB, portMin: replicaPorts, portMax: replicaPorts + 99, env: { CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1' } },
    { deadlineMs: BACK_MS },
  );
  const fileB = path.join(dirB, 'd.img');
  fs.writeFileSync(fileB, '');
  fs.truncateSync(fileB, (ENGINES + 4) * 2 * MEMBER_BYTES);
  await invoke(replicaService.clients.disks, 'DiskCreate', { name: 'd', path: fileB, kind: 'DISK_KIND_AIO' });
  await inParallel(engineNames, 4, async (name) => {
    const i = name.slice(2);
    await invoke(api.replicas, 'ReplicaCreate', { name: `ea${i}`, diskName: Number(i) % 2 === 0 ? 'd1' : 'd2', sizeBytes: MEMBER_BYTES, hostNqns: [] });
    const remote = await invoke(replicaService.clients.replicas, 'ReplicaCreate', { name: `eb${i}`, diskName: 'd', sizeBytes: MEMBER_BYTES, hostNqns: [ENGINE_HOST_NQN] });
    const engine = await invoke(api.engines, 'EngineCreate', {
      name,
      sizeBytes: ENGINE_BYTES,
      replicas: [{ local: { name: `ea${i}` } }, { remote: { name: `eb${i}`, address: remote.export!.address, port: remote.export!.port, nqn: remote.export!.nqn } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST_A],
    });
    expect(engine.superblock, `engine ${name} keeps a raid superblock`).toBe(true);
  });
  // The host also writes through two engines' exports, reconnecting for as long as it takes.
  for (const [i, name] of HOSTED_ENGINES.entries()) {
    const engine = await invoke(api.engines, 'EngineGet', { name });
    images.set(`engine ${name}`, Buffer.alloc(ENGINE_BYTES));
    await hostRpc.call('bdev_nvme_attach_controller', {
      name: `v${i}`,
      trtype: 'tcp',
      adrfam: 'ipv4',
      traddr: engine.frontend!.address,
      trsvcid: String(engine.frontend!.port),
      subnqn: engine.frontend!.nqn,
      hostnqn: HOST_A,
      ctrlr_loss_timeout_sec: -1,
      reconnect_delay_sec: 1,
    });
  }
  // Steady state: not one write fails.
  expect(await hostWrites(10_000), 'host writes that failed with everything up').toBe(0);
  // The host's writes allocated clusters on the heads; a Get reads that from spdk_tgt, not 0 from
  // when the replica was made.
  for (const name of HOSTED) expect((await invoke(api.replicas, 'ReplicaGet', { name })).allocatedBytes, `allocated of ${name}`).toBeGreaterThan(0);
  before = await shape(names);
  expect(before.replicas.size).toBe(REPLICAS + ENGINES);
  expect(before.engines.size).toBe(ENGINES);
}, 600_000);

afterAll(async () => {
  clearInterval(poller);
  hostRpc?.close();
  await service?.stop();
  await replicaService?.stop();
  await host?.stop();
  await target?.stop();
  await replicaTarget?.stop();
});

describe(`${CYCLES} cycles of kill -9 with ${REPLICAS} exported replicas`, () => {
  it('brings everything back each time, says NOT_SERVING with why meanwhile, and lists say stale while spdk_tgt is gone', async () => {
    const figures: string[] = [];
    let midKills = 0;
    let midCycles = 0;
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const kind = cycle % 4 === 2 ? 'spdk twice' : cycle % 4 === 3 ? 'service' : 'spdk';
      const what = `cycle ${cycle} (${kind})`;
      const from = seen.length;
      await target.kill();
      // Gone: readiness says so and lists say stale, with why.
      await until(`${what}: readiness NOT_SERVING`, BACK_MS, async () => (await readiness())?.status === 'NOT_SERVING');
      const stale = await until(`${what}: a stale list`, BACK_MS, async () => {
        const list = await invoke(service.clients.replicas, 'ReplicaList', { diskName: '' });
        return list.stale && list;
      });
      expect(stale.staleReason).not.toBe('');
      expect(stale.replicas.every((r) => r.stale)).toBe(true);
      const restarted = Date.now();
      target = await startTarget();
      if (kind !== 'spdk') {
        midCycles++;
        // Caught in the middle when it can be: the reconcile (or, for the service, recovery) is under way.
        const mid = await until(`${what}: the reconcile under way`, BACK_MS, async () => {
          const now = await readiness();
          if (now?.status === 'SERVING') return 'after';
          return now && /reconcil|recover|re-created|re-exported/.test(now.reason) ? 'during' : undefined;
        });
        if (mid === 'during') midKills++;
        if (kind === 'spdk twice') {
          await target.kill();
          target = await startTarget();
        } else {
          service.proc.kill('SIGKILL');
          await service.exited;
          service.clients.close();
          service = await startConductor();
        }
      }
      const tookMs = await backServing(from, what);
      const failedWrites = await hostWrites(BACK_MS);
      // Back and healthy: the next writes go through at once.
      expect(await hostWrites(30_000), `${what}: host writes that failed once the node was back`).toBe(0);
      const sample = names.filter((_, i) => i % CYCLES === cycle % CYCLES);
      expectSame(await shape(cycle === CYCLES ? names : sample), what);
      figures.push(`${what}: SERVING ${Date.now() - restarted} ms after spdk_tgt was started again (${tookMs} ms of waiting here); ${failedWrites} host writes retried meanwhile`);
    }
    // A kill meant for the middle of a reconcile that came after it is said, not hidden.
    console.log([...figures, `kills during a reconcile: ${midKills} of ${midCycles}`].join('\n'));
    expect(midKills).toBeGreaterThan(0);
  }, 1_800_000);
});
