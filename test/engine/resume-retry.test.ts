/**
 * An engine operation that failed half-way for a reason that passes is finished by the node by
 * itself (src/domain/node/resume-pacing.ts): no restart, no reconcile, no second call. The
 * service runs as a real process on the simulator through a proxy that, while the test says so,
 * sends a step spdk_tgt refuses for real: the revert's listener on a port another process holds
 * (the simulator answers as spdk_tgt does for a busy port), the expansion's growth of one member
 * under a name spdk_tgt does not know. The failed call leaves its record; the engine monitor tries again with a
 * growing wait, logging each failure; once the fault is gone the volume comes back at the
 * snapshot's data, or at the new size. A volume snapshot whose create failed on one member and
 * whose undo failed on the other (its snapshot delete refused) is undone by the monitor the same way.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { volumeNqn } from '../../src/domain/node/naming.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import type { ServiceRun } from '../crash/helpers/service.js';
import { MIB, until } from './helpers/cluster.js';
import { type CrashRig, createVolume, startCrashRig } from './helpers/crash-rig.js';

const SIZE = 8 * MIB;
const BLOCK = 4096;
let rig: CrashRig;
let rpc: SpdkClient;
let run: ServiceRun;
/** A port this process holds: the revert's listener is sent there while `divertListener` is set. */
let holder: net.Server;
let heldPort = 0;
let divertListener = false;
/** While set, the growth of replica rx-b names an lvol spdk_tgt does not have (it answers -19). */
let divertResize = false;
/** While set, replica rs-b's snapshot, and the delete of any snapshot `torn`, go to a method spdk_tgt does not have (-32601). */
let divertSnapshot = false;
let divertSnapshotDelete = false;

function rewrite(request: { method?: unknown; params?: unknown }): unknown {
  const params = request.params as Record<string, unknown> | undefined;
  if (divertListener && request.method === 'nvmf_subsystem_add_listener' && params?.nqn === volumeNqn('rr')) {
    const address = params.listen_address as Record<string, unknown>;
    return { ...request, params: { ...params, listen_address: { ...address, trsvcid: String(heldPort) } } };
  }
  if (divertResize && request.method === 'bdev_lvol_resize' && String(params?.name).includes('rx-b')) {
    return { ...request, params: { ...params, name: `${String(params?.name)}-gone` } };
  }
  if (divertSnapshot && request.method === 'bdev_lvol_snapshot' && String(params?.lvol_name).includes('r.rs-b')) return { ...request, method: 'bdev_lvol_snapshot_diverted' };
  if (divertSnapshotDelete && request.method === 'bdev_lvol_delete' && String(params?.name).includes('s.torn.')) return { ...request, method: 'bdev_lvol_delete_diverted' };
  return request;
}

beforeAll(async () => {
  holder = net.createServer();
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(0, '0.0.0.0', () => resolve());
  });
  heldPort = (holder.address() as net.AddressInfo).port;
  // A monitor pass every 200 ms: the retries' own waits (2 s, then 4 s) set the pace.
  rig = await startCrashRig('resume-retry', { rewrite, env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200' } });
  rpc = rig.rpc;
  run = await rig.start();
  await createVolume(run, rig, 'rr', ['rr-a', 'rr-b'], SIZE, SIZE);
  await createVolume(run, rig, 'rx', ['rx-a', 'rx-b'], SIZE, SIZE, { disk: false });
  await createVolume(run, rig, 'rs', ['rs-a', 'rs-b'], SIZE, SIZE, { disk: false });
}, 300_000);

afterAll(async () => {
  await run?.stop();
  await rig?.close();
  await new Promise((resolve) => holder?.close(resolve));
});

async function checksum(engine: string): Promise<string> {
  const result = await rpc.callUnchecked<{ sha256?: string; checksum?: string }>('sim_bdev_checksum', { name: `e.${engine}`, num_blocks: SIZE / BLOCK });
  return result.sha256 ?? result.checksum ?? JSON.stringify(result);
}

