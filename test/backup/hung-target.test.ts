/**
 * A filesystem backup target whose calls never return, as on an NFS mount whose server is gone. A
 * FIFO stands in for it: opening one for reading sleeps in the kernel, on one of libuv's pool
 * threads, until a writer comes. The target's calls may hold at most half of the pool
 * (src/threadpool.ts, objectstore/blocking-calls.ts), so with the image's 8 threads:
 *   - of 8 restores whose manifests hang, 4 hold lanes and fail after backup.requestTimeoutMs with
 *     the reason, and 4 fail after waiting that long for a lane, holding nothing;
 *   - the state file's writes, which every change waits for, still run: a ReplicaCreate succeeds
 *     while the 4 calls are still stuck;
 *   - once the mount answers again (a writer opens the FIFOs), the lanes are free and the target
 *     answers as before, and the service stops cleanly.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { startService, type ServiceRun } from '../crash/helpers/service.js';
import { portBlock } from '../helpers/ports.js';
import { refusal } from '../helpers/refusal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const MiB = 1024 * 1024;
const HUNG = 8;
const TIMEOUT_MS = 1500;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000aa';

let dir: string;
let target: string;
let sim: RunningSim;
let run: ServiceRun;
const fifos: string[] = [];

/** Opens each FIFO for writing and closes it: a reader sleeping in its open returns (and reads nothing). */
function answerAgain(): void {
  for (const fifo of fifos) {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch (err) {
      // ENXIO: nobody is reading it.
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
    }
  }
}

beforeAll(async () => {
  dir = tempDir('bk-hung-');
  target = path.join(dir, 'target');
  sim = await startSim({ name: 'bkhung', socket: path.join(dir, 'spdk.sock') });
  const port = portBlock();
  run = await startService({
    spdkSocket: sim.socket,
    dir,
    portMin: port,
    portMax: port + 99,
    env: { UV_THREADPOOL_SIZE: '8', CONDUCTOR_BACKUP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), CONDUCTOR_BACKUP_CONCURRENCY: '1' },
  });
  const disk = path.join(dir, 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 256 * MiB);
  await invoke(run.clients.disks, 'DiskCreate', { name: 'd', path: disk });
  await invoke(run.clients.backups, 'BackupTargetSet', { kind: 'fs', path: target });
  const manifests = path.join(target, 'volumes', 'vol', 'manifests');
  fs.mkdirSync(manifests, { recursive: true });
  for (let i = 0; i < HUNG + 1; i++) fifos.push(path.join(manifests, `bk-hung-${i}.json`));
  execFileSync('mkfifo', fifos);
}, 120_000);

afterAll(async () => {
  if (fifos.length > 0) answerAgain();
  await run?.stop();
  await sim?.stop();
});

const restore = (i: number) => invoke(run.clients.backups, 'RestoreCreate', { volume: 'vol', backupId: `bk-hung-${i}`, disk: 'd', replica: `back-${i}` }, { deadlineMs: 60_000 });

describe('a filesystem backup target that does not answer', () => {
  it('holds half the pool at most, fails its callers with the reason, and never stops the state file', async () => {
    // The start says what the pool is and what a target may hold of it.
    const starting = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; threadpool?: unknown })
      .find((entry) => entry.msg === 'starting');
    expect(starting?.threadpool).toEqual({ size: 8, backupTargetLanes: 4 });
    const refused = await Promise.all(Array.from({ length: HUNG }, (_, i) => refusal(restore(i))));
    // Each caller ended at its bound with the reason, not at the client's 60 s deadline.
    for (const r of refused) expect(r.conductorCode).toBe('BACKUP_TARGET_UNREACHABLE');
    const stuck = refused.filter((r) => /has not returned in/.test(r.details));
    const waited = refused.filter((r) => /waited 1\.5 s for one of its 4 calls at a time/.test(r.details));
    expect({ stuck: stuck.length, waited: waited.length }).toEqual({ stuck: 4, waited: 4 });
    expect(stuck[0]!.details).toMatch(/file:\/\/.*the filesystem does not answer \(a hung NFS mount\?\)/);

    // The 4 calls are still asleep in the kernel; an exposed replica, which waits for its export's
    // state file write, is made beside them.
    await invoke(run.clients.replicas, 'ReplicaCreate', { name: 'alive', diskName: 'd', sizeBytes: 4 * MiB, hostNqns: [HOST] }, { deadlineMs: 20_000 });
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { exports: Record<string, { hostNqns: string[] }> };
    expect(state.exports['alive']?.hostNqns).toEqual([HOST]);
    // A new call finds every lane held, and says by what.
    const ninth = await refusal(restore(HUNG));
    expect(ninth.conductorCode).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(ninth.details).toMatch(/4 of its calls have not returned, the oldest \(read .*bk-hung-\d\.json\) for \d+\.\d s/);

    // The mount answers again: the sleeping reads return, their lanes are free, and the target answers.
    answerAgain();
    const absent = await until('the target answers again', async () => {
      const r = await refusal(invoke(run.clients.backups, 'RestoreCreate', { volume: 'vol', backupId: 'bk-absent', disk: 'd', replica: 'back-absent' }, { deadlineMs: 20_000 }));
      return r.conductorCode === 'BACKUP_NOT_FOUND' ? r : undefined;
    });
    expect(absent.details).toMatch(/no backup bk-absent of volume vol/);
  });

  it('stops cleanly afterwards', async () => {
    const exit = await run.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
