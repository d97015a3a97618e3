/**
 * A superblock engine's members carry the raid's superblock in their first clusters, and so do
 * their snapshots. A new member cloned from copied snapshots would carry it too, and spdk_tgt
 * refuses to add it (-22: the superblock is this raid's but does not list the new bdev). Such a
 * rebuild must take the raid path and finish, saying why, rather than fail at the add.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { checksum, MIB, until } from './helpers/rebuild-cluster.js';

const SIZE = 32 * MIB;
/** Room for the superblock: with it the engine keeps one on its members. */
const MEMBER = SIZE + 4 * MIB;
const BLOCK = 4096;
let node: NodeFixture;

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_ENGINE_HOST_NQN: 'nqn.2024-11.io.spdk-conductor:engine:sb-snap-test' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  for (const r of ['s1', 's2']) await node.node.replicaCreate(r, 'd', MEMBER);
  const engine = await node.node.engineCreate({
    name: 'sb',
    sizeBytes: SIZE,
    replicas: [
      { name: 's1', kind: 'local' },
      { name: 's2', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de'],
  });
  expect(engine.superblock).toBe(true);
}, 90_000);

afterAll(async () => {
  await node?.close();
});

describe('rebuild of a superblock engine whose members have snapshots', () => {
  it('takes the raid path, says why, and ends with the new member healthy and in sync', async () => {
    for (let i = 0; i < 20; i++) {
      const offset = Math.floor(Math.random() * (SIZE / BLOCK));
      await node.client.callUnchecked('sim_bdev_write', { name: 'e.sb', offset_blocks: offset, data_base64: randomBytes(BLOCK).toString('base64') });
    }
    await node.node.snapshotCreate({ replicaName: 's1', name: 'daily' });
    await node.node.engineReplicaRemove('sb', 's2');
    await node.node.replicaCreate('s3', 'd', MEMBER);
    await node.node.engineReplicaAdd('sb', { name: 's3', kind: 'local' });
    const rebuild = await until('the rebuild of s3 to end', 60_000, async () => {
      const r = await node.node.rebuildGet('sb', 's3');
      return r.finishedAtMs > 0 && r;
    });
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path).toBe('raid');
    expect(rebuild.pathReason).toMatch(/keeps a raid superblock on its members and s1's snapshots carry it/);
    const engine = await node.node.engineGet('sb');
    expect(engine.state).toBe('healthy');
    expect(engine.members.map((m) => `${m.name}:${m.state}`).sort()).toEqual(['s1:healthy', 's3:healthy']);
    expect(await checksum(node.client, 'lvs.d/r.s3')).toBe(await checksum(node.client, 'lvs.d/r.s1'));
  }, 90_000);
});
