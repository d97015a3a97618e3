/**
 * Replica salvage (issue 14 item 6): an engine made over replicas that may have diverged takes one
 * member as the source, by the rule in docs/volume-operations.md, and rebuilds the others from it.
 *
 * - the rule itself: each step (explicit source, the only member written, the engine record, the
 *   raid superblock's sequence, the snapshot chains, the caller's order) decides a case alone;
 * - end to end, with the engine node a real `serve` process on a simulator and the replica node a
 *   service with its API on TCP (the engine node reads the remote replica's chain through it):
 *   fresh replicas make an engine with no salvage and no rebuild; a member removed while the host
 *   kept writing, then kill -9 of the engine node (serve and its spdk_tgt) and the engine made
 *   again on a node that lost its state: the newer member is the source (examine assembled the
 *   raid from its newer superblock), the other is rebuilt, the host reads the newer data;
 *   without superblocks, the snapshot chains decide; a `source` named by the caller wins over
 *   the chains; a member the raid lost while the host wrote is recorded out by the monitor, and
 *   after kill -9 of the engine node (its state kept) reconcile rebuilds it rather than trusting it.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, isServiceError } from '../../src/api/client.js';
import type { Engine__Output } from '../../src/api/generated/spdk/conductor/v1/Engine.js';
import { ERROR_CODE_TRAILER } from '../../src/api/status.js';
import { chooseSource, type MemberEvidence } from '../../src/domain/engine/salvage.js';
import type { EngineInfo } from '../../src/domain/model.js';
import { SpdkClient } from '../../src/spdk/client.js';
import { startService, type ServiceRun } from '../crash/helpers/service.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { BLOCK, ENGINE_HOST_NQN, Host, HOST_NQN, MIB, until } from './helpers/cluster.js';

describe('the salvage rule: each step decides a case by itself', () => {
  const member = (name: string, more: Partial<MemberEvidence> = {}): MemberEvidence => ({ name, empty: false, ...more });

  it('every member new and empty: no salvage at all', () => {
    expect(chooseSource([member('a', { empty: true }), member('b', { empty: true })])).toBeUndefined();
  });

  it('explicit: the caller names the source, whatever the rest says', () => {
    const s = chooseSource([member('a', { inSyncByRecord: true }), member('b', { inSyncByRecord: false })], 'b')!;
    expect(s).toMatchObject({ source: 'b', rule: 'explicit' });
    expect(s.members).toEqual([
      { replica: 'a', verdict: 'rebuilt', reason: expect.stringContaining('named by the caller') },
      { replica: 'b', verdict: 'source', reason: expect.any(String) },
    ]);
  });

  it('written: a member never written is never the source beside one that was', () => {
    const s = chooseSource([member('a', { empty: true }), member('b', { empty: undefined })])!;
    expect(s).toMatchObject({ source: 'b', rule: 'written' });
    expect(s.members[0]).toMatchObject({ replica: 'a', verdict: 'rebuilt', reason: expect.stringContaining('never written') });
  });

  it('record: the only member the engine record holds in sync', () => {
    const s = chooseSource([member('a', { inSyncByRecord: false, newestSuperblock: true, snapshots: ['s1', 's2'] }), member('b', { inSyncByRecord: true, snapshots: ['s1'] })])!;
    expect(s).toMatchObject({ source: 'b', rule: 'record' });
    expect(s.members[0]!.reason).toContain('engine record');
  });

  it('superblock: the member examine configured from the newest superblock', () => {
    const s = chooseSource([member('a', { newestSuperblock: false, snapshots: ['s1', 's2'] }), member('b', { newestSuperblock: true, snapshots: ['s1'] })])!;
    expect(s).toMatchObject({ source: 'b', rule: 'superblock' });
    expect(s.members[0]!.reason).toContain('older sequence');
  });

  it('snapshots: the member whose chain holds the other newest snapshot and more', () => {
    const s = chooseSource([member('a', { snapshots: ['s1'] }), member('b', { snapshots: ['s1', 's2'] }), member('c', { snapshots: [] })])!;
    expect(s).toMatchObject({ source: 'b', rule: 'snapshots' });
    expect(s.members.map((m) => m.verdict)).toEqual(['rebuilt', 'source', 'rebuilt']);
    expect(s.members[0]!.reason).toContain("older than b's");
  });

  it('order: the first listed when nothing before tells the members apart (chains that do not extend each other included)', () => {
    expect(chooseSource([member('a', { snapshots: ['x'] }), member('b', { snapshots: ['y'] })])).toMatchObject({ source: 'a', rule: 'order' });
    expect(chooseSource([member('b'), member('a')])).toMatchObject({ source: 'b', rule: 'order' });
    // A step whose evidence is the same for all tells nothing: the next one decides.
    expect(chooseSource([member('b', { inSyncByRecord: true, newestSuperblock: true }), member('a', { inSyncByRecord: true, newestSuperblock: true })])).toMatchObject({
      source: 'b',
      rule: 'order',
    });
  });
});

const SIZE = 16 * MIB;
/** Room for the superblock (4 MiB on a local lvol at most), so the first engine keeps one. */
const SB_REPLICA = SIZE + 8 * MIB;
const CONVERGE_MS = 90_000;
const HOST_OPTIONS = { ctrlLossTmoSec: 60, reconnectDelaySec: 1 };

