/**
 * S3 credentials as an operator rotates them, through the service on the simulator and its gRPC
 * API, against the test S3 server, which checks every request's SigV4 signature
 * (helpers/sigv4-check.ts; s3rver alone leaves v4 signatures unchecked):
 * - a known access key id with a wrong secret is refused at BackupTargetSet as not writable, the
 *   message saying that the credentials were refused, nothing stored, the target before kept;
 * - credentials rotated in their files (swapped in place, as a Kubernetes Secret volume does, the
 *   old key then revoked) reach the next backup without a BackupTargetSet or a restart;
 * - a file rotated to a wrong secret fails the next backup with that reason, within its retry
 *   budget, and the next good rotation heals it;
 * - no secret in any log line or answer.
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
import { refusal } from '../helpers/refusal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { capturedLog, recordedBackups } from './helpers/recorded-api.js';
import { addS3Credentials, revokeS3Credentials, startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const TERMINAL = ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'];
const keyId = (tag: string) => `AKID${tag}${randomBytes(4).toString('hex').toUpperCase()}`;
const KEY_A = keyId('ROTA');
const SECRET_A = `secret-a-${randomBytes(12).toString('hex')}`;
const KEY_B = keyId('ROTB');
const SECRET_B = `secret-b-${randomBytes(12).toString('hex')}`;
const WRONG = `wrong-${randomBytes(12).toString('hex')}`;

let node: NodeFixture;
let s3: TestS3;
let api: ApiClients;
let dir: string;
let target: BackupTarget;
const { logger, lines: logLines } = capturedLog();
const answers: unknown[] = [];

const call = recordedBackups(() => api, answers);

async function backup(snapshot: string): Promise<BackupJob__Output> {
  const { id } = await call('BackupCreate', { replica: 'src', snapshot, volume: 'cv' });
  return until(`backup ${id} to end`, async () => {
    const job = await call('BackupGet', { id });
    return TERMINAL.includes(job.state) ? job : undefined;
  });
}

/** Writes both files beside and renames them into place: a reader sees the old pair or the new file, never a torn one. */
function rotate(id: string, secret: string): void {
  for (const [name, value] of [
    ['key-id', id],
    ['secret', secret],
  ] as const) {
    const tmp = path.join(dir, `.${name}.tmp`);
    fs.writeFileSync(tmp, `${value}\n`, { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, name));
  }
}

async function snapshotWithData(name: string): Promise<void> {
  await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: 0, data_base64: randomBytes(64 * 1024).toString('base64') });
  await node.node.snapshotCreate({ replicaName: 'src', name });
}

const stored = () => fs.readdirSync(path.join(s3.directory, 'backups'), { recursive: true }).length;

beforeAll(async () => {
  dir = tempDir('s3-creds-');
  s3 = await startS3('backups');
  addS3Credentials(KEY_A, SECRET_A);
  rotate(KEY_A, SECRET_A);
  target = {
    kind: 's3',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'creds',
    forcePathStyle: true,
    accessKeyIdFile: path.join(dir, 'key-id'),
    secretAccessKeyFile: path.join(dir, 'secret'),
  } as BackupTarget;
  node = await startNode({ logger, env: { CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
  await node.node.replicaCreate('src', 'd', SIZE);
}, 120_000);

afterAll(async () => {
  api?.close();
  await node?.close();
  await s3?.stop();
});

describe('S3 credentials', { timeout: 300_000 }, () => {
  it('a known key with a wrong secret is refused at BackupTargetSet, saying the credentials were refused; nothing stored, the target kept', async () => {
    const before = await call('BackupTargetGet', {});
    const objects = stored();
    fs.writeFileSync(path.join(dir, 'wrong-secret'), `${WRONG}\n`, { mode: 0o600 });
    const refused = await refusal(invoke(api.backups, 'BackupTargetSet', { ...target, secretAccessKeyFile: path.join(dir, 'wrong-secret') }));
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'BACKUP_TARGET_NOT_WRITABLE' });
    expect(refused.details).toContain('SignatureDoesNotMatch');
    expect(refused.details).toContain("refused this node's credentials");
    expect(refused.details).not.toContain(WRONG);
    // The server saw the probe and refused it for its signature: the check is real.
    expect(s3.signatureMismatches.length).toBeGreaterThan(0);
    expect(stored()).toBe(objects);
    expect(await call('BackupTargetGet', {})).toEqual(before);
  });

  it('credentials rotated in their files reach the next backup, the old key revoked, without BackupTargetSet', async () => {
    await call('BackupTargetSet', target);
    const mismatches = s3.signatureMismatches.length;
    await snapshotWithData('s1');
    const first = await backup('s1');
    expect(first.state, first.reason).toBe('BACKUP_JOB_STATE_DONE');
    // Every request of that backup was signed with the secret the server knows.
    expect(s3.signatureMismatches.length).toBe(mismatches);

    addS3Credentials(KEY_B, SECRET_B);
    rotate(KEY_B, SECRET_B);
    revokeS3Credentials(KEY_A);
    await snapshotWithData('s2');
    const second = await backup('s2');
    expect(second.state, second.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(s3.signatureMismatches.length).toBe(mismatches);
    expect(logLines.some((l) => l.includes('the credential files changed'))).toBe(true);
    const listed = (await call('BackupList', { volume: 'cv' })) as unknown as { backups: Array<{ id: string }> };
    expect(listed.backups.map((b) => b.id)).toEqual([first.backupId, second.backupId]);
  });

  it('a file rotated to a wrong secret fails the next backup with that reason; the next good rotation heals it', async () => {
    rotate(KEY_B, WRONG);
    await snapshotWithData('s3');
    const failed = await backup('s3');
    expect(failed.state).toBe('BACKUP_JOB_STATE_FAILED');
    expect(failed.errorCode).toBe('BACKUP_TARGET_NOT_WRITABLE');
    expect(failed.reason).toContain('SignatureDoesNotMatch');
    expect(failed.reason).toContain("refused this node's credentials");
    rotate(KEY_B, SECRET_B);
    await snapshotWithData('s4');
    const healed = await backup('s4');
    expect(healed.state, healed.reason).toBe('BACKUP_JOB_STATE_DONE');
  });

  it('no secret in any log line or answer', async () => {
    expect(logLines.length).toBeGreaterThan(20);
    for (const secret of [SECRET_A, SECRET_B, WRONG]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
      expect(JSON.stringify(answers)).not.toContain(secret);
    }
  });
});
