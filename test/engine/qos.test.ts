/**
 * Per-volume QoS on real processes (issue 14 item 4): EngineQosSet puts the limits on the engine's
 * raid bdev as spdk_tgt applies them (IOPS rounded up to a multiple of 1000, said to the caller),
 * keeps the limits not given, refuses values out of range with nothing changed, records them, and
 * puts them back when spdk_tgt is killed and comes back without them; through the API and the CLI.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { ConductorError } from '../../src/errors.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { portBlock } from '../helpers/ports.js';
import { HOST_NQN, MIB, until } from './helpers/cluster.js';
import { createLocalEngine } from '../helpers/local-engine.js';

let node: NodeFixture;
let api: ApiClients;
const sims: RunningSim[] = [];

interface Limits {
  rw_ios_per_sec: number;
  rw_mbytes_per_sec: number;
  r_mbytes_per_sec: number;
  w_mbytes_per_sec: number;
}

async function raidLimits(): Promise<Limits> {
  const [raid] = await node.client.call<Array<{ assigned_rate_limits: Limits }>>('bdev_get_bdevs', { name: 'e.vol' });
  return raid!.assigned_rate_limits;
}

beforeAll(async () => {
  node = await startNode({ portMin: portBlock(), env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  for (const r of ['m1', 'm2']) await node.node.replicaCreate(r, 'd', 68 * MIB);
  await createLocalEngine(node.node, 'vol', 64 * MIB, ['m1', 'm2'], HOST_NQN);
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
}, 60_000);

afterAll(async () => {
  api?.close();
  await node?.close();
  await Promise.all(sims.map((s) => s.stop()));
});

describe('engine QoS', () => {
  it('applies the limits as spdk_tgt does, reports its rounding, and keeps limits not given', async () => {
    const first = await node.node.engineQosSet('vol', { rwIosPerSec: 1500, rwMbytesPerSec: 100 });
    expect(first.adjustments).toEqual(['rw_ios_per_sec 1500 rounded up to 2000 (spdk_tgt counts IOPS in multiples of 1000)']);
    expect(first.engine.qos).toEqual({ rwIosPerSec: 2000, rwMbytesPerSec: 100, rMbytesPerSec: 0, wMbytesPerSec: 0 });
    expect(await raidLimits()).toEqual({ rw_ios_per_sec: 2000, rw_mbytes_per_sec: 100, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 });

    const second = await node.node.engineQosSet('vol', { wMbytesPerSec: 2, rwMbytesPerSec: 0 });
    expect(second.adjustments).toEqual([]);
    expect(second.engine.qos).toEqual({ rwIosPerSec: 2000, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 2 });
    expect(await raidLimits()).toEqual({ rw_ios_per_sec: 2000, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 2 });
    expect((await node.node.engineGet('vol')).qos).toEqual(second.engine.qos);
  });

  it('refuses values out of range and changes nothing', async () => {
    const before = await raidLimits();
    for (const limits of [{ rMbytesPerSec: 2 ** 44 }, { rwIosPerSec: -1000 }, { rwIosPerSec: 1.5 }]) {
      const err = await node.node.engineQosSet('vol', limits).then(
        () => new Error('expected a refusal'),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConductorError);
      expect((err as ConductorError).code).toBe('INVALID_ARGUMENT');
    }
    expect(await raidLimits()).toEqual(before);
    const none = await invoke(api.engines, 'EngineQosSet', { name: 'vol' }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(none).toMatch(/no limit given/);
    const missing = await node.node.engineQosSet('nope', { rwIosPerSec: 1000 }).catch((e: ConductorError) => e.code);
    expect(missing).toBe('ENGINE_NOT_FOUND');
  });

  it('answers through the API with the limits in force and the rounding', async () => {
    const reply = await invoke(api.engines, 'EngineQosSet', { name: 'vol', rwIosPerSec: 999, wMbytesPerSec: 0 });
    expect(reply.adjustments).toEqual(['rw_ios_per_sec 999 rounded up to 1000 (spdk_tgt counts IOPS in multiples of 1000)']);
    expect(reply.qos).toEqual({ rwIosPerSec: 1000, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 0 });
    expect((await invoke(api.engines, 'EngineGet', { name: 'vol' })).qos).toEqual(reply.qos);
  });

  it('puts the recorded limits back after spdk_tgt is killed and comes back without them', async () => {
    await node.node.engineQosSet('vol', { rwIosPerSec: 5000, rwMbytesPerSec: 20 });
    await node.sim.kill();
    sims.push(await startSim({ name: 'node', socket: node.sim.socket, args: ['--mem-dump', path.join(node.dir, 'mem-dump-restarted.txt')] }));
    await until('the raid back with its limits', 60_000, async () => {
      const limits = await raidLimits();
      return limits.rw_ios_per_sec === 5000 && limits.rw_mbytes_per_sec === 20;
    });
    expect((await node.node.engineGet('vol')).qos).toEqual({ rwIosPerSec: 5000, rwMbytesPerSec: 20, rMbytesPerSec: 0, wMbytesPerSec: 0 });
  }, 90_000);
});
