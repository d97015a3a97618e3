/**
 * Backup and restore jobs against a real S3-protocol server (s3rver on loopback) and the
 * filesystem target, with the data path held in memory (test/backup/helpers/memory-data-path.ts):
 * what is uploaded, skipped, restored, deleted, cancelled, and how jobs end when things go away.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupJobs, type BackupJobsSettings } from '../../src/domain/backup/jobs.js';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { StateFile } from '../../src/domain/node/state-file.js';
import { ConductorError } from '../../src/errors.js';
import { FsStore } from '../../src/objectstore/fs-store.js';
import type { TargetSpec } from '../../src/objectstore/target-spec.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until as waitFor } from '../helpers/until.js';
import { MemoryDataPath, memoryNodeCalls } from './helpers/memory-data-path.js';
import { jobEnds as until } from './helpers/memory-jobs.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const CLUSTER = 2 * MiB;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function settings(defaultTarget: TargetSpec, overrides: Partial<BackupJobsSettings> = {}): BackupJobsSettings {
  return { queueMax: 16, concurrency: 2, retries: 2, retryMinMs: 50, requestTimeoutMs: 2000, leaseMs: 30_000, stallMs: 60_000, queuedDeadlineMs: 600_000, defaultTarget, ...overrides };
}

function jobs(
  data: MemoryDataPath,
  target: TargetSpec,
  overrides: Partial<BackupJobsSettings> = {},
  stateFile = path.join(tempDir('bk-state-'), 'state.json'),
  hooks: { beforeSnapshot?: (name: string) => Promise<void>; engines?: Record<string, Array<{ name: string; local: boolean }>> } = {},
) {
  const state = StateFile.open(stateFile, log);
  const manager = new BackupJobs({
    dataPath: data,
    node: {
      snapshotList: async (replica) => data.list(replica),
      // As the node's: metadata first, then the snapshot on top of the chain (its image: the last snapshot's).
      snapshotCreate: async (req) => {
        await state.setSnapshotMeta(req.replicaName, req.name, { createdAt: new Date().toISOString(), labels: req.labels ?? {}, userCreated: req.userCreated ?? true });
        await hooks.beforeSnapshot?.(req.name);
        const chain = data.snapshots.get(req.replicaName)!;
        const last = [...chain.keys()].at(-1);
        data.snapshot(req.replicaName, req.name, last, new Map());
        return data.list(req.replicaName).find((s) => s.name === req.name)!;
      },
      snapshotDelete: async (replica, name) => {
        data.deleteSnapshot(replica, name);
        await state.dropSnapshotMeta(replica, [name]);
      },
      // Engines as far as a refusal goes (the whole path runs on the simulator: service.test.ts).
      engineMembers: (engine) => {
        const members = hooks.engines?.[engine];
        if (!members) throw new ConductorError('ENGINE_NOT_FOUND', `no engine ${engine}`);
        return members;
      },
      ...memoryNodeCalls(data),
    },
    state,
    log,
    settings: settings(target, overrides),
  });
  return { manager, state, stateFile };
}

/** A snapshot owning `clusters` random clusters at the given cluster indexes. */
function clusters(indexes: number[]): Map<number, Buffer> {
  return new Map(indexes.map((i) => [i * CLUSTER, randomBytes(CLUSTER)]));
}

function countFiles(dir: string, match: (name: string) => boolean): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile() && match(entry.name)) n++;
  return n;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Generous: each block is hashed, compressed and written through a server on a loaded 2-core machine.
