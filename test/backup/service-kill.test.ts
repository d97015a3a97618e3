/**
 * kill -9 of the service process (`serve`, the built CLI) in the middle of a backup's upload and
 * of a restore's download, then a new `serve` on the same state file: the backup resumes and sends
 * only the blocks the target lacks (every PUT counted on the S3 server), the restore starts over
 * and makes a replica identical to the snapshot, and nothing is left behind: no staging file, no
 * bk- aio bdev or b.<replica> lvol in the simulator, no multipart upload or in-flight marker in
 * the target. The S3 server (s3rver, in this process) holds block requests at a chosen count, so
 * each kill lands mid-transfer by construction, not by timing.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { BackupJob } from '../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import { startService, type ServiceRun } from '../crash/helpers/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until as untilDeadline } from '../helpers/until.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { startS3, type S3Request, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
/** 16 blocks of 2 MiB hold data. */
const DATA = 32 * MiB;
const BLOCKS = DATA / (2 * MiB);

let dir: string;
let sim: RunningSim;
let simc: SimClient;
let s3: TestS3;
let run: ServiceRun | undefined;
const port = portBlock();
const image = Buffer.alloc(SIZE);

function serve(): Promise<ServiceRun> {
  return startService(
    {
      spdkSocket: sim.socket,
      dir,
      portMin: port,
      portMax: port + 99,
      env: {
        TEST_S3_KEY: 'S3RVER',
        TEST_S3_SECRET: 'S3RVER',
        CONDUCTOR_BACKUP_CONCURRENCY: '1',
        CONDUCTOR_BACKUP_RETRIES: '1',
        CONDUCTOR_BACKUP_RETRY_MIN_MS: '100',
      },
    },
    { deadlineMs: 120_000 },
  );
}

/** until() with the service's last output in its failure. */
function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 120_000): Promise<T> {
  return untilDeadline(what, check, deadlineMs, () => run?.output().slice(-3000) ?? '');
}

const isBlock = (r: S3Request) => r.path.includes('/volumes/vol/blocks/');
const blockKey = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Block objects s3rver holds for the volume (its directory keeps one `<key>._S3rver_object` file each). */
function storedBlocks(): Set<string> {
  const root = path.join(s3.directory, 'backups', 'n1', 'volumes', 'vol', 'blocks');
  const out = new Set<string>();
  if (!fs.existsSync(root)) return out;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('._S3rver_object')) out.add(entry.name.slice(0, -'._S3rver_object'.length));
  }
  return out;
}

/** Holds every block request of `method` after the first `pass`; release() fails the held ones (nothing stored). */
function hold(method: string, pass: number): { held: () => number; release: () => void } {
  let passed = 0;
  let held = 0;
  let release!: () => void;
  const gone = new Promise<void>((_, reject) => {
    release = () => reject(new Error('released'));
  });
  gone.catch(() => undefined);
  s3.gate = async (r) => {
    if (r.method !== method || !isBlock(r)) return;
    if (passed < pass) {
      passed++;
      return;
    }
    held++;
    await gone;
  };
  return {
    held: () => held,
    release: () => {
      s3.gate = undefined;
      release();
    },
  };
}

async function job(id: string, kind: 'backup' | 'restore'): Promise<BackupJob> {
  return invoke(run!.clients.backups, kind === 'backup' ? 'BackupGet' : 'RestoreGet', { id }, { deadlineMs: 10_000 });
}

async function ended(id: string, kind: 'backup' | 'restore'): Promise<BackupJob> {
  return until(`${kind} ${id} to end`, async () => {
    const j = await job(id, kind).catch(() => undefined);
    return j && ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'].includes(String(j.state)) ? j : undefined;
  });
}

async function kill9(): Promise<void> {
  run!.clients.close();
  run!.proc.kill('SIGKILL');
  expect((await run!.waitExit(30_000)).signal).toBe('SIGKILL');
  run = undefined;
}

/** What a killed run could leave: staging files, bk- aio bdevs, half-made restore lvols, multipart uploads, in-flight markers. */
async function leftovers(): Promise<Record<string, string[]>> {
  const staging = path.join(dir, 'backup-staging');
  const bdevs = (await simc.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const building = (await simc.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const subsystems = (await simc.call<Array<{ nqn: string }>>('nvmf_get_subsystems')).map((s) => s.nqn).filter((n) => n.includes(':restore:'));
  // Only a restore makes keys here: its export's DH-HMAC-CHAP pair, in spdk_tgt's keyring and the service's key directory.
  const keys = (await simc.call<Array<{ name: string }>>('keyring_get_keys')).map((k) => k.name);
  const keyDir = path.join(dir, 'keys');
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  let uploads: string[];
  try {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: 'backups', Prefix: 'n1/' }));
    uploads = (page.Uploads ?? []).map((u) => u.Key ?? '');
  } catch (err) {
    // s3rver has no listing (501): it keeps no multipart upload either; what it stores is in its directory.
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 501) throw err;
    uploads = [];
  } finally {
    client.destroy();
  }
  const inflight = path.join(s3.directory, 'backups', 'n1', 'volumes', 'vol', 'inflight');
  return {
    stagingFiles: fs.existsSync(staging) ? fs.readdirSync(staging) : [],
    bdevs,
    building,
    subsystems,
    keys,
    keyFiles: fs.existsSync(keyDir) ? fs.readdirSync(keyDir) : [],
    uploads,
    inflightMarkers: fs.existsSync(inflight) ? fs.readdirSync(inflight).filter((n) => n.endsWith('._S3rver_object')) : [],
  };
}

