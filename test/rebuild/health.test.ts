/**
 * Health during rebuilds, through the whole node: spdk_tgt's free DMA memory drops (the
 * simulator holds memory with sim_set_memory), the node's health sampler throttles rebuilds
 * (bdev_raid_set_options, one rebuild at a time) and reports it in every rebuild's status; when
 * memory recovers it releases. And admission: a rebuild that cannot get its window memory is
 * refused at EngineReplicaAdd with the numbers, leaving the engine as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConductorError } from '../../src/errors.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { MIB, until } from './helpers/rebuild-cluster.js';

const SIZE = 16 * MIB;
let node: NodeFixture;

beforeAll(async () => {
  node = await startNode({
    simArgs: ['--mem-mib', '1024', '--no-huge'],
    env: {
      CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '150',
      // Every sample reads the heap: the memory drops the tests make are seen at the next one.
      CONDUCTOR_HEALTH_MEM_DUMP_SPACING: '0',
      CONDUCTOR_HEALTH_DMA_FREE_MIN_MIB: '100',
      CONDUCTOR_HEALTH_REACTOR_BUSY_MAX_PCT: '100',
      CONDUCTOR_REBUILD_MAX_MB_SEC: '0',
      CONDUCTOR_REBUILD_THROTTLED_MB_SEC: '8',
      CONDUCTOR_ENGINE_HOST_NQN: 'nqn.2024-11.io.spdk-conductor:engine:health-test',
    },
  });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
  for (const r of ['h1', 'h2', 'h3', 'h4']) await node.node.replicaCreate(r, 'd', SIZE);
  await node.node.engineCreate({
    name: 'h',
    sizeBytes: SIZE,
    replicas: [
      { name: 'h1', kind: 'local' },
      { name: 'h2', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de'],
  });
}, 30_000);

afterAll(async () => {
  await node?.close();
});

async function raidBandwidth(): Promise<number> {
  const config = await node.client.callUnchecked<Array<{ method: string; params: Record<string, number> }>>('framework_get_config', { name: 'bdev' });
  return config.find((c) => c.method === 'bdev_raid_set_options')!.params.process_max_bandwidth_mb_sec!;
}

async function rebuildInto(replica: string, out: string): Promise<void> {
  await node.node.engineReplicaRemove('h', out);
  await node.node.engineReplicaAdd('h', { name: replica, kind: 'local' });
}

describe('health during rebuilds', () => {
  it('throttles when DMA memory drops, shows it in the rebuild, and releases when memory recovers', async () => {
    expect(await raidBandwidth()).toBe(0);
    const free = await node.client.callUnchecked<{ free_size: number }>('sim_set_memory', {});
    // Leave 60 MiB free: under the 100 MiB threshold.
    await node.client.callUnchecked('sim_set_memory', { consume_mib: Math.floor(free.free_size / MIB) - 60 });
    await until('the throttle to engage', 10_000, async () => (await raidBandwidth()) === 8);

    await rebuildInto('h3', 'h2');
    const during = await node.node.rebuildGet('h', 'h3');
    expect(during.throttle).toMatchObject({ engaged: true, limitMbSec: 8 });
    expect(during.throttle.reason).toMatch(/free DMA memory .* < 100 MiB/);
    // Throttled from its start: 16 MiB at 8 MiB/s takes about 2 s.
    const end = await until('the throttled rebuild to end', 20_000, async () => {
      const r = await node.node.rebuildGet('h', 'h3');
      return r.state !== 'queued' && r.state !== 'rebuilding' && r.state !== 'copying-snapshots' && r;
    });
    expect(end.state, end.reason).toBe('done');
    expect(end.finishedAtMs - end.processStartedAtMs).toBeGreaterThan(1500);

    await node.client.callUnchecked('sim_set_memory', { consume_mib: 0 });
    await until('the throttle to release', 10_000, async () => (await raidBandwidth()) === 0);
    await rebuildInto('h4', 'h3');
    const released = await until('the second rebuild to end', 20_000, async () => {
      const r = await node.node.rebuildGet('h', 'h4');
      return r.finishedAtMs > 0 && r;
    });
    expect(released.state, released.reason).toBe('done');
    expect(released.throttle.engaged).toBe(false);
  }, 60_000);

  it('refuses a rebuild spdk_tgt has no window memory for, with the numbers, and changes nothing', async () => {
    const free = await node.client.callUnchecked<{ free_size: number }>('sim_set_memory', {});
    await node.client.callUnchecked('sim_set_memory', { consume_mib: Math.floor(free.free_size / MIB) - 8 });
    try {
      // Admission reads the node's last sample (at most one period old): wait until a sample has
      // seen the drop, which the throttle engaging shows.
      await until('the node to see the memory drop', 10_000, async () => (await raidBandwidth()) === 8);
      const before = await node.node.engineGet('h');
      await node.node.engineReplicaRemove('h', 'h4');
      const afterRemove = await node.node.engineGet('h');
      const error = await node.node.engineReplicaAdd('h', { name: 'h2', kind: 'local' }).then(
        () => undefined,
        (e: unknown) => e as ConductorError,
      );
      expect(error?.code).toBe('DMA_EXHAUSTED');
      expect(error?.message).toMatch(/rebuild of h2 into h needs 16\.0 MiB of DMA memory \(16 × 1024 KiB rebuild windows\) in one piece/);
      expect(error?.message).toMatch(/--no-huge/);
      expect(await node.node.engineGet('h')).toEqual(afterRemove);
      expect((await node.node.rebuildList('h')).filter((r) => r.replica === 'h2' && r.state === 'queued')).toEqual([]);
      expect(before.members.length).toBe(2);
    } finally {
      await node.client.callUnchecked('sim_set_memory', { consume_mib: 0 });
    }
  }, 30_000);
});
