/**
 * An engine over replicas on its own node: the node is its own peer, so the snapshot-preserving
 * path copies over NVMe/TCP loopback into its own export of the new replica, and leaves that
 * replica unexposed again afterwards. One simulator process; test/real runs the same against a
 * real spdk_tgt when SPDK_TGT is set.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { checksum, MIB, until } from './helpers/rebuild-cluster.js';
import { ownerTag } from '../../src/domain/node/naming.js';

const SIZE = 32 * MIB;
const BLOCK = 4096;
let node: NodeFixture;

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_ENGINE_HOST_NQN: 'nqn.2024-11.io.spdk-conductor:engine:local-test' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  for (const r of ['l1', 'l2']) await node.node.replicaCreate(r, 'd', SIZE);
  await node.node.engineCreate({
    name: 'l',
    sizeBytes: SIZE,
    replicas: [
      { name: 'l1', kind: 'local' },
      { name: 'l2', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de'],
  });
}, 30_000);

afterAll(async () => {
  await node?.close();
});

async function writeVolume(blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    const offset = Math.floor(Math.random() * (SIZE / BLOCK));
    await node.client.callUnchecked('sim_bdev_write', { name: 'e.l', offset_blocks: offset, data_base64: randomBytes(BLOCK).toString('base64') });
  }
}

describe('rebuild of a local replica', () => {
  it('copies the snapshot chain through the node itself and leaves the new replica unexposed', async () => {
    await writeVolume(30);
    for (const r of ['l1', 'l2']) await node.node.snapshotCreate({ replicaName: r, name: 'base' });
    await writeVolume(30);
    await node.node.engineReplicaRemove('l', 'l2');
    await node.node.replicaCreate('l3', 'd', SIZE);
    const events: string[] = [];
    const unsubscribe = node.node.engineWatch((e) => {
      if (e.type === 'modified') events.push(e.reason);
    });
    await node.node.engineReplicaAdd('l', { name: 'l3', kind: 'local' });
    const rebuild = await until('the rebuild of l3 to end', 30_000, async () => {
      const r = await node.node.rebuildGet('l', 'l3');
      return r.finishedAtMs > 0 && r;
    });
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path, rebuild.pathReason).toBe('snapshot-preserving');
    // EngineWatch saw the rebuild queued, joining the raid, its progress, and its end.
    await until('the last rebuild event', 5_000, async () => events.some((r) => r.startsWith('rebuild of l3 done')));
    unsubscribe();
    expect(events[0]).toBe('replica l3 added; rebuild queued');
    expect(events).toContain('replica l3 joined the raid; rebuilding');
    expect(events.filter((r) => /^rebuild of l3: \d+%$/.test(r)).length).toBeGreaterThan(0);
    expect((await node.node.snapshotList('l3')).map((s) => s.name)).toEqual(['base']);
    expect(await checksum(node.client, `lvs.d/s.base.${ownerTag('l3')}`)).toBe(await checksum(node.client, `lvs.d/s.base.${ownerTag('l1')}`));
    expect(await checksum(node.client, 'lvs.d/r.l3')).toBe(await checksum(node.client, 'lvs.d/r.l1'));
    expect((await node.node.replicaGet('l3')).export).toBeUndefined();
    const controllers = await node.client.call<Array<{ name: string }>>('bdev_nvme_get_controllers');
    expect(controllers).toEqual([]);
    expect((await node.node.engineGet('l')).state).toBe('healthy');
  }, 60_000);
});
