/**
 * kill -9 of the service (`serve`, the built CLI) mid-backup to a filesystem target, where blocks
 * are renamed to their keys with their directories' fsyncs deferred until before the manifest
 * (docs/architecture.md, "Durability of a backup's blocks"). The backup follows the simulator's
 * copy, which is held after half the clusters (sim_shallow_copy_rate pause_after): the kill lands
 * with the first half stored and the rest not yet readable, by construction. Then: every block
 * under its key is whole (its frame decodes to the SHA-256 its key names), the next start resumes
 * the backup and stores only the blocks the target lacks (those stored before are not rewritten),
 * and nothing is left behind: no temp file, staging file, bk- aio bdev or in-flight marker.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decompressFrameSync } from 'lz4-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { ServiceRun } from '../crash/helpers/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killableService } from './helpers/killable-service.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
/** 16 blocks of 2 MiB hold data: 32 clusters of 1 MiB. */
const DATA = 32 * MiB;
const BLOCKS = DATA / (2 * MiB);

let dir: string;
let target: string;
let sim: RunningSim;
let simc: SimClient;
let run: ServiceRun | undefined;
const { serve, until, job, teardown } = killableService(() => ({ sim, simc, dir, run }), portBlock());

/**
 * Every file under the volume's blocks: key name → inode and mtime (a rewrite changes them). Looked
 * at while the service may write: a temp file renamed to its key between the listing and its stat
 * is left out of this look (its key is in the next).
 */
function blockFiles(): Map<string, string> {
  const root = path.join(target, 'volumes', 'vol', 'blocks');
  const out = new Map<string, string>();
  if (!fs.existsSync(root)) return out;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const info = fs.statSync(path.join(entry.parentPath, entry.name), { throwIfNoEntry: false });
    if (info) out.set(entry.name, `${info.ino}:${info.mtimeMs}`);
  }
  return out;
}

const isKey = (name: string) => /^[0-9a-f]{64}$/.test(name);

async function leftovers(): Promise<Record<string, string[]>> {
  const staging = path.join(dir, 'backup-staging');
  const bdevs = (await simc.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const inflight = path.join(target, 'volumes', 'vol', 'inflight');
  return {
    stagingFiles: fs.existsSync(staging) ? fs.readdirSync(staging) : [],
    bdevs,
    tempFiles: [...blockFiles().keys()].filter((n) => !isKey(n)),
    inflightMarkers: fs.existsSync(inflight) ? fs.readdirSync(inflight) : [],
  };
}

beforeAll(async () => {
  dir = tempDir('bk-kill-fs-');
  target = path.join(dir, 'target');
  sim = await startSim({ name: 'bkkillfs', socket: path.join(dir, 'spdk.sock') });
  simc = await SimClient.connect(sim.socket);
  run = await serve();
  const disk = path.join(dir, 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 512 * MiB);
  const api = run.clients;
  await invoke(api.disks, 'DiskCreate', { name: 'd', path: disk });
  await invoke(api.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd', sizeBytes: SIZE });
  const data = randomBytes(DATA);
  for (let off = 0; off < DATA; off += 128 * 1024) {
    await simc.call('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: data.subarray(off, off + 128 * 1024).toString('base64') });
  }
  await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 's1' });
  await invoke(api.backups, 'BackupTargetSet', { kind: 'fs', path: target });
}, 180_000);

afterAll(teardown);

describe('kill -9 mid-backup to a filesystem target', { timeout: 400_000 }, () => {
  it('leaves only whole blocks under their keys, and the next start stores just the ones missing', async () => {
    await simc.call('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: DATA / MiB / 2 });
    const created = await invoke(run!.clients.backups, 'BackupCreate', { replica: 'src', snapshot: 's1', volume: 'vol' });
    await until('the first half of the blocks stored', () => ([...blockFiles().keys()].filter(isKey).length >= BLOCKS / 2 ? true : undefined));
    expect((await job(created.id)).state).toBe('BACKUP_JOB_STATE_UPLOADING');
    run!.clients.close();
    run!.proc.kill('SIGKILL');
    expect((await run!.waitExit(30_000)).signal).toBe('SIGKILL');
    run = undefined;
    const before = new Map([...blockFiles()].filter(([name]) => isKey(name)));
    expect(before.size).toBe(BLOCKS / 2);
    for (const name of before.keys()) {
      const file = path.join(target, 'volumes', 'vol', 'blocks', name.slice(0, 2), name);
      expect(
        createHash('sha256')
          .update(decompressFrameSync(fs.readFileSync(file)))
          .digest('hex'),
        `block ${name}`,
      ).toBe(name);
    }
    // spdk_tgt's copy outlives the service and holds its staging bdev until it ends; then the start sweeps it.
    await simc.call('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    await until("the killed run's copy to end", async () => {
      const staging = (await simc.call<Array<{ name: string; claimed: boolean }>>('bdev_get_bdevs')).filter((b) => b.name.startsWith('bk-'));
      return staging.every((b) => !b.claimed) ? true : undefined;
    });

    run = await serve();
    const done = await until('the resumed backup to end', async () => {
      const j = await job(created.id).catch(() => undefined);
      return j && ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'].includes(String(j.state)) ? j : undefined;
    });
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(Number(done.blocksUploaded)).toBe(BLOCKS - before.size);
    expect(Number(done.blocksSkipped)).toBe(before.size);
    const after = blockFiles();
    for (const [name, identity] of before) expect(after.get(name), `block ${name} was not written again`).toBe(identity);
    expect([...after.keys()].filter(isKey)).toHaveLength(BLOCKS);
    expect(fs.readdirSync(path.join(target, 'volumes', 'vol', 'manifests'))).toHaveLength(1);
    expect(await leftovers()).toEqual({ stagingFiles: [], bdevs: [], tempFiles: [], inflightMarkers: [] });
  });
});
