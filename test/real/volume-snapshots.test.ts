/**
 * Volume snapshots and clones against a real spdk_tgt: an engine over two local replicas (both
 * members snapshotted by this node), then a linked and a full clone of a member's snapshot. Runs
 * when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeService } from '../../src/domain/node/node-service.js';
import { MIB, RealNode, SPDK_TGT } from './helpers/real-node.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000002';

if (!SPDK_TGT) console.log('test/real: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('volume snapshots and clones against a real spdk_tgt (SPDK_TGT)', () => {
  let real: RealNode;
  let node: NodeService;

  beforeAll(async () => {
    real = await RealNode.start('vsnap');
    node = real.domain;
  }, 90_000);

  afterAll(async () => {
    await real?.close();
  });

  it('snapshots both members under one name, all or nothing, and deletes them', async () => {
    await node.diskCreate({ name: 'd', path: real.diskFile('disk', 512) });
    // Room for the raid superblock beyond the volume (docs/architecture.md, the size rule).
    for (const r of ['rv-a', 'rv-b']) await node.replicaCreate(r, 'd', 36 * MIB);
    await node.engineCreate({
      name: 'rv',
      sizeBytes: 32 * MIB,
      replicas: [
        { name: 'rv-a', kind: 'local' },
        { name: 'rv-b', kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    const made = await node.engineSnapshotCreate({ engine: 'rv', name: 'vs1', labels: { app: 'real' } });
    expect(made.members.sort()).toEqual(['rv-a', 'rv-b']);
    expect(made.consistency).toBe('unverified');
    for (const r of ['rv-a', 'rv-b']) expect((await node.snapshotList(r)).map((s) => [s.name, s.labels])).toEqual([['vs1', { app: 'real' }]]);
    expect((await node.engineSnapshotCreate({ engine: 'rv', name: 'vs1', labels: { app: 'real' } })).name).toBe('vs1');
  }, 120_000);

  it('clones a member snapshot linked and full, and the full clone outlives it', async () => {
    const linked = await node.replicaClone({ name: 'rv-linked', sourceReplica: 'rv-a', snapshot: 'vs1', mode: 'linked' });
    expect(linked.headParent).toBe('vs1');
    const full = await node.replicaClone({ name: 'rv-full', sourceReplica: 'rv-a', snapshot: 'vs1', mode: 'full' });
    expect(full.headParent).toBeUndefined();
    await node.replicaDelete('rv-linked');
    await node.engineSnapshotDelete('rv', 'vs1');
    for (const r of ['rv-a', 'rv-b']) expect(await node.snapshotList(r)).toEqual([]);
    expect((await node.replicaGet('rv-full')).sizeBytes).toBe(36 * MIB);
    await node.replicaDelete('rv-full');
    await node.engineDelete('rv');
    for (const r of ['rv-a', 'rv-b']) await node.replicaDelete(r);
    await node.diskDelete('d', false);
  }, 120_000);
});
