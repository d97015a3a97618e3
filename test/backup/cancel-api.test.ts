/**
 * BackupCancel and RestoreCancel over the gRPC API of a node (the simulator, the service with its
 * real data path, s3rver on loopback holding requests where the test says): a backup cancelled
 * mid-upload and a restore cancelled mid-download end CANCELLED with the reason and code, and
 * leave nothing in spdk_tgt (no staging aio bdev, no restore clone, no restored replica, no
 * snapshot the backup took) nor in the staging directory, nor a manifest or in-flight marker in
 * the target; a queued job is cancelled before it runs; an ended job's cancel answers its end
 * unchanged; a job of the other kind or an unknown one is NOT_FOUND.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import type { BackupJob__Output } from '../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import { restoreNqn } from '../../src/domain/node/naming.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { refusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const TERMINAL = ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'];

let node: NodeFixture;
let s3: TestS3;
let api: ApiClients;
let release: () => void = () => undefined;

async function ended(id: string, get: 'BackupGet' | 'RestoreGet'): Promise<BackupJob__Output> {
  return until(`job ${id} to end`, async () => {
    const job = await invoke(api.backups, get, { id });
    return TERMINAL.includes(job.state) ? job : undefined;
  });
}

/** Holds the requests `match` picks after the first `pass` of them, until release(). */
function hold(match: (method: string, p: string) => boolean, pass: number): { held: () => number } {
  let passed = 0;
  let held = 0;
  const released = new Promise<void>((r) => (release = r));
  s3.gate = async (r) => {
    if (!match(r.method, r.path)) return;
    if (passed < pass) {
      passed++;
      return;
    }
    held++;
    await released;
  };
  return { held: () => held };
}

function unhold(): void {
  s3.gate = undefined;
  release();
}

/** What a job could leave in spdk_tgt and the staging directory. */
async function leftovers(): Promise<string[]> {
  const bdevs = await node.client.callUnchecked<Array<{ name: string; product_name: string; aliases: string[] }>>('bdev_get_bdevs', {});
  const staging = path.join(node.dir, 'backup-staging');
  return [
    ...bdevs.filter((b) => b.product_name === 'AIO disk' && b.name !== 'd.d').map((b) => `aio bdev ${b.name}`),
    ...bdevs
      .flatMap((b) => b.aliases)
      .filter((a) => /\/(b\.|r\.back|bk-)/.test(a))
      .map((a) => `lvol ${a}`),
    ...(fs.existsSync(staging) ? fs.readdirSync(staging).map((f) => `staging file ${f}`) : []),
    ...(await node.client.callUnchecked<Array<{ nqn: string }>>('nvmf_get_subsystems', {})).filter((s) => s.nqn.includes(':restore:')).map((s) => `subsystem ${s.nqn}`),
  ];
}

/** The target's objects of a volume other than blocks (manifests, markers). */
function targetObjects(volume: string, kind: 'manifests' | 'inflight'): string[] {
  const dir = path.join(s3.directory, 'backups', 'c', 'volumes', volume, kind);
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : [];
}

