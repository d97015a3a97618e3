/**
 * Rebuild failure paths on real processes: three replica nodes, an engine node rebuilding at a
 * throttled 16 MiB/s (a 32 MiB member takes ~2 s, long enough to act in the middle), a host.
 * Each path must end with no member that looks healthy with partial data, nothing made for the
 * rebuild left in spdk_tgt, and the volume serving.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { checksum, Host, MIB, RebuildCluster, until } from './helpers/rebuild-cluster.js';

const SIZE = 32 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
let host: Host;
let members: EngineReplicaSpec[];
let generation = 0;

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 3, sizeBytes: SIZE, api: false, diskMib: 1024, engineEnv: { CONDUCTOR_REBUILD_MAX_MB_SEC: '16', CONDUCTOR_REBUILD_MAX_CONCURRENT: '1' } });
  await cluster.engineNode.client.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 16 });
  members = await Promise.all([0, 1, 2].map((i) => cluster.replica(i, `f-r${i}`)));
  const engine = await cluster.engine('f', members);
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
  for (let i = 0; i < 50; i++) await host.writeOne(IO_TIMEOUT_MS);
}, 60_000);

afterAll(async () => {
  await host?.close();
  await cluster?.close();
});

const engineNode = () => cluster.engineNode;
const controllers = async (): Promise<string[]> => (await engineNode().client.call<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name).sort();

/** Takes member i out and gives its node a fresh empty replica to add back. */
async function replaceMember(i: number): Promise<EngineReplicaSpec> {
  const old = members[i]!;
  // A cancelled or failed rebuild has taken it out already: removing a non-member is NOT_FOUND.
  await engineNode()
    .node.engineReplicaRemove('f', old.name)
    .catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'ENGINE_MEMBER_NOT_FOUND') throw e;
    });
  await cluster.nodes[i]!.node.replicaDelete(old.name);
  const fresh = await cluster.replica(i, `f-r${i}g${++generation}`);
  members[i] = fresh;
  return fresh;
}

/** Adds `spec` and waits until spdk_tgt's rebuild process for it runs. */
async function addAndWaitProcess(spec: EngineReplicaSpec): Promise<void> {
  await engineNode().node.engineReplicaAdd('f', spec);
  await cluster.rebuildAt('f', spec.name, 20_000, (r) => r.processStartedAtMs > 0 && r.state === 'rebuilding' && (r.raid?.percent ?? 0) < 60);
}

/** Member i healthy again (rebuilt in full), for the next test. */
async function restore(i: number): Promise<void> {
  const fresh = await replaceMember(i);
  await engineNode().node.engineReplicaAdd('f', fresh);
  const end = await cluster.rebuildEnd('f', fresh.name, 30_000);
  expect(end.state, end.reason).toBe('done');
}

async function expectServing(): Promise<void> {
  const before = host.failures.length;
  for (let i = 0; i < 5; i++) await host.writeOne(IO_TIMEOUT_MS);
  expect(host.failures.slice(before)).toEqual([]);
}

