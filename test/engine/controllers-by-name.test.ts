/**
 * An engine's delete and repair ask spdk_tgt for that engine's controllers by name, never for the
 * whole list (on a node with hundreds of remote members that list is one large answer per call),
 * and still work when a controller is already gone (-22 "Controller X does not exist", transcript
 * 08). The engine node's SPDK calls are recorded by a proxy (test/crash/helpers/rpc-proxy.ts); its
 * monitor, whose pass reads the whole list once per period, is kept out of the way.
 *
 * Two simulator processes with their services: a replica node exporting four replicas, and the
 * engine node with two engines of two remote members each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo, EngineReplicaSpec } from '../../src/domain/model.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import type { RecordedCall } from '../crash/helpers/rpc-proxy.js';
import { anotherReplica, engineNode, FAST_BUDGET, HOST_NQN, MIB, replicaNode, until, type ReplicaNode } from './helpers/cluster.js';

const SIZE = 8 * MIB;
/** Room for the raid superblock (1 MiB on an NVMe namespace). */
const REPLICA_SIZE = SIZE + 4 * MIB;

let b: ReplicaNode;
let a: NodeFixture;

beforeAll(async () => {
  b = await replicaNode('B', 'v-r1', REPLICA_SIZE);
  const others: EngineReplicaSpec[] = [];
  for (const name of ['v-r2', 'w-r1', 'w-r2']) others.push(await anotherReplica(b, name, REPLICA_SIZE));
  a = await engineNode({ ...FAST_BUDGET, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '600000' }, true);
  const engine = (name: string, members: typeof others) => a.node.engineCreate({ name, sizeBytes: SIZE, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] });
  await engine('v', [b.spec, others[0]!]);
  await engine('w', others.slice(1));
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.fixture.close();
});

/** What the service sent while `work` ran. */
async function recorded<T>(work: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }> {
  const mark = a.proxy!.mark;
  const result = await work();
  return { result, calls: a.proxy!.since(mark) };
}

function controllerReads(calls: readonly RecordedCall[]): Array<{ name: unknown; ok: boolean | undefined }> {
  return calls.filter((c) => c.method === 'bdev_nvme_get_controllers').map((c) => ({ name: (c.params as { name?: unknown } | undefined)?.name, ok: c.ok }));
}

async function controllerNames(): Promise<string[]> {
  return (await a.client.callUnchecked<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name).sort();
}

async function healthy(name: string): Promise<EngineInfo> {
  return until(`engine ${name} healthy with every member`, 60_000, async () => {
    const info = await a.node.engineGet(name);
    return info.state === 'healthy' && info.members.every((m) => m.state === 'healthy') && info;
  });
}

describe("an engine's controllers are asked for by name", () => {
  it('repair attaches a member whose controller is gone, reading only its own controllers by name', async () => {
    expect(await controllerNames()).toEqual(['ec.v.v-r1', 'ec.v.v-r2', 'ec.w.w-r1', 'ec.w.w-r2']);
    await a.client.callUnchecked('bdev_nvme_detach_controller', { name: 'ec.v.v-r2' });
    await until('ec.v.v-r2n1 gone', 10_000, async () => (await a.client.callUnchecked<unknown[]>('bdev_get_bdevs')).every((bdev) => (bdev as { name: string }).name !== 'ec.v.v-r2n1'));

    const { result, calls } = await recorded(() => a.node.engineRepair('v'));
    expect(result.problem).toBeUndefined();
    expect(result.actions).toContain('attached v-r2');
    // Which members need attaching, then the engine as it ends up: v's two names each time.
    const reads = controllerReads(calls);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((r) => r.name !== 'ec.v.v-r1' && r.name !== 'ec.v.v-r2')).toEqual([]);
    // The gone one read as gone (-22), not as a failure of the repair.
    expect(reads[0]?.name === 'ec.v.v-r2' ? reads[0] : reads[1]).toEqual({ name: 'ec.v.v-r2', ok: false });
    await healthy('v');
  });

  it('delete detaches its own controllers, asked for by name, one of them already gone; the other engine keeps its own', async () => {
    await a.client.callUnchecked('bdev_nvme_detach_controller', { name: 'ec.v.v-r1' });
    const { result, calls } = await recorded(() => a.node.engineDelete('v'));
    expect(result).toBe('deleted');
    const reads = controllerReads(calls).sort((x, y) => String(x.name).localeCompare(String(y.name)));
    expect(reads).toEqual([
      { name: 'ec.v.v-r1', ok: false },
      { name: 'ec.v.v-r2', ok: true },
    ]);
    const detached = calls.filter((c) => c.method === 'bdev_nvme_detach_controller').map((c) => (c.params as { name: string }).name);
    expect(detached).toEqual(['ec.v.v-r2']);
    await until("v's controllers gone", 10_000, async () => (await controllerNames()).every((n) => !n.startsWith('ec.v.')));
    expect(await controllerNames()).toEqual(['ec.w.w-r1', 'ec.w.w-r2']);
    expect((await healthy('w')).members.map((m) => m.controllerState)).toEqual(['enabled', 'enabled']);
  });

  it('a delete of an engine this node has no record of reads the whole list once, for leftovers', async () => {
    const { result, calls } = await recorded(() => a.node.engineDelete('v'));
    expect(result).toBe('already-absent');
    expect(controllerReads(calls)).toEqual([{ name: undefined, ok: true }]);
  });
});
