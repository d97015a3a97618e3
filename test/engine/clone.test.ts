/**
 * Clones over real processes: a replica with two snapshots on one node, cloned linked and full on
 * that node and full onto another node by shallow copy (the nodes reach each other through their
 * gRPC APIs). Every clone must read exactly what its snapshot holds; a full clone must outlive the
 * snapshot it came from.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloneProgress } from '../../src/domain/model.js';
import { checksum, MIB, RebuildCluster } from '../rebuild/helpers/rebuild-cluster.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';

const SIZE = 16 * MIB;
const BLOCK = 4096;
let cluster: RebuildCluster;

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 2, sizeBytes: SIZE, api: true, diskMib: 256 });
  const source = cluster.nodes[0]!;
  await source.node.replicaCreate('c-src', 'd', SIZE);
  await write(0, 'c-src', [0, 7, 1000, 4095]);
  await source.node.snapshotCreate({ replicaName: 'c-src', name: 'base' });
  await write(0, 'c-src', [7, 2048, 3000]);
  await source.node.snapshotCreate({ replicaName: 'c-src', name: 'top' });
  await write(0, 'c-src', [1, 2]);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

async function write(node: number, replica: string, blocks: number[]): Promise<void> {
  for (const block of blocks) {
    await cluster.nodes[node]!.client.callUnchecked('sim_bdev_write', { name: cluster.headAlias(replica), offset_blocks: block, data_base64: randomBytes(BLOCK).toString('base64') });
  }
}

describe('replica clone', () => {
  const source = () => cluster.nodes[0]!;

  it('linked: reads what the snapshot holds, and is idempotent', async () => {
    const made = await source().node.replicaClone({ name: 'c-linked', sourceReplica: 'c-src', snapshot: 'top', mode: 'linked' });
    expect(made.sizeBytes).toBe(SIZE);
    expect(made.headParent).toBe('top');
    expect(await checksum(source().client, cluster.headAlias('c-linked'))).toBe(await checksum(source().client, cluster.snapshotAlias('c-src', 'top')));
    expect((await source().node.replicaClone({ name: 'c-linked', sourceReplica: 'c-src', snapshot: 'top', mode: 'linked' })).lvolUuid).toBe(made.lvolUuid);
    expect((await refusal(source().node.replicaClone({ name: 'c-linked', sourceReplica: 'c-src', snapshot: 'base', mode: 'linked' }))).code).toBe('REPLICA_EXISTS');
  });

  it('full here: independent of its snapshot, which may then be deleted', async () => {
    const expected = await checksum(source().client, cluster.snapshotAlias('c-src', 'top'));
    const made = await source().node.replicaClone({ name: 'c-full', sourceReplica: 'c-src', snapshot: 'top', mode: 'full' });
    expect(made.headParent).toBeUndefined();
    expect(made.allocatedBytes).toBeGreaterThan(0);
    expect(await checksum(source().client, cluster.headAlias('c-full'))).toBe(expected);
    // No work lvol is left behind.
    const lvols = await source().client.call<Array<{ name: string }>>('bdev_lvol_get_lvols');
    expect(lvols.map((l) => l.name).filter((n) => n.startsWith('b.'))).toEqual([]);

    await source().node.replicaDelete('c-linked');
    await source().node.snapshotDelete('c-src', 'top');
    expect(await checksum(source().client, cluster.headAlias('c-full'))).toBe(expected);
    expect((await source().node.replicaClone({ name: 'c-full', sourceReplica: 'c-src', snapshot: 'base', mode: 'full' })).lvolUuid).toBe(made.lvolUuid);
  });

  it('full from another node: the snapshot chain copied by shallow copy with its progress watched, nothing left exposed or attached', async () => {
    const target = cluster.nodes[1]!;
    const seen: CloneProgress[] = [];
    const unsubscribe = target.node.replicaWatch((event) => {
      if (event.replica?.name === 'c-remote' && event.replica.clone) seen.push(event.replica.clone);
    });
    const made = await target.node
      .replicaClone({ name: 'c-remote', sourceReplica: 'c-src', snapshot: 'base', mode: 'full', diskName: 'd', sourceApiAddress: source().apiAddress! })
      .finally(unsubscribe);
    const base = (await source().node.snapshotList('c-src')).find((s) => s.name === 'base')!;
    // The answer carries the finished progress; the watch saw it advance to the chain's allocated bytes.
    expect(made.clone).toMatchObject({ sourceReplica: 'c-src', snapshot: 'base', phase: 'done', percent: 100, steps: 1, bytesDone: base.allocatedBytes });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.phase === 'copying' && p.bytesTotal === base.allocatedBytes && p.bytesDone <= p.bytesTotal)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ percent: 100, bytesDone: base.allocatedBytes });
    expect((await target.node.replicaGet('c-remote')).clone).toBeUndefined();
    expect(made.sizeBytes).toBe(SIZE);
    expect(made.export).toBeUndefined();
    expect(await checksum(target.client, cluster.headAlias('c-remote'))).toBe(await checksum(source().client, cluster.snapshotAlias('c-src', 'base')));
    expect(await source().client.call<unknown[]>('bdev_nvme_get_controllers')).toEqual([]);
  });

  it('refuses bad requests with their codes, changing nothing', async () => {
    const before = (await source().node.replicaList(undefined)).map((r) => r.name);
    expect((await refusal(source().node.replicaClone({ name: 'c-x', sourceReplica: 'c-src', snapshot: 'nope', mode: 'linked' }))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await refusal(source().node.replicaClone({ name: 'c-x', sourceReplica: 'c-src', snapshot: 'base', mode: 'linked', sourceApiAddress: '127.0.0.1:1' }))).code).toBe('INVALID_ARGUMENT');
    expect((await refusal(source().node.replicaClone({ name: 'c-x', sourceReplica: 'c-src', snapshot: 'base', mode: 'full', diskName: 'd' }))).code).toBe('INVALID_ARGUMENT');
    expect(
      (await refusal(cluster.nodes[1]!.node.replicaClone({ name: 'c-y', sourceReplica: 'c-src', snapshot: 'nope', mode: 'full', diskName: 'd', sourceApiAddress: source().apiAddress! }))).code,
    ).toBe('SNAPSHOT_NOT_FOUND');
    expect((await source().node.replicaList(undefined)).map((r) => r.name)).toEqual(before);
    expect((await cluster.nodes[1]!.node.replicaList(undefined)).map((r) => r.name)).toEqual(['c-remote']);
  });
});
