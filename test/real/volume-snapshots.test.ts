/**
 * Volume snapshots and clones against a real spdk_tgt: an engine over two local replicas (both
 * members snapshotted by this node), then a linked and a full clone of a member's snapshot, then a
 * volume revert (an engine without a superblock: one member reverted, the other rebuilt). Runs
 * when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeService } from '../../src/domain/node/node-service.js';
import { MIB, RealNode, SPDK_TGT } from './helpers/real-node.js';
import { createLocalEngine } from '../helpers/local-engine.js';

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
    await createLocalEngine(node, 'rv', 32 * MIB, ['rv-a', 'rv-b'], HOST);
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
  }, 120_000);

  it('reverts a volume: one member reverted, the other rebuilt from it, the export at the same port', async () => {
    const codeOf = (work: Promise<unknown>) =>
      work.then(
        () => 'answered',
        (e: unknown) => (e as { code: string }).code,
      );
    expect(await codeOf(node.engineSnapshotRevert({ engine: 'rv', snapshot: 'nope' }))).toBe('VOLUME_SNAPSHOT_NOT_FOUND');
    // A superblock engine over local members only has no member that can be the source.
    await node.engineSnapshotCreate({ engine: 'rv', name: 'vs2' });
    expect(await codeOf(node.engineSnapshotRevert({ engine: 'rv', snapshot: 'vs2' }))).toBe('ENGINE_NOT_REVERTIBLE');
    await node.engineSnapshotDelete('rv', 'vs2');
    await node.engineDelete('rv');
    for (const r of ['rv-a', 'rv-b']) await node.replicaDelete(r);

    // Members of exactly the volume's size: no superblock, a local source.
    for (const r of ['rp-a', 'rp-b']) await node.replicaCreate(r, 'd', 32 * MIB);
    const engine = await createLocalEngine(node, 'rp', 32 * MIB, ['rp-a', 'rp-b'], HOST);
    expect(engine.superblock).toBe(false);
    await node.engineSnapshotCreate({ engine: 'rp', name: 'vs3' });
    const started = Date.now();
    const answer = await node.engineSnapshotRevert({ engine: 'rp', snapshot: 'vs3' });
    expect(answer.rebuilds.map((r) => r.replica)).toEqual(['rp-b']);
    const deadline = Date.now() + 60_000;
    let back = await node.engineGet('rp');
    while (!(back.state === 'healthy' && back.rebuilds.length === 0 && !back.rebuild) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      back = await node.engineGet('rp');
    }
    console.log(`test/real: revert of a 32 MiB volume with two local members, rebuild included: ${Date.now() - started} ms`);
    expect(back.state).toBe('healthy');
    expect(back.frontend!.port).toBe(engine.frontend!.port);
    expect((await node.replicaGet('rp-a')).headParent).toBe('vs3');
    await node.engineDelete('rp');
    for (const r of ['rp-a', 'rp-b']) await node.replicaDelete(r);
    await node.diskDelete('d', false);
  }, 180_000);
});
