/**
 * An S3 target over TLS, with credentials from files and from the environment, and the target's
 * one client, through the service on the simulator and its gRPC API. The test S3 server sits
 * behind a proxy (helpers/s3-proxy.ts) that terminates TLS with a certificate of a test CA
 * (test/helpers/certs.ts) and counts the connections it accepts and sees close:
 * - the target set with that CA's file works, a backup and a restore go through it; without the CA,
 *   or with another CA, BackupTargetSet is refused (BACKUP_TARGET_UNTRUSTED naming the
 *   certificate problem), nothing reaches the server and the target stays;
 * - the secret (from a file, from an environment variable) appears in no log line, no answer and
 *   not in the state file; a wrong secret is refused as not writable;
 * - one client per target: jobs reuse its connections (at most the agent's 16, however many
 *   requests), and they close when the target changes and when the service stops.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import type { BackupJob__Output } from '../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import type { BackupTarget } from '../../src/api/generated/spdk/conductor/v1/BackupTarget.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { makeCa, writeIdentity } from '../helpers/certs.js';
import { refusal } from '../helpers/refusal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { capturedLog, recordedBackups } from './helpers/recorded-api.js';
import { startS3Proxy, type S3Proxy } from './helpers/s3-proxy.js';
import { addS3Credentials, startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const TERMINAL = ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'];
const KEY_ID = `AKIDFILE${randomBytes(4).toString('hex').toUpperCase()}`;
const SECRET = `file-secret-${randomBytes(12).toString('hex')}`;
const ENV_KEY_ID = `AKIDENV${randomBytes(4).toString('hex').toUpperCase()}`;
const ENV_SECRET = `env-secret-${randomBytes(12).toString('hex')}`;
const WRONG_SECRET = `wrong-secret-${randomBytes(12).toString('hex')}`;

let node: NodeFixture;
let s3: TestS3;
let proxy: S3Proxy;
let api: ApiClients;
let dir: string;
let target: BackupTarget;
const { logger, lines: logLines } = capturedLog();
const answers: unknown[] = [];

const call = recordedBackups(() => api, answers);

async function ended(id: string, get: 'BackupGet' | 'RestoreGet' = 'BackupGet'): Promise<BackupJob__Output> {
  return until(`job ${id} to end`, async () => {
    const job = await call(get, { id });
    return TERMINAL.includes(job.state) ? job : undefined;
  });
}

async function write(bdev: string, bytes: number): Promise<void> {
  for (let off = 0; off < bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

const stored = () => fs.readdirSync(path.join(s3.directory, 'backups'), { recursive: true }).length;

beforeAll(async () => {
  dir = tempDir('s3-tls-');
  // The server keeps idle connections until the client closes them: what the proxy sees closing is the client's doing.
  s3 = await startS3('backups', { keepAliveMs: 600_000 });
  addS3Credentials(KEY_ID, SECRET);
  addS3Credentials(ENV_KEY_ID, ENV_SECRET);
  const ca = await makeCa('s3 test CA');
  const server = await ca.issue('s3.test', { server: true });
  const files = writeIdentity(dir, 's3', server, ca);
  const other = await makeCa('another CA');
  fs.writeFileSync(path.join(dir, 'other-ca.crt'), other.certPem);
  proxy = await startS3Proxy(s3.port, server);
  fs.writeFileSync(path.join(dir, 'key-id'), `${KEY_ID}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'secret'), `${SECRET}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'wrong-secret'), `${WRONG_SECRET}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'unknown-key-id'), 'AKIDNOTKNOWNHERE\n', { mode: 0o600 });
  process.env.TEST_TLS_S3_KEY = ENV_KEY_ID;
  process.env.TEST_TLS_S3_SECRET = ENV_SECRET;
  target = {
    kind: 's3',
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'tls',
    forcePathStyle: true,
    caFile: files.ca,
    accessKeyIdFile: path.join(dir, 'key-id'),
    secretAccessKeyFile: path.join(dir, 'secret'),
  };
  node = await startNode({ logger, env: { CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  await write('lvs.d/r.src', 6 * MiB);
  await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
}, 120_000);

afterAll(async () => {
  api?.close();
  await node?.close();
  await proxy?.close();
  await s3?.stop();
});

describe('an S3 target over TLS', { timeout: 300_000 }, () => {
  it('set with the CA file and credentials from files: a backup and a restore go through it', async () => {
    const set = await call('BackupTargetSet', target);
    expect(set).toMatchObject({ kind: 's3', caFile: target.caFile, accessKeyIdFile: target.accessKeyIdFile, secretAccessKeyFile: target.secretAccessKeyFile });
    expect(proxy.connections.some((c) => c.secured)).toBe(true);
    const backup = await ended((await call('BackupCreate', { replica: 'src', snapshot: 's1', volume: 'tv' })).id);
    expect(backup.state, backup.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(Number(backup.blocksUploaded)).toBe(3);
    expect(s3.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/backups/tls/volumes/tv/blocks/'))).toHaveLength(3);
    const restore = await ended((await call('RestoreCreate', { volume: 'tv', backupId: backup.backupId, disk: 'd', replica: 'back' })).id, 'RestoreGet');
    expect(restore.state, restore.reason).toBe('BACKUP_JOB_STATE_DONE');
    const [a, b] = await Promise.all(['lvs.d/r.back', 'lvs.d/r.src'].map((name) => node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name })));
    expect(a).toEqual(b);
  });

  it('without the CA, or with another CA, is refused as untrusted naming the certificate problem; nothing reaches the server, the target stays', async () => {
    const requests = s3.requests.length;
    const objects = stored();
    const from = proxy.connections.length;
    for (const caFile of [undefined, path.join(dir, 'other-ca.crt')]) {
      const refused = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, caFile: caFile ?? '' }));
      expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_UNTRUSTED' });
      expect(refused.details).toContain(proxy.endpoint);
      expect(refused.details).toMatch(
        /TLS certificate is not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE): .*give the CA that issued it as caFile/,
      );
      expect(refused.details).not.toContain(SECRET);
    }
    // Each attempt's connection ended in the handshake: the client did not trust the certificate.
    const tried = proxy.connections.slice(from);
    expect(tried.length).toBeGreaterThanOrEqual(2);
    expect(tried.filter((c) => c.secured)).toEqual([]);
    expect(s3.requests.length).toBe(requests);
    expect(stored()).toBe(objects);
    expect(await call('BackupTargetGet', {})).toMatchObject({ endpoint: proxy.endpoint, caFile: target.caFile });
  });

  it('credentials from the environment work; an unknown key is refused as not writable, without the secret; an unreadable file as invalid', async () => {
    const byEnv = { ...target, accessKeyIdFile: '', secretAccessKeyFile: '', accessKeyIdEnv: 'TEST_TLS_S3_KEY', secretAccessKeyEnv: 'TEST_TLS_S3_SECRET' };
    expect(await call('BackupTargetSet', byEnv)).toMatchObject({ accessKeyIdEnv: 'TEST_TLS_S3_KEY', secretAccessKeyEnv: 'TEST_TLS_S3_SECRET' });
    // An access key id the server does not know (a known one with a wrong secret, refused for its signature: s3-credentials.test.ts).
    const wrong = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, accessKeyIdFile: path.join(dir, 'unknown-key-id'), secretAccessKeyFile: path.join(dir, 'wrong-secret') }));
    expect(wrong).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_NOT_WRITABLE' });
    expect(wrong.details).not.toContain(WRONG_SECRET);
    const unreadable = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, secretAccessKeyFile: path.join(dir, 'no-such-file') }));
    expect(unreadable).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'BACKUP_TARGET_INVALID' });
    expect(unreadable.details).toContain('ENOENT');
    expect(await call('BackupTargetGet', {})).toMatchObject({ accessKeyIdEnv: 'TEST_TLS_S3_KEY' });
    // Back to the files, for what follows.
    await call('BackupTargetSet', target);
  });
});

describe("the target's one client", { timeout: 300_000 }, () => {
  it('is reused by every job, its connections closed when the target changes and when the service stops', async () => {
    // A fresh client: the target set anew; the one before is closed.
    await call('BackupTargetSet', { ...target, prefix: 'reuse' });
    const from = proxy.connections.length;
    const requestsFrom = s3.requests.length;
    for (const [i, snap] of ['r1', 'r2', 'r3'].entries()) {
      await write('lvs.d/r.src', (i + 1) * 2 * MiB);
      await node.node.snapshotCreate({ replicaName: 'src', name: snap });
      const job = await ended((await call('BackupCreate', { replica: 'src', snapshot: snap, volume: 'rv' })).id);
      expect(job.state, job.reason).toBe('BACKUP_JOB_STATE_DONE');
    }
    const listed = await call('BackupList', { volume: 'rv' });
    expect((listed as unknown as { backups: unknown[] }).backups).toHaveLength(3);
    const opened = proxy.connections.length - from;
    const requests = s3.requests.length - requestsFrom;
    console.log(`three backups and a list through one client: ${requests} requests over ${opened} connections`);
    // One client with a keep-alive pool of at most 16 sockets, the server keeping them open: never more, however many requests.
    expect(requests).toBeGreaterThan(40);
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(16);
    const before = proxy.open().map((c) => c.id);
    expect(before.length).toBeGreaterThan(0);

    // The target changes (to a directory): the S3 client's connections close.
    await call('BackupTargetSet', { kind: 'fs', path: path.join(dir, 'fs-target') });
    await until('the old client to close its connections', () => proxy.open().length === 0, 30_000);

    // Back to S3, then the service stops: its client's connections close.
    await call('BackupTargetSet', target);
    const held = proxy.open().map((c) => c.id);
    expect(held.length).toBeGreaterThan(0);
    await node.restart();
    await until('the stopped service to have closed its connections', () => proxy.connections.every((c) => !held.includes(c.id) || c.closed), 30_000);
    // The restarted service opens the target from its state file (the secret read from its file again), with a client of its own.
    const after = await ended((await call('BackupCreate', { replica: 'src', snapshot: 'r3', volume: 'rv2' })).id);
    expect(after.state, after.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(proxy.open().length).toBeGreaterThan(0);
  });

  it('no secret in any log line, answer or the state file', async () => {
    expect(logLines.length).toBeGreaterThan(20);
    const state = fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8');
    expect(state).toContain('secret');
    for (const secret of [SECRET, ENV_SECRET, WRONG_SECRET]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
      expect(JSON.stringify(answers)).not.toContain(secret);
      expect(state).not.toContain(secret);
    }
  });
});
