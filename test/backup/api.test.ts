/**
 * Backups through the gRPC API of a node (the simulator, the service with its real data path, a
 * real S3-protocol server on loopback): BackupWatch's events in order and its end; a target
 * refused on configuration with the code that says why; and a member's detach from its volume and
 * the volume's delete while a backup of that member's snapshot is held mid-upload by the S3
 * server, each answered at once (the times are printed, not asserted), the backup then finishing
 * from its pinned snapshot.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import type { BackupJob__Output } from '../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import type { BackupJobEvent__Output } from '../../src/api/generated/spdk/conductor/v1/BackupJobEvent.js';
import type { BackupTarget } from '../../src/api/generated/spdk/conductor/v1/BackupTarget.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { refusal } from '../helpers/refusal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';
import { until } from '../helpers/until.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:6d0c3f43-3b3c-4a3c-9d0e-2f1b6a7c8d9e';
const TERMINAL = ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'];

let node: NodeFixture;
let s3: TestS3;
let api: ApiClients;
let target: BackupTarget;

async function fill(bdev: string, bytes: number): Promise<void> {
  for (let off = 0; off < bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

async function ended(id: string): Promise<BackupJob__Output> {
  return until(`backup ${id} to end`, async () => {
    const job = await invoke(api.backups, 'BackupGet', { id });
    return TERMINAL.includes(job.state) ? job : undefined;
  });
}

/** Collects a watch stream's events and how it ended. */
function collect(stream: ClientReadableStream<BackupJobEvent__Output>) {
  const events: BackupJobEvent__Output[] = [];
  let end: { code: number; details: string } | undefined;
  stream.on('data', (event: BackupJobEvent__Output) => events.push(event));
  stream.on('error', (err: { code: number; details: string }) => (end = err));
  stream.on('status', (s: { code: number; details: string }) => (end ??= s));
  return { events, ended: () => end };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  s3 = await startS3();
  process.env.TEST_API_S3_KEY = 'S3RVER';
  process.env.TEST_API_S3_SECRET = 'S3RVER';
  process.env.TEST_API_S3_WRONG = 'NOT-A-KEY';
  node = await startNode({ env: { CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 1024) });
  target = {
    kind: 's3',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'api',
    forcePathStyle: true,
    accessKeyIdEnv: 'TEST_API_S3_KEY',
    secretAccessKeyEnv: 'TEST_API_S3_SECRET',
  };
  await invoke(api.backups, 'BackupTargetSet', target);
}, 120_000);

afterAll(async () => {
  if (s3) s3.gate = undefined;
  api?.close();
  await node?.close();
  await s3?.stop();
});

