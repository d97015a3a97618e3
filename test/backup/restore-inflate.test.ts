/**
 * A restore's inflate (audit 13, item 3): spdk_tgt reports no progress of bdev_lvol_inflate, which
 * takes seconds per GiB on real v26.05, so its call has a deadline sized to the volume
 * (spdk.slowDeadlineMs + backup.inflateSecPerGib per GiB begun), the job's stall deadline waits for
 * it, and an abort during it waits for its answer before the clone is deleted (v26.05 refuses to
 * delete a blob under a running inflate: EBUSY). The simulator's sim_rpc_delay holds the inflate's
 * answer; the deadlines are made small: stall 2 s, the inflate's 6 s + 1 s per GiB = 7 s here.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { inflateDeadlineMs } from '../../src/domain/backup/restore-sink.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { until } from '../engine/helpers/cluster.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
let node: NodeFixture;
let backupId: string;

async function leftovers(): Promise<string[]> {
  const dir = path.join(node.dir, 'backup-staging');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const bdevs = (await node.client.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const building = (await node.client.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  return [...files, ...bdevs, ...building];
}

async function ended(id: string): Promise<JobInfo> {
  return until(`job ${id} to end`, 60_000, async () => {
    const info = node.node.backups.jobGet(id);
    return ['done', 'failed', 'cancelled'].includes(info.state) && info;
  });
}

async function withInflateDelay<T>(ms: number, body: () => Promise<T>): Promise<T> {
  await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms });
  try {
    return await body();
  } finally {
    await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 0 });
  }
}

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_BACKUP_RESTORE_VIA: 'staging', CONDUCTOR_BACKUP_STALL_SEC: '2', CONDUCTOR_SPDK_SLOW_DEADLINE_MS: '6000', CONDUCTOR_BACKUP_INFLATE_SEC_PER_GIB: '1' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
  await node.node.replicaCreate('src', 'd', SIZE);
  await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: 0, data_base64: randomBytes(64 * 1024).toString('base64') });
  await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
  const backup = await ended((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1' })).id);
  expect(backup.state, backup.reason).toBe('done');
  backupId = backup.backupId;
}, 120_000);

afterAll(async () => {
  await node?.close();
});

describe("a restore's inflate", { timeout: 120_000 }, () => {
  it('has a deadline of spdk.slowDeadlineMs plus backup.inflateSecPerGib per GiB begun', () => {
    expect(inflateDeadlineMs(SIZE, { inflateFloorMs: 6000, inflateMsPerGib: 1000 })).toBe(7000);
    expect(inflateDeadlineMs(1024 * 1024 * MiB + 1, { inflateFloorMs: 300_000, inflateMsPerGib: 10_000 })).toBe(300_000 + 1025 * 10_000);
    expect(inflateDeadlineMs(SIZE, {})).toBe(310_000);
  });

  it('longer than backup.stallSec does not stall the job: its deadline waits for the inflate', async () => {
    const job = await withInflateDelay(4000, async () => {
      const restore = await node.node.backups.restoreCreate({ volume: 'src', backupId, disk: 'd', replica: 'slow' });
      const waiting = await until('the job to wait for the inflate', 30_000, async () => {
        const info = node.node.backups.jobGet(restore.id);
        return (info.reason.includes('inflate reports no progress') || ['done', 'failed', 'cancelled'].includes(info.state)) && info;
      });
      expect(waiting.state, waiting.reason).toBe('committing');
      expect(waiting.reason).toContain('it may take up to 7 s');
      // The stall deadline is the inflate's plus backup.stallSec.
      expect(waiting.deadlineAt!.getTime() - waiting.updatedAt.getTime()).toBe(7000 + 2000);
      return ended(restore.id);
    });
    expect(job.state, job.reason).toBe('done');
    expect((await node.node.replicaGet('slow')).sizeBytes).toBe(SIZE);
    expect(await leftovers()).toEqual([]);
  });

  it('past its deadline fails the job with the reason, and the restore leaves nothing', async () => {
    const job = await withInflateDelay(10_000, async () => {
      const restore = await node.node.backups.restoreCreate({ volume: 'src', backupId, disk: 'd', replica: 'late' });
      return ended(restore.id);
    });
    expect(job.state).toBe('failed');
    expect(job.errorCode).not.toBe('BACKUP_DEADLINE_EXCEEDED');
    expect(job.reason).toContain('bdev_lvol_inflate');
    await until('the restore to leave nothing', 30_000, async () => (await leftovers()).length === 0);
    expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('late');
  });

  it('cancelled during the inflate: the clone is deleted only after the inflate answered', async () => {
    const calls: string[] = [];
    const client = node.client;
    const original = client.call.bind(client);
    client.call = (<T>(method: string, params?: object, options?: object) => {
      const target = (params as { name?: string } | undefined)?.name ?? '';
      calls.push(`call ${method} ${target}`);
      return original<T>(method, params, options).finally(() => calls.push(`answer ${method} ${target}`));
    }) as typeof client.call;
    try {
      const job = await withInflateDelay(3000, async () => {
        const restore = await node.node.backups.restoreCreate({ volume: 'src', backupId, disk: 'd', replica: 'gone' });
        await until('the inflate to be called', 30_000, async () => calls.includes('call bdev_lvol_inflate lvs.d/b.gone'));
        node.node.backups.jobCancel(restore.id);
        return ended(restore.id);
      });
      expect(job.state, job.reason).toBe('cancelled');
      await until('the restore to leave nothing', 30_000, async () => (await leftovers()).length === 0);
    } finally {
      client.call = original;
    }
    const answered = calls.indexOf('answer bdev_lvol_inflate lvs.d/b.gone');
    const deleted = calls.indexOf('call bdev_lvol_delete lvs.d/b.gone');
    expect(answered).toBeGreaterThan(0);
    expect(deleted).toBeGreaterThan(answered);
    expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('gone');
  });
});
