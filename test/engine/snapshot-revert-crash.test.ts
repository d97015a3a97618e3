/**
 * EngineSnapshotRevert cut short by a crash at every step: the service runs as a real process on a
 * simulator that outlives it, with the kill point CONDUCTOR_KILL_AFTER=engine-snapshot-revert:<n>
 * (src/domain/node/kill-points.ts) SIGKILLing it right after the revert's n-th answered spdk_tgt
 * call. A first revert runs whole through a recording proxy (test/crash/helpers/rpc-proxy.ts); the
 * kill points are the calls that open each step in that recording (the first call, before the
 * intent is written; the take-down; the source's revert; the raid's create; the export's create;
 * the rebuilds' queueing). The next start resumes what the record holds: the engine comes back
 * healthy with the snapshot's data; a crash before the intent was written leaves the volume as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import type { RpcProxy } from '../crash/helpers/rpc-proxy.js';
import type { ServiceRun } from '../crash/helpers/service.js';
import { type CrashRig, createVolume, startCrashRig } from './helpers/crash-rig.js';
import { MIB, until } from './helpers/cluster.js';

const SIZE = 8 * MIB;
const BLOCK = 4096;
/** Blocks written before and after each snapshot: spread over the volume. */
const BLOCKS = [0, 1, 7, 100, 511, 1024, 2047];
let rig: CrashRig;
let proxy: RpcProxy;
let rpc: SpdkClient;
let dir: string;
let run: ServiceRun | undefined;

function start(killAfter?: string): Promise<ServiceRun> {
  return rig.start(killAfter);
}

beforeAll(async () => {
  rig = await startCrashRig('revert-crash');
  ({ proxy, rpc, dir } = rig);
  run = await start();
  await createVolume(run, rig, 'cr', ['cr-a', 'cr-b'], SIZE, SIZE);
}, 300_000);

afterAll(async () => {
  await run?.stop();
  await rig?.close();
});

/** Writes `tag` into every block of BLOCKS on the volume's raid. */
async function write(tag: string): Promise<void> {
  for (const block of BLOCKS) {
    const data = Buffer.alloc(BLOCK, 0);
    data.write(`${tag} block ${block}`);
    await rpc.callUnchecked('sim_bdev_write', { name: 'e.cr', offset_blocks: block, data_base64: data.toString('base64') });
  }
}

async function volumeChecksum(): Promise<string> {
  const result = await rpc.callUnchecked<{ sha256?: string; checksum?: string }>('sim_bdev_checksum', { name: 'e.cr', num_blocks: SIZE / BLOCK });
  return result.sha256 ?? result.checksum ?? JSON.stringify(result);
}

/** The engine healthy again, with no revert recorded and no rebuild left; a timeout says what it last was. */
async function settled(current: ServiceRun): Promise<void> {
  let last: unknown;
  try {
    await until('engine cr healthy, reverted, its rebuilds done', 60_000, async () => {
      const e = await invoke(current.clients.engines, 'EngineGet', { name: 'cr' });
      last = { state: e.state, reason: e.reason, members: e.members, revert: e.revert, rebuilds: e.rebuilds, rebuild: e.rebuild };
      return e.state === 'ENGINE_STATE_HEALTHY' && !e.revert && e.rebuilds.length === 0 && !e.rebuild;
    });
  } catch (err) {
    // The service's own words about the engine since this start: the last 25 lines that name it.
    const lines = current
      .output()
      .split('\n')
      .filter((l) => l.includes('"engine":"cr"') || l.includes('"level":40') || l.includes('"level":50'))
      .slice(-25);
    throw new Error(`${(err as Error).message}; the engine last: ${JSON.stringify(last)}; its log:\n${lines.join('\n')}`);
  }
}

/** A snapshot between two writes; returns the volume's checksum at the snapshot and after. */
async function snapshotBetweenWrites(current: ServiceRun, name: string): Promise<{ before: string; after: string }> {
  await settled(current);
  await write(`before ${name}`);
  const before = await volumeChecksum();
  await invoke(current.clients.engines, 'EngineSnapshotCreate', { engine: 'cr', name });
  await write(`after ${name}`);
  const after = await volumeChecksum();
  expect(after).not.toBe(before);
  return { before, after };
}

/**
 * A snapshot between two writes, then the revert to it in a service the kill point stops after the
 * revert's n-th call, then a start: the engine must come back healthy with the snapshot's data
 * when the revert had begun, untouched when it had not. Returns the step the crash cut.
 */
async function crashAfter(n: number, snapshot: string): Promise<string> {
  const { before, after: written } = await snapshotBetweenWrites(run!, snapshot);
  await run!.stop();
  run = await start(`engine-snapshot-revert:${n}`);
  const killedRun = proxy.mark;
  const survived = await invoke(run.clients.engines, 'EngineSnapshotRevert', { engine: 'cr', name: snapshot, source: '' }).then(
    () => true,
    () => false,
  );
  expect(survived, `the kill point after call ${n} was not reached`).toBe(false);
  expect((await run.waitExit(60_000)).signal).toBe('SIGKILL');
  const recorded = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')).engines.cr.reverting as { phase: string } | undefined;
  // No record: the crash came before the intent (nothing taken down yet) or after the end.
  const tookDown = proxy.since(killedRun).some((c) => c.method === 'nvmf_delete_subsystem' && c.ok === true);
  const phase = recorded?.phase ?? (tookDown ? 'done' : 'not recorded');
  run = await start();
  await settled(run);
  expect(await volumeChecksum(), `crash after call ${n} (${phase})`).toBe(phase === 'not recorded' ? written : before);
  return phase;
}

describe('EngineSnapshotRevert after a crash', () => {
  it('resumes from the record at every step to a healthy engine with the snapshot data', async () => {
    // The whole revert once, recorded: where each step's first call falls among the answered calls.
    const whole = await snapshotBetweenWrites(run!, 'whole');
    // From a fresh start; the start's own background calls (resumes, recoveries) are no part of the revert's count.
    const recorded = await rig.recordFresh(run!, (fresh) => invoke(fresh.clients.engines, 'EngineSnapshotRevert', { engine: 'cr', name: 'whole', source: '' }));
    run = recorded.run;
    const { answered } = recorded;
    await settled(run!);
    expect(await volumeChecksum()).toBe(whole.before);
    const through = (method: string): number => {
      const i = answered.indexOf(method);
      expect(i, `${method} in ${answered.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i + 1;
    };
    // A first guess per step; calls the kill switch does not count as the revert's (a nested
    // operation's, such as the local member's own revert) shift a guess, which is then moved by one
    // call until the crash lands in that step.
    const order = ['not recorded', 'recorded', 'down', 'reverted', 'raid', 'exported', 'done'];
    const targets: Array<[string, number]> = [
      ['not recorded', 1],
      ['recorded', through('nvmf_delete_subsystem')],
      ['down', through('bdev_lvol_clone')],
      ['reverted', through('bdev_raid_create')],
      ['raid', through('nvmf_create_subsystem')],
      ['exported', through('nvmf_subsystem_add_listener') + 1],
    ];
    const phases: string[] = [];
    let round = 0;
    for (const [want, guess] of targets) {
      let n = guess;
      for (let attempt = 0; ; attempt++) {
        const phase = await crashAfter(n, `s${round++}`);
        if (phase === want || attempt === 6) {
          phases.push(phase);
          break;
        }
        n += order.indexOf(phase) > order.indexOf(want) ? -1 : 1;
      }
    }
    expect(phases).toEqual(['not recorded', 'recorded', 'down', 'reverted', 'raid', 'exported']);
  }, 1_800_000);
});