describe('BackupWatch', { timeout: 300_000 }, () => {
  it("streams a backup's states and progress in order, and ends cleanly with the client, leaving no subscriber", async () => {
    await node.node.replicaCreate('w', 'd', SIZE);
    await fill('lvs.d/r.w', 8 * MiB);
    await node.node.snapshotCreate({ replicaName: 'w', name: 'w1' });
    const stream = api.backups.BackupWatch({});
    const watch = collect(stream);
    await until('SYNCED', () => watch.events.some((e) => e.type === 'SYNCED'));
    const created = await invoke(api.backups, 'BackupCreate', { replica: 'w', snapshot: 'w1', volume: 'wvol' });
    await until('the DONE event', () => watch.events.some((e) => e.job?.id === created.id && TERMINAL.includes(e.job.state)));

    const mine = watch.events.filter((e) => e.job?.id === created.id);
    expect(mine[0]!.type).toBe('ADDED');
    expect(mine.slice(1).every((e) => e.type === 'MODIFIED')).toBe(true);
    const states = mine.map((e) => e.job!.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(states).toEqual(['BACKUP_JOB_STATE_QUEUED', 'BACKUP_JOB_STATE_STAGING', 'BACKUP_JOB_STATE_UPLOADING', 'BACKUP_JOB_STATE_DONE']);
    // Progress while uploading: bytes done only grow, up to the total, with the blocks counted.
    const uploading = mine.filter((e) => e.job!.state === 'BACKUP_JOB_STATE_UPLOADING').map((e) => e.job!);
    expect(uploading.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < uploading.length; i++) expect(Number(uploading[i]!.bytesDone)).toBeGreaterThanOrEqual(Number(uploading[i - 1]!.bytesDone));
    const last = mine.at(-1)!.job!;
    expect(last).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', blocksUploaded: 4 });
    expect(Number(last.bytesDone)).toBe(Number(last.bytesTotal));
    expect(last.reason).toMatch(/4 blocks/);
    const updated = mine.map((e) => Date.parse(e.job!.updatedAt));
    for (let i = 1; i < updated.length; i++) expect(updated[i]).toBeGreaterThanOrEqual(updated[i - 1]!);

    expect(node.node.backups.listenerCount).toBe(1);
    stream.cancel();
    await until('the stream to end', () => watch.ended());
    expect(watch.ended()!.code).toBe(status.CANCELLED);
    await until('no subscriber left', () => node.node.backups.listenerCount === 0);
  });
});

describe('a backup target checked on configuration', { timeout: 120_000 }, () => {
  it('refuses an S3 endpoint that does not answer as unreachable, naming it, and keeps the target it had', async () => {
    const port = await closedPort();
    const refused = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, endpoint: `http://127.0.0.1:${port}` }));
    expect(refused).toMatchObject({ code: status.UNAVAILABLE, conductorCode: 'BACKUP_TARGET_UNREACHABLE' });
    expect(refused.details).toContain(`127.0.0.1:${port}`);
    expect(refused.details).toMatch(/probe write failed/);
    expect(await invoke(api.backups, 'BackupTargetGet', {})).toMatchObject({ kind: 's3', endpoint: s3.endpoint });
  });

  it('refuses an S3 target that answers no (unknown key, missing bucket) as not writable, without the secret', async () => {
    const wrongKey = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, accessKeyIdEnv: 'TEST_API_S3_WRONG' }));
    expect(wrongKey).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_NOT_WRITABLE' });
    expect(wrongKey.details).toMatch(/probe write failed/);
    expect(wrongKey.details).not.toContain('S3RVER');
    const noBucket = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, bucket: 'no-such-bucket' }));
    expect(noBucket).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_NOT_WRITABLE' });
    expect(noBucket.details).toContain('no-such-bucket');
    expect(await invoke(api.backups, 'BackupTargetGet', {})).toMatchObject({ kind: 's3', bucket: 'backups' });
  });

  it('refuses a kernel pseudo-filesystem as invalid, and a path that is a file as not writable', async () => {
    // Root writes any ordinary directory; sysfs would refuse the probe, but the path is refused before any write.
    const sys = await refusal(invoke(api.backups, 'BackupTargetSet', { kind: 'fs', path: '/sys/spdk-conductor-backups' }));
    expect(sys).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'BACKUP_TARGET_INVALID' });
    expect(sys.details).toContain('pseudo-filesystem');
    const file = path.join(tempDir('bk-file-'), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const notDir = await refusal(invoke(api.backups, 'BackupTargetSet', { kind: 'fs', path: file }));
    expect(notDir).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_NOT_WRITABLE' });
    expect(notDir.details).toMatch(/ENOTDIR|EEXIST/);
    expect(await invoke(api.backups, 'BackupTargetGet', {})).toMatchObject({ kind: 's3', bucket: 'backups' });
  });
});

describe('detach and engine delete during a long backup', { timeout: 300_000 }, () => {
  it('remove the backed-up member from its engine and delete the engine at once; the backup then finishes from its pinned snapshot', async () => {
    await node.node.replicaCreate('m0', 'd', SIZE);
    await node.node.replicaCreate('m1', 'd', SIZE);
    await node.node.engineCreate({
      name: 'evol',
      sizeBytes: SIZE,
      replicas: [
        { name: 'm0', kind: 'local' },
        { name: 'm1', kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    await fill('lvs.d/r.m0', 16 * MiB);
    // The caller names an existing snapshot of a member: the backup is of the volume through it.
    await node.node.snapshotCreate({ replicaName: 'm0', name: 'pin' });

    // The S3 server holds block PUTs after the first two: the backup stays mid-upload until released.
    let passed = 0;
    let held = 0;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    s3.gate = async (r) => {
      if (r.method !== 'PUT' || !r.path.includes('/volumes/evol/blocks/')) return;
      if (passed < 2) {
        passed++;
        return;
      }
      held++;
      await released;
    };
    const created = await invoke(api.backups, 'BackupCreate', { replica: 'm0', snapshot: 'pin', volume: 'evol' });
    await until('the backup held mid-upload', async () => held > 0 && (await invoke(api.backups, 'BackupGet', { id: created.id })).state === 'BACKUP_JOB_STATE_UPLOADING');

    let t = performance.now();
    const removed = await invoke(api.engines, 'EngineReplicaRemove', { name: 'evol', replicaName: 'm0' });
    const detachMs = performance.now() - t;
    expect(removed.members.map((m) => m.name)).toEqual(['m1']);
    t = performance.now();
    await invoke(api.engines, 'EngineDelete', { name: 'evol' });
    const deleteMs = performance.now() - t;
    const during = await invoke(api.backups, 'BackupGet', { id: created.id });
    console.log(
      `during a held backup (${during.state}, ${during.blocksUploaded} blocks stored): member detach (EngineReplicaRemove) ${detachMs.toFixed(0)} ms, EngineDelete ${deleteMs.toFixed(0)} ms; load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    expect(during.state).toBe('BACKUP_JOB_STATE_UPLOADING');
    expect((await invoke(api.engines, 'EngineList', {})).engines?.map((e) => e.name)).not.toContain('evol');

    s3.gate = undefined;
    release();
    const done = await ended(created.id);
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(Number(done.blocksUploaded) + Number(done.blocksSkipped)).toBe(8);
    expect(done.reason).not.toBe('');
  });
});
