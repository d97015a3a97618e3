/**
 * EngineSnapshotRevert over real processes (issue 14 item 2): an engine node with a local member
 * and a replica node serving its API (the engine node reaches it as a peer), a host simulator on
 * the engine's export. Data written, a volume snapshot, more writes, the host gone, the revert:
 * the host connects again to the same NQN and port and reads the snapshot's data, and every
 * member holds it once rebuilt. Each refusal changes nothing. A superblock engine reverts from its
 * local member (the reverted head's stale superblock cleared by zeroing its first cluster) and from
 * its remote one, rebuilding the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo, EngineReplicaSpec } from '../../src/domain/model.js';
import { ENGINE_HOST_NQN } from './helpers/cluster.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import { Host, HOST_NQN, MIB, RebuildCluster, until } from '../rebuild/helpers/rebuild-cluster.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';

const SIZE = 16 * MIB;
/** The superblock's room beyond the volume (the size rule, docs/architecture.md). */
const HEADROOM = 4 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
const hosts: Host[] = [];

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 1, sizeBytes: SIZE, api: true, diskMib: 512 });
  await cluster.engineNode.node.diskCreate({ name: 'd', path: cluster.engineNode.diskFile('d', 512) });
}, 90_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close().catch(() => undefined)));
  await cluster?.close();
});

const node = () => cluster.engineNode.node;

/** sha256 of the volume's SIZE bytes on `bdev` (a superblock raid may be larger than the volume: its smallest member less its data offset). */
async function checksum(rpc: SpdkClient, bdev: string): Promise<string> {
  const result = await rpc.callUnchecked<{ sha256?: string; checksum?: string }>('sim_bdev_checksum', { name: bdev, num_blocks: SIZE / 4096 });
  return result.sha256 ?? result.checksum ?? JSON.stringify(result);
}
const peer = () => cluster.nodes[0]!.node;

async function attach(engine: EngineInfo): Promise<Host> {
  const host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
  hosts.push(host);
  return host;
}

/** The host goes away as an operator's would: its controller detached, then the process. */
async function detach(host: Host): Promise<void> {
  await host.rpc.call('bdev_nvme_detach_controller', { name: 'vol' });
  await host.close();
  hosts.splice(hosts.indexOf(host), 1);
}

async function writes(host: Host, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await host.writeOne(IO_TIMEOUT_MS);
  expect(host.failures).toEqual([]);
}

/** The engine healthy, no revert recorded and no rebuild left. */
function settled(name: string, timeoutMs = 60_000): Promise<EngineInfo> {
  return until(`engine ${name} healthy with its rebuilds done`, timeoutMs, async () => {
    const e = await node().engineGet(name);
    return e.state === 'healthy' && !e.revert && e.rebuilds.length === 0 && !e.rebuild && e;
  });
}

/** A volume of SIZE over a local member and a remote one; `superblock`: members with its room. */
async function volume(name: string, superblock: boolean): Promise<EngineReplicaSpec[]> {
  const bytes = SIZE + (superblock ? HEADROOM : 0);
  await node().replicaCreate(`${name}-l`, 'd', bytes);
  const remote = await peer().replicaCreate(`${name}-r`, 'd', bytes, undefined, [ENGINE_HOST_NQN]);
  const members: EngineReplicaSpec[] = [
    { name: `${name}-l`, kind: 'local' },
    { name: `${name}-r`, kind: 'remote', address: '127.0.0.1', port: remote.export!.port, nqn: remote.export!.nqn, apiAddress: cluster.nodes[0]!.apiAddress! },
  ];
  const engine = await node().engineCreate({ name, sizeBytes: SIZE, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] });
  expect(engine.superblock).toBe(superblock);
  return members;
}

