/**
 * "Never Pending forever" (issue 13): every job has a deadline, and reaching it ends the job with
 * BACKUP_DEADLINE_EXCEEDED and the reason: a running job without progress for backup.stallSec, a
 * job still queued after backup.queuedDeadlineSec. A job whose work is stuck in an await that
 * ignores the abort (a hung NFS fsync) still ends at its deadline (after abortGraceMs), and what
 * that work holds is released when its await returns. The data path is held in memory
 * (helpers/memory-data-path.ts); the target is a directory.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BackupJobs, type BackupJobsSettings } from '../../src/domain/backup/jobs.js';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { StateFile } from '../../src/domain/node/state-file.js';
import { tempDir } from '../helpers/temp-dir.js';
import { MemoryDataPath, memoryNodeCalls } from './helpers/memory-data-path.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const CLUSTER = 2 * MiB;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function jobs(data: MemoryDataPath, overrides: Partial<BackupJobsSettings>) {
  const state = StateFile.open(path.join(tempDir('bk-state-'), 'state.json'), log);
  const settings: BackupJobsSettings = {
    queueMax: 16,
    concurrency: 1,
    retries: 1,
    retryMinMs: 50,
    requestTimeoutMs: 5000,
    leaseMs: 30_000,
    stallMs: 60_000,
    queuedDeadlineMs: 600_000,
    defaultTarget: { kind: 'fs', path: tempDir('bk-target-') },
    ...overrides,
  };
  const manager = new BackupJobs({
    dataPath: data,
    node: {
      snapshotList: async (replica) => data.list(replica),
      snapshotCreate: async () => {
        throw new Error('not used');
      },
      snapshotDelete: async (replica, name) => data.deleteSnapshot(replica, name),
      engineMembers: () => {
        throw new Error('not used');
      },
      ...memoryNodeCalls(data),
    },
    state,
    log,
    settings,
  });
  return { manager, state };
}

function snapshot(data: MemoryDataPath, replica: string): void {
  data.snapshot(replica, 's1', undefined, new Map([0, 3, 7, 11].map((i) => [i * CLUSTER, randomBytes(CLUSTER)])));
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ended = (manager: BackupJobs, id: string) => () => {
  const info = manager.jobGet(id);
  return ['done', 'failed', 'cancelled'].includes(info.state) && info;
};

/** A gate that lets `free` blocks through, then holds every later one until aborted (cooperative). */
function stallAfter(free: number): (signal?: AbortSignal) => Promise<void> {
  let seen = 0;
  return (signal) => {
    if (++seen <= free) return Promise.resolve();
    return new Promise((_, reject) => {
      if (signal?.aborted) reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
}

/** A gate that lets `free` blocks through, then holds every later one until `release`, whatever the signal says (stuck). */
function stuckAfter(free: number): { gate: (signal?: AbortSignal) => Promise<void>; release: () => void; held: () => number } {
  let seen = 0;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  return { gate: () => (++seen <= free ? Promise.resolve() : held), release, held: () => Math.max(0, seen - free) };
}

describe('backup and restore job deadlines', { timeout: 120_000 }, () => {
  it('a running backup without progress for backup.stallSec fails with BACKUP_DEADLINE_EXCEEDED, its staging closed', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    snapshot(data, 'r1');
    data.gate = stallAfter(1);
    const { manager } = jobs(data, { stallMs: 1500 });
    await manager.start();
    const job = await manager.backupCreate({ replica: 'r1', snapshot: 's1' });
    const info: JobInfo = await until('the stalled backup to end', ended(manager, job.id));
    expect(info.state).toBe('failed');
    expect(info.errorCode).toBe('BACKUP_DEADLINE_EXCEEDED');
    expect(info.reason).toContain('no progress for backup.stallSec (1.5 s) while');
    expect(info.reason).not.toContain('had not returned');
    expect(data.open).toBe(0);
    expect(await manager.backupList('r1')).toEqual([]);
    await manager.close();
  });

  it('a job still queued after backup.queuedDeadlineSec fails with BACKUP_DEADLINE_EXCEEDED, the running one untouched', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    snapshot(data, 'r2');
    snapshot(data, 'r3');
    const stuck = stuckAfter(1);
    data.gate = stuck.gate;
    const { manager } = jobs(data, { queuedDeadlineMs: 1500 });
    await manager.start();
    const first = await manager.backupCreate({ replica: 'r2', snapshot: 's1' });
    await until('the first backup to run', () => manager.jobGet(first.id).state === 'uploading');
    const second = await manager.backupCreate({ replica: 'r3', snapshot: 's1' });
    expect(manager.jobGet(second.id).deadlineAt?.getTime()).toBe(manager.jobGet(second.id).createdAt.getTime() + 1500);
    const info = await until('the queued backup to end', ended(manager, second.id));
    expect(info.state).toBe('failed');
    expect(info.errorCode).toBe('BACKUP_DEADLINE_EXCEEDED');
    expect(info.reason).toContain('still queued after backup.queuedDeadlineSec (1.5 s)');
    expect(manager.jobGet(first.id).state).toBe('uploading');
    stuck.release();
    const done = await until('the first backup to end', ended(manager, first.id));
    expect(done.state, done.reason).toBe('done');
    await manager.close();
  });

  it('a backup stuck in an await that ignores the abort still fails at its deadline; its staging is closed when the await returns', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    snapshot(data, 'r4');
    snapshot(data, 'r5');
    const stuck = stuckAfter(1);
    data.gate = stuck.gate;
    const { manager, state } = jobs(data, { stallMs: 1500, abortGraceMs: 500 });
    await manager.start();
    const job = await manager.backupCreate({ replica: 'r4', snapshot: 's1' });
    const info = await until('the stuck backup to end', ended(manager, job.id));
    expect(info.state).toBe('failed');
    expect(info.errorCode).toBe('BACKUP_DEADLINE_EXCEEDED');
    expect(info.reason).toMatch(/no progress for backup\.stallSec \(1\.5 s\) while uploading; its uploading step had not returned \d+ s after the abort/);
    expect(info.deadlineAt).toBeUndefined();
    // Ended in the state file too: a restart would not take it back.
    expect(state.backupJobs().map(([id]) => id)).not.toContain(job.id);
    // Its work is still out: the stage open, the concurrency slot taken, so the next job waits.
    expect(data.open).toBe(1);
    const next = await manager.backupCreate({ replica: 'r5', snapshot: 's1' });
    expect(manager.jobGet(next.id).state).toBe('queued');
    stuck.release();
    await until('the stuck stage to be closed', () => data.open === 0);
    const after = await until('the next backup to end', ended(manager, next.id));
    expect(after.state, after.reason).toBe('done');
    // The late unwinding changed nothing of the ended job.
    expect(manager.jobGet(job.id)).toMatchObject({ state: 'failed', errorCode: 'BACKUP_DEADLINE_EXCEEDED', reason: info.reason });
    expect(await manager.backupList('r4')).toEqual([]);
    await manager.close();
  });

  it('a cancelled restore stuck in an await ends cancelled; its half-made restore is removed when the await returns', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    snapshot(data, 'r6');
    const { manager } = jobs(data, { abortGraceMs: 500 });
    await manager.start();
    const backup = await until('the backup', ended(manager, (await manager.backupCreate({ replica: 'r6', snapshot: 's1' })).id));
    expect(backup.state, backup.reason).toBe('done');
    const stuck = stuckAfter(0);
    data.gate = stuck.gate;
    const restore = await manager.restoreCreate({ volume: 'r6', backupId: backup.backupId, disk: 'd', replica: 'r6-back' });
    // A write stuck: the restore's workers cannot all end on the abort.
    await until('a restore write to be stuck', () => manager.jobGet(restore.id).state === 'downloading' && stuck.held() > 0);
    manager.jobCancel(restore.id);
    const info = await until('the stuck restore to end', ended(manager, restore.id));
    expect(info.state).toBe('cancelled');
    expect(info.errorCode).toBe('CANCELLED');
    expect(info.reason).toContain('cancelled by request; its downloading step had not returned');
    expect(data.open).toBe(1);
    stuck.release();
    await until('the half-made restore to be removed', () => data.open === 0);
    expect(data.restored.has('r6-back')).toBe(false);
    expect(manager.jobGet(restore.id).state).toBe('cancelled');
    await manager.close();
  });
});
