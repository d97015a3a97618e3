/**
 * The backup commands of the built CLI as a user sees them, human and --json, against a node (the
 * simulator, the service with its real data path, s3rver on loopback that the test slows or holds):
 * - `backup create --wait` into a pipe: plain progress lines on stderr (no control characters),
 *   one with a rate and an ETA while it uploads, then the job's fields on stdout;
 * - `backup restore --wait` on a terminal (a pty from util-linux `script`, 70 columns): the line
 *   redrawn in place, every frame shorter than the width, the last one the end state;
 * - `backup get`, `cancel`, `restore-get`, `restore-cancel`, `target set|get`, human and --json.
 * The CLI decides by `process.stderr.isTTY` (progress goes to stderr), and --json never draws.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { until } from '../helpers/until.js';
import { cliJson } from './helpers/cli-json.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const CONTROL = /[\x00-\x1f\x7f]/;

let node: NodeFixture;
let s3: TestS3;
let release: () => void = () => undefined;

function args(...rest: string[]): string[] {
  return [CLI, '--api-socket', path.join(node.dir, 'api.sock'), ...rest];
}

/** The CLI into pipes (not a terminal). */
async function cli(...rest: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa('node', args(...rest), { reject: false, timeout: 240_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The CLI on a pseudo-terminal of `cols` columns (util-linux script): stdout and stderr as the terminal got them. */
async function cliOnTty(cols: number, ...rest: string[]): Promise<{ exitCode: number; screen: string }> {
  const quoted = ['node', ...args(...rest)].map((a) => `'${a}'`).join(' ');
  const r = await execa('script', ['-qfec', `stty cols ${cols} rows 24; exec ${quoted}`, '/dev/null'], { reject: false, timeout: 240_000 });
  return { exitCode: r.exitCode ?? -1, screen: String(r.stdout) };
}

/** Lines of `key  value` (the CLI's fields) as a map. */
function fieldsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.trim().split('\n')) {
    const match = /^(\S(?:.*?\S)?) {2,}(.*)$/.exec(line.trimEnd());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

/** Block requests of `method` are served one at a time, `ms` apart (a job sends several at once): it takes long enough to be drawn a few times. */
function slow(method: string, ms: number): void {
  let turn = Promise.resolve();
  s3.gate = async (r) => {
    if (r.method !== method || !r.path.includes('/blocks/')) return;
    const mine = turn.then(() => sleep(ms));
    turn = mine;
    await mine;
  };
}

/** Holds block requests of `method` after the first `pass`, until release(). */
function hold(method: string, pass: number): () => number {
  let passed = 0;
  let held = 0;
  const released = new Promise<void>((r) => (release = r));
  s3.gate = async (r) => {
    if (r.method !== method || !r.path.includes('/blocks/')) return;
    if (passed++ < pass) return;
    held++;
    await released;
  };
  return () => held;
}

function unhold(): void {
  s3.gate = undefined;
  release();
}

beforeAll(async () => {
  s3 = await startS3();
  process.env.TEST_CLI_S3_KEY = 'S3RVER';
  process.env.TEST_CLI_S3_SECRET = 'S3RVER';
  node = await startNode({ env: { CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  for (let off = 0; off < 12 * MiB; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
  await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
}, 120_000);

afterAll(async () => {
  if (s3) unhold();
  await node?.close();
  await s3?.stop();
});

describe('backup commands of the CLI', { timeout: 400_000 }, () => {
  let backupId = '';

  it('target set and get, human and --json, naming the secrets only by where they are', async () => {
    const set = await cli(
      ...['backup', 'target', 'set', '--kind', 's3', '--endpoint', s3.endpoint, '--region', 'us-east-1', '--bucket', 'backups', '--prefix', 'cli', '--path-style'],
      ...['--access-key-id-env', 'TEST_CLI_S3_KEY', '--secret-access-key-env', 'TEST_CLI_S3_SECRET'],
    );
    expect(set.exitCode, set.stderr).toBe(0);
    const human = await cli('backup', 'target', 'get');
    expect(human.exitCode, human.stderr).toBe(0);
    expect(fieldsOf(human.stdout)).toMatchObject({ kind: 's3', endpoint: s3.endpoint, bucket: 'backups', prefix: 'cli/', accessKeyIdEnv: 'TEST_CLI_S3_KEY', secretAccessKeyEnv: 'TEST_CLI_S3_SECRET' });
    expect(human.stdout).not.toContain('S3RVER');
    const json = await cliJson(node.dir, 'backup', 'target', 'get');
    expect(json.json).toMatchObject({ kind: 's3', bucket: 'backups', prefix: 'cli/', forcePathStyle: true });
  });

  it('create --wait into a pipe: plain progress lines with a rate and an ETA while uploading, then the fields', async () => {
    // 6 blocks, their PUTs 2 s apart: the job uploads for ~12 s, drawn every 5 s.
    slow('PUT', 2000);
    const run = await cli('backup', 'create', 'src', '--snapshot', 's1', '--volume', 'cv', '--wait');
    s3.gate = undefined;
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).not.toMatch(CONTROL);
      expect(line).toMatch(/^bk-\S+ {2}(queued|staging|uploading) {2}\[[#-]{20}\] +\d+%/);
    }
    const uploading = lines.filter((l) => / uploading /.test(l));
    expect(
      uploading.some((l) => /\d+(\.\d+)? [KMG]?i?B\/s {2}ETA (\d+s|\d+m \d+s)/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    expect(uploading.some((l) => / \d+ blocks stored, \d+ present$/.test(l))).toBe(true);
    const f = fieldsOf(run.stdout);
    expect(f).toMatchObject({ kind: 'backup', volume: 'cv', replica: 'src', snapshot: 's1', state: 'done', 'error code': '-' });
    expect(f.progress).toMatch(/^100% \(12 MiB \/ 12 MiB\)$/);
    expect(f['blocks uploaded']).toMatch(/^6 \(.+ stored\), 0 already in the target$/);
    backupId = f.backup!;
    expect(backupId).toMatch(/^bk-/);
    // get, human and --json.
    const get = await cli('backup', 'get', f.id!);
    expect(fieldsOf(get.stdout)).toMatchObject({ id: f.id, state: 'done', backup: backupId });
    expect((await cliJson(node.dir, 'backup', 'get', f.id!)).json).toMatchObject({ id: f.id, state: 'BACKUP_JOB_STATE_DONE', blocksUploaded: 6 });
  });

  it('restore --wait on a 70-column terminal: one line redrawn in place, every frame shorter than the width, the last the end', async () => {
    slow('GET', 1500);
    const run = await cliOnTty(70, 'backup', 'restore', 'cv', backupId, 'back', '--disk', 'd', '--wait');
    s3.gate = undefined;
    expect(run.exitCode, run.screen).toBe(0);
    // The progress is drawn before the fields: "\r" + the frame + erase-to-end, then "\n" (a pty writes "\r\n").
    const [progress, fields] = run.screen.split(/\r?\n(?=id {2,})/);
    const frames = progress!
      .split('\r')
      .map((f) => f.replace(/\n$/, ''))
      .filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const frame of frames) {
      expect(frame.endsWith('\x1b[K'), JSON.stringify(frame)).toBe(true);
      const visible = frame.slice(0, -3);
      expect(visible).not.toMatch(CONTROL);
      expect(visible.length).toBeLessThan(70);
    }
    // At 70 columns a restore's line keeps its id (it has no block counts to give up).
    expect(
      frames.some((f) => /^rs-\S+ {2}downloading {2}\[[#-]+\] +\d+% .*ETA \S+/.test(f)),
      frames.join('\n'),
    ).toBe(true);
    expect(frames.at(-1)).toMatch(/^rs-\S+ {2}done {2}\[#+\] {2}100%/);
    expect(fieldsOf(fields!.replace(/\r/g, ''))).toMatchObject({ kind: 'restore', state: 'done', disk: 'd', replica: 'back' });
  });

  it('cancel and restore-cancel, human and --json, and restore-get of the ended job', async () => {
    // A backup held mid-upload, cancelled by the human command.
    const heldPuts = hold('PUT', 1);
    await node.node.snapshotCreate({ replicaName: 'src', name: 's2' });
    for (let off = 0; off < 4 * MiB; off += 128 * 1024) {
      await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: (16 * MiB + off) / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
    }
    await node.node.snapshotCreate({ replicaName: 'src', name: 's3' });
    const created = await cliJson(node.dir, 'backup', 'create', 'src', '--snapshot', 's3', '--volume', 'cv');
    const job = String(created.json.id);
    await until('the backup held mid-upload', () => heldPuts() > 0 && node.node.backups.jobGet(job).state === 'uploading');
    const cancel = await cli('backup', 'cancel', job);
    expect(cancel.exitCode, cancel.stderr).toBe(0);
    expect(fieldsOf(cancel.stdout)).toMatchObject({ id: job, kind: 'backup' });
    unhold();
    await until('the backup cancelled', () => node.node.backups.jobGet(job).state === 'cancelled');
    expect(fieldsOf((await cli('backup', 'get', job)).stdout)).toMatchObject({ state: 'cancelled', reason: 'cancelled by request', 'error code': 'CANCELLED' });
    // Cancelling it again answers its end, --json.
    expect((await cliJson(node.dir, 'backup', 'cancel', job)).json).toMatchObject({ id: job, state: 'BACKUP_JOB_STATE_CANCELLED', errorCode: 'CANCELLED' });

    // A restore held mid-download, cancelled with --json; restore-get human and --json.
    const heldGets = hold('GET', 1);
    const restore = await cliJson(node.dir, 'backup', 'restore', 'cv', backupId, 'back2', '--disk', 'd');
    const rid = String(restore.json.id);
    expect(rid).toMatch(/^rs-/);
    await until('the restore held mid-download', () => heldGets() > 0 && node.node.backups.jobGet(rid).state === 'downloading');
    const running = await cli('backup', 'restore-get', rid);
    expect(fieldsOf(running.stdout)).toMatchObject({ id: rid, kind: 'restore', state: 'downloading', disk: 'd', replica: 'back2' });
    const rc = await cliJson(node.dir, 'backup', 'restore-cancel', rid);
    expect(rc.exitCode, rc.stderr).toBe(0);
    expect(rc.json).toMatchObject({ id: rid, kind: 'restore' });
    unhold();
    await until('the restore cancelled', () => node.node.backups.jobGet(rid).state === 'cancelled');
    expect((await cliJson(node.dir, 'backup', 'restore-get', rid)).json).toMatchObject({ state: 'BACKUP_JOB_STATE_CANCELLED', reason: 'cancelled by request' });
    const human = await cli('backup', 'restore-cancel', rid);
    expect(fieldsOf(human.stdout)).toMatchObject({ id: rid, state: 'cancelled' });
    // The other kind's command does not know the id.
    const wrong = await cli('backup', 'restore-get', job);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toContain(`${job} is a backup job, not a restore job`);
    expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('back2');
  });
});
