/**
 * Volume snapshots over real processes: two replica nodes and an engine node with a local member,
 * every node serving its API on TCP (the engine node reaches the others as peers). A host writes
 * to the volume while snapshots are taken; a member failing makes the whole snapshot undone; an
 * engine node that dies mid-way undoes it at its next start; a rebuild never skips a same-named
 * snapshot that nothing made identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConductorError } from '../../src/errors.js';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { checksum, Host, MIB, RebuildCluster, until } from '../rebuild/helpers/rebuild-cluster.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';

const SIZE = 32 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
let host: Host;
let members: EngineReplicaSpec[];

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 3, sizeBytes: SIZE, api: true, diskMib: 512 });
  const engineNode = cluster.engineNode.node;
  await engineNode.diskCreate({ name: 'd', path: cluster.engineNode.diskFile('d', 256) });
  await engineNode.replicaCreate('vs-l', 'd', SIZE);
  members = [{ name: 'vs-l', kind: 'local' }, await cluster.replica(0, 'vs-r0'), await cluster.replica(1, 'vs-r1')];
  const engine = await cluster.engine('vs', members);
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
}, 90_000);

afterAll(async () => {
  await host?.close();
  await cluster?.close();
});

/** Each member's snapshots by name, read from the member's own node. */
async function memberSnapshots(name: string): Promise<Record<string, string[]>> {
  const lists = await Promise.all([cluster.engineNode.node.snapshotList('vs-l'), cluster.nodes[0]!.node.snapshotList('vs-r0'), cluster.nodes[1]!.node.snapshotList('vs-r1')]);
  return Object.fromEntries(['vs-l', 'vs-r0', 'vs-r1'].map((m, i) => [m, lists[i]!.filter((s) => s.name === name).map((s) => JSON.stringify(s.labels))]));
}