let b: NodeFixture;
let dir: string;
let sim: RunningSim;
let serve: ServiceRun;
const hosts: Host[] = [];
let runs = 0;

/** The engine node's service, a real process, with its state in a directory of its own per `state`. */
async function startEngineNode(state: string): Promise<void> {
  const runDir = path.join(dir, state);
  fs.mkdirSync(runDir, { recursive: true });
  const portMin = portBlock();
  serve = await startService(
    {
      spdkSocket: path.join(dir, 'spdk.sock'),
      dir: runDir,
      portMin,
      portMax: portMin + 99,
      env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', CONDUCTOR_DISK_ALLOWED_PREFIXES: `${dir}/` },
    },
    { deadlineMs: 60_000 },
  );
}

/** kill -9 of the engine node: its service and its spdk_tgt; the disk file stays. */
async function crashEngineNode(): Promise<void> {
  serve.proc.kill('SIGKILL');
  await serve.waitExit(10_000);
  serve.clients.close();
  await sim.kill();
  sim = await startSim({ name: 'a', socket: path.join(dir, 'spdk.sock'), args: ['--mem-dump', path.join(dir, `mem-dump-${++runs}.txt`)] });
}

function remote(name: string, exported: { port: number; nqn: string }) {
  return { remote: { name, address: '127.0.0.1', port: exported.port, nqn: exported.nqn, apiAddress: b.apiAddress! } };
}

async function exposedOnB(name: string, size: number): Promise<{ port: number; nqn: string }> {
  await b.node.replicaCreate(name, 'd', size);
  const exposed = await b.node.replicaExpose(name, [ENGINE_HOST_NQN]);
  return { port: exposed.export!.port, nqn: exposed.export!.nqn };
}

async function engineGet(name: string): Promise<Engine__Output> {
  return invoke(serve.clients.engines, 'EngineGet', { name });
}

async function healthy(name: string): Promise<Engine__Output> {
  return until(`engine ${name} healthy with every member and no rebuild`, CONVERGE_MS, async () => {
    const e = await engineGet(name);
    return e.state === 'ENGINE_STATE_HEALTHY' && e.members.every((m) => m.state === 'MEMBER_STATE_HEALTHY') && e.rebuilds.length === 0 && e;
  });
}

async function attachHost(engine: Engine__Output): Promise<Host> {
  const f = engine.frontend!;
  const host = await Host.attach({ sizeBytes: Number(engine.sizeBytes), frontend: { address: f.address, port: f.port, nqn: f.nqn } } as EngineInfo, HOST_OPTIONS);
  hosts.push(host);
  return host;
}

