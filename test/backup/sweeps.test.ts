/**
 * Blocks no manifest references go away by themselves, never under a backup that needs them:
 * a cancelled or failed backup's blocks, a delete's deferred sweep (sweepDeferred: true) run
 * without any later delete, recorded in the state file across a restart, and a backup that waits
 * while a sweep lease is held, longer than the lease itself, then restores exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJobs } from '../../src/domain/backup/jobs.js';
import { keys } from '../../src/objectstore/format.js';
import { FsStore } from '../../src/objectstore/fs-store.js';
import type { ObjectStore } from '../../src/objectstore/object-store.js';
import { BackupRepository } from '../../src/objectstore/repository.js';
import type { TargetSpec } from '../../src/objectstore/target-spec.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { MemoryDataPath } from './helpers/memory-data-path.js';
import { blockHashes, jobEnds, markerKeys, memoryJobs, openStore } from './helpers/memory-jobs.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const CLUSTER = 2 * MiB;

function clusters(indexes: number[]): Map<number, Buffer> {
  return new Map(indexes.map((i) => [i * CLUSTER, randomBytes(CLUSTER)]));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The hashes every remaining manifest of the volume names. */
async function referenced(store: ObjectStore, volume: string): Promise<string[]> {
  const repo = new BackupRepository(store, { leaseMs: 30_000 });
  const out = new Set<string>();
  for (const m of await repo.manifests(volume)) for (const [, hash] of m.blocks) out.add(hash);
  return [...out].sort();
}

async function restoredExactly(manager: BackupJobs, data: MemoryDataPath, volume: string, backupId: string, replica: string, snapshot: string, as: string): Promise<void> {
  const restore = await manager.restoreCreate({ volume, backupId, disk: 'd', replica: as });
  const done = await jobEnds(manager, restore.id, ['done', 'failed']);
  expect(done.state, done.reason).toBe('done');
  expect(sha(data.restored.get(as)!)).toBe(sha(data.image(replica, snapshot)));
}

/** A gate that holds blocks after the first `n` until released. */
function holdAfter(data: MemoryDataPath, n: number): () => void {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let seen = 0;
  data.gate = async () => {
    if (++seen > n) await held;
  };
  return release;
}

