/**
 * Volume snapshots and clones against a real spdk_tgt: an engine over two local replicas (both
 * members snapshotted by this node), then a volume over a linked clone and a full one exported and
 * attached back over NVMe/TCP (the clones' stale raid superblocks cleared, the exported one before
 * its first export; its data, read by spdk_dd when it sits
 * beside SPDK_TGT, is the snapshot's), then a linked and a full clone of a member's snapshot, then a
 * volume revert (an engine with a superblock, then one without: one member reverted, the other rebuilt). Runs
 * when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not set.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeService } from '../../src/domain/node/node-service.js';
import { ddOk, HAS_DD, md5, MIB, RealNode, SPDK_TGT, until } from './helpers/real-node.js';
import { createLocalEngine } from '../helpers/local-engine.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000002';
/** This node's engines attach members with it: the full clone below is exported to it and attached back as a remote member. */
const ENGINE_HOST = 'nqn.2024-11.io.spdk-conductor:engine:real-vsnap';

if (!SPDK_TGT) console.log('test/real: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('volume snapshots and clones against a real spdk_tgt (SPDK_TGT)', () => {
  let real: RealNode;
  let node: NodeService;

  beforeAll(async () => {
    real = await RealNode.start('vsnap', { env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST } });
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

  it('makes a volume over a linked and a full clone of the member snapshots, with the snapshot data', async () => {
    const DATA = 4 * MIB;
    const [before, after] = ['before', 'after'].map((tag) => {
      const file = path.join(real.dir, `clone-${tag}`);
      fs.writeFileSync(file, randomBytes(DATA));
      return file;
    });
    const port = (await node.engineGet('rv')).frontend!;
    if (HAS_DD) await ddOk(real.dir, port, { write: before! }, DATA, { hostnqn: HOST });
    await node.engineSnapshotCreate({ engine: 'rv', name: 'vc' });
    if (HAS_DD) await ddOk(real.dir, port, { write: after! }, DATA, { hostnqn: HOST });
    await node.replicaClone({ name: 'rc-linked', sourceReplica: 'rv-a', snapshot: 'vc', mode: 'linked' });
    await node.replicaClone({ name: 'rc-full', sourceReplica: 'rv-b', snapshot: 'vc', mode: 'full' });
    // The full clone as another node's engine would take it: exported (its node clears its stale
    // superblock before the first export) and attached over NVMe/TCP; the linked one local.
    let started = Date.now();
    const exported = await node.replicaExpose('rc-full', [ENGINE_HOST]);
    console.log(`test/real: first export of a fresh clone, its stale superblock cleared: ${Date.now() - started} ms`);
    started = Date.now();
    const made = await node.engineCreate({
      name: 'rc',
      sizeBytes: 32 * MIB,
      replicas: [
        { name: 'rc-linked', kind: 'local' },
        { name: 'rc-full', kind: 'remote', address: '127.0.0.1', port: exported.export!.port, nqn: exported.export!.nqn },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    console.log(`test/real: engine over a local and an exported clone of a superblock engine's members, the local one's stale superblock cleared: ${Date.now() - started} ms`);
    expect(made.superblock).toBe(true);
    const healthy = await until('engine rc healthy', 60_000, async () => {
      const info = await node.engineGet('rc');
      return info.state === 'healthy' && info.rebuilds.length === 0 && !info.rebuild && info;
    });
    expect(healthy.members.map((m) => m.state)).toEqual(['healthy', 'healthy']);
    if (HAS_DD) {
      const out = path.join(real.dir, 'clone-read');
      await ddOk(real.dir, healthy.frontend!, { read: out }, DATA, { hostnqn: HOST });
      expect(md5(out)).toBe(md5(before!));
    } else console.log('test/real: spdk_dd not beside SPDK_TGT: the volume over clones is not read');
    // Nothing of the clear is left in spdk_tgt: no work lvol, staging bdev or probe raid.
    const lvols = (await node.spdkCall('bdev_lvol_get_lvols', undefined, false)) as Array<{ name: string }>;
    const bdevs = (await node.spdkCall('bdev_get_bdevs', undefined, false)) as Array<{ name: string }>;
    const raids = (await node.spdkCall('bdev_raid_get_bdevs', { category: 'all' }, false)) as Array<{ name: string }>;
    expect([...lvols, ...bdevs, ...raids].map((o) => o.name).filter((n) => /^(b\.|bk-|zp\.)/.test(n))).toEqual([]);
    await node.engineDelete('rc');
    await node.replicaUnexpose('rc-full');
    for (const r of ['rc-linked', 'rc-full']) await node.replicaDelete(r);
    await node.engineSnapshotDelete('rv', 'vc');
  }, 180_000);

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
    // A superblock engine over local members reverts from one: its reverted head's stale
    // superblock (the snapshot's time, under a new lvol uuid) is cleared by zeroing its first cluster.
    await node.engineSnapshotCreate({ engine: 'rv', name: 'vs2' });
    const sbStarted = Date.now();
    const sbAnswer = await node.engineSnapshotRevert({ engine: 'rv', snapshot: 'vs2' });
    expect(sbAnswer.rebuilds.map((r) => r.replica)).toEqual(['rv-b']);
    const sbBack = await until('engine rv healthy after its revert', 60_000, async () => {
      const info = await node.engineGet('rv');
      return info.state === 'healthy' && info.rebuilds.length === 0 && !info.rebuild && info;
    });
    console.log(`test/real: revert of a 32 MiB superblock volume from a local member, its stale superblock cleared, rebuild included: ${Date.now() - sbStarted} ms`);
    expect(sbBack.superblock).toBe(true);
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