describe('backup jobs on an S3 target', { timeout: 300_000 }, () => {
  let s3: TestS3;
  let target: TargetSpec;
  beforeAll(async () => {
    s3 = await startS3();
    target = {
      kind: 's3',
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'backups',
      prefix: 'node-a/',
      forcePathStyle: true,
      accessKeyIdEnv: 'TEST_S3_KEY',
      secretAccessKeyEnv: 'TEST_S3_SECRET',
    };
    process.env.TEST_S3_KEY = 'S3RVER';
    process.env.TEST_S3_SECRET = 'S3RVER';
  });
  afterAll(async () => s3.stop());

  it('stores a full backup, then only the changed blocks of the next snapshot, and restores each exactly', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    // Half of the volume's 100 blocks (2 MiB clusters, one block each) allocated.
    data.snapshot('r1', 's1', undefined, clusters([...Array(50).keys()].map((i) => i * 2)));
    const { manager } = jobs(data, target);
    await manager.start();
    const first = await manager.backupCreate({ replica: 'r1', snapshot: 's1', volume: 'vol1', labels: { app: 'db' } });
    const full = await until(manager, first.id, ['done', 'failed']);
    expect(full.state, full.reason).toBe('done');
    expect(full.blocksUploaded).toBe(50);
    // 1% of the volume's 100 blocks changed: one block.
    data.snapshot('r1', 's2', 's1', clusters([8]));
    const second = await manager.backupCreate({ replica: 'r1', snapshot: 's2', volume: 'vol1' });
    const incr = await until(manager, second.id, ['done', 'failed']);
    expect(incr.state, incr.reason).toBe('done');
    expect(incr.blocksUploaded).toBe(1);
    // Both stage the whole image (a delta would keep old data where a cluster was rewritten with zeros): the dedup by hash makes it incremental.
    expect(data.stages.map((s) => s.mode)).toEqual(['full', 'full']);
    expect(countFiles(path.join(s3.directory, 'backups'), (n) => /^[0-9a-f]{64}\._S3rver_object$/.test(n))).toBe(51);
    const listed = await manager.backupList('vol1');
    expect(listed.map((b) => [b.id, b.snapshot, b.blockCount])).toEqual([
      [first.id, 's1', 50],
      [second.id, 's2', 50],
    ]);
    for (const [job, snap] of [
      [first, 's1'],
      [second, 's2'],
    ] as const) {
      const restore = await manager.restoreCreate({ volume: 'vol1', backupId: job.backupId, disk: 'd1', replica: `restored-${snap}` });
      const done = await until(manager, restore.id, ['done', 'failed']);
      expect(done.state, done.reason).toBe('done');
      expect(sha(data.restored.get(`restored-${snap}`)!)).toBe(sha(data.image('r1', snap)));
    }
    expect(data.open).toBe(0);
    await manager.close();
  });

  it('a full-mode backup of a snapshot that is not the next in the chain still uploads only blocks the target lacks', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r2', 'a', undefined, clusters([0, 1, 2, 3]));
    data.snapshot('r2', 'b', 'a', clusters([2]));
    const { manager } = jobs(data, target);
    await manager.start();
    const one = await until(manager, (await manager.backupCreate({ replica: 'r2', snapshot: 'a', volume: 'vol2' })).id, ['done', 'failed']);
    expect(one.blocksUploaded).toBe(4);
    data.snapshot('r2', 'c', 'b', clusters([3]));
    // The latest backup is of `a`, not of c's parent `b`: the whole image is staged and deduplicated.
    const two = await until(manager, (await manager.backupCreate({ replica: 'r2', snapshot: 'c', volume: 'vol2' })).id, ['done', 'failed']);
    expect(two.state, two.reason).toBe('done');
    expect(data.stages.at(-1)?.mode).toBe('full');
    expect([two.blocksUploaded, two.blocksSkipped]).toEqual([2, 2]);
    await manager.close();
  });

  it('delete removes the blocks only the deleted backup referenced and keeps shared ones', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r3', 's1', undefined, clusters([0, 1]));
    data.snapshot('r3', 's2', 's1', clusters([1]));
    const { manager } = jobs(data, target);
    await manager.start();
    const b1 = await until(manager, (await manager.backupCreate({ replica: 'r3', snapshot: 's1', volume: 'vol3' })).id, ['done']);
    const b2 = await until(manager, (await manager.backupCreate({ replica: 'r3', snapshot: 's2', volume: 'vol3' })).id, ['done']);
    expect([b1.blocksUploaded, b2.blocksUploaded]).toEqual([2, 1]);
    // b1's cluster 1 is replaced in b2: deleting b1 frees its block, cluster 0's is shared.
    expect(await manager.backupDelete('vol3', b1.backupId)).toEqual({ blocksRemoved: 1, sweepDeferred: false });
    const restore = await manager.restoreCreate({ volume: 'vol3', backupId: b2.backupId, disk: 'd', replica: 'r3-back' });
    expect((await until(manager, restore.id, ['done', 'failed'])).state).toBe('done');
    expect(sha(data.restored.get('r3-back')!)).toBe(sha(data.image('r3', 's2')));
    expect(await manager.backupDelete('vol3', b2.backupId)).toEqual({ blocksRemoved: 2, sweepDeferred: false });
    await expect(manager.backupDelete('vol3', b2.backupId)).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
    await manager.close();
  });

  it('cancel ends a running backup with its staging closed and no manifest', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r4', 's1', undefined, clusters([...Array(20).keys()]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let blocksSeen = 0;
    data.gate = async () => {
      if (++blocksSeen > 3) await held;
    };
    const { manager } = jobs(data, target);
    await manager.start();
    const job = await manager.backupCreate({ replica: 'r4', snapshot: 's1', volume: 'vol4' });
    await until(manager, job.id, ['uploading']);
    manager.jobCancel(job.id);
    release();
    const ended = await until(manager, job.id, ['cancelled', 'failed', 'done']);
    expect(ended.state, ended.reason).toBe('cancelled');
    expect(ended.errorCode).toBe('CANCELLED');
    expect(data.open).toBe(0);
    expect(await manager.backupList('vol4')).toEqual([]);
    await manager.close();
  });

  it('a snapshot deleted under a queued backup fails it with that reason before its turn', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r5', 's1', undefined, clusters([0]));
    data.snapshot('r5', 's2', 's1', clusters([1]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    data.gate = () => held;
    const { manager } = jobs(data, target, { concurrency: 1 });
    await manager.start();
    const running = await manager.backupCreate({ replica: 'r5', snapshot: 's1', volume: 'vol5' });
    const queued = await manager.backupCreate({ replica: 'r5', snapshot: 's2', volume: 'vol5' });
    expect(manager.jobGet(queued.id).state).toBe('queued');
    data.snapshots.get('r5')!.delete('s2');
    const failed = await until(manager, queued.id, ['failed'], 10_000);
    expect(failed.errorCode).toBe('SNAPSHOT_NOT_FOUND');
    expect(failed.reason).toMatch(/deleted while the backup was queued/);
    expect(manager.jobGet(running.id).state).toBe('uploading');
    release();
    expect((await until(manager, running.id, ['done', 'failed'])).state).toBe('done');
    await manager.close();
  });

  it('1,000 backups against a queue of 4 are refused with the numbers, and memory and fds do not grow', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r6', 's1', undefined, clusters([0]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    data.gate = () => held;
    const { manager } = jobs(data, target, { concurrency: 1, queueMax: 4 });
    await manager.start();
    const fds = () => readdirSync('/proc/self/fd').length;
    const accepted: string[] = [];
    const refusals: { code: string; message: string }[] = [];
    const attempt = async () => {
      try {
        accepted.push((await manager.backupCreate({ replica: 'r6', snapshot: 's1', volume: 'vol6' })).id);
      } catch (err) {
        refusals.push(err as { code: string; message: string });
      }
    };
    for (let i = 0; i < 100; i++) await attempt();
    global.gc?.();
    const before = { heap: process.memoryUsage().heapUsed, fds: fds() };
    for (let i = 0; i < 900; i++) await attempt();
    global.gc?.();
    const after = { heap: process.memoryUsage().heapUsed, fds: fds() };
    console.log(
      `1,000 BackupCreate against queueMax 4: ${accepted.length} accepted, ${refusals.length} refused; heap ${(before.heap / MiB).toFixed(1)} -> ${(after.heap / MiB).toFixed(1)} MiB, fds ${before.fds} -> ${after.fds}`,
    );
    expect(accepted.length).toBe(5);
    expect(refusals.length).toBe(995);
    expect(new Set(refusals.map((r) => r.code))).toEqual(new Set(['BACKUP_QUEUE_FULL']));
    expect(refusals[0]!.message).toMatch(/4 backup\/restore jobs are queued \(backup.queueMax 4\) and 1 running \(backup.concurrency 1\)/);
    expect(after.fds).toBeLessThanOrEqual(before.fds + 2);
    expect(after.heap - before.heap).toBeLessThan(32 * MiB);
    release();
    for (const id of accepted) expect((await until(manager, id, ['done', 'failed'])).state).toBe('done');
    await manager.close();
  });

  it('a target that stops answering mid-backup fails the job with the reason once the retry budget is spent', async () => {
    const own = await startS3();
    const spec: TargetSpec = { ...target, endpoint: own.endpoint } as TargetSpec;
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r7', 's1', undefined, clusters([...Array(10).keys()]));
    let blocks = 0;
    let stopped: Promise<void> | undefined;
    data.gate = async () => {
      if (++blocks === 5) stopped = own.stop();
      if (stopped) await stopped;
    };
    const { manager } = jobs(data, spec, { retries: 2, retryMinMs: 50 });
    await manager.start();
    const job = await manager.backupCreate({ replica: 'r7', snapshot: 's1', volume: 'vol7' });
    const ended = await until(manager, job.id, ['failed', 'done']);
    expect(ended.state).toBe('failed');
    expect(ended.errorCode).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(ended.reason).toMatch(/after 2 retries/);
    expect(data.open).toBe(0);
    await manager.close();
  });

  it('a job recorded in flight by a previous process is resumed, sending only the blocks the target lacks', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('r8', 's1', undefined, clusters([...Array(20).keys()]));
    let blocks = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    data.gate = async () => {
      if (++blocks > 12) await held;
    };
    const first = jobs(data, target, { concurrency: 1 });
    await first.manager.start();
    const job = await first.manager.backupCreate({ replica: 'r8', snapshot: 's1', volume: 'vol8' });
    const deadline = Date.now() + 30_000;
    while (first.manager.jobGet(job.id).blocksUploaded < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The process "dies": the record stays in its state file; nothing of the manager is used again.
    await first.manager.close();
    release();
    data.gate = async () => {};
    const second = jobs(data, target, { concurrency: 1 }, first.stateFile);
    await second.manager.start();
    const resumed = await until(second.manager, job.id, ['done', 'failed']);
    expect(resumed.state, resumed.reason).toBe('done');
    expect(resumed.blocksSkipped).toBeGreaterThanOrEqual(8);
    expect(resumed.blocksUploaded + resumed.blocksSkipped).toBe(20);
    expect(second.state.backupJobs()).toEqual([]);
    await second.manager.close();
  });
});

