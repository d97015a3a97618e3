/**
 * The snapshot-preserving rebuild over real processes: three replica nodes and an engine node,
 * each serving its API on TCP (the engine node reaches the others as peers). The volume has two
 * snapshots; a replica is replaced by an empty one and rebuilt. The new replica must end with the
 * same snapshot names, the same per-snapshot data and the same thin allocation as the source, and
 * its head must hold exactly what the host wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { checksum, Host, MIB, RebuildCluster } from './helpers/rebuild-cluster.js';

const SIZE = 64 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
let host: Host;
let members: EngineReplicaSpec[];

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 3, sizeBytes: SIZE, api: true, diskMib: 512 });
  members = await Promise.all([0, 1, 2].map((i) => cluster.replica(i, `sp-r${i}`)));
  const engine = await cluster.engine('sp', members);
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await cluster?.close();
});

/** A volume snapshot: every member's replica snapshotted while the host is quiet. */
async function volumeSnapshot(name: string): Promise<void> {
  await Promise.all(members.map((m, i) => cluster.nodes[i]!.node.snapshotCreate({ replicaName: m.name, name, labels: { volume: 'sp' } })));
}

describe('snapshot-preserving rebuild', () => {
  it('gives the new replica the same snapshots, data and thin allocation', async () => {
    for (let i = 0; i < 40; i++) await host.writeOne(IO_TIMEOUT_MS);
    await volumeSnapshot('s1');
    for (let i = 0; i < 40; i++) await host.writeOne(IO_TIMEOUT_MS);
    await volumeSnapshot('s2');
    for (let i = 0; i < 20; i++) await host.writeOne(IO_TIMEOUT_MS);

    // Replace sp-r2 by an empty replica on the same node.
    await cluster.engineNode.node.engineReplicaRemove('sp', 'sp-r2');
    const fresh = await cluster.replica(2, 'sp-r2b');
    await cluster.engineNode.node.engineReplicaAdd('sp', fresh);
    let writes = 0;
    let stop!: () => void;
    const writer = host.writeUntil(new Promise<void>((resolve) => (stop = resolve)), IO_TIMEOUT_MS);
    let rebuild;
    try {
      rebuild = await cluster.rebuildEnd('sp', 'sp-r2b', 60_000);
    } finally {
      stop();
      writes = await writer;
    }
    if (process.env.REBUILD_TRACE)
      console.log(JSON.stringify(rebuild, null, 1), JSON.stringify(await cluster.nodes[2]!.node.snapshotList('sp-r2b')), JSON.stringify(await cluster.nodes[0]!.node.snapshotList('sp-r0')));
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path, rebuild.pathReason).toBe('snapshot-preserving');
    expect(rebuild.snapshots.map((s) => [s.name, s.state])).toEqual([
      ['s1', 'copied'],
      ['s2', 'copied'],
    ]);
    expect(host.failures).toEqual([]);
    expect(writes).toBeGreaterThan(0);

    const source = cluster.nodes[0]!;
    const target = cluster.nodes[2]!;
    const sourceSnaps = await source.node.snapshotList('sp-r0');
    const targetSnaps = await target.node.snapshotList('sp-r2b');
    expect(targetSnaps.map((s) => s.name)).toEqual(sourceSnaps.map((s) => s.name));
    expect(targetSnaps.map((s) => s.labels)).toEqual(sourceSnaps.map((s) => s.labels));
    for (const [i, snap] of sourceSnaps.entries()) {
      expect(targetSnaps[i]!.allocatedBytes, `${snap.name} allocation`).toBe(snap.allocatedBytes);
      expect(await checksum(target.client, cluster.snapshotAlias('sp-r2b', snap.name)), `${snap.name} data`).toBe(await checksum(source.client, cluster.snapshotAlias('sp-r0', snap.name)));
    }
    expect(await checksum(target.client, cluster.headAlias('sp-r2b'))).toBe(host.expectedChecksum());
    const engine = await cluster.engineNode.node.engineGet('sp');
    expect(engine.state, engine.reason).toBe('healthy');
    // The source node's access to the new replica was withdrawn, and no copy controller is left.
    expect((await target.node.replicaGet('sp-r2b')).export!.hostNqns).toEqual([(await cluster.engineNode.node.nodeInfo()).hostNqn]);
    expect((await source.client.call<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name)).toEqual([]);
  }, 120_000);
});