describe('rebuild failure paths', () => {
  beforeEach(async () => {
    const engine = await engineNode().node.engineGet('f');
    expect(engine.state, engine.reason).toBe('healthy');
  });

  it('cancelled mid-rebuild: the member leaves the raid and the engine, its controller is detached', async () => {
    const fresh = await replaceMember(2);
    await addAndWaitProcess(fresh);
    const cancelled = await engineNode().node.rebuildCancel('f', fresh.name);
    expect([cancelled.state, cancelled.reason]).toEqual(['cancelled', 'cancelled by request']);
    const engine = await engineNode().node.engineGet('f');
    expect(engine.members.map((m) => m.name)).toEqual(['f-r0', 'f-r1']);
    expect(engine.rebuilds).toEqual([]);
    expect(await controllers()).not.toContain(`ec.f.${fresh.name}`);
    const raid = (await engineNode().client.call<Array<{ name: string; base_bdevs_list: Array<{ name: string | null }>; process?: unknown }>>('bdev_raid_get_bdevs', { category: 'all' }))[0]!;
    expect(raid.process).toBeUndefined();
    expect(raid.base_bdevs_list.map((b) => b.name)).not.toContain(`ec.f.${fresh.name}n1`);
    // Cancelling again returns the ended rebuild unchanged.
    expect((await engineNode().node.rebuildCancel('f', fresh.name)).state).toBe('cancelled');
    await expectServing();
    await restore(2);
  }, 90_000);

  it('new replica lost mid-rebuild: the rebuild fails with why, the member is taken out, nothing is left', async () => {
    const fresh = await replaceMember(2);
    await addAndWaitProcess(fresh);
    await cluster.nodes[2]!.client.callUnchecked('sim_listeners_kill');
    try {
      const end = await cluster.rebuildEnd('f', fresh.name, 30_000);
      expect(end.state).toBe('failed');
      expect(end.reason).toMatch(/left the raid during the rebuild/);
      const engine = await engineNode().node.engineGet('f');
      expect(engine.members.map((m) => [m.name, m.state])).toEqual([
        ['f-r0', 'healthy'],
        ['f-r1', 'healthy'],
      ]);
      expect(await controllers()).not.toContain(`ec.f.${fresh.name}`);
      await expectServing();
    } finally {
      await cluster.nodes[2]!.client.callUnchecked('sim_listeners_restore');
    }
    await restore(2);
  }, 90_000);

  it('source lost mid-rebuild: the raid goes on from the other member and the new one is complete', async () => {
    const fresh = await replaceMember(2);
    let stop!: () => void;
    const writer = host.writeUntil(new Promise<void>((resolve) => (stop = resolve)), IO_TIMEOUT_MS);
    try {
      await addAndWaitProcess(fresh);
      await cluster.nodes[0]!.client.callUnchecked('sim_listeners_kill');
      const end = await cluster.rebuildEnd('f', fresh.name, 40_000);
      expect(end.state, end.reason).toBe('done');
    } finally {
      stop();
      await writer;
      await cluster.nodes[0]!.client.callUnchecked('sim_listeners_restore');
    }
    expect(host.failures).toEqual([]);
    expect(await checksum(cluster.nodes[2]!.client, cluster.headAlias(fresh.name))).toBe(host.expectedChecksum());
    expect(await checksum(cluster.nodes[1]!.client, cluster.headAlias(members[1]!.name))).toBe(host.expectedChecksum());
    // The lost source is out of the raid; bring it back for the next test.
    await until('f-r0 to leave the raid', 20_000, async () => (await engineNode().node.engineGet('f')).members.find((m) => m.name === members[0]!.name)?.state !== 'healthy');
    await restore(0);
  }, 120_000);

  it('restarted mid-rebuild: the running spdk_tgt rebuild is re-adopted and followed to its end', async () => {
    const fresh = await replaceMember(1);
    await addAndWaitProcess(fresh);
    const before = await engineNode().node.rebuildGet('f', fresh.name);
    await engineNode().restart();
    // What it did before the restart is reported whole: path, why, source, and a percent that
    // goes on from the raid's own progress instead of starting over at 0.
    const adopted = await engineNode().node.rebuildGet('f', fresh.name);
    expect(adopted.reason).toMatch(/restarted/);
    expect([adopted.path, adopted.sourceReplica, adopted.bytesTotal]).toEqual([before.path, before.sourceReplica, before.bytesTotal]);
    expect(adopted.pathReason).toBe(`${before.pathReason} (re-adopted after a restart)`);
    expect(adopted.percent).toBeGreaterThanOrEqual(Math.floor(before.percent / 10) * 10);
    const followed = await cluster.rebuildAt('f', fresh.name, 20_000, (r) => r.state !== 'rebuilding' || (r.raid?.percent ?? 0) > 0);
    if (followed.state === 'rebuilding') expect(followed.percent, `raid at ${followed.raid!.percent}%`).toBeGreaterThanOrEqual(Math.max(1, followed.raid!.percent - 1));
    const end = await cluster.rebuildEnd('f', fresh.name, 30_000);
    expect(end.state, end.reason).toBe('done');
    expect(end.percent).toBe(100);
    expect(end.pathReason).toMatch(/re-adopted after a restart/);
    expect(await checksum(cluster.nodes[1]!.client, cluster.headAlias(fresh.name))).toBe(host.expectedChecksum());
    const engine = await engineNode().node.engineGet('f');
    expect(engine.state, engine.reason).toBe('healthy');
  }, 90_000);

  it('queues fairly: one at a time (rebuild.maxConcurrent 1), engines served round robin, positions reported', async () => {
    // A second engine over other replicas of the same nodes.
    const others = await Promise.all([0, 1].map((i) => cluster.replica(i, `g-r${i}`)));
    await engineNode().node.engineCreate({ name: 'g', sizeBytes: SIZE, replicas: others, frontend: 'export-only', hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de'] });
    try {
      const a1 = await replaceMember(1);
      const a2 = await replaceMember(2);
      await engineNode().node.engineReplicaRemove('g', 'g-r1');
      await cluster.nodes[1]!.node.replicaDelete('g-r1');
      const b1 = await cluster.replica(1, 'g-r1b');
      await engineNode().node.engineReplicaAdd('f', a1);
      await engineNode().node.engineReplicaAdd('f', a2);
      await engineNode().node.engineReplicaAdd('g', b1);
      // The free slots of f are taken or spoken for by its two rebuilds.
      const extra = await cluster.replica(0, 'f-extra');
      await expect(engineNode().node.engineReplicaAdd('f', extra)).rejects.toMatchObject({ code: 'RAID_NO_FREE_SLOT', message: expect.stringMatching(/free slots?, taken by the rebuilds? of/) });
      expect((await engineNode().node.engineGet('f')).members.map((m) => m.name)).not.toContain('f-extra');
      const queued = Object.fromEntries((await engineNode().node.rebuildList(undefined)).filter((r) => r.state === 'queued').map((r) => [r.replica, r.queuePosition]));
      expect(queued).toEqual({ [a2.name]: 2, 'g-r1b': 1 });
      const ends = await Promise.all([cluster.rebuildEnd('f', a1.name, 60_000), cluster.rebuildEnd('f', a2.name, 60_000), cluster.rebuildEnd('g', 'g-r1b', 60_000)]);
      expect(ends.map((e) => e.state)).toEqual(['done', 'done', 'done']);
      const [first, second, third] = ends.map((e) => e.startedAtMs);
      expect(first! < third! && third! < second!, `start order ${first} ${third} ${second}`).toBe(true);
      // Never two at once.
      expect(ends[0]!.finishedAtMs).toBeLessThanOrEqual(ends[2]!.startedAtMs);
      expect(ends[2]!.finishedAtMs).toBeLessThanOrEqual(ends[1]!.startedAtMs);
    } finally {
      await engineNode().node.engineDelete('g');
    }
  }, 150_000);

  it('engine deleted mid-rebuild: the rebuild is cancelled and the engine leaves nothing behind', async () => {
    const fresh = await replaceMember(2);
    await addAndWaitProcess(fresh);
    await host.close();
    await engineNode().node.engineDelete('f');
    const end = await engineNode().node.rebuildGet('f', fresh.name);
    expect([end.state, end.reason]).toEqual(['cancelled', 'the engine was deleted']);
    expect(await controllers()).toEqual([]);
    expect(await engineNode().client.call('bdev_raid_get_bdevs', { category: 'all' })).toEqual([]);
    expect((await engineNode().node.engineList()).map((e) => e.name)).toEqual([]);
    host = undefined as unknown as Host;
  }, 60_000);
});