async function detachHost(host: Host): Promise<void> {
  hosts.splice(hosts.indexOf(host), 1);
  await host.close();
}

/** Writes a fresh block at each of `blocks` through the host, remembering it in `into`. */
async function writeBlocks(host: Host, blocks: number[], into: Map<number, Buffer>): Promise<void> {
  for (const block of blocks) {
    const data = Buffer.alloc(BLOCK, (block * 7 + into.size + runs * 13 + 1) & 0xff);
    data.write(`block ${block} #${into.size} ${Date.now()}`);
    await host.rpc.callUnchecked('sim_bdev_write', { name: host.bdev, offset_blocks: block, data_base64: data.toString('base64') });
    into.set(block, data);
  }
}

async function expectReads(host: Host, expected: ReadonlyMap<number, Buffer>, what: string): Promise<void> {
  for (const [block, data] of expected) {
    const { data_base64 } = await host.rpc.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: host.bdev, offset_blocks: block, num_blocks: 1 });
    expect(Buffer.from(data_base64, 'base64').equals(data), `block ${block}: ${what}`).toBe(true);
  }
}

/** A member as the replica node's lvol holds it, `offsetBlocks` in (the raid's data offset). */
async function expectOnB(lvol: string, offsetBlocks: number, expected: ReadonlyMap<number, Buffer>, what: string): Promise<void> {
  for (const [block, data] of expected) {
    const { data_base64 } = await b.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: lvol, offset_blocks: offsetBlocks + block, num_blocks: 1 });
    expect(Buffer.from(data_base64, 'base64').equals(data), `block ${block} on ${lvol}: ${what}`).toBe(true);
  }
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!isServiceError(error)) throw error;
    return { code: String(error.metadata.get(ERROR_CODE_TRAILER)[0] ?? ''), message: error.details };
  }
  throw new Error('the call succeeded; a refusal was expected');
}

beforeAll(async () => {
  b = await startNode({ api: true });
  await b.node.diskCreate({ name: 'd', path: b.diskFile('d', 256) });
  dir = tempDir('salvage-');
  sim = await startSim({ name: 'a', socket: path.join(dir, 'spdk.sock'), args: ['--mem-dump', path.join(dir, 'mem-dump-0.txt')] });
  await startEngineNode('state-1');
  const disk = path.join(dir, 'a.img');
  fs.closeSync(fs.openSync(disk, 'w'));
  fs.truncateSync(disk, 256 * MIB);
  await invoke(serve.clients.disks, 'DiskCreate', { name: 'd', path: disk });
}, 120_000);

