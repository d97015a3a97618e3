/**
 * Volume operations while a backup's shallow copy runs (the COPYING phase: a chain of two
 * snapshots is copied whole before any block is read, and the simulator holds the copy after a few
 * clusters with sim_shallow_copy_rate pause_after). The copy cannot move while it is held, so an
 * operation that answers while the job is still staging did not wait for the backup. Snapshot
 * create and delete, member detach, engine delete and replica delete all answer then; a snapshot
 * the copy reads is not deleted under it (real v26.05 half-deletes it, -32603 EBUSY:
 * test/real/backup-snapshot-busy.test.ts) but once the copy ends; the backup finishes from its
 * pinned snapshot. Each time is printed, with the load average (issue 13's "within 1 s": a few
 * spdk_tgt calls each, 1.1 s at most seen at load 10-20). The proof that nothing waited is not the
 * time but the held copy: a timed bound fails on a busy machine without saying anything.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { createLocalEngine } from '../helpers/local-engine.js';
import { until } from '../helpers/until.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0b7e2c55-91d4-4e1a-8f3c-5a9d2e7b1c04';

let node: NodeFixture;

async function fill(bdev: string, offset: number, bytes: number): Promise<void> {
  for (let off = offset; off < offset + bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

/** Two snapshots with data of their own: a full backup of the second copies both, the first while the second waits. */
async function chain(replica: string, first: string, second: string): Promise<void> {
  await fill(`lvs.d/r.${replica}`, 0, 8 * MiB);
  await node.node.snapshotCreate({ replicaName: replica, name: first });
  await fill(`lvs.d/r.${replica}`, 8 * MiB, 4 * MiB);
  await node.node.snapshotCreate({ replicaName: replica, name: second });
}

async function lvols(): Promise<string[]> {
  return (await node.client.callUnchecked<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name);
}

/** The backup is in its COPYING phase: staging, with clusters copied by spdk_tgt (then held). */
async function copying(id: string): Promise<void> {
  await until(
    `backup ${id} copying`,
    () => {
      const job = node.node.backups.jobGet(id);
      return job.state === 'staging' && job.bytesDone > 0;
    },
    60_000,
    () => JSON.stringify(node.node.backups.jobGet(id)),
  );
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await work();
  return [value, performance.now() - t];
}

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_BACKUP_CONCURRENCY: '1' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.backups.targetSet({ kind: 'fs', path: path.join(node.dir, 'target') });
}, 120_000);

afterAll(async () => {
  await node?.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 }).catch(() => undefined);
  await node?.close();
});

describe('volume operations during a backup in its COPYING phase', { timeout: 300_000 }, () => {
  it('snapshot create and delete answer at once; the snapshot the copy reads goes once the copy ends, and the backup finishes', async () => {
    await node.node.replicaCreate('solo', 'd', SIZE);
    await chain('solo', 'a', 'p');
    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ replica: 'solo', snapshot: 'p', volume: 'solo' });
    await copying(job.id);

    const [, createMs] = await timed(() => node.node.snapshotCreate({ replicaName: 'solo', name: 'x' }));
    const [, deleteMs] = await timed(() => node.node.snapshotDelete('solo', 'x'));
    // 'a' is the snapshot spdk_tgt copies now: the delete is taken, not sent under the copy.
    const [outcome, heldMs] = await timed(() => node.node.snapshotDelete('solo', 'a'));
    console.log(`during a backup's copy: snapshot create ${createMs.toFixed(0)} ms, delete ${deleteMs.toFixed(0)} ms, delete of the copied snapshot ${heldMs.toFixed(0)} ms; load ${load()}`);
    expect(outcome).toBe('deleted');
    // The copy is held: the backup could not move, so none of these waited for it.
    expect(node.node.backups.jobGet(job.id).state).toBe('staging');
    // Not half-deleted: the snapshot and its bdev stay while the copy reads it.
    const names = await lvols();
    expect(names.filter((n) => n.startsWith('s.a.'))).toHaveLength(1);
    expect(names.some((n) => n.startsWith('s.x.'))).toBe(false);

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    const done = await until('the backup to end', () => (['done', 'failed', 'cancelled'].includes(node.node.backups.jobGet(job.id).state) ? node.node.backups.jobGet(job.id) : undefined));
    expect(done.state, done.reason).toBe('done');
    await until('the taken delete done once the copy ended', async () => !(await lvols()).some((n) => n.startsWith('s.a.')));
    expect((await node.node.snapshotList('solo')).map((s) => s.name)).toEqual(['p']);
    const state = JSON.parse(fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8')) as { snapshots: Record<string, unknown> };
    expect(Object.keys(state.snapshots).filter((k) => k.startsWith('solo/'))).toEqual(['solo/p']);
  });

  it('member detach, engine delete and replica delete answer at once; the backup finishes and the snapshots go after its copy', async () => {
    await node.node.replicaCreate('m0', 'd', SIZE);
    await node.node.replicaCreate('m1', 'd', SIZE);
    await createLocalEngine(node.node, 'evol', SIZE, ['m0', 'm1'], HOST);
    await chain('m0', 'a2', 'p2');
    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ replica: 'm0', snapshot: 'p2', volume: 'evol' });
    await copying(job.id);

    const [removed, detachMs] = await timed(() => node.node.engineReplicaRemove('evol', 'm0'));
    expect(removed.members.map((m) => m.name)).toEqual(['m1']);
    expect(node.node.backups.jobGet(job.id).state).toBe('staging');
    const [, engineMs] = await timed(() => node.node.engineDelete('evol'));
    expect(node.node.backups.jobGet(job.id).state).toBe('staging');
    const [outcome, replicaMs] = await timed(() => node.node.replicaDelete('m0', undefined, true));
    console.log(`during a backup's copy: member detach ${detachMs.toFixed(0)} ms, engine delete ${engineMs.toFixed(0)} ms, replica delete ${replicaMs.toFixed(0)} ms; load ${load()}`);
    expect(outcome).toBe('deleted');
    expect(node.node.backups.jobGet(job.id).state).toBe('staging');
    // The head went; the snapshots the copy reads (and merges into) wait for it, whole.
    const during = await lvols();
    expect(during).not.toContain('r.m0');
    expect(during.filter((n) => n.startsWith('s.a2.') || n.startsWith('s.p2.'))).toHaveLength(2);

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    const done = await until('the backup to end', () => (['done', 'failed', 'cancelled'].includes(node.node.backups.jobGet(job.id).state) ? node.node.backups.jobGet(job.id) : undefined));
    expect(done.state, done.reason).toBe('done');
    await until("the deleted replica's snapshots removed after the copy", async () => !(await lvols()).some((n) => n.startsWith('s.a2.') || n.startsWith('s.p2.')));
    const state = JSON.parse(fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8')) as { intents: Record<string, unknown> };
    expect(state.intents['m0']).toBeUndefined();
  });
});