describe('sweeps of unreferenced blocks on an S3 target', { timeout: 300_000 }, () => {
  let s3: TestS3;
  let target: TargetSpec;
  beforeAll(async () => {
    s3 = await startS3();
    target = { kind: 's3', endpoint: s3.endpoint, region: 'us-east-1', bucket: 'backups', prefix: 'sw/', forcePathStyle: true, accessKeyIdEnv: 'TEST_S3_KEY', secretAccessKeyEnv: 'TEST_S3_SECRET' };
    process.env.TEST_S3_KEY = 'S3RVER';
    process.env.TEST_S3_SECRET = 'S3RVER';
  });
  afterAll(async () => s3.stop());

  it("a cancelled backup's blocks are removed without any delete; the earlier backup's stay and restore", async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('c1', 's1', undefined, clusters([0, 1]));
    data.snapshot('c1', 's2', 's1', clusters([...Array(20).keys()].map((i) => i + 2)));
    const store = await openStore(target);
    const { manager, state } = memoryJobs(data, target);
    await manager.start();
    const first = await jobEnds(manager, (await manager.backupCreate({ replica: 'c1', snapshot: 's1', volume: 'cvol' })).id, ['done', 'failed']);
    expect(first.state, first.reason).toBe('done');
    const release = holdAfter(data, 6);
    const job = await manager.backupCreate({ replica: 'c1', snapshot: 's2', volume: 'cvol' });
    await until('blocks of the second backup stored', () => manager.jobGet(job.id).blocksUploaded >= 4, 60_000);
    expect((await blockHashes(store, 'cvol')).length).toBeGreaterThan(2);
    manager.jobCancel(job.id);
    release();
    expect((await jobEnds(manager, job.id, ['cancelled', 'failed', 'done'])).state).toBe('cancelled');
    await until('the cancelled backup swept', async () => manager.sweepList().length === 0 && (await blockHashes(store, 'cvol')).length === 2, 60_000);
    expect(await blockHashes(store, 'cvol')).toEqual(await referenced(store, 'cvol'));
    expect(state.backupSweeps()).toEqual([]);
    await restoredExactly(manager, data, 'cvol', first.backupId, 'c1', 's1', 'c1-back');
    await manager.close();
    await store.close();
  });

  it('a backup the target failed mid-way: its sweep is recorded, retried while the target fails, and runs once it answers', async () => {
    const own = await startS3();
    const spec = { ...target, endpoint: own.endpoint } as TargetSpec;
    const store = await openStore(spec);
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('f1', 's1', undefined, clusters([...Array(12).keys()]));
    const { manager, state } = memoryJobs(data, spec, { retries: 1, retryMinMs: 20 });
    await manager.start();
    let puts = 0;
    let failing = false;
    own.gate = async (request) => {
      if (request.method === 'PUT' && request.path.includes('/blocks/') && ++puts === 5) failing = true;
      if (failing) throw new Error('down');
    };
    const job = await manager.backupCreate({ replica: 'f1', snapshot: 's1', volume: 'fvol' });
    const ended = await jobEnds(manager, job.id, ['failed', 'done']);
    expect(ended.state).toBe('failed');
    expect(ended.errorCode).toBe('BACKUP_TARGET_UNREACHABLE');
    // Not resumable (ended, its record gone) and recorded for a sweep before that.
    await until('the job record gone', () => state.backupJobs().length === 0, 30_000);
    expect(state.backupSweeps().map(([v, r]) => [v, r.reason])).toEqual([['fvol', expect.stringContaining(`backup ${job.backupId} failed`)]]);
    // The target still fails: the sweep is tried, fails, and says so.
    const failedSweep = await until('a failed sweep attempt', () => manager.sweepList().find((s) => s.lastError !== ''), 60_000);
    expect(failedSweep).toMatchObject({ volume: 'fvol', waitingFor: expect.stringContaining('the target') });
    own.gate = undefined;
    expect((await blockHashes(store, 'fvol')).length).toBeGreaterThanOrEqual(4);
    await until('the failed backup swept once the target answers', async () => manager.sweepList().length === 0 && (await blockHashes(store, 'fvol')).length === 0, 60_000);
    expect(state.backupSweeps()).toEqual([]);
    expect(await markerKeys(store, 'volumes/fvol/sweep/')).toEqual([]);
    // Its own inflight marker, which its end could not delete, was removed by the sweep.
    expect(await markerKeys(store, keys.inflight('fvol'))).toEqual([]);
    await manager.close();
    await store.close();
    await own.stop();
  });

  it('a backup waits while a sweep lease is held, longer than the lease itself (refreshed), and restores exactly', async () => {
    const own = await startS3();
    const spec = { ...target, endpoint: own.endpoint } as TargetSpec;
    const store = await openStore(spec);
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('w1', 's1', undefined, clusters([0, 1, 2, 3]));
    const leaseMs = 6000;
    // A held request must not time out and be sent again past the hold.
    const { manager } = memoryJobs(data, spec, { leaseMs, requestTimeoutMs: 120_000 });
    await manager.start();
    const first = await jobEnds(manager, (await manager.backupCreate({ replica: 'w1', snapshot: 's1', volume: 'wvol' })).id, ['done', 'failed']);
    expect(first.state, first.reason).toBe('done');
    // The delete's sweep is held at its block deletes: its lease is written and the blocks listed.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding = false;
    own.gate = async (request) => {
      if (request.method === 'DELETE' && request.path.includes('/wvol/blocks/')) {
        holding = true;
        await held;
      }
    };
    const deleting = manager.backupDelete('wvol', first.backupId);
    await until('the sweep holds at its first block delete', () => holding, 60_000);
    const leases = await markerKeys(store, keys.sweeps('wvol'));
    expect(leases).toHaveLength(1);
    const firstExpiry = (JSON.parse((await store.get(leases[0]!))!.toString()) as { expiresAtMs: number }).expiresAtMs;
    // Past the lease first written: only its refresh keeps it.
    await until('the first lease would have expired', () => Date.now() > firstExpiry + 500, 60_000);
    // A new backup of the same image: without the wait it would find the doomed blocks present and skip them.
    const second = await manager.backupCreate({ replica: 'w1', snapshot: 's1', volume: 'wvol' });
    await until(
      'the backup announced itself and looked at the lease',
      () => own.requests.filter((r) => r.method === 'GET' && r.path.includes('/wvol/sweep/')).length >= 3,
      60_000,
      () =>
        `${JSON.stringify(manager.jobGet(second.id))}\n${own.requests
          .slice(-15)
          .map((r) => `${r.method} ${r.path}${r.search}`)
          .join('\n')}`,
    );
    expect(manager.jobGet(second.id).state).toBe('staging');
    expect(manager.jobGet(second.id).blocksUploaded + manager.jobGet(second.id).blocksSkipped).toBe(0);
    release();
    own.gate = undefined;
    expect(await deleting).toEqual({ blocksRemoved: 4, sweepDeferred: false });
    const done = await jobEnds(manager, second.id, ['done', 'failed']);
    expect(done.state, done.reason).toBe('done');
    expect(done.blocksUploaded).toBe(4);
    expect(await blockHashes(store, 'wvol')).toEqual(await referenced(store, 'wvol'));
    await restoredExactly(manager, data, 'wvol', second.backupId, 'w1', 's1', 'w1-back');
    await manager.close();
    await store.close();
    await own.stop();
  });
});

