/**
 * A rebuild spdk_tgt starts by itself (issue 12): a superblock engine's local member left the raid
 * before spdk_tgt was killed; after the restart, examine re-assembles the raid and re-adds that
 * member under its lvol's uuid, and raid1 rebuilds it without being asked (transcript 17). The
 * service records it (path raid, "started by spdk_tgt on re-assembly") and follows it like its
 * own: EngineGet and RebuildGet show its progress, the state file holds it, a service restarted
 * in the middle re-adopts it by the uuid the raid lists the member under (not restarts it), and it
 * ends done with the member healthy and the record gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPDK_STARTED_REASON } from '../../src/domain/rebuild/rebuild-restart.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { engineNode, FAST_BUDGET, HOST_NQN, MIB, replicaNode, until, type ReplicaNode } from '../engine/helpers/cluster.js';

const SIZE = 32 * MIB;
const REPLICA_SIZE = SIZE + 8 * MIB;
/** Slow enough to be seen in the middle and to restart the service within it: 32 MiB at 2 MiB/s. */
const REBUILD_MB_SEC = 2;
const WAIT_MS = 90_000;

let a: NodeFixture;
let b: ReplicaNode;
const sims: RunningSim[] = [];

function recordedRebuild(): { phase: string; view?: { path: string; pathReason: string; percent: number } } | undefined {
  const state = JSON.parse(fs.readFileSync(path.join(a.dir, 'state.json'), 'utf8')) as {
    engines: Record<string, { rebuilding?: Record<string, { phase: string; view?: { path: string; pathReason: string; percent: number } }> }>;
  };
  return state.engines.vol?.rebuilding?.ra;
}

beforeAll(async () => {
  b = await replicaNode('B', 'rb', REPLICA_SIZE);
  a = await engineNode({ ...FAST_BUDGET, CONDUCTOR_REBUILD_MAX_MB_SEC: String(REBUILD_MB_SEC) });
  await a.node.diskCreate({ name: 'd', path: a.diskFile('d', 256) });
  await a.node.replicaCreate('ra', 'd', REPLICA_SIZE);
  const engine = await a.node.engineCreate({ name: 'vol', sizeBytes: SIZE, replicas: [{ name: 'ra', kind: 'local' }, b.spec], frontend: 'export-only', hostNqns: [HOST_NQN] });
  expect(engine.superblock).toBe(true);
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.fixture.close();
  for (const sim of sims) await sim.stop();
});

describe('a rebuild spdk_tgt starts on re-assembly', () => {
  it('is recorded, shown with its progress, re-adopted by uuid after a service restart, and ends done', async () => {
    // The local member leaves the raid, as a failed member would; the engine record still holds it.
    const ra = (await a.node.engineGet('vol')).members.find((m) => m.name === 'ra')!;
    await a.client.callUnchecked('bdev_raid_remove_base_bdev', { name: ra.bdevName });
    await until('ra out of the raid', WAIT_MS, async () => (await a.node.engineGet('vol')).members.find((m) => m.name === 'ra')?.state !== 'healthy');
    expect(recordedRebuild()).toBeUndefined();

    // kill -9 of spdk_tgt; the new one rebuilds slowly (set here before the reconcile reaches the
    // engine, and by the service itself when it sees the restart).
    await a.sim.kill();
    const sim = await startSim({ name: 'node', socket: a.sim.socket, args: ['--mem-dump', path.join(a.dir, 'mem-dump-2.txt')] });
    sims.push(sim);
    const own = await SimClient.connect(sim.socket);
    try {
      await own.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: REBUILD_MB_SEC });
    } finally {
      own.close();
    }

    // spdk_tgt rebuilds ra under its uuid; the service records and follows it.
    const uuid = (await until('ra back in the inventory', WAIT_MS, async () => (await a.node.replicaGet('ra').catch(() => undefined))?.lvolUuid))!;
    const first = await until('the rebuild spdk_tgt started, followed', WAIT_MS, async () => {
      const rebuild = await a.node.rebuildGet('vol', 'ra').catch(() => undefined);
      return rebuild?.state === 'rebuilding' && rebuild.percent > 0 && rebuild;
    });
    expect(first.path).toBe('raid');
    expect(first.pathReason).toBe(SPDK_STARTED_REASON);
    expect(first.raid?.member).toBe(uuid);
    const [raid] = await a.client.callUnchecked<Array<{ process?: { target: string } }>>('bdev_raid_get_bdevs', { category: 'all' });
    expect(raid?.process?.target, 'spdk_tgt rebuilds the member under its uuid').toBe(uuid);
    const engine = await a.node.engineGet('vol');
    expect(engine.members.find((m) => m.name === 'ra')?.state).toBe('rebuilding');
    expect(engine.rebuilds.map((r) => [r.replica, r.pathReason])).toEqual([['ra', SPDK_STARTED_REASON]]);
    await until('the rebuild recorded in the state file', WAIT_MS, async () => recordedRebuild()?.view?.pathReason === SPDK_STARTED_REASON);
    expect(recordedRebuild()?.phase).toBe('rebuilding');

    // The service restarts in the middle: it re-adopts the rebuild (matched by uuid), not restarts it.
    const before = (await a.node.rebuildGet('vol', 'ra')).percent;
    expect(before, 'still running when the service restarts').toBeLessThan(100);
    await a.restart();
    const adopted = await a.node.rebuildGet('vol', 'ra');
    expect(adopted.pathReason).toBe(`${SPDK_STARTED_REASON} (re-adopted after a restart)`);
    expect(adopted.state).toBe('rebuilding');

    const done = await until('the rebuild done', WAIT_MS, async () => {
      const rebuild = await a.node.rebuildGet('vol', 'ra');
      return rebuild.state !== 'rebuilding' && rebuild;
    });
    expect(done.state, done.reason).toBe('done');
    expect(done.percent).toBe(100);
    expect(recordedRebuild()).toBeUndefined();
    const after = await a.node.engineGet('vol');
    expect(after.state).toBe('healthy');
    expect(after.members.map((m) => [m.name, m.state])).toEqual([
      ['ra', 'healthy'],
      ['rb', 'healthy'],
    ]);
  });
});
