/**
 * An EngineCreate over fresh clones cut short by a crash while it clears their stale superblocks:
 * the service runs as a real process on a simulator that outlives it, with the kill point
 * CONDUCTOR_KILL_AFTER=engine-create:<n> (src/domain/node/kill-points.ts) right after the answered
 * call that opens each step of the clear (a probe raid made over the member that has no superblock,
 * the work lvol's esnap clone, its inflate, the shallow copy into the clone). A first create runs whole through a recording proxy to find
 * those calls. After each crash the next start leaves nothing of it (no probe raid, work lvol,
 * staging bdev or file, no half-made engine), and the create made again gives a healthy volume
 * with the snapshot's data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import type { RpcProxy } from '../crash/helpers/rpc-proxy.js';
import type { ServiceRun } from '../crash/helpers/service.js';
import { type CrashRig, createVolume, startCrashRig } from './helpers/crash-rig.js';
import { HOST_NQN, MIB, until } from './helpers/cluster.js';

const SIZE = 8 * MIB;
const REPLICA = SIZE + MIB;
const BLOCK = 4096;
const BLOCKS = [0, 1, 7, 100, 511, 1024, 2047];
let rig: CrashRig;
let proxy: RpcProxy;
let rpc: SpdkClient;
let dir: string;
let run: ServiceRun | undefined;
let snapshotSum: string;

function start(killAfter?: string): Promise<ServiceRun> {
  return rig.start(killAfter);
}

async function checksum(bdev: string): Promise<string> {
  const result = await rpc.callUnchecked<{ sha256?: string; checksum?: string }>('sim_bdev_checksum', { name: bdev, num_blocks: SIZE / BLOCK });
  return result.sha256 ?? result.checksum ?? JSON.stringify(result);
}

function engineCreate(current: ServiceRun, name: string, members: string[]) {
  return invoke(current.clients.engines, 'EngineCreate', {
    name,
    sizeBytes: SIZE,
    replicas: members.map((m) => ({ local: { name: m } })),
    frontend: 'FRONTEND_KIND_EXPORT_ONLY',
    hostNqns: [HOST_NQN],
  });
}

/**
 * A linked and a full clone of the source members' snapshot s1, and a new replica: the probe of
 * that one finds no superblock, so its probe raid is made (and deleted).
 */
async function clones(current: ServiceRun, tag: string): Promise<string[]> {
  const names = [`${tag}-1`, `${tag}-2`, `${tag}-3`];
  await invoke(current.clients.replicas, 'ReplicaClone', { name: names[0], sourceReplica: 'cs-a', snapshot: 's1', mode: 'CLONE_MODE_LINKED' });
  await invoke(current.clients.replicas, 'ReplicaClone', { name: names[1], sourceReplica: 'cs-b', snapshot: 's1', mode: 'CLONE_MODE_FULL' });
  await invoke(current.clients.replicas, 'ReplicaCreate', { name: names[2], diskName: 'd', sizeBytes: REPLICA });
  return names;
}

/** What a clear or probe leaves in spdk_tgt and the staging directory. */
async function leftovers(): Promise<string[]> {
  const lvols = (await rpc.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const bdevs = (await rpc.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const raids = (await rpc.call<Array<{ name: string }>>('bdev_raid_get_bdevs', { category: 'all' })).map((r) => r.name).filter((n) => n.startsWith('zp.'));
  const staging = path.join(dir, 'backup-staging');
  const files = fs.existsSync(staging) ? fs.readdirSync(staging) : [];
  return [...lvols, ...bdevs, ...raids, ...files];
}

async function healthy(current: ServiceRun, name: string): Promise<void> {
  await until(`engine ${name} healthy`, 60_000, async () => (await invoke(current.clients.engines, 'EngineGet', { name })).state === 'ENGINE_STATE_HEALTHY');
}

beforeAll(async () => {
  rig = await startCrashRig('clone-sb-crash');
  ({ proxy, rpc, dir } = rig);
  run = await start();
  await createVolume(run, rig, 'cs', ['cs-a', 'cs-b'], REPLICA, SIZE);
  const { engines } = run.clients;
  for (const block of BLOCKS) {
    const data = Buffer.alloc(BLOCK, 0);
    data.write(`block ${block}`);
    await rpc.callUnchecked('sim_bdev_write', { name: 'e.cs', offset_blocks: block, data_base64: data.toString('base64') });
  }
  await invoke(engines, 'EngineSnapshotCreate', { engine: 'cs', name: 's1' });
  snapshotSum = await checksum('e.cs');
}, 300_000);

afterAll(async () => {
  await run?.stop();
  await rig?.close();
});

describe('EngineCreate over fresh clones after a crash mid-clear', () => {
  it('leaves nothing of the clear after the next start, and the create made again is healthy with the snapshot data', async () => {
    // The whole create once, recorded from a fresh start (as every killed run begins).
    const whole = await clones(run!, 'cw');
    const recorded = await rig.recordFresh(run!, (fresh) => engineCreate(fresh, 'cw', whole));
    run = recorded.run;
    const { answered } = recorded;
    await healthy(run, 'cw');
    expect(await checksum('e.cw')).toBe(snapshotSum);
    expect(await leftovers()).toEqual([]);
    const through = (method: string): number => {
      const i = answered.indexOf(method);
      expect(i, `${method} in ${answered.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i + 1;
    };
    // The call that opens each step: the probe raid is the first raid create answered.
    const steps: Array<[string, string]> = [
      ['probe raid made', 'bdev_raid_create'],
      ['work lvol made', 'bdev_lvol_clone_bdev'],
      ['work lvol inflated', 'bdev_lvol_inflate'],
      ['shallow copy started', 'bdev_lvol_start_shallow_copy'],
    ];
    let round = 0;
    for (const [step, method] of steps) {
      // A first guess from the recording; the service's own background calls (which the kill switch
      // does not count) shift it, so it is moved until the crash lands right after that call.
      let n = through(method);
      for (let attempt = 0; ; attempt++) {
        const tag = `ck${round++}`;
        const members = await clones(run!, tag);
        await run!.stop();
        run = await start(`engine-create:${n}`);
        const killedRun = proxy.mark;
        const survived = await engineCreate(run, tag, members).then(
          () => true,
          () => false,
        );
        expect(survived, `the kill point after call ${n} (${step}) was not reached`).toBe(false);
        expect((await run.waitExit(60_000)).signal).toBe('SIGKILL');
        const ok = proxy
          .since(killedRun)
          .filter((c) => c.ok === true)
          .map((c) => c.method);
        const at = ok.indexOf(method);
        const landed = at >= 0 && at === ok.length - 1;
        // The crash did leave something of the clear: the start must remove it.
        if (landed) expect(await leftovers(), `right after a crash once ${step}`).not.toEqual([]);
        run = await start();
        expect(await leftovers(), `after a crash at call ${n} (aiming at: ${step})`).toEqual([]);
        const engines = (await invoke(run.clients.engines, 'EngineList', {})).engines.map((e: { name: string }) => e.name);
        expect(engines, `after a crash at call ${n}`).not.toContain(tag);
        await engineCreate(run, tag, members);
        await healthy(run, tag);
        expect(await checksum(`e.${tag}`), `after a crash at call ${n}`).toBe(snapshotSum);
        expect(await leftovers()).toEqual([]);
        if (landed) break;
        expect(attempt, `no crash landed right after ${method} (last calls: ${ok.slice(-5).join(', ')})`).toBeLessThan(6);
        n += at >= 0 ? at - (ok.length - 1) : 1;
      }
    }
  }, 1_800_000);
});
