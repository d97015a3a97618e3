/**
 * A volume over clones of a superblock engine's member snapshots (issue 14, item 3). The clones
 * carry the source volume's raid superblock in their first cluster, which spdk_tgt v26.05 refuses
 * to any other raid (-17); the create clears it on fresh clones of this node (their first cluster
 * zeroed through an esnap clone of a zero file, inflated, shallow-copied in) and tries again; a
 * fresh clone's first export clears it too, for another node's engine. A replica that is no fresh
 * clone is refused by name, nothing changed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';
import { ENGINE_HOST_NQN } from './helpers/cluster.js';
import { checksum, HOST_NQN, MIB, RebuildCluster, until } from '../rebuild/helpers/rebuild-cluster.js';

const SIZE = 16 * MIB;
/** Room for the raid superblock (1 MiB at a 1 MiB cluster) beyond the volume. */
const REPLICA = SIZE + MIB;
let cluster: RebuildCluster;

const node = () => cluster.engineNode.node;
const rpc = () => cluster.engineNode.client;
const local = (name: string): EngineReplicaSpec => ({ name, kind: 'local' });

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 0, sizeBytes: SIZE, api: false });
  await node().diskCreate({ name: 'd', path: cluster.engineNode.diskFile('d', 256) });
  for (const name of ['sa1', 'sa2']) await node().replicaCreate(name, 'd', REPLICA);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

async function createEngine(name: string, members: string[]) {
  return node().engineCreate({ name, sizeBytes: SIZE, replicas: members.map(local), frontend: 'export-only', hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c1f3e-7d4b-4f0e-9a51-2c7d2f9b0a11'] });
}

async function writeVolume(volume: string, blocks: number[]): Promise<void> {
  const [bdev] = await rpc().call<Array<{ block_size: number }>>('bdev_get_bdevs', { name: `e.${volume}` });
  for (const block of blocks) {
    await rpc().callUnchecked('sim_bdev_write', { name: `e.${volume}`, offset_blocks: block, data_base64: randomBytes(bdev!.block_size).toString('base64') });
  }
}

/** Nothing a clear or a probe makes is left in spdk_tgt. */
async function leftovers(): Promise<string[]> {
  const lvols = (await rpc().call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const bdevs = (await rpc().call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const raids = (await rpc().call<Array<{ name: string }>>('bdev_raid_get_bdevs', { category: 'all' })).map((r) => r.name).filter((n) => n.startsWith('zp.'));
  return [...lvols, ...bdevs, ...raids];
}

describe('a volume over clones of a superblock engine', () => {
  let snapshotSum: string;

  it('is made over a linked and a full clone of the member snapshots, healthy, with the snapshot data', async () => {
    const source = await createEngine('sv1', ['sa1', 'sa2']);
    expect(source.superblock).toBe(true);
    // Blocks in the first MiB of the volume too (just past the superblock region), and near its end.
    await writeVolume('sv1', [0, 1, 100, 255, 1000, 4000]);
    await node().engineSnapshotCreate({ engine: 'sv1', name: 's1' });
    snapshotSum = await checksum(rpc(), 'e.sv1');
    await writeVolume('sv1', [0, 7, 2000]);
    expect(await checksum(rpc(), 'e.sv1')).not.toBe(snapshotSum);

    await node().replicaClone({ name: 'sc1', sourceReplica: 'sa1', snapshot: 's1', mode: 'linked' });
    await node().replicaClone({ name: 'sc2', sourceReplica: 'sa2', snapshot: 's1', mode: 'full' });
    const made = await createEngine('sv2', ['sc1', 'sc2']);
    expect(made.superblock).toBe(true);
    const healthy = await until('sv2 healthy', 30_000, async () => {
      const info = await node().engineGet('sv2');
      return info.state === 'healthy' && info;
    });
    expect(healthy.members.map((m) => m.state)).toEqual(['healthy', 'healthy']);
    expect(await checksum(rpc(), 'e.sv2')).toBe(snapshotSum);
    // The source volume is untouched, and nothing of the clear is left behind.
    expect((await node().engineGet('sv1')).state).toBe('healthy');
    expect(await leftovers()).toEqual([]);
  }, 90_000);

  it("clears a fresh clone when it is first exported, so that another node's engine can take it over NVMe/TCP", async () => {
    // Exported to the engine node itself and attached back over NVMe/TCP loopback: the engine sees it as
    // any other node's member would be seen, through its export, where no clear can reach it.
    await node().replicaClone({ name: 'sc4', sourceReplica: 'sa1', snapshot: 's1', mode: 'full' });
    const exported = await node().replicaExpose('sc4', [ENGINE_HOST_NQN]);
    await node().replicaClone({ name: 'sc5', sourceReplica: 'sa2', snapshot: 's1', mode: 'linked' });
    const remote: EngineReplicaSpec = { name: 'sc4', kind: 'remote', address: '127.0.0.1', port: exported.export!.port, nqn: exported.export!.nqn };
    const made = await node().engineCreate({ name: 'sv4', sizeBytes: SIZE, replicas: [remote, local('sc5')], frontend: 'export-only', hostNqns: [HOST_NQN] });
    expect(made.superblock).toBe(true);
    await until('sv4 healthy', 30_000, async () => (await node().engineGet('sv4')).state === 'healthy');
    expect(await checksum(rpc(), 'e.sv4')).toBe(snapshotSum);
    expect(await leftovers()).toEqual([]);
    await node().engineDelete('sv4');
  }, 90_000);

  it('refuses a member that is no fresh clone, naming it, with nothing changed', async () => {
    // A clone an engine used (and whose member it left) holds that engine's superblock: not cleared.
    await node().replicaClone({ name: 'sc3', sourceReplica: 'sa1', snapshot: 's1', mode: 'full' });
    await node().replicaCreate('sx1', 'd', REPLICA);
    await node().replicaCreate('sx2', 'd', REPLICA);
    await createEngine('sv3', ['sc3', 'sx1']);
    await until('sv3 healthy', 30_000, async () => (await node().engineGet('sv3')).state === 'healthy');
    await node().engineReplicaRemove('sv3', 'sc3');
    const before = await checksum(rpc(), cluster.headAlias('sc3'));

    const refused = await refusal(createEngine('sv5', ['sc3', 'sx2']));
    expect(refused.code).toBe('ENGINE_MEMBER_FOREIGN_SUPERBLOCK');
    expect(refused.message).toContain('sc3: not a clone or restore this node made');
    expect(refused.message).not.toContain('sx2:');
    expect(await checksum(rpc(), cluster.headAlias('sc3'))).toBe(before);
    expect((await node().engineList()).map((e) => e.name).sort()).toEqual(['sv1', 'sv2', 'sv3']);
    expect(await leftovers()).toEqual([]);
  }, 90_000);
});
