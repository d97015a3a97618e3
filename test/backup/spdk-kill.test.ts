/**
 * kill -9 of spdk_tgt (the simulator) under a running service, mid-backup (its shallow copy held
 * by sim_shallow_copy_rate pause_after) and mid-restore (its inflate held by sim_rpc_delay, the
 * esnap clone b.<replica> made), then a new one on the same socket and disk file. Each job ends
 * with a reason, and once the service has reconciled the new spdk_tgt, nothing the job made is
 * left in it (no bk- aio bdev, no b.<replica> lvol, which the disk's lvstore brings back) nor in
 * the staging directory: the service's recovery after the restart removes it, not only its next
 * start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { until } from '../helpers/until.js';
import { restartTarget } from './helpers/restart-target.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;

let node: NodeFixture;

async function ended(id: string): Promise<JobInfo> {
  return until(`job ${id} to end`, () => {
    const job = node.node.backups.jobGet(id);
    return ['done', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  });
}

async function leftovers(): Promise<{ bdevs: string[]; lvols: string[]; files: string[] }> {
  const bdevs = (await node.client.callUnchecked<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const lvols = (await node.client.callUnchecked<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const staging = path.join(node.dir, 'backup-staging');
  return { bdevs, lvols, files: fs.existsSync(staging) ? fs.readdirSync(staging) : [] };
}

beforeAll(async () => {
  // The restore case holds the staging path's inflate (restore-nvmf.test.ts kills spdk_tgt under the NVMe/TCP path's writes).
  node = await startNode({ env: { CONDUCTOR_BACKUP_RESTORE_VIA: 'staging', CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.backups.targetSet({ kind: 'fs', path: path.join(node.dir, 'target') });
  await node.node.replicaCreate('src', 'd', SIZE);
  for (let off = 0; off < 8 * MiB; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
  await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
}, 120_000);

afterAll(async () => {
  await node?.close();
});

describe('kill -9 of spdk_tgt during a backup and a restore', { timeout: 300_000 }, () => {
  let backupId = '';

  it('a backup mid-copy ends with a reason, and its staging is gone after the reconcile', async () => {
    // A finished backup first, for the restore case.
    const first = await ended((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1', volume: 'vol' })).id);
    expect(first.state, first.reason).toBe('done');
    backupId = first.backupId;

    await node.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const job = await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1', volume: 'vol2' });
    await until('the copy under way', async () => (await leftovers()).bdevs.length > 0 && node.node.backups.jobGet(job.id).bytesDone > 0);
    await restartTarget(node);
    const end = await ended(job.id);
    console.log(`backup after spdk_tgt kill -9: ${end.state} (${end.errorCode}): ${end.reason}`);
    expect(end.reason).not.toBe('');
    await until(
      'no backup staging left',
      async () => {
        const left = await leftovers();
        return left.bdevs.length + left.lvols.length + left.files.length === 0;
      },
      60_000,
      () => '',
    );
  });

  it('a restore mid-commit ends with a reason, and b.<replica> and its staging are gone after the reconcile', async () => {
    await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 600_000 });
    const job = await node.node.backups.restoreCreate({ volume: 'vol', backupId, disk: 'd', replica: 'back' });
    await until('the restore committing with its clone made', async () => node.node.backups.jobGet(job.id).state === 'committing' && (await leftovers()).lvols.includes('b.back'));
    await restartTarget(node);
    const end = await ended(job.id);
    console.log(`restore after spdk_tgt kill -9: ${end.state} (${end.errorCode}): ${end.reason}`);
    expect(end.reason).not.toBe('');
    let last = { bdevs: [] as string[], lvols: [] as string[], files: [] as string[] };
    await until(
      'no restore leftovers',
      async () => {
        last = await leftovers();
        return last.bdevs.length + last.lvols.length + last.files.length === 0;
      },
      60_000,
      () => JSON.stringify(last),
    );
    if (end.state === 'done') expect((await node.node.replicaGet('back')).name).toBe('back');
  });
});