afterAll(async () => {
  for (const host of hosts) await host.close();
  await serve?.stop();
  await sim?.stop();
  await b?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('replica salvage through the service and its API', () => {
  const volume = new Map<number, Buffer>();
  let rbExport: { port: number; nqn: string };

  it('fresh replicas: the engine is made with no salvage and nothing is rebuilt', async () => {
    await invoke(serve.clients.replicas, 'ReplicaCreate', { name: 'ra', diskName: 'd', sizeBytes: SB_REPLICA });
    rbExport = await exposedOnB('rb', SB_REPLICA);
    const created = await invoke(serve.clients.engines, 'EngineCreate', {
      name: 'vol',
      sizeBytes: SIZE,
      replicas: [{ local: { name: 'ra' } }, remote('rb', rbExport)],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST_NQN],
    });
    expect(created.superblock).toBe(true);
    expect(created.salvage).toBeNull();
    expect(created.rebuilds).toEqual([]);
    expect(created.state).toBe('ENGINE_STATE_HEALTHY');
    expect((await invoke(serve.clients.engines, 'RebuildList', {})).rebuilds).toEqual([]);
  }, 180_000);

  it('a member out while the host wrote, the engine node killed (-9) and its state lost: the newer member is the source, the other rebuilt, the host reads the newer data', async () => {
    let host = await attachHost(await engineGet('vol'));
    await writeBlocks(host, [0, 1, 2, 3, 40, 41], volume);
    await invoke(serve.clients.engines, 'EngineReplicaRemove', { name: 'vol', replicaName: 'rb' });
    // The same blocks again and more: only ra has them.
    await writeBlocks(host, [0, 1, 2, 3, 90, 91], volume);
    await detachHost(host);

    await crashEngineNode();
    await startEngineNode('state-2');
    // The node lost its state: its disk is made again over the same file (its lvstore is loaded).
    await invoke(serve.clients.disks, 'DiskCreate', { name: 'd', path: path.join(dir, 'a.img') });
    // When EngineCreate attaches rb, spdk_tgt's examine re-adds it (an older superblock) and
    // rebuilds it; slowed here (~3 s) so that the rebuild still runs when the service looks, as it does
    // for any volume larger than this test's 24 MiB (an unthrottled one can be over first on a
    // fast machine, and a member rebuilt by examine cannot be told from one always in sync).
    const spdk = await SimClient.connect(sim.socket);
    try {
      await spdk.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 8 });
    } finally {
      spdk.close();
    }
    // rb listed first: the caller's order alone would choose it.
    const request = {
      name: 'vol',
      sizeBytes: SIZE,
      replicas: [remote('rb', rbExport), { local: { name: 'ra' } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY' as const,
      hostNqns: [HOST_NQN],
    };
    const created = await invoke(serve.clients.engines, 'EngineCreate', request);
    const unthrottle = await SimClient.connect(sim.socket);
    try {
      await unthrottle.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 0 });
    } finally {
      unthrottle.close();
    }
    expect(created.salvage).toMatchObject({ source: 'ra', rule: 'superblock' });
    // The same create again (a caller's retry) finds the engine it made: the salvage is its state, not its configuration.
    expect((await invoke(serve.clients.engines, 'EngineCreate', request)).salvage?.source).toBe('ra');
    expect(created.salvage!.members).toEqual([
      { replica: 'rb', verdict: 'rebuilt', reason: expect.stringContaining('older sequence') },
      { replica: 'ra', verdict: 'source', reason: expect.any(String) },
    ]);
    const back = await healthy('vol');
    expect(back.salvage?.source).toBe('ra');
    host = await attachHost(back);
    await expectReads(host, volume, 'the newer member (ra) wins');
    // rb was rebuilt from ra: it holds the data written while it was out (1 MiB in: its data offset).
    await expectOnB((await b.node.replicaGet('rb')).lvolAlias, MIB / BLOCK, volume, 'rebuilt from ra');
    await detachHost(host);
  }, 180_000);

  it('without superblocks the snapshot chains decide; a source the caller names wins over them', async () => {
    // Members of exactly the volume's size: no room for a superblock.
    await invoke(serve.clients.replicas, 'ReplicaCreate', { name: 'rc', diskName: 'd', sizeBytes: SIZE });
    const rdExport = await exposedOnB('rd', SIZE);
    const members = [{ local: { name: 'rc' } }, remote('rd', rdExport)];
    const create = (replicas: unknown[], source?: string) =>
      invoke(serve.clients.engines, 'EngineCreate', {
        name: 'vol2',
        sizeBytes: SIZE,
        replicas: replicas as typeof members,
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [HOST_NQN],
        ...(source ? { source } : {}),
      });
    const made = await create(members);
    expect(made.superblock).toBe(false);
    expect(made.salvage).toBeNull();
    const data = new Map<number, Buffer>();
    let host = await attachHost(made);
    await writeBlocks(host, [5, 6, 7], data);
    await invoke(serve.clients.engines, 'EngineSnapshotCreate', { engine: 'vol2', name: 's1' });
    await invoke(serve.clients.engines, 'EngineReplicaRemove', { name: 'vol2', replicaName: 'rd' });
    await writeBlocks(host, [5, 6, 70], data);
    // Only rc has s2: its chain holds rd's newest snapshot (s1) and more.
    await invoke(serve.clients.snapshots, 'SnapshotCreate', { replicaName: 'rc', name: 's2' });
    await detachHost(host);
    await invoke(serve.clients.engines, 'EngineDelete', { name: 'vol2' });

    const chained = await create([remote('rd', rdExport), { local: { name: 'rc' } }]);
    expect(chained.salvage).toMatchObject({ source: 'rc', rule: 'snapshots' });
    expect(chained.salvage!.members.find((m) => m.replica === 'rd')).toMatchObject({ verdict: 'rebuilt', reason: expect.stringContaining("older than rc's") });
    host = await attachHost(await healthy('vol2'));
    await expectReads(host, data, 'rc, the newer chain, wins');
    await expectOnB((await b.node.replicaGet('rd')).lvolAlias, 0, data, 'rebuilt from rc');

    // rd out again while the host writes to rc alone; then rd is named the source.
    const before = new Map(data);
    await invoke(serve.clients.engines, 'EngineReplicaRemove', { name: 'vol2', replicaName: 'rd' });
    await writeBlocks(host, [5, 80], data);
    await detachHost(host);
    await invoke(serve.clients.engines, 'EngineDelete', { name: 'vol2' });
    const refused = await refusal(create(members, 'nobody'));
    expect(refused.code).toBe('INVALID_ARGUMENT');
    const named = await create(members, 'rd');
    expect(named.salvage).toMatchObject({ source: 'rd', rule: 'explicit' });
    expect(named.salvage!.members.find((m) => m.replica === 'rc')?.verdict).toBe('rebuilt');
    host = await attachHost(await healthy('vol2'));
    // rd's data: what was written before it left the second time; block 80 was never on it.
    await expectReads(host, before, 'rd, the named source, wins');
    const { data_base64 } = await host.rpc.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: host.bdev, offset_blocks: 80, num_blocks: 1 });
    expect(Buffer.from(data_base64, 'base64').equals(Buffer.alloc(BLOCK)), 'block 80 was written only to rc').toBe(true);
    await detachHost(host);
  }, 180_000);

  it('the engine record: a member the raid lost while the host wrote is recorded out, and after kill -9 of the engine node it is rebuilt, never trusted', async () => {
    const data = new Map<number, Buffer>();
    let host = await attachHost(await healthy('vol2'));
    await writeBlocks(host, [10, 11], data);
    // rd leaves the raid as a failed member does: the record still holds it as a member.
    const rd = (await engineGet('vol2')).members.find((m) => m.name === 'rd')!;
    const spdk = new SpdkClient({ socketPath: path.join(dir, 'spdk.sock'), logger: pino({ level: 'silent' }) });
    try {
      await spdk.callUnchecked('bdev_raid_remove_base_bdev', { name: rd.bdevName });
    } finally {
      await spdk.close();
    }
    const stateFile = path.join(dir, 'state-2', 'state.json');
    await until('rd recorded out of sync', CONVERGE_MS, async () => {
      const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { engines: Record<string, { out?: string[]; replicas: unknown[] }> };
      return state.engines.vol2?.out?.includes('rd') && state.engines.vol2.replicas.length === 2;
    });
    await writeBlocks(host, [10, 11, 12], data);
    await detachHost(host);

    // The same state this time: the node restarts, reconcile makes the raid again from the record.
    await crashEngineNode();
    await startEngineNode('state-2');
    const back = await healthy('vol2');
    expect(back.superblock).toBe(false);
    host = await attachHost(back);
    await expectReads(host, data, 'rc, in sync by the record, wins');
    await expectOnB((await b.node.replicaGet('rd')).lvolAlias, 0, data, 'rebuilt from rc');
    // The state file follows the engine's record by a write: wait for the write that clears `out`.
    const readOut = () => (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { engines: Record<string, { out?: string[] }> }).engines.vol2?.out;
    await until('rd no longer recorded out in the state file', CONVERGE_MS, async () => readOut() === undefined).catch(() => undefined);
    expect(readOut()).toBeUndefined();
    await detachHost(host);
  }, 180_000);
});
