/**
 * kill -9 of the service (`serve`, the built CLI) while spdk_tgt's shallow copy for a backup reads
 * a snapshot whose delete was taken (recorded `deletePending`), with spdk_tgt (the simulator) left
 * running and the copy still going: the next start must not finish that delete under the copy
 * (v26.05 half-deletes a snapshot a copy reads: EBUSY, bdev and lvol gone, clusters kept,
 * test/real/backup-snapshot-busy.test.ts; the simulator does the same). The copy is recorded in the
 * state file (`copies`, with spdk_tgt's operation id), and the start asks spdk_tgt about it before
 * finishing any delete: the snapshot stays, listed delete_pending, until the copy ends; then it is
 * deleted, and nothing is left behind (no copy record, no staging file or bk- bdev). The simulator
 * holds the copy after two clusters (sim_shallow_copy_rate pause_after), so the kill lands mid-copy
 * by construction.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { ServiceRun } from '../crash/helpers/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killableService } from './helpers/killable-service.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;

let dir: string;
let sim: RunningSim;
let simc: SimClient;
let run: ServiceRun | undefined;
const { serve, until, job, teardown } = killableService(() => ({ sim, simc, dir, run }), portBlock());

async function lvols(prefix: string): Promise<string[]> {
  return (await simc.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith(prefix));
}

function state(): { copies?: Record<string, { lvol: string; operation?: number }>; snapshots: Record<string, { deletePending?: boolean }> } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
}

async function fill(offset: number, bytes: number): Promise<void> {
  for (let off = offset; off < offset + bytes; off += 128 * 1024) {
    await simc.call('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: off / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

beforeAll(async () => {
  dir = tempDir('bk-kill-copy-');
  sim = await startSim({ name: 'bkkillcopy', socket: path.join(dir, 'spdk.sock') });
  simc = await SimClient.connect(sim.socket);
  run = await serve();
  const disk = path.join(dir, 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 256 * MiB);
  const api = run.clients;
  await invoke(api.disks, 'DiskCreate', { name: 'd', path: disk });
  await invoke(api.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd', sizeBytes: SIZE });
  // Two snapshots with data of their own: a full backup of the second copies the first, then it.
  await fill(0, 8 * MiB);
  await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 'a' });
  await fill(8 * MiB, 4 * MiB);
  await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 'p' });
  await invoke(api.backups, 'BackupTargetSet', { kind: 'fs', path: path.join(dir, 'target') });
}, 180_000);

afterAll(teardown);

describe('kill -9 of the service while spdk_tgt copies a snapshot whose delete was taken', { timeout: 400_000 }, () => {
  it('the next start leaves the snapshot to the running copy and deletes it once the copy ends', async () => {
    await simc.call('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const created = await invoke(run!.clients.backups, 'BackupCreate', { replica: 'src', snapshot: 'p', volume: 'vol' });
    await until('the copy of a under way', async () => {
      const j = await job(created.id);
      return j.state === 'BACKUP_JOB_STATE_STAGING' && Number(j.bytesDone) > 0 ? true : undefined;
    });
    const deleted = await invoke(run!.clients.snapshots, 'SnapshotDelete', { replicaName: 'src', name: 'a' });
    expect(deleted.alreadyAbsent).toBe(false);
    expect(state().snapshots['src/a']?.deletePending).toBe(true);
    const [copy] = Object.values(state().copies ?? {});
    expect(copy?.lvol).toMatch(/^s\.a\./);
    expect(copy?.operation).toBeGreaterThan(0);

    run!.clients.close();
    run!.proc.kill('SIGKILL');
    expect((await run!.waitExit(30_000)).signal).toBe('SIGKILL');
    run = undefined;
    const held = await lvols('s.a.');
    expect(held).toHaveLength(1);

    // The copy still runs in spdk_tgt (held by the simulator): the start must not delete under it.
    run = await serve();
    expect(await lvols('s.a.'), 'the snapshot the running copy reads was deleted under it at start').toEqual(held);
    const listed = await invoke(run.clients.snapshots, 'SnapshotList', { replicaName: 'src' });
    expect(listed.snapshots.map((s) => [s.name, s.deletePending])).toEqual([
      ['a', true],
      ['p', false],
    ]);
    expect(run.output()).toMatch(/a shallow copy the previous process started still runs in spdk_tgt/);

    await simc.call('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    await until('the taken delete done once the copy ended', async () => ((await lvols('s.a.')).length === 0 ? true : undefined));
    const done = await until('the resumed backup to end', async () => {
      const j = await job(created.id).catch(() => undefined);
      return j && ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'].includes(String(j.state)) ? j : undefined;
    });
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    await until('no copy record, no deletePending, no staging left', async () => {
      const s = state();
      const staging = fs.existsSync(path.join(dir, 'backup-staging')) ? fs.readdirSync(path.join(dir, 'backup-staging')) : [];
      const bdevs = (await simc.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
      return Object.keys(s.copies ?? {}).length === 0 && s.snapshots['src/a'] === undefined && staging.length === 0 && bdevs.length === 0 ? true : undefined;
    });
  });
});
