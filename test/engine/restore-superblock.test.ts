/**
 * A volume over replicas restored from a backup of a superblock engine's member (issue 13: "then a
 * volume is built over restored replicas as usual"). The backup holds the member's image, its
 * first cluster the source engine's raid superblock, which spdk_tgt v26.05 refuses to any other
 * raid (-17). A finished restore is recorded as a fresh clone, so EngineCreate clears it as it
 * does a clone's: on a local restored replica at the create, on one exported to the engine's node
 * at its first export. A restored replica an engine used since is refused by name.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';
import { ENGINE_HOST_NQN } from './helpers/cluster.js';
import { checksum, HOST_NQN, MIB, RebuildCluster, until } from '../rebuild/helpers/rebuild-cluster.js';

const SIZE = 16 * MIB;
/** Room for the raid superblock (1 MiB at a 1 MiB cluster) beyond the volume. */
const REPLICA = SIZE + MIB;
let cluster: RebuildCluster;
let backupId: string;
let snapshotSum: string;

const node = () => cluster.engineNode.node;
const rpc = () => cluster.engineNode.client;
const local = (name: string): EngineReplicaSpec => ({ name, kind: 'local' });

async function ended(job: JobInfo): Promise<JobInfo> {
  const info = await until(`job ${job.id} to end`, 60_000, async () => {
    const now = node().backups.jobGet(job.id);
    return ['done', 'failed', 'cancelled'].includes(now.state) && now;
  });
  expect(info.state, info.reason).toBe('done');
  return info;
}

async function restore(replica: string): Promise<void> {
  await ended(await node().backups.restoreCreate({ volume: 'sv1', backupId, disk: 'd', replica }));
}

async function createEngine(name: string, members: EngineReplicaSpec[]) {
  return node().engineCreate({ name, sizeBytes: SIZE, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] });
}

async function healthy(name: string): Promise<void> {
  await until(`${name} healthy`, 30_000, async () => (await node().engineGet(name)).state === 'healthy');
}

/** Nothing a clear, a probe or a restore makes is left in spdk_tgt. */
async function leftovers(): Promise<string[]> {
  const lvols = (await rpc().call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const bdevs = (await rpc().call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const raids = (await rpc().call<Array<{ name: string }>>('bdev_raid_get_bdevs', { category: 'all' })).map((r) => r.name).filter((n) => n.startsWith('zp.'));
  return [...lvols, ...bdevs, ...raids];
}

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 0, sizeBytes: SIZE, api: false });
  await node().diskCreate({ name: 'd', path: cluster.engineNode.diskFile('d', 256) });
  for (const name of ['sa1', 'sa2']) await node().replicaCreate(name, 'd', REPLICA);
  const source = await createEngine('sv1', [local('sa1'), local('sa2')]);
  expect(source.superblock).toBe(true);
  const [bdev] = await rpc().call<Array<{ block_size: number }>>('bdev_get_bdevs', { name: 'e.sv1' });
  // Blocks in the volume's first MiB too (just past the superblock region), and near its end.
  for (const block of [0, 1, 100, 255, 1000, 4000]) {
    await rpc().callUnchecked('sim_bdev_write', { name: 'e.sv1', offset_blocks: block, data_base64: randomBytes(bdev!.block_size).toString('base64') });
  }
  await node().engineSnapshotCreate({ engine: 'sv1', name: 's1' });
  snapshotSum = await checksum(rpc(), 'e.sv1');
  backupId = (await ended(await node().backups.backupCreate({ replica: 'sa1', snapshot: 's1', volume: 'sv1' }))).backupId;
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

describe('a volume over replicas restored from a backup of a superblock engine member', () => {
  it('is made over two restores of the backup, healthy, with the snapshot data', async () => {
    await restore('rs1');
    await restore('rs2');
    const made = await createEngine('sv2', [local('rs1'), local('rs2')]);
    expect(made.superblock).toBe(true);
    await healthy('sv2');
    expect(await checksum(rpc(), 'e.sv2')).toBe(snapshotSum);
    // The source volume is untouched, and nothing of the restores or the clear is left behind.
    expect((await node().engineGet('sv1')).state).toBe('healthy');
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it("clears a restored replica at its first export, so that another node's engine takes it over NVMe/TCP", async () => {
    // Exported to the engine node itself and attached back over NVMe/TCP loopback: the engine sees it
    // as another node's member, through its export, where no clear at the create can reach it.
    await node().engineDelete('sv1');
    await restore('rs4');
    await restore('rs5');
    const exported = await node().replicaExpose('rs4', [ENGINE_HOST_NQN]);
    const remote: EngineReplicaSpec = { name: 'rs4', kind: 'remote', address: '127.0.0.1', port: exported.export!.port, nqn: exported.export!.nqn };
    const made = await createEngine('sv4', [remote, local('rs5')]);
    expect(made.superblock).toBe(true);
    await healthy('sv4');
    expect(await checksum(rpc(), 'e.sv4')).toBe(snapshotSum);
    expect(await leftovers()).toEqual([]);
    await node().engineDelete('sv4');
  }, 120_000);

  it('refuses a restored replica an engine used since, naming it, with nothing changed', async () => {
    await restore('rs3');
    await node().replicaCreate('sx1', 'd', REPLICA);
    await node().replicaCreate('sx2', 'd', REPLICA);
    await createEngine('sv3', [local('rs3'), local('sx1')]);
    await healthy('sv3');
    await node().engineReplicaRemove('sv3', 'rs3');
    const before = await checksum(rpc(), cluster.headAlias('rs3'));

    const refused = await refusal(createEngine('sv5', [local('rs3'), local('sx2')]));
    expect(refused.code).toBe('ENGINE_MEMBER_FOREIGN_SUPERBLOCK');
    expect(refused.message).toContain('rs3: not a clone or restore this node made');
    expect(refused.message).not.toContain('sx2:');
    expect(await checksum(rpc(), cluster.headAlias('rs3'))).toBe(before);
    expect((await node().engineList()).map((e) => e.name).sort()).toEqual(['sv2', 'sv3']);
    expect(await leftovers()).toEqual([]);
  }, 120_000);
});