describe('sweeps of unreferenced blocks on a filesystem target', { timeout: 300_000 }, () => {
  it('a delete deferred by a running backup (sweepDeferred: true) is swept when that backup ends, which keeps and restores every block it names', async () => {
    const target: TargetSpec = { kind: 'fs', path: tempDir('bk-sw-') };
    const store = await openStore(target);
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('d1', 's1', undefined, clusters([0, 1, 2, 3]));
    // s2 keeps clusters 0 and 1 of s1 (shared blocks) and replaces 2 and 3.
    data.snapshot('d1', 's2', 's1', clusters([2, 3, 4, 5, 6, 7, 8, 9]));
    const { manager, state } = memoryJobs(data, target);
    await manager.start();
    const first = await jobEnds(manager, (await manager.backupCreate({ replica: 'd1', snapshot: 's1', volume: 'dvol' })).id, ['done', 'failed']);
    expect(first.state, first.reason).toBe('done');
    const release = holdAfter(data, 4);
    const running = await manager.backupCreate({ replica: 'd1', snapshot: 's2', volume: 'dvol' });
    await until('the second backup skipped the shared blocks', () => manager.jobGet(running.id).blocksSkipped >= 2, 60_000);
    expect(await manager.backupDelete('dvol', first.backupId)).toEqual({ blocksRemoved: 0, sweepDeferred: true });
    const pending = manager.sweepList();
    expect(pending).toEqual([expect.objectContaining({ volume: 'dvol', reason: `BackupDelete of ${first.backupId}`, waitingFor: expect.stringContaining(running.id) })]);
    expect(state.backupSweeps().map(([v]) => v)).toEqual(['dvol']);
    release();
    const done = await jobEnds(manager, running.id, ['done', 'failed']);
    expect(done.state, done.reason).toBe('done');
    // No later delete: the recorded sweep runs by itself and takes only s1's replaced blocks.
    await until('the deferred sweep ran', () => manager.sweepList().length === 0, 60_000);
    expect(state.backupSweeps()).toEqual([]);
    const names = await referenced(store, 'dvol');
    expect(names).toHaveLength(10);
    expect(await blockHashes(store, 'dvol')).toEqual(names);
    await restoredExactly(manager, data, 'dvol', running.backupId, 'd1', 's2', 'd1-back');
    await manager.close();
  });

  it("another process's backup in flight in the target defers a sweep; the timer runs it once that marker ends", async () => {
    const target: TargetSpec = { kind: 'fs', path: tempDir('bk-sw-') };
    const store = await openStore(target);
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('m1', 's1', undefined, clusters([0, 1]));
    data.snapshot('m1', 's2', 's1', clusters([0, 1]));
    const { manager } = memoryJobs(data, target);
    await manager.start();
    const b1 = await jobEnds(manager, (await manager.backupCreate({ replica: 'm1', snapshot: 's1', volume: 'mvol' })).id, ['done']);
    await jobEnds(manager, (await manager.backupCreate({ replica: 'm1', snapshot: 's2', volume: 'mvol' })).id, ['done']);
    const other = await new BackupRepository(store, { leaseMs: 30_000 }).beginBackup('mvol', 'bk-elsewhere');
    expect(await manager.backupDelete('mvol', b1.backupId)).toEqual({ blocksRemoved: 0, sweepDeferred: true });
    await until('a timed attempt deferred by the marker', () => manager.sweepList().find((s) => s.attempts >= 1 && s.waitingFor.includes('bk-elsewhere')), 60_000);
    expect((await blockHashes(store, 'mvol')).length).toBe(4);
    await other.end();
    await until('swept on the timer', async () => manager.sweepList().length === 0 && (await blockHashes(store, 'mvol')).length === 2, 60_000);
    expect(await blockHashes(store, 'mvol')).toEqual(await referenced(store, 'mvol'));
    // A delete of a backup that is not there records nothing.
    await expect(manager.backupDelete('mvol', b1.backupId)).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
    expect(manager.sweepList()).toEqual([]);
    await manager.close();
  });

  it('a recorded sweep survives a restart, and waits for a resumed backup of the volume, which keeps the blocks it stored', async () => {
    const target: TargetSpec = { kind: 'fs', path: tempDir('bk-sw-') };
    const store = await openStore(target);
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r1', 's1', undefined, clusters([0, 1]));
    data.snapshot('r1', 's2', 's1', clusters([...Array(16).keys()].map((i) => i + 2)));
    // Blocks pass until `limit` were yielded, then wait for `release` or the job's abort.
    let seen = 0;
    let limit = 1;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // One abort listener per job signal, however many of its reads and writes wait here at once.
    const aborts = new WeakMap<AbortSignal, Promise<void>>();
    const aborted = (signal: AbortSignal): Promise<void> => {
      let ends = aborts.get(signal);
      if (!ends) {
        ends = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        aborts.set(signal, ends);
      }
      return ends;
    };
    data.gate = (signal) => {
      if (++seen <= limit) return Promise.resolve();
      return signal ? Promise.race([held, aborted(signal)]) : held;
    };
    const first = memoryJobs(data, target, { concurrency: 1 });
    await first.manager.start();
    const cancelled = await first.manager.backupCreate({ replica: 'r1', snapshot: 's1', volume: 'rvol' });
    await until('a block of the first backup stored', () => first.manager.jobGet(cancelled.id).blocksUploaded >= 1, 60_000);
    // Cancelled: its sweep is recorded and waits for the next backup of the volume, queued behind it.
    const resumable = await first.manager.backupCreate({ replica: 'r1', snapshot: 's2', volume: 'rvol' });
    limit = seen + 10;
    first.manager.jobCancel(cancelled.id);
    expect((await jobEnds(first.manager, cancelled.id, ['cancelled', 'failed', 'done'])).state).toBe('cancelled');
    await until('blocks of the second backup stored', () => first.manager.jobGet(resumable.id).blocksUploaded >= 8, 60_000);
    await until('the sweep waits for the second backup', () => first.manager.sweepList().find((s) => s.volume === 'rvol' && s.waitingFor.includes(resumable.id)), 60_000);
    // The process "dies": both records stay in its state file.
    await first.manager.close();
    expect(first.state.backupSweeps().map(([v]) => v)).toEqual(['rvol']);
    expect(first.state.backupJobs().map(([id]) => id)).toEqual([resumable.id]);
    // Every block stored so far must stay. (A block the closed manager's aborted job had read may
    // still land after close: content-addressed, it is kept or swept later like any other.)
    const stored = await blockHashes(store, 'rvol');
    expect(stored.length).toBeGreaterThanOrEqual(9);
    seen = 0;
    limit = 0;
    const second = memoryJobs(data, target, { concurrency: 1 }, first.stateFile);
    await second.manager.start();
    // Queued or running again: the recorded sweep waits for it, and its blocks stay.
    await until('the sweep waits for the resumed backup', () => second.manager.sweepList().find((s) => s.waitingFor.includes(resumable.id)), 60_000);
    await until('the resumed backup reads again', () => seen >= 1, 60_000);
    const now = new Set(await blockHashes(store, 'rvol'));
    expect(stored.filter((hash) => !now.has(hash))).toEqual([]);
    release();
    const resumed = await jobEnds(second.manager, resumable.id, ['done', 'failed']);
    expect(resumed.state, resumed.reason).toBe('done');
    expect(resumed.blocksSkipped).toBeGreaterThanOrEqual(8);
    await until('the recorded sweep ran after the resumed backup', () => second.manager.sweepList().length === 0, 60_000);
    expect(second.state.backupSweeps()).toEqual([]);
    expect(await blockHashes(store, 'rvol')).toEqual(await referenced(store, 'rvol'));
    await restoredExactly(second.manager, data, 'rvol', resumable.backupId, 'r1', 's2', 'r1-back');
    await second.manager.close();
  });
});

