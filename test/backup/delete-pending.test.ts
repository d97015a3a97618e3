/**
 * A snapshot deleted while a backup's shallow copy reads it stays in spdk_tgt until the copy ends
 * (a delete under the copy would half-delete it on v26.05: test/real/backup-snapshot-busy.test.ts),
 * so its name is not free yet. A create of that name, of a replica's snapshot or of a volume
 * snapshot over the member that still has it, is refused with SNAPSHOT_DELETE_PENDING naming the
 * copy (and how far it got), and nothing is changed; once the copy ends the delete is done and the
 * name can be used again. The simulator holds the copy after a few clusters
 * (sim_shallow_copy_rate pause_after), so the refusal lands mid-copy by construction.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotLvolName } from '../../src/domain/node/naming.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { createLocalEngine } from '../helpers/local-engine.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:6a0d1e3b-27c4-4f58-9b1e-2c7d8e4f5a61';

let node: NodeFixture;

async function fill(bdev: string, offset: number, bytes: number): Promise<void> {
  for (let off = offset; off < offset + bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

async function lvols(prefix: string): Promise<string[]> {
  return (await node.client.callUnchecked<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith(prefix));
}

/** The backup's copy runs (some clusters copied, then held by the simulator). */
async function copying(id: string): Promise<void> {
  await until(
    `backup ${id} copying`,
    () => {
      const job = node.node.backups.jobGet(id);
      // One snapshot alone is read behind its copy: the job may be uploading already.
      return (job.state === 'staging' || job.state === 'uploading') && job.bytesDone > 0;
    },
    60_000,
    () => JSON.stringify(node.node.backups.jobGet(id)),
  );
}

async function ended(id: string) {
  const job = await until(`backup ${id} to end`, () => {
    const j = node.node.backups.jobGet(id);
    return ['done', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
  });
  expect(job.state, job.reason).toBe('done');
}

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_BACKUP_CONCURRENCY: '1' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.backups.targetSet({ kind: 'fs', path: path.join(node.dir, 'target') });
}, 120_000);

afterAll(async () => {
  await node?.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 }).catch(() => undefined);
  await node?.close();
});

describe('a snapshot name whose delete waits for a copy', { timeout: 300_000 }, () => {
  it("a replica snapshot's create is refused with the copy named, nothing changed; free once the copy ends", async () => {
    await node.node.replicaCreate('solo', 'd', SIZE);
    await fill('lvs.d/r.solo', 0, 8 * MiB);
    await node.node.snapshotCreate({ replicaName: 'solo', name: 'a' });
    await fill('lvs.d/r.solo', 8 * MiB, 4 * MiB);
    await node.node.snapshotCreate({ replicaName: 'solo', name: 'p' });
    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ replica: 'solo', snapshot: 'p', volume: 'solo' });
    await copying(job.id);
    expect(await node.node.snapshotDelete('solo', 'a')).toBe('deleted');

    const before = await lvols('s.a.');
    const refused = await conductorRefusal(node.node.snapshotCreate({ replicaName: 'solo', name: 'a' }));
    expect(refused.code).toBe('SNAPSHOT_DELETE_PENDING');
    expect(refused.message).toMatch(/snapshot a of solo is being deleted: spdk_tgt deletes it once backup .*'s copy \(2 of \d+ clusters copied\) ends/);
    expect(refused.message).toContain('nothing was changed');
    // Other labels too: the pending delete is the answer, not SNAPSHOT_EXISTS.
    expect((await conductorRefusal(node.node.snapshotCreate({ replicaName: 'solo', name: 'a', labels: { x: 'y' } }))).code).toBe('SNAPSHOT_DELETE_PENDING');
    expect(await lvols('s.a.')).toEqual(before);
    const listed = (await node.node.snapshotList('solo')).find((s) => s.name === 'a');
    expect(listed?.deletePending).toBe(true);

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    await ended(job.id);
    await until('the taken delete done once the copy ended', async () => (await lvols('s.a.')).length === 0);
    const made = await node.node.snapshotCreate({ replicaName: 'solo', name: 'a', labels: { again: 'yes' } });
    expect(made.labels).toEqual({ again: 'yes' });
    expect(made.deletePending).toBeUndefined();
  });

  it('a volume snapshot over a member whose copy of that name is being deleted is refused, nothing changed', async () => {
    await node.node.replicaCreate('m0', 'd', SIZE);
    await node.node.replicaCreate('m1', 'd', SIZE);
    await createLocalEngine(node.node, 'evol', SIZE, ['m0', 'm1'], HOST);
    await fill('lvs.d/r.m0', 0, 8 * MiB);
    await fill('lvs.d/r.m1', 0, 8 * MiB);
    await node.node.engineSnapshotCreate({ engine: 'evol', name: 'v' });
    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ engine: 'evol', replica: 'm0', snapshot: 'v' });
    await copying(job.id);
    // m0's copy is read by the stage: its delete is taken; m1's goes at once.
    await node.node.engineSnapshotDelete('evol', 'v');
    expect(await node.node.engineSnapshotList('evol')).toEqual([]);

    const refused = await conductorRefusal(node.node.engineSnapshotCreate({ engine: 'evol', name: 'v' }));
    expect(refused.code).toBe('SNAPSHOT_DELETE_PENDING');
    expect(refused.message).toMatch(/member m0 of evol still has a snapshot v being deleted/);
    expect((await node.node.snapshotList('m0')).map((s) => [s.name, s.deletePending])).toEqual([['v', true]]);
    expect(await node.node.engineSnapshotList('evol')).toEqual([]);
    expect(await node.node.snapshotList('m1')).toEqual([]);

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    await ended(job.id);
    await until("m0's copy deleted once the stage's copy ended", async () => (await node.node.snapshotList('m0')).length === 0);
    expect((await node.node.engineSnapshotCreate({ engine: 'evol', name: 'v' })).state).toBe('ready');
  });

  it('a replica deleted while a copy reads its snapshot is not created again until the copy ends: then a fresh one', async () => {
    await node.node.replicaCreate('gone', 'd', SIZE);
    await fill('lvs.d/r.gone', 0, 8 * MiB);
    await node.node.snapshotCreate({ replicaName: 'gone', name: 'p' });
    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ replica: 'gone', snapshot: 'p', volume: 'gone' });
    await copying(job.id);
    expect(await node.node.replicaDelete('gone')).toBe('deleted');
    // Made now, the new head would be deleted by the old delete's finish when the copy ends.
    const refused = await conductorRefusal(node.node.replicaCreate('gone', 'd', SIZE));
    expect(refused.code).toBe('REPLICA_DELETE_UNFINISHED');
    expect(refused.message).toMatch(/an earlier delete of replica gone waits for backup .*'s copy/);
    expect(refused.message).toContain('nothing was created');
    expect(await lvols('r.gone')).toEqual([]);

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    await ended(job.id);
    await until('the old snapshot gone once the copy ended', async () => !(await lvols('s.p.')).includes(snapshotLvolName('gone', 'p')) || undefined, 30_000);
    const fresh = await node.node.replicaCreate('gone', 'd', SIZE);
    expect(fresh.sizeBytes).toBe(SIZE);
    expect(await node.node.snapshotList('gone')).toEqual([]);
    expect(await lvols('r.gone')).toEqual(['r.gone']);
  });
});