beforeAll(async () => {
  s3 = await startS3();
  process.env.TEST_CANCEL_S3_KEY = 'S3RVER';
  process.env.TEST_CANCEL_S3_SECRET = 'S3RVER';
  node = await startNode({ env: { CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100', CONDUCTOR_BACKUP_CONCURRENCY: '1' } });
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await invoke(api.backups, 'BackupTargetSet', {
    kind: 's3',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'c',
    forcePathStyle: true,
    accessKeyIdEnv: 'TEST_CANCEL_S3_KEY',
    secretAccessKeyEnv: 'TEST_CANCEL_S3_SECRET',
  });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  for (let off = 0; off < 12 * MiB; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}, 120_000);

afterAll(async () => {
  if (s3) unhold();
  api?.close();
  await node?.close();
  await s3?.stop();
});

describe('BackupCancel and RestoreCancel', { timeout: 300_000 }, () => {
  let backupId = '';

  it('a backup cancelled mid-upload ends CANCELLED with the reason, its snapshot, staging and marker gone, no manifest', async () => {
    const gate = hold((m, p) => m === 'PUT' && p.includes('/volumes/cv/blocks/'), 2);
    // No snapshot named: the backup takes its own (bk-…), deleted at its end.
    const job = await invoke(api.backups, 'BackupCreate', { replica: 'src', volume: 'cv' });
    await until('the backup held mid-upload', async () => gate.held() > 0 && (await invoke(api.backups, 'BackupGet', { id: job.id })).state === 'BACKUP_JOB_STATE_UPLOADING');
    const answer = await invoke(api.backups, 'BackupCancel', { id: job.id });
    expect(answer.id).toBe(job.id);
    const end = await ended(job.id, 'BackupGet');
    expect(end).toMatchObject({ state: 'BACKUP_JOB_STATE_CANCELLED', errorCode: 'CANCELLED' });
    expect(end.reason).toMatch(/cancelled by request/);
    unhold();
    let left: string[] = [];
    await until(
      'nothing left in spdk_tgt or staging',
      async () => ((left = await leftovers()).length === 0 ? true : undefined),
      30_000,
      () => left.join(', '),
    );
    await until("the backup's own snapshot deleted", async () => ((await node.node.snapshotList('src')).length === 0 ? true : undefined), 30_000);
    expect(targetObjects('cv', 'manifests')).toEqual([]);
    await until('its in-flight marker removed', () => targetObjects('cv', 'inflight').length === 0, 30_000);
    // The volume backs up whole afterwards.
    await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
    const done = await ended((await invoke(api.backups, 'BackupCreate', { replica: 'src', snapshot: 's1', volume: 'cv' })).id, 'BackupGet');
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    backupId = done.backupId;
  });

  it('a restore cancelled mid-download ends CANCELLED with the reason; no replica, lvol, export, aio bdev or staging file is left', async () => {
    const gate = hold((m, p) => m === 'GET' && p.includes('/volumes/cv/blocks/'), 1);
    const job = await invoke(api.backups, 'RestoreCreate', { volume: 'cv', backupId, disk: 'd', replica: 'back' });
    await until('the restore held mid-download', async () => gate.held() > 0 && (await invoke(api.backups, 'RestoreGet', { id: job.id })).state === 'BACKUP_JOB_STATE_DOWNLOADING');
    expect(await leftovers(), 'the restore writes its lvol through a loopback export').toEqual(expect.arrayContaining(['lvol lvs.d/b.back', `subsystem ${restoreNqn('back')}`]));
    await invoke(api.backups, 'RestoreCancel', { id: job.id });
    const end = await ended(job.id, 'RestoreGet');
    expect(end).toMatchObject({ state: 'BACKUP_JOB_STATE_CANCELLED', errorCode: 'CANCELLED' });
    expect(end.reason).toMatch(/cancelled by request/);
    unhold();
    await until(
      'nothing left in spdk_tgt or staging',
      async () => ((await leftovers()).length === 0 ? true : undefined),
      30_000,
      () => 'see leftovers()',
    );
    expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('back');
  });

  it('a queued job is cancelled before it runs; an ended one answers its end; the other kind or an unknown id is NOT_FOUND', async () => {
    // backup.concurrency 1: a held backup runs, the restore behind it waits.
    const gate = hold((m, p) => m === 'PUT' && p.includes('/volumes/qv/blocks/'), 0);
    const running = await invoke(api.backups, 'BackupCreate', { replica: 'src', snapshot: 's1', volume: 'qv' });
    await until('the backup held', () => gate.held() > 0);
    const queued = await invoke(api.backups, 'RestoreCreate', { volume: 'cv', backupId, disk: 'd', replica: 'back' });
    expect(queued.state).toBe('BACKUP_JOB_STATE_QUEUED');
    const cancelled = await invoke(api.backups, 'RestoreCancel', { id: queued.id });
    expect(cancelled.state).toBe('BACKUP_JOB_STATE_CANCELLED');
    expect(cancelled.reason).toMatch(/while queued/);
    expect((await refusal(invoke(api.backups, 'BackupCancel', { id: queued.id }))).code).toBe(status.NOT_FOUND);
    expect((await refusal(invoke(api.backups, 'RestoreCancel', { id: running.id }))).code).toBe(status.NOT_FOUND);
    expect((await refusal(invoke(api.backups, 'BackupCancel', { id: 'bk-20261206t000000z-00000000' }))).code).toBe(status.NOT_FOUND);
    unhold();
    const done = await ended(running.id, 'BackupGet');
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(await invoke(api.backups, 'BackupCancel', { id: running.id })).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', reason: done.reason });
    expect(await leftovers()).toEqual([]);
    expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('back');
  });
});