describe('markers in the target', { timeout: 120_000 }, () => {
  it('a backup whose marker lapsed checks the blocks its manifest names again: present ones pass, one a sweep removed fails it', async () => {
    const store = new FsStore(tempDir('bk-sw-'));
    const repo = new BackupRepository(store, { leaseMs: 400, pollMs: 50 });
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    const lapsing = await repo.beginBackup('lvol', 'bk-lapsing');
    await store.put(keys.block('lvol', a), Buffer.from('stored by bk-lapsing, in no manifest yet'));
    // Fresh: nothing to check.
    await lapsing.confirm([a]);
    // Not refreshed: once the marker expired, another sweep of the volume runs and takes the block.
    const sweeper = new BackupRepository(store, { leaseMs: 400 });
    await until('a sweep that is not deferred', async () => ((await sweeper.sweep('lvol')).sweepDeferred ? undefined : true), 30_000);
    await expect(lapsing.confirm([a])).rejects.toMatchObject({ code: 'BACKUP_TARGET_UNREACHABLE', message: expect.stringContaining('was removed meanwhile') });
    await lapsing.end();

    const kept = await repo.beginBackup('lvol2', 'bk-kept');
    await store.put(keys.block('lvol2', b), Buffer.from('stored by bk-kept'));
    const since = Date.now();
    await until('past the lease', () => Date.now() - since > 500, 30_000);
    await kept.confirm([b]);
    // The check wrote the marker again first: it counts again.
    const marker = JSON.parse((await store.get(keys.inflightMarker('lvol2', 'bk-kept')))!.toString()) as { expiresAtMs: number };
    expect(marker.expiresAtMs).toBeGreaterThan(since + 500);
    await kept.end();
  });
});
