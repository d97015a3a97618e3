/**
 * A 1 GiB volume rebuilt under concurrent host writes (raid path, the new replica's node has no
 * API address given): the new member's data must equal the others' and what the host wrote, and
 * no host write may fail. Real processes: three replica nodes, the engine node, the host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { checksum, Host, MIB, RebuildCluster } from './helpers/rebuild-cluster.js';

const SIZE = 1024 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
let host: Host;
let members: EngineReplicaSpec[];

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 3, sizeBytes: SIZE, api: false, diskMib: 2048 });
  members = await Promise.all([0, 1, 2].map((i) => cluster.replica(i, `big-r${i}`)));
  const engine = await cluster.engine('big', members);
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
  for (let i = 0; i < 100; i++) await host.writeOne(IO_TIMEOUT_MS);
}, 60_000);

afterAll(async () => {
  await host?.close();
  await cluster?.close();
});

describe('a 1 GiB volume', () => {
  it('is rebuilt under concurrent host writes; the new member equals the others', async () => {
    await cluster.engineNode.node.engineReplicaRemove('big', 'big-r2');
    await cluster.nodes[2]!.node.replicaDelete('big-r2');
    const fresh = await cluster.replica(2, 'big-r2b');
    let stop!: () => void;
    const writer = host.writeUntil(new Promise<void>((resolve) => (stop = resolve)), IO_TIMEOUT_MS);
    let end;
    let writes: number;
    const progress: number[] = [];
    try {
      await cluster.engineNode.node.engineReplicaAdd('big', fresh);
      end = await cluster.rebuildAt('big', fresh.name, 240_000, (r) => {
        if (r.state === 'rebuilding') progress.push(r.percent);
        return r.state === 'done';
      });
    } finally {
      stop();
      writes = await writer;
    }
    expect(end.path).toBe('raid');
    expect(end.pathReason).toMatch(/no api_address/);
    expect(end.bytesDone).toBe(SIZE);
    expect(host.failures).toEqual([]);
    expect(writes).toBeGreaterThan(0);
    // Progress was seen moving, never backwards.
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const expected = host.expectedChecksum();
    const sums = await Promise.all([
      checksum(cluster.nodes[0]!.client, cluster.headAlias('big-r0')),
      checksum(cluster.nodes[1]!.client, cluster.headAlias('big-r1')),
      checksum(cluster.nodes[2]!.client, cluster.headAlias(fresh.name)),
    ]);
    expect(sums).toEqual([expected, expected, expected]);
    const engine = await cluster.engineNode.node.engineGet('big');
    expect(engine.state, engine.reason).toBe('healthy');
    console.log(
      `1 GiB rebuilt in ${((end.finishedAtMs - end.createdAtMs) / 1000).toFixed(1)} s under ${writes} host writes; process started ${end.processStartedAtMs - end.createdAtMs} ms after the add`,
    );
  }, 300_000);
});
