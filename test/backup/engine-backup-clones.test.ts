/**
 * A volume snapshot whose copy on a remote member has a clone (a linked ReplicaClone on that
 * member's node): SPDK cannot merge that copy away, so deleting the volume snapshot would delete
 * the other members' copies and then fail on that one, leaving a volume snapshot half gone. The
 * engine node asks every member's node first (its peer calls) and keeps it whole: an
 * EngineSnapshotDelete is refused SNAPSHOT_HAS_CHILDREN with nothing deleted, and the volume
 * snapshot a backup of the engine took is kept at the backup's end, not deleted. Two nodes on the
 * simulator, each serving its API (the engine node reaches the other as a peer).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { MIB, RebuildCluster, until } from '../rebuild/helpers/rebuild-cluster.js';

const SIZE = 16 * MIB;
let cluster: RebuildCluster;
let members: EngineReplicaSpec[];

const engineNode = () => cluster.engineNode.node;
const remoteNode = () => cluster.nodes[0]!.node;

/** Each member's snapshot names, read from the member's own node. */
async function memberSnapshots(): Promise<Record<string, string[]>> {
  const [local, remote] = await Promise.all([engineNode().snapshotList('cl-l'), remoteNode().snapshotList('cl-r')]);
  return { 'cl-l': local.map((s) => s.name).sort(), 'cl-r': remote.map((s) => s.name).sort() };
}

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 1, sizeBytes: SIZE, api: true, diskMib: 256 });
  await engineNode().diskCreate({ name: 'd', path: cluster.engineNode.diskFile('d', 256) });
  await engineNode().replicaCreate('cl-l', 'd', SIZE);
  members = [{ name: 'cl-l', kind: 'local' }, await cluster.replica(0, 'cl-r')];
  await cluster.engine('cl', members);
  await engineNode().backups.targetSet({ kind: 'fs', path: path.join(cluster.engineNode.dir, 'target') });
}, 120_000);

afterAll(async () => {
  await cluster?.engineNode.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 }).catch(() => undefined);
  await cluster?.close();
});

describe("a volume snapshot a remote member's clone depends on", { timeout: 180_000 }, () => {
  it('EngineSnapshotDelete is refused with the member named, nothing deleted', async () => {
    await engineNode().engineSnapshotCreate({ engine: 'cl', name: 'base' });
    await remoteNode().replicaClone({ name: 'cl-clone', sourceReplica: 'cl-r', snapshot: 'base', mode: 'linked' });

    const refused = await conductorRefusal(engineNode().engineSnapshotDelete('cl', 'base'));
    expect(refused.code).toBe('SNAPSHOT_HAS_CHILDREN');
    expect(refused.message).toMatch(/a clone depends on the copy of member cl-r \(2 children\).*nothing was deleted/);
    expect(await memberSnapshots()).toEqual({ 'cl-l': ['base'], 'cl-r': ['base'] });
    expect((await engineNode().engineSnapshotList('cl')).map((s) => [s.name, s.state])).toEqual([['base', 'ready']]);

    // Without the clone the delete goes through on every member.
    await remoteNode().replicaDelete('cl-clone');
    await engineNode().engineSnapshotDelete('cl', 'base');
    expect(await memberSnapshots()).toEqual({ 'cl-l': [], 'cl-r': [] });
    expect(await engineNode().engineSnapshotList('cl')).toEqual([]);
  });

  it("a backup's own volume snapshot is kept at the backup's end when a remote member's copy has a clone", async () => {
    // The stage's copy is held after a cluster, so the clone is made while the backup runs (the
    // job cannot end before the copy is let go).
    for (let off = 0; off < 4 * MIB; off += 128 * 1024) {
      await cluster.engineNode.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.cl-l', offset_blocks: off / 4096, data_base64: Buffer.alloc(128 * 1024, 7).toString('base64') });
    }
    await cluster.engineNode.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 1 });
    const job = await engineNode().backups.backupCreate({ engine: 'cl' });
    // The job's snapshot is its id (jobs-snapshots.ts), taken once the job runs.
    const snapshot = job.backupId;
    await until('the volume snapshot taken and the copy started', 60_000, async () => {
      const j = engineNode().backups.jobGet(job.id);
      if ((j.state !== 'staging' && j.state !== 'uploading') || !(await remoteNode().snapshotList('cl-r')).some((s) => s.name === snapshot)) throw new Error(JSON.stringify(j));
      return true;
    });
    await remoteNode().replicaClone({ name: 'cl-clone2', sourceReplica: 'cl-r', snapshot, mode: 'linked' });
    await cluster.engineNode.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    const done = await until(`backup ${job.id} to end`, 60_000, async () => {
      const j = engineNode().backups.jobGet(job.id);
      return ['done', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    });
    expect(done.state, done.reason).toBe('done');
    await until('no backup snapshot waiting for its delete', 30_000, async () => engineNode().backups.snapshots.waiting().length === 0);

    // Kept whole: the record ready, every member's copy there.
    expect((await engineNode().engineSnapshotList('cl')).map((s) => [s.name, s.state])).toEqual([[snapshot, 'ready']]);
    expect(await memberSnapshots()).toEqual({ 'cl-l': [snapshot], 'cl-r': [snapshot] });
  });
});
