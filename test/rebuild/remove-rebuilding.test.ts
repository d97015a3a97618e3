/**
 * EngineReplicaRemove of a member whose rebuild is still queued or running: the remove cancels the
 * rebuild, whose cleanup takes the member out, and answers the engine without it. It used to
 * answer ENGINE_MEMBER_NOT_FOUND for the member it had just removed, so a caller (bench:scale's
 * churn) believed it still there and retried the remove forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { MIB, until } from './helpers/rebuild-cluster.js';

const SIZE = 32 * MIB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de';
let node: NodeFixture;

beforeAll(async () => {
  // One rebuild at a time, at 1 MiB/s: the first runs for ~30 s, the second waits behind it.
  node = await startNode({ env: { CONDUCTOR_REBUILD_MAX_CONCURRENT: '1', CONDUCTOR_REBUILD_MAX_MB_SEC: '1' } });
  await node.client.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 1 });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 1024) });
  for (const engine of ['a', 'b']) {
    for (const i of [1, 2, 3]) await node.node.replicaCreate(`${engine}${i}`, 'd', SIZE);
    await node.node.engineCreate({
      name: engine,
      sizeBytes: SIZE,
      replicas: [
        { name: `${engine}1`, kind: 'local' },
        { name: `${engine}2`, kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    await node.node.engineReplicaRemove(engine, `${engine}2`);
  }
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('removing a member that is being rebuilt', () => {
  it('answers the engine without the member, for a queued rebuild and a running one, and leaves the replica free', async () => {
    await node.node.engineReplicaAdd('a', { name: 'a3', kind: 'local' });
    await until('the rebuild of a3 to start', 30_000, async () => (await node.node.rebuildGet('a', 'a3')).startedAtMs > 0);
    await node.node.engineReplicaAdd('b', { name: 'b3', kind: 'local' });
    expect((await node.node.rebuildGet('b', 'b3')).state).toBe('queued');

    const b = await node.node.engineReplicaRemove('b', 'b3');
    expect(b.members.map((m) => m.name)).toEqual(['b1']);
    expect((await node.node.rebuildGet('b', 'b3')).state).toBe('cancelled');

    const a = await node.node.engineReplicaRemove('a', 'a3');
    expect(a.members.map((m) => m.name)).toEqual(['a1']);
    expect((await node.node.rebuildGet('a', 'a3')).state).toBe('cancelled');

    // Out of the raid and the engine: a delete without force finds no user.
    for (const r of ['a3', 'b3']) expect(await node.node.replicaDelete(r)).toBe('deleted');

    // A second remove of the same member is the caller's mistake again: NOT_FOUND, nothing changed.
    await expect(node.node.engineReplicaRemove('b', 'b3')).rejects.toMatchObject({ code: 'ENGINE_MEMBER_NOT_FOUND' });
  }, 90_000);
});