describe('backup jobs on a filesystem target', { timeout: 300_000 }, () => {
  it('backs up and restores through a directory, with no temp files left', async () => {
    const dir = tempDir('bk-fs-');
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('f1', 's1', undefined, clusters([0, 5, 9]));
    const { manager } = jobs(data, { kind: 'fs', path: dir });
    await manager.start();
    const b = await until(manager, (await manager.backupCreate({ replica: 'f1', snapshot: 's1' })).id, ['done', 'failed']);
    expect(b.state, b.reason).toBe('done');
    expect(b.volume).toBe('f1');
    const r = await until(manager, (await manager.restoreCreate({ volume: 'f1', backupId: b.backupId, disk: 'd', replica: 'f1-r' })).id, ['done', 'failed']);
    expect(r.state, r.reason).toBe('done');
    expect(sha(data.restored.get('f1-r')!)).toBe(sha(data.image('f1', 's1')));
    expect(countFiles(dir, (n) => n.includes('.part-'))).toBe(0);
    expect(await new FsStore(dir).abortOrphanUploads(() => true)).toBe(0);
    await manager.close();
  });

  it('refuses a target it cannot write with a stable code, and keeps the one it had', async () => {
    const dir = tempDir('bk-fs2-');
    const data = new MemoryDataPath(SIZE, CLUSTER);
    const { manager } = jobs(data, { kind: 'fs', path: dir });
    await manager.start();
    await expect(manager.targetSet({ kind: 'fs', path: 'relative/dir' })).rejects.toMatchObject({ code: 'BACKUP_TARGET_INVALID' });
    for (const pseudo of ['/proc/backups', '/sys', '/dev/../proc/x']) {
      await expect(manager.targetSet({ kind: 'fs', path: pseudo })).rejects.toMatchObject({ code: 'BACKUP_TARGET_INVALID', message: expect.stringContaining('pseudo-filesystem') });
    }
    await expect(manager.targetSet({ kind: 's3', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', bucket: 'nope', prefix: '', forcePathStyle: true } as TargetSpec)).rejects.toMatchObject({
      code: 'BACKUP_TARGET_UNREACHABLE',
    });
    expect(manager.targetGet()).toEqual({ kind: 'fs', path: dir });
    await manager.close();
  });
});

describe('a filesystem target on a kernel pseudo-filesystem', () => {
  it('is refused by what the directory is on, not only by its path: through a symlink, below one, and storing nothing', async () => {
    const dir = tempDir('bk-fs3-');
    const links = tempDir('bk-links-');
    const { manager, stateFile } = jobs(new MemoryDataPath(SIZE, CLUSTER), { kind: 'fs', path: dir });
    await manager.start();
    symlinkSync('/proc/self', path.join(links, 'proc'));
    symlinkSync('/sys/kernel', path.join(links, 'sys'));
    const cases = [
      { target: path.join(links, 'proc'), says: /\(proc: .*\/proc is \/proc\/\d+\)/ },
      { target: path.join(links, 'proc', 'backups', 'node-1'), says: /\(proc: .*\/proc is \/proc\/\d+\)/ },
      { target: path.join(links, 'sys', 'backups'), says: /\(sysfs: .*\/sys is \/sys\/kernel\)/ },
    ];
    for (const { target, says } of cases) {
      const refused = await manager.targetSet({ kind: 'fs', path: target }).then(
        () => undefined,
        (err: unknown) => err as ConductorError,
      );
      expect(refused, target).toMatchObject({ code: 'BACKUP_TARGET_INVALID', details: { field: 'path' } });
      expect(refused?.message).toContain(`${target} is on a kernel pseudo-filesystem`);
      expect(refused?.message).toMatch(says);
    }
    // Nothing stored: the target in use and the one recorded are the first.
    expect(manager.targetGet()).toEqual({ kind: 'fs', path: dir });
    expect(StateFile.open(stateFile, log).backupTarget()).toBeUndefined();
    expect(existsSync(path.join('/proc/self', 'backups'))).toBe(false);
    // A symlink to storage, and a missing directory below one, are targets like any other.
    const real = tempDir('bk-real-');
    symlinkSync(real, path.join(links, 'real'));
    expect(await manager.targetSet({ kind: 'fs', path: path.join(links, 'real', 'backups') })).toEqual({ kind: 'fs', path: path.join(links, 'real', 'backups') });
    expect(StateFile.open(stateFile, log).backupTarget()).toEqual({ kind: 'fs', path: path.join(links, 'real', 'backups') });
    await manager.close();
  });
});

describe('the snapshots backups take for themselves', { timeout: 300_000 }, () => {
  const own = (data: MemoryDataPath, replica: string) =>
    data
      .list(replica)
      .map((s) => s.name)
      .filter((n) => n !== 's0');
  const metas = (state: StateFile) => state.allSnapshotMeta().filter(([, , m]) => m.labels['backup-id'] !== undefined);

  it('are deleted when their backups end, done, cancelled or failed; a later backup is still incremental', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('k1', 's0', undefined, clusters([0, 1, 2]));
    let release!: () => void;
    let held = new Promise<void>((r) => (release = r));
    data.gate = () => held;
    const { manager, state } = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, { concurrency: 1 });
    await manager.start();
    const b1 = await manager.backupCreate({ replica: 'k1', volume: 'kvol' });
    const b2 = await manager.backupCreate({ replica: 'k1', volume: 'kvol' });
    const b3 = await manager.backupCreate({ replica: 'k1', volume: 'kvol' });
    expect([b1, b2, b3].map((b) => b.snapshot)).toEqual([b1.backupId, b2.backupId, b3.backupId]);
    expect(own(data, 'k1')).toEqual([b1.snapshot, b2.snapshot, b3.snapshot]);
    expect(metas(state).map(([, , m]) => m.userCreated)).toEqual([false, false, false]);
    await until(manager, b1.id, ['uploading']);
    // Cancelled while queued: the newest snapshot, which the running backup does not read, goes at once.
    manager.jobCancel(b3.id);
    await until(manager, b3.id, ['cancelled']);
    await waitFor("the cancelled backup's snapshot deleted", () => own(data, 'k1').length === 2, 30_000);
    expect(own(data, 'k1')).toEqual([b1.snapshot, b2.snapshot]);
    release();
    expect((await until(manager, b1.id, ['done', 'failed'])).state).toBe('done');
    const second = await until(manager, b2.id, ['done', 'failed']);
    expect(second.state, second.reason).toBe('done');
    // Nothing needs the previous backup's snapshot: the blocks are found in the target by hash.
    expect([second.blocksUploaded, second.blocksSkipped]).toEqual([0, 3]);
    await waitFor('both snapshots deleted', () => own(data, 'k1').length === 0, 30_000);
    // A failed one too.
    data.gate = async () => {
      throw new Error('reading the staged image failed');
    };
    const b4 = await manager.backupCreate({ replica: 'k1', volume: 'kvol' });
    const failed = await until(manager, b4.id, ['done', 'failed']);
    expect(failed.state).toBe('failed');
    await waitFor("the failed backup's snapshot deleted", () => own(data, 'k1').length === 0 && manager.snapshots.waiting().length === 0, 30_000);
    expect(metas(state)).toEqual([]);
    expect(manager.snapshots.waiting()).toEqual([]);
    data.gate = async () => {};
    const restore = await manager.restoreCreate({ volume: 'kvol', backupId: b2.backupId, disk: 'd', replica: 'k1-back' });
    expect((await until(manager, restore.id, ['done', 'failed'])).state).toBe('done');
    expect(sha(data.restored.get('k1-back')!)).toBe(sha(data.image('k1', 's0')));
    held = Promise.resolve();
    await manager.close();
  });

  it('one a running backup of the replica reads waits for that backup to end', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('k2', 's0', undefined, clusters([0, 1]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // Held until released, or until the reading job is cancelled.
    data.gate = (signal) =>
      new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        signal?.addEventListener('abort', done, { once: true });
        void held.then(done);
      });
    const { manager, state } = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, { concurrency: 2 });
    await manager.start();
    const older = await manager.backupCreate({ replica: 'k2', volume: 'k2vol' });
    const newer = await manager.backupCreate({ replica: 'k2', volume: 'k2vol' });
    await until(manager, older.id, ['uploading']);
    await until(manager, newer.id, ['uploading']);
    manager.jobCancel(older.id);
    await until(manager, older.id, ['cancelled']);
    await waitFor("the older snapshot's delete deferred", () => manager.snapshots.waiting().length === 1, 30_000);
    // The newer backup's staged chain runs through the older snapshot.
    expect(own(data, 'k2')).toEqual([older.snapshot, newer.snapshot]);
    expect(manager.snapshots.waiting()).toEqual([['k2', older.snapshot]]);
    release();
    expect((await until(manager, newer.id, ['done', 'failed'])).state).toBe('done');
    await waitFor('both snapshots deleted', () => own(data, 'k2').length === 0, 30_000);
    expect(metas(state)).toEqual([]);
    await manager.close();
  });

  it('a refusal after the snapshot was taken (the queue filled meanwhile) deletes it before answering', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('k3', 's0', undefined, clusters([0]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    data.gate = () => held;
    let calls = 0;
    let manager!: BackupJobs;
    const made = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, { concurrency: 1, queueMax: 1 }, undefined, {
      // The second request's snapshot is taken once the first one is queued: it passed the first admit, not the second.
      beforeSnapshot: async () => {
        if (++calls !== 3) return;
        const deadline = Date.now() + 30_000;
        while (!manager.jobList().some((j) => j.state === 'queued') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      },
    });
    manager = made.manager;
    await manager.start();
    const running = await manager.backupCreate({ replica: 'k3', volume: 'k3vol' });
    await until(manager, running.id, ['uploading']);
    const [queued, refused] = await Promise.allSettled([manager.backupCreate({ replica: 'k3', volume: 'k3vol' }), manager.backupCreate({ replica: 'k3', volume: 'k3vol' })]);
    expect(queued.status).toBe('fulfilled');
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'BACKUP_QUEUE_FULL' });
    const queuedSnapshot = (queued as PromiseFulfilledResult<JobInfo>).value.snapshot;
    // Gone when the refusal answered: only the running and the queued backups' snapshots remain.
    expect(own(data, 'k3')).toEqual([running.snapshot, queuedSnapshot]);
    expect(metas(made.state).map(([, s]) => s)).toEqual([running.snapshot, queuedSnapshot]);
    release();
    for (const id of [running.id, (queued as PromiseFulfilledResult<JobInfo>).value.id]) expect((await until(manager, id, ['done', 'failed'])).state).toBe('done');
    await waitFor('both snapshots deleted', () => own(data, 'k3').length === 0, 30_000);
    await manager.close();
  });

  it('one a later backup names is adopted and kept; a crash leaves the rest to the next start', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('k4', 's0', undefined, clusters([0]));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let blocks = 0;
    data.gate = async () => {
      if (++blocks > 1) await held;
    };
    const first = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, { concurrency: 1 });
    await first.manager.start();
    const named = await first.manager.backupCreate({ replica: 'k4', volume: 'k4vol' });
    await until(first.manager, named.id, ['done']);
    await waitFor('the first snapshot deleted', () => own(data, 'k4').length === 0, 30_000);
    const a = await first.manager.backupCreate({ replica: 'k4', volume: 'k4vol' });
    const b = await first.manager.backupCreate({ replica: 'k4', volume: 'k4vol', snapshot: a.snapshot });
    expect(first.state.snapshotMeta('k4', a.snapshot)?.userCreated).toBe(true);
    const c = await first.manager.backupCreate({ replica: 'k4', volume: 'k4vol' });
    // A crash after c's snapshot was taken and before its job was recorded: its metadata is in the state file, no job.
    await first.state.putBackupJob(c.id, undefined);
    // The process "dies" with a and b in flight: their records stay.
    await first.manager.close();
    release();
    data.gate = async () => {};
    const second = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, { concurrency: 1 }, first.stateFile);
    await second.manager.start();
    // At start: c's snapshot (no job) is gone, a's (adopted) stays, as do the jobs' records.
    expect(own(data, 'k4')).toEqual([a.snapshot]);
    for (const id of [a.id, b.id]) expect((await until(second.manager, id, ['done', 'failed'])).state).toBe('done');
    // Both ended (their end's delete, had there been one, runs before the next job starts).
    expect(own(data, 'k4')).toEqual([a.snapshot]);
    expect(metas(second.state).map(([, s, m]) => [s, m.userCreated])).toEqual([[a.snapshot, true]]);
    await second.manager.close();
  });

  it('a backup of an engine with no member on this node, or naming a replica that is not a member, is refused and takes no snapshot', async () => {
    const data = new MemoryDataPath(SIZE, CLUSTER);
    data.snapshot('k5', 's0', undefined, clusters([0]));
    const { manager, state } = jobs(data, { kind: 'fs', path: tempDir('bk-own-') }, {}, undefined, {
      engines: {
        far: [{ name: 'r-far', local: false }],
        near: [
          { name: 'k5', local: true },
          { name: 'r-far', local: false },
        ],
      },
    });
    await manager.start();
    await expect(manager.backupCreate({ engine: 'far' })).rejects.toMatchObject({ code: 'BACKUP_NO_LOCAL_MEMBER', message: expect.stringContaining('no member on this node') });
    await expect(manager.backupCreate({ engine: 'near', replica: 'r-far' })).rejects.toMatchObject({ code: 'BACKUP_NO_LOCAL_MEMBER', message: expect.stringContaining('on another node') });
    await expect(manager.backupCreate({ engine: 'near', replica: 'k6' })).rejects.toMatchObject({ code: 'ENGINE_MEMBER_NOT_FOUND', message: expect.stringContaining('not a member of engine near') });
    await expect(manager.backupCreate({ engine: 'gone' })).rejects.toMatchObject({ code: 'ENGINE_NOT_FOUND' });
    expect(own(data, 'k5')).toEqual([]);
    expect(metas(state)).toEqual([]);
    expect(manager.jobList()).toEqual([]);
    await manager.close();
  });
});