describe('volume snapshots', () => {
  const node = () => cluster.engineNode.node;

  it('snapshots every member under one name with the same labels, under host writes', async () => {
    let stop!: () => void;
    const writer = host.writeUntil(new Promise<void>((resolve) => (stop = resolve)), IO_TIMEOUT_MS);
    let made;
    try {
      await until('some host writes', 10_000, async () => host.written.size >= 5);
      made = await node().engineSnapshotCreate({ engine: 'vs', name: 's1', labels: { app: 'db', tier: 'gold' } });
    } finally {
      stop();
      await writer;
    }
    expect(host.failures).toEqual([]);
    expect(made.state).toBe('ready');
    expect(made.members.sort()).toEqual(['vs-l', 'vs-r0', 'vs-r1']);
    // Taken under writes with no way to quiesce: never claimed identical.
    expect(made.consistency).toBe('unverified');
    const labels = JSON.stringify({ app: 'db', tier: 'gold' });
    expect(await memberSnapshots('s1')).toEqual({ 'vs-l': [labels], 'vs-r0': [labels], 'vs-r1': [labels] });
    expect((await node().engineSnapshotList('vs')).map((s) => [s.name, s.state])).toEqual([['s1', 'ready']]);
  }, 60_000);

  it('is idempotent; other labels are SNAPSHOT_EXISTS; a name a member already has is refused, nothing changed', async () => {
    const again = await node().engineSnapshotCreate({ engine: 'vs', name: 's1', labels: { tier: 'gold', app: 'db' } });
    expect(again.name).toBe('s1');
    // A volume snapshot is the engine's state, not its configuration: the engine's own create again still finds it.
    expect((await cluster.engine('vs', members)).name).toBe('vs');
    expect((await refusal(node().engineSnapshotCreate({ engine: 'vs', name: 's1', labels: { app: 'web' } }))).code).toBe('SNAPSHOT_EXISTS');

    await cluster.nodes[1]!.node.snapshotCreate({ replicaName: 'vs-r1', name: 'own' });
    const conflict = await refusal(node().engineSnapshotCreate({ engine: 'vs', name: 'own' }));
    expect(conflict.code).toBe('VOLUME_SNAPSHOT_CONFLICT');
    expect(conflict.message).toContain('vs-r1');
    const own = await memberSnapshots('own');
    expect([own['vs-l']!.length, own['vs-r0']!.length, own['vs-r1']!.length]).toEqual([0, 0, 1]);
    expect((await node().engineSnapshotList('vs')).map((s) => s.name)).toEqual(['s1']);
    await cluster.nodes[1]!.node.snapshotDelete('vs-r1', 'own');
  }, 60_000);

  it('taken while the host is quiet, the remote members hold the same data', async () => {
    for (let i = 0; i < 20; i++) await host.writeOne(IO_TIMEOUT_MS);
    await node().engineSnapshotCreate({ engine: 'vs', name: 'quiet' });
    const [r0, r1] = await Promise.all([checksum(cluster.nodes[0]!.client, cluster.snapshotAlias('vs-r0', 'quiet')), checksum(cluster.nodes[1]!.client, cluster.snapshotAlias('vs-r1', 'quiet'))]);
    expect(r0).toBe(r1);
    await node().engineSnapshotDelete('vs', 'quiet');
  }, 60_000);

  it('all or nothing: a member failing undoes the snapshot on the others', async () => {
    const replicaNode = cluster.nodes[1]!;
    const [disk] = await replicaNode.client.call<Array<{ name: string }>>('bdev_get_bdevs', { name: (await replicaNode.node.diskGet('d')).bdevName });
    await replicaNode.client.callUnchecked('sim_bdev_fail_io', { name: disk!.name, enable: true });
    let failure: ConductorError;
    try {
      failure = await refusal(node().engineSnapshotCreate({ engine: 'vs', name: 'half' }));
    } finally {
      await replicaNode.client.callUnchecked('sim_bdev_fail_io', { name: disk!.name, enable: false });
    }
    expect(failure.message).toContain('half');
    expect(failure.message).toContain('vs-r1');
    const half = await memberSnapshots('half');
    expect([half['vs-l']!.length, half['vs-r0']!.length]).toEqual([0, 0]);
    expect((await node().engineSnapshotList('vs')).map((s) => s.name)).toEqual(['s1']);
  }, 60_000);

  it('deletes on every member; deleting again succeeds', async () => {
    await node().engineSnapshotCreate({ engine: 'vs', name: 'gone' });
    await node().engineSnapshotDelete('vs', 'gone');
    expect(await memberSnapshots('gone')).toEqual({ 'vs-l': [], 'vs-r0': [], 'vs-r1': [] });
    await node().engineSnapshotDelete('vs', 'gone');
    expect((await node().engineSnapshotList('vs')).map((s) => s.name)).toEqual(['s1']);
  }, 60_000);

  it('an engine node that dies mid-way undoes the partial snapshot at its next start', async () => {
    // vs-r1's snapshot answers late: the engine node goes down after the others are made.
    await cluster.nodes[1]!.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_snapshot', ms: 3000 });
    try {
      const pending = node()
        .engineSnapshotCreate({ engine: 'vs', name: 'torn' })
        .catch(() => undefined);
      await until('the fast members snapshotted', 10_000, async () => {
        const torn = await memberSnapshots('torn');
        return torn['vs-l']!.length === 1 && torn['vs-r0']!.length === 1;
      });
      await cluster.engineNode.restart();
      await pending;
    } finally {
      await cluster.nodes[1]!.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_snapshot', ms: 0 });
    }
    await until('the torn volume snapshot undone on every member', 20_000, async () => {
      const torn = await memberSnapshots('torn');
      const listed = (await node().engineSnapshotList('vs')).map((s) => s.name);
      return Object.values(torn).every((l) => l.length === 0) && !listed.includes('torn');
    });
    expect((await node().engineSnapshotList('vs')).map((s) => s.name)).toEqual(['s1']);
  }, 90_000);

  it('a rebuild does not skip a same-named snapshot nothing made identical, and a copy is recorded identical', async () => {
    // vs-r1 leaves and comes back with its own s1: taken under writes, it may differ from the source's.
    await node().engineReplicaRemove('vs', 'vs-r1');
    await node().engineReplicaAdd('vs', members[2]!);
    const back = await cluster.rebuildEnd('vs', 'vs-r1', 60_000);
    expect(back.state, back.reason).toBe('done');
    expect(back.path, back.pathReason).toBe('raid');
    expect(back.pathReason).toContain('s1');

    // A fresh replica in its place gets s1 by copy: the record now says it is identical to its source's.
    await node().engineReplicaRemove('vs', 'vs-r1');
    const fresh = await cluster.replica(2, 'vs-r2');
    await node().engineReplicaAdd('vs', fresh);
    const copied = await cluster.rebuildEnd('vs', 'vs-r2', 60_000);
    expect(copied.state, copied.reason).toBe('done');
    expect(copied.path, copied.pathReason).toBe('snapshot-preserving');
    const [s1] = await node().engineSnapshotList('vs');
    expect(s1!.members).toContain('vs-r2');
    expect(s1!.consistency).toBe('unverified');
    expect(s1!.identical.sort()).toEqual([copied.sourceReplica, 'vs-r2'].sort());
  }, 150_000);
});