const NOTHING = { stagingFiles: [], bdevs: [], building: [], subsystems: [], keys: [], keyFiles: [], uploads: [], inflightMarkers: [] };

beforeAll(async () => {
  dir = tempDir('bk-kill-');
  sim = await startSim({ name: 'bkkill', socket: path.join(dir, 'spdk.sock') });
  simc = await SimClient.connect(sim.socket);
  s3 = await startS3();
  run = await serve();
  const disk = path.join(dir, 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 512 * MiB);
  const api = run.clients;
  await invoke(api.disks, 'DiskCreate', { name: 'd', path: disk });
  await invoke(api.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd', sizeBytes: SIZE });
  const data = randomBytes(DATA);
  data.copy(image, 0);
  for (let off = 0; off < DATA; off += 128 * 1024) {
    await simc.call('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: data.subarray(off, off + 128 * 1024).toString('base64') });
  }
  await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 's1' });
  await invoke(api.backups, 'BackupTargetSet', {
    kind: 's3',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'n1',
    forcePathStyle: true,
    accessKeyIdEnv: 'TEST_S3_KEY',
    secretAccessKeyEnv: 'TEST_S3_SECRET',
  });
}, 180_000);

afterAll(async () => {
  s3.gate = undefined;
  await run?.stop();
  simc?.close();
  await sim?.stop();
  await s3?.stop();
});

describe('kill -9 of the service process mid-backup and mid-restore', { timeout: 400_000 }, () => {
  let backupId = '';

  it('a backup killed mid-upload resumes on the next start and sends none of the blocks already stored', async () => {
    const gate = hold('PUT', 5);
    const created = await invoke(run!.clients.backups, 'BackupCreate', { replica: 'src', snapshot: 's1', volume: 'vol' });
    backupId = created.backupId;
    await until('5 blocks stored and a further PUT held', () => (storedBlocks().size >= 5 && gate.held() > 0 ? true : undefined));
    expect((await job(created.id, 'backup')).state).toBe('BACKUP_JOB_STATE_UPLOADING');
    await kill9();
    gate.release();
    const before = storedBlocks();
    expect(before.size).toBe(5);

    const mark = s3.requests.length;
    run = await serve();
    const done = await ended(created.id, 'backup');
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    const puts = s3.requests.slice(mark).filter((r) => r.method === 'PUT' && isBlock(r));
    console.log(`resumed backup: ${puts.length} block PUTs after the restart, ${before.size} blocks stored before the kill, ${Number(done.blocksSkipped)} skipped`);
    // Each block the killed run stored is skipped, not sent again; the others are sent once each.
    for (const put of puts) expect(before.has(blockKey(put.path))).toBe(false);
    expect(puts.length).toBe(BLOCKS - before.size);
    expect(Number(done.blocksUploaded) + Number(done.blocksSkipped)).toBe(BLOCKS);
    expect(storedBlocks().size).toBe(BLOCKS);
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('a restore killed mid-download starts over on the next start and makes a replica identical to the snapshot, with nothing left behind', async () => {
    expect(backupId).not.toBe('');
    const gate = hold('GET', 4);
    const created = await invoke(run!.clients.backups, 'RestoreCreate', { volume: 'vol', backupId, disk: 'd', replica: 'back' });
    await until('a block GET held', () => (gate.held() > 0 ? true : undefined));
    const midway = await job(created.id, 'restore');
    expect(midway.state).toBe('BACKUP_JOB_STATE_DOWNLOADING');
    // It writes its lvol over NVMe/TCP through a loopback export (backup.restoreVia nvmf-tcp) with a key pair of its own: what the kill leaves.
    const left = await leftovers();
    expect(left).toMatchObject({ building: ['b.back'], subsystems: ['nqn.2024-11.io.spdk-conductor:restore:back'], stagingFiles: [] });
    expect(left.keys).toHaveLength(2);
    expect(left.keyFiles).toHaveLength(2);
    await kill9();
    gate.release();

    run = await serve();
    const done = await ended(created.id, 'restore');
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    const sum = await simc.call<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.back' });
    expect(sum.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(await leftovers()).toEqual(NOTHING);
    const replicas = await invoke(run!.clients.replicas, 'ReplicaList', {});
    expect(replicas.replicas.map((r) => r.name).sort()).toEqual(['back', 'src']);
  });
});
