/**
 * Backups through the whole service as a user runs them: a simulator process, the service with
 * its real data path, a real S3-protocol server (s3rver) on loopback, and the built CLI as a
 * process over the API socket. A backup, an incremental one, a restore read back identical (the
 * simulator's checksum of the new replica against that of the snapshot's image), a block a later
 * snapshot rewrote with zeros restored as zeros, and a replica removed while a backup of it runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { until } from '../helpers/until.js';
import { cliJson, type CliJsonResult } from './helpers/cli-json.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const BLOCK = 4096;

let node: NodeFixture;
let s3: TestS3;
const live = Buffer.alloc(SIZE);

async function write(offset: number, bytes: number, data = randomBytes(bytes), bdev = 'lvs.d/r.src', image = live): Promise<void> {
  data.copy(image, offset);
  for (let off = 0; off < bytes; off += 128 * 1024) {
    const chunk = data.subarray(off, Math.min(bytes, off + 128 * 1024));
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: (offset + off) / BLOCK, data_base64: chunk.toString('base64') });
  }
}

function cli(...args: string[]): Promise<CliJsonResult> {
  return cliJson(node.dir, ...args);
}

beforeAll(async () => {
  s3 = await startS3();
  process.env.TEST_BACKUP_KEY = 'S3RVER';
  process.env.TEST_BACKUP_SECRET = 'S3RVER';
  node = await startNode({ env: { CONDUCTOR_BACKUP_RETRIES: '2', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
}, 120_000);

afterAll(async () => {
  await node?.close();
  await s3?.stop();
});

describe('backups through the service and the CLI', { timeout: 300_000 }, () => {
  it('sets an S3 target, backs up, backs up incrementally, and restores a replica identical to the snapshot', async () => {
    const set = await cli(
      'backup',
      'target',
      'set',
      '--kind',
      's3',
      '--endpoint',
      s3.endpoint,
      '--region',
      'us-east-1',
      '--bucket',
      'backups',
      '--prefix',
      'n1',
      '--path-style',
      '--access-key-id-env',
      'TEST_BACKUP_KEY',
      '--secret-access-key-env',
      'TEST_BACKUP_SECRET',
    );
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.json).toMatchObject({ kind: 's3', bucket: 'backups', prefix: 'n1/', accessKeyIdEnv: 'TEST_BACKUP_KEY' });
    expect(JSON.stringify(set.json)).not.toContain('S3RVER');

    await write(0, 8 * MiB);
    await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
    const s1 = createHash('sha256').update(live).digest('hex');
    const first = await cli('backup', 'create', 'src', '--snapshot', 's1', '--volume', 'vol', '--wait');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', blocksUploaded: 4 });

    // 1 MiB of the 64 MiB volume changed: one 2 MiB block to send.
    await write(3 * MiB, MiB);
    await node.node.snapshotCreate({ replicaName: 'src', name: 's2' });
    const second = await cli('backup', 'create', 'src', '--snapshot', 's2', '--volume', 'vol', '--wait');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', blocksUploaded: 1, blocksSkipped: 3 });

    const restore = await cli('backup', 'restore', 'vol', String(first.json.backupId), 'back', '--disk', 'd', '--wait');
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(restore.json).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE' });
    const sum = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.back' });
    expect(sum.sha256).toBe(s1);

    const list = await cli('backup', 'list', '--volume', 'vol');
    expect((list.json.backups as unknown[]).length).toBe(2);
    const deleted = await cli('backup', 'delete', 'vol', String(first.json.backupId));
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect(deleted.json).toMatchObject({ blocksRemoved: 1, sweepDeferred: false });
  });

  it('restores a block the later snapshot rewrote with zeros as zeros, not as the earlier backup data', async () => {
    // 4 MiB clusters: a cluster the snapshot owns covers whole 2 MiB blocks, the case where laying
    // only the snapshot's own clusters over the earlier backup's map would keep the old block.
    await node.node.diskCreate({ name: 'z', path: node.diskFile('z', 512), clusterSizeBytes: 4 * MiB });
    await node.node.replicaCreate('zsrc', 'z', SIZE);
    const image = Buffer.alloc(SIZE);
    await write(0, 8 * MiB, randomBytes(8 * MiB), 'lvs.z/r.zsrc', image);
    await node.node.snapshotCreate({ replicaName: 'zsrc', name: 'z1' });
    const first = await cli('backup', 'create', 'zsrc', '--snapshot', 'z1', '--volume', 'zvol', '--wait');
    expect(first.exitCode, first.stderr).toBe(0);
    await write(4 * MiB, 4 * MiB, Buffer.alloc(4 * MiB), 'lvs.z/r.zsrc', image);
    await node.node.snapshotCreate({ replicaName: 'zsrc', name: 'z2' });
    const second = await cli('backup', 'create', 'zsrc', '--snapshot', 'z2', '--volume', 'zvol', '--wait');
    expect(second.exitCode, second.stderr).toBe(0);
    const restore = await cli('backup', 'restore', 'zvol', String(second.json.backupId), 'zback', '--disk', 'z', '--wait');
    expect(restore.exitCode, restore.stderr).toBe(0);
    const sum = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.z/r.zback' });
    expect(sum.sha256).toBe(createHash('sha256').update(image).digest('hex'));
  });

  it('a replica removed while its backup runs is removed at once; the backup ends with a reason', async () => {
    await node.node.replicaCreate('busy', 'd', SIZE);
    for (let off = 0; off < 32 * MiB; off += 128 * 1024) {
      await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.busy', offset_blocks: off / BLOCK, data_base64: randomBytes(128 * 1024).toString('base64') });
    }
    await node.node.snapshotCreate({ replicaName: 'busy', name: 'b1' });
    const job = await node.node.backups.backupCreate({ replica: 'busy', snapshot: 'b1' });
    const deadline = Date.now() + 60_000;
    while (!['staging', 'uploading', 'done', 'failed'].includes(node.node.backups.jobGet(job.id).state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const started = performance.now();
    await node.node.replicaDelete('busy', undefined, true);
    const ms = performance.now() - started;
    console.log(`replica delete during a backup (${node.node.backups.jobGet(job.id).state}): ${ms.toFixed(0)} ms`);
    while (!['done', 'failed', 'cancelled'].includes(node.node.backups.jobGet(job.id).state) && Date.now() < deadline + 120_000) await new Promise((r) => setTimeout(r, 50));
    const ended = node.node.backups.jobGet(job.id);
    expect(['done', 'failed']).toContain(ended.state);
    expect(ended.reason).not.toBe('');
    expect(ms).toBeLessThan(5000);
  });

  it("backups that take their own snapshot leave none behind, a crash's at the next start; one a clone uses is kept", async () => {
    await node.node.replicaCreate('own', 'd', SIZE);
    await write(0, 4 * MiB, randomBytes(4 * MiB), 'lvs.d/r.own', Buffer.alloc(SIZE));
    const bk = async () => (await node.node.snapshotList('own')).map((s) => s.name).filter((n) => n.startsWith('bk-'));
    for (let i = 0; i < 3; i++) {
      const b = await cli('backup', 'create', 'own', '--volume', 'ownvol', '--wait');
      expect(b.exitCode, b.stderr).toBe(0);
      expect(b.json).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', snapshot: b.json.backupId });
    }
    // The job is done before its end deletes the snapshot.
    await until("the three backups' snapshots deleted", async () => (await bk()).length === 0, 30_000);
    expect(await node.node.snapshotList('own')).toEqual([]);

    // A crash after the snapshot was taken, before the job was recorded: the next start deletes it.
    await node.node.snapshotCreate({ replicaName: 'own', name: 'bk-20261206t000000z-0badc0de', labels: { 'backup-id': 'bk-20261206t000000z-0badc0de' }, userCreated: false });
    await node.restart();
    await until("the crash's snapshot deleted at start", async () => (await bk()).length === 0, 30_000);

    // A linked clone made of the backup's snapshot while the backup runs: the snapshot stays.
    await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_start_shallow_copy', ms: 5000 });
    let job;
    try {
      job = await node.node.backups.backupCreate({ replica: 'own', volume: 'ownvol' });
      await node.node.replicaClone({ name: 'own-clone', sourceReplica: 'own', snapshot: job.snapshot, mode: 'linked' });
      expect(node.node.backups.jobGet(job.id).state, 'the clone was made before the backup ended').not.toBe('done');
    } finally {
      await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_start_shallow_copy', ms: 0 });
    }
    await until('the backup ended', () => ['done', 'failed', 'cancelled'].includes(node.node.backups.jobGet(job.id).state), 120_000);
    expect(node.node.backups.jobGet(job.id).state).toBe('done');
    await until('the delete tried', () => node.node.backups.snapshots.waiting().length === 0, 30_000);
    expect(await bk()).toEqual([job.snapshot]);
  });
});