describe('EngineSnapshotRevert', () => {
  it('reverts from the local member, rebuilds the remote one, and the host reads the snapshot at the same NQN and port', async () => {
    await volume('rv', false);
    const before = await node().engineGet('rv');
    let host = await attach(before);
    await writes(host, 40);
    await node().engineSnapshotCreate({ engine: 'rv', name: 's1' });
    const atSnapshot = host.expectedChecksum();
    await writes(host, 40);
    expect(host.expectedChecksum()).not.toBe(atSnapshot);
    await detach(host);

    const answer = await node().engineSnapshotRevert({ engine: 'rv', snapshot: 's1' });
    expect(answer.revert).toBeUndefined();
    expect(answer.rebuilds.map((r) => r.replica)).toEqual(['rv-r']);
    const engine = await settled('rv');
    expect(engine.frontend!.nqn).toBe(before.frontend!.nqn);
    expect(engine.frontend!.port).toBe(before.frontend!.port);
    const rebuild = await cluster.rebuildEnd('rv', 'rv-r', 30_000);
    expect(rebuild.state, rebuild.reason).toBe('done');

    host = await attach(engine);
    expect(await checksum(host.rpc, host.bdev)).toBe(atSnapshot);
    // Both members hold it (no superblock: the volume starts at the members' first block).
    expect(await checksum(cluster.engineNode.client, cluster.headAlias('rv-l'))).toBe(atSnapshot);
    expect(await checksum(cluster.nodes[0]!.client, cluster.headAlias('rv-r'))).toBe(atSnapshot);
    await detach(host);
  }, 180_000);

  it('refuses, with nothing changed: hosts connected, an unknown snapshot, a source without it, a rebuild running', async () => {
    const before = await node().engineGet('rv');
    const host = await attach(before);
    await writes(host, 10);
    const data = await checksum(host.rpc, host.bdev);

    const connected = await refusal(node().engineSnapshotRevert({ engine: 'rv', snapshot: 's1' }));
    expect(connected.code).toBe('ENGINE_HOSTS_CONNECTED');
    expect(connected.message).toContain(HOST_NQN);
    expect((await refusal(node().engineSnapshotRevert({ engine: 'rv', snapshot: 'nope' }))).code).toBe('VOLUME_SNAPSHOT_NOT_FOUND');
    expect(await checksum(host.rpc, host.bdev)).toBe(data);
    await detach(host);

    // s2 is on both members; taken off the remote one by hand, that member cannot be the source.
    await node().engineSnapshotCreate({ engine: 'rv', name: 's2' });
    await peer().snapshotDelete('rv-r', 's2');
    const without = await refusal(node().engineSnapshotRevert({ engine: 'rv', snapshot: 's2', source: 'rv-r' }));
    expect(without.code).toBe('ENGINE_NOT_REVERTIBLE');
    expect(without.message).toContain('no snapshot s2');
    expect((await refusal(node().engineSnapshotRevert({ engine: 'rv', snapshot: 's2', source: 'other' }))).code).toBe('ENGINE_MEMBER_NOT_FOUND');

    // A slow rebuild (16 MiB/s) keeps the first revert's rebuild running while the second is asked.
    await cluster.engineNode.client.callUnchecked('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 4 });
    try {
      const first = await node().engineSnapshotRevert({ engine: 'rv', snapshot: 's1' });
      expect(first.rebuilds.length).toBe(1);
      const busy = await refusal(node().engineSnapshotRevert({ engine: 'rv', snapshot: 's1' }));
      expect(busy.code).toBe('ENGINE_NOT_REVERTIBLE');
      expect(busy.message).toMatch(/rebuild/);
    } finally {
      await cluster.engineNode.client.callUnchecked('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 0 });
    }
    const after = await settled('rv');
    expect(after.frontend!.port).toBe(before.frontend!.port);
    expect(after.revert).toBeUndefined();
  }, 180_000);

  it('a superblock engine reverts from its local member (its stale superblock cleared) or its remote one, rebuilding the other', async () => {
    await volume('sb', true);
    const before = await node().engineGet('sb');
    let host = await attach(before);
    await writes(host, 40);
    await node().engineSnapshotCreate({ engine: 'sb', name: 's1' });
    const atS1 = host.expectedChecksum();
    await writes(host, 40);
    await detach(host);

    // Local first: the reverted head carries the superblock of the snapshot's time under a new
    // uuid, which the new raid would refuse (-17); its first cluster is zeroed first.
    const fromLocal = await node().engineSnapshotRevert({ engine: 'sb', snapshot: 's1' });
    expect(fromLocal.rebuilds.map((r) => r.replica)).toEqual(['sb-r']);
    let engine = await settled('sb');
    expect(engine.superblock).toBe(true);
    expect(engine.frontend!.port).toBe(before.frontend!.port);
    expect((await cluster.rebuildEnd('sb', 'sb-r', 30_000)).state).toBe('done');
    host = await attach(engine);
    expect(await checksum(host.rpc, host.bdev)).toBe(atS1);
    await writes(host, 20);
    const atS2 = await checksum(host.rpc, host.bdev);
    await node().engineSnapshotCreate({ engine: 'sb', name: 's2' });
    await writes(host, 20);
    await detach(host);
    // Nothing of the clear is left behind.
    const lvols = await cluster.engineNode.client.call<Array<{ name: string }>>('bdev_lvol_get_lvols');
    expect(lvols.map((l) => l.name).filter((n) => n.startsWith('b.'))).toEqual([]);

    const answer = await node().engineSnapshotRevert({ engine: 'sb', snapshot: 's2', source: 'sb-r' });
    expect(answer.rebuilds.map((r) => r.replica)).toEqual(['sb-l']);
    engine = await settled('sb');
    expect(engine.superblock).toBe(true);
    expect(engine.frontend!.port).toBe(before.frontend!.port);
    const rebuild = await cluster.rebuildEnd('sb', 'sb-l', 30_000);
    expect(rebuild.state, rebuild.reason).toBe('done');
    // The raid's superblock is the new raid's on both members: it comes back whole after a restart.
    host = await attach(engine);
    expect(await checksum(host.rpc, host.bdev)).toBe(atS2);
    await detach(host);
    await cluster.engineNode.restart();
    const restarted = await settled('sb', 30_000);
    host = await attach(restarted);
    expect(await checksum(host.rpc, host.bdev)).toBe(atS2);
    await detach(host);
  }, 240_000);
});