async function write(engine: string, tag: string): Promise<void> {
  const data = Buffer.alloc(BLOCK, 0);
  data.write(tag);
  await rpc.callUnchecked('sim_bdev_write', { name: `e.${engine}`, offset_blocks: 3, data_base64: data.toString('base64') });
}

/** The waits the service logged for the failed tries on `engine` (log lines with `message`), in order. */
function retryWaits(engine: string, message: string): number[] {
  return run
    .output()
    .split('\n')
    .filter((l) => l.includes(message) && l.includes(`"engine":"${engine}"`))
    .map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
}

/** The engine healthy, with nothing unfinished and no rebuild left. */
function settled(engine: string): Promise<Record<string, unknown>> {
  return until(`engine ${engine} healthy with nothing unfinished`, 60_000, async () => {
    const e = await invoke(run.clients.engines, 'EngineGet', { name: engine });
    return e.state === 'ENGINE_STATE_HEALTHY' && !e.revert && !e.expansion && e.rebuilds.length === 0 && !e.rebuild && (e as unknown as Record<string, unknown>);
  });
}

describe('an unfinished engine operation is tried again by the node itself', () => {
  it('a revert whose export could not listen (port held) finishes once the port is free, with the snapshot data', async () => {
    await settled('rr');
    await write('rr', 'before');
    const before = await checksum('rr');
    await invoke(run.clients.engines, 'EngineSnapshotCreate', { engine: 'rr', name: 's1' });
    await write('rr', 'after');
    expect(await checksum('rr')).not.toBe(before);

    divertListener = true;
    const refused = await invoke(run.clients.engines, 'EngineSnapshotRevert', { engine: 'rr', name: 's1', source: '' }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused, 'the revert must fail while the port is held').toBeDefined();
    expect((await invoke(run.clients.engines, 'EngineGet', { name: 'rr' })).revert?.snapshot).toBe('s1');
    // The monitor tries again, and again after a longer wait: each failure logged with its wait.
    const waits = await until('two failed tries of the revert, logged', 60_000, async () => {
      const w = retryWaits('rr', 'unfinished engine revert not completed');
      return w.length >= 2 && w;
    });
    expect(waits.slice(0, 2)).toEqual([2_000, 4_000]);
    divertListener = false;
    await settled('rr');
    expect(await checksum('rr')).toBe(before);
  }, 180_000);

  it('an expansion one member of which could not grow finishes once it can, at the new size', async () => {
    await settled('rx');
    divertResize = true;
    const refused = await invoke(run.clients.engines, 'EngineExpand', { name: 'rx', sizeBytes: 2 * SIZE }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused, 'the expansion must fail while rx-b cannot grow').toBeDefined();
    await until('a failed try of the expansion, logged', 60_000, async () => retryWaits('rx', 'unfinished engine expansion not completed').length >= 1);
    divertResize = false;
    const engine = await settled('rx');
    expect(Number(engine.sizeBytes)).toBe(2 * SIZE);
  }, 180_000);

  it('a volume snapshot whose create failed on a member and whose undo failed too is undone once it can be', async () => {
    await settled('rs');
    divertSnapshot = true;
    divertSnapshotDelete = true;
    const refused = await invoke(run.clients.engines, 'EngineSnapshotCreate', { engine: 'rs', name: 'torn' }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused, 'the create must fail on rs-b').toContain('rs-b');
    divertSnapshot = false;
    const listed = async (): Promise<string[]> => (await invoke(run.clients.engines, 'EngineSnapshotList', { engine: 'rs' })).snapshots.map((v) => v.name);
    expect(await listed(), 'the record stays while rs-a keeps its part').toContain('torn');
    const waits = await until('a failed undo by the monitor, logged', 60_000, async () => {
      const w = retryWaits('rs', 'volume snapshot left as it was');
      return w.length >= 1 && w;
    });
    expect(waits[0]).toBe(2_000);
    divertSnapshotDelete = false;
    await until('the torn volume snapshot undone', 60_000, async () => !(await listed()).includes('torn'));
    const { snapshots } = await invoke(run.clients.snapshots, 'SnapshotList', { replicaName: 'rs-a' });
    expect(snapshots.map((v) => v.name)).not.toContain('torn');
  }, 180_000);
});
