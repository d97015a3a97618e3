/**
 * Engines across spdk_tgt restarts (issue 12 items 3 and 6), with real processes: an engine node
 * (service + simulator) with a local replica, a replica node (service + simulator) exporting the
 * other, and a host simulator writing through the engine's export.
 *
 * - kill -9 of the engine node's spdk_tgt: the engine comes back by itself with both members, at
 *   the same NQN and port, the host's writes go on, every block reads back (also from the
 *   remote member's lvol directly);
 * - a member that left the raid before the kill comes back rebuilding, and is in sync (holds the
 *   new data) by the time it is counted healthy; a kill in the middle of the reconcile changes
 *   nothing of that;
 * - kill -9 of the replica node's spdk_tgt: its examine assembles a phantom raid over the
 *   replica's lvol, the replica node deletes it (superblock kept) and exports the replica again;
 *   `engine repair` on the engine node brings the member back;
 * - an engine without a superblock (members with no room for one) whose raid is gone: faulted;
 *   `engine create` with the same spec repairs it at the same port.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../src/domain/model.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { BLOCK, engineNode, Host, HOST_NQN, MIB, replicaNode, until, type ReplicaNode } from './helpers/cluster.js';

const SIZE = 32 * MIB;
/** Room for the superblock: 4 MiB on a local lvol (one cluster), 1 MiB on an NVMe namespace. */
const REPLICA_SIZE = SIZE + 8 * MIB;
const CONVERGE_MS = 60_000;

let a: NodeFixture;
let b: ReplicaNode;
let host: Host;
let engine: EngineInfo;
/** Simulators started to replace killed ones, per node. */
const sims: RunningSim[] = [];

/** kill -9 of a node's spdk_tgt and a new, empty one on the same socket (its disk files stay). */
async function restartSpdk(f: NodeFixture, tag: string): Promise<void> {
  const live = [...sims].reverse().find((s) => s.socket === f.sim.socket) ?? f.sim;
  await live.kill();
  sims.push(await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, `mem-dump-${tag}-${sims.length}.txt`)] }));
}

async function converged(f: NodeFixture): Promise<void> {
  await until('the node reconciled and ready', CONVERGE_MS, async () => f.node.readiness().ready && f.node.reconcileStatus().phase === 'idle');
}

async function healthy(name = 'vol'): Promise<EngineInfo> {
  return until(`engine ${name} healthy with every member`, CONVERGE_MS, async () => {
    const info = await a.node.engineGet(name);
    return info.state === 'healthy' && info.members.every((m) => m.state === 'healthy') && info;
  });
}

/** Writes `count` blocks through the host and remembers them. */
async function write(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await host.writeOne(20_000);
  expect(host.failures).toEqual([]);
}

/** Every block the host wrote reads back through the engine. */
async function expectReadBack(): Promise<void> {
  for (const [block, data] of host.written) {
    const { data_base64 } = await host.rpc.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: host.bdev, offset_blocks: block, num_blocks: 1 });
    expect(Buffer.from(data_base64, 'base64').equals(data), `block ${block} through the engine`).toBe(true);
  }
}

/** Every block the host wrote is on the remote member's lvol too, 1 MiB (its data_offset) in. */
async function expectOnRemote(): Promise<void> {
  const offset = MIB / BLOCK;
  for (const [block, data] of host.written) {
    const { data_base64 } = await b.fixture.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: b.bdev, offset_blocks: offset + block, num_blocks: 1 });
    expect(Buffer.from(data_base64, 'base64').equals(data), `block ${block} on replica rb`).toBe(true);
  }
}

beforeAll(async () => {
  b = await replicaNode('B', 'rb', REPLICA_SIZE);
  a = await engineNode();
  await a.node.diskCreate({ name: 'd', path: a.diskFile('d', 256) });
  await a.node.replicaCreate('ra', 'd', REPLICA_SIZE);
  engine = await a.node.engineCreate({ name: 'vol', sizeBytes: SIZE, replicas: [{ name: 'ra', kind: 'local' }, b.spec], frontend: 'export-only', hostNqns: [HOST_NQN] });
  host = await Host.attach(engine, { ctrlLossTmoSec: 60, reconnectDelaySec: 1 });
  await write(40);
}, 120_000);

afterAll(async () => {
  await host?.close();
  await a?.close();
  await b?.fixture.close();
  for (const sim of sims) await sim.stop();
});

describe('engine across spdk_tgt restarts', () => {
  it('is made with a raid superblock when its members have room for it', async () => {
    expect(engine.superblock).toBe(true);
    expect(engine.state).toBe('healthy');
    const [raid] = await a.client.callUnchecked<Array<{ superblock: boolean; base_bdevs_list: Array<{ data_offset: number }> }>>('bdev_raid_get_bdevs', { category: 'all' });
    expect(raid!.superblock).toBe(true);
    // 1 MiB rounded up to a cluster on the local lvol, 256 blocks (1 MiB) on the NVMe namespace.
    const [lvs] = await a.client.callUnchecked<Array<{ cluster_size: number }>>('bdev_lvol_get_lvstores');
    expect(raid!.base_bdevs_list.map((m) => m.data_offset)).toEqual([Math.max(MIB, lvs!.cluster_size) / BLOCK, MIB / BLOCK]);
  });

  it('comes back by itself after kill -9 of the engine node: same NQN and port, both members, data intact', async () => {
    await restartSpdk(a, 'a');
    await converged(a);
    const back = await healthy();
    expect(back.frontend?.nqn).toBe(engine.frontend?.nqn);
    expect(back.frontend?.port).toBe(engine.frontend?.port);
    expect(back.superblock).toBe(true);
    // The host's controller reconnects to the same address: its writes go on.
    await until('a host write after the restart', CONVERGE_MS, async () => {
      await host.writeOne(5_000);
      if (host.failures.length > 0) host.failures = [];
      return host.written.size > 40;
    });
    await write(20);
    await expectReadBack();
    await expectOnRemote();
  });

  it('rebuilds a member that left the raid before the kill; it holds the new data before it counts as healthy, also across a kill mid-reconcile', async () => {
    // The member leaves the raid as a failed member would (the record still holds it).
    const rb = (await a.node.engineGet('vol')).members.find((m) => m.name === 'rb')!;
    await a.client.callUnchecked('bdev_raid_remove_base_bdev', { name: rb.bdevName });
    await until('rb out of the raid', CONVERGE_MS, async () => (await a.node.engineGet('vol')).members.find((m) => m.name === 'rb')?.state !== 'healthy');
    // Blocks only the local member gets.
    const fresh = new Map<number, Buffer>();
    for (let i = 0; i < 16; i++) {
      const block = 100 + i;
      const data = randomBytes(BLOCK);
      await host.rpc.callUnchecked('sim_bdev_write', { name: host.bdev, offset_blocks: block, data_base64: data.toString('base64') });
      host.written.set(block, data);
      fresh.set(block, data);
    }

    await restartSpdk(a, 'a');
    // Killed again while it reconciles, then left to finish.
    await until('the reconcile under way', CONVERGE_MS, async () => a.node.reconcileStatus().phase === 'reconciling');
    await restartSpdk(a, 'a');

    // Whenever rb counts as healthy, its lvol already holds what was written without it.
    const offset = MIB / BLOCK;
    let sawRebuilding = false;
    await until('rb healthy again', CONVERGE_MS, async () => {
      const member = (await a.node.engineGet('vol').catch(() => undefined))?.members.find((m) => m.name === 'rb');
      if (member?.state === 'rebuilding') sawRebuilding = true;
      if (member?.state !== 'healthy') return false;
      for (const [block, data] of fresh) {
        const { data_base64 } = await b.fixture.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: b.bdev, offset_blocks: offset + block, num_blocks: 1 });
        expect(Buffer.from(data_base64, 'base64').equals(data), `rb counted healthy while block ${block} is stale`).toBe(true);
      }
      return true;
    });
    await converged(a);
    expect(sawRebuilding || (await a.node.engineGet('vol')).members.every((m) => m.state === 'healthy')).toBe(true);
    await healthy();
    await expectReadBack();
    await expectOnRemote();
  });

  it('on the replica node: the phantom raid its examine assembles is deleted and the replica exported again; engine repair brings the member back', async () => {
    const exportBefore = (await b.fixture.node.replicaGet('rb')).export;
    // The replica carries the engine's superblock at its start (the simulator's encoding): the
    // restarted target's examine assembles a raid over it, which would keep it from being exported.
    const { data_base64: start } = await b.fixture.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: b.bdev, offset_blocks: 0, num_blocks: 1 });
    expect(Buffer.from(start, 'base64').subarray(0, 10).toString()).toBe('SIMRAIDSB1');
    await restartSpdk(b.fixture, 'b');
    await converged(b.fixture);
    expect(b.fixture.node.reconcileStatus().problems).toEqual([]);
    expect(await b.fixture.client.callUnchecked('bdev_raid_get_bdevs', { category: 'all' })).toEqual([]);
    expect((await b.fixture.node.replicaGet('rb')).export).toEqual(exportBefore);
    const subsystem = (await b.fixture.client.callUnchecked<Array<{ nqn: string; namespaces: unknown[] }>>('nvmf_get_subsystems')).find((s) => s.nqn === exportBefore?.nqn);
    expect(subsystem?.namespaces).toHaveLength(1);

    // The engine node's controller may have given up meanwhile (its budget is 2 s): repair.
    // The engine node's controller reconnects, or gives up after its budget's 2 s (then the member
    // is gone from the raid): either way, then repair.
    await until('the member controller reconnected or given up', CONVERGE_MS, async () => {
      const state = (await a.node.engineGet('vol')).members.find((m) => m.name === 'rb')?.controllerState;
      return state === 'enabled' || state === undefined;
    });
    const { engine: repaired, problem } = await a.node.engineRepair('vol');
    expect(problem).toBeUndefined();
    expect(repaired.frontend?.port).toBe(engine.frontend?.port);
    await healthy();
    await write(10);
    await expectReadBack();
    await expectOnRemote();
    // Idempotent: a second repair finds nothing to do.
    expect((await a.node.engineRepair('vol')).actions).toEqual([]);
  });

  it('three more kill cycles of the engine node, one of them during the reconcile: back each time with the data', async () => {
    for (let cycle = 0; cycle < 3; cycle++) {
      await restartSpdk(a, 'a');
      if (cycle === 1) {
        await until('the reconcile under way', CONVERGE_MS, async () => a.node.reconcileStatus().phase === 'reconciling');
        await restartSpdk(a, 'a');
      }
      await converged(a);
      const back = await healthy();
      expect(back.frontend?.port, `cycle ${cycle}`).toBe(engine.frontend?.port);
      // The host reconnects by itself; the first writes may wait for it.
      await until(`a host write after cycle ${cycle}`, CONVERGE_MS, async () => {
        await host.writeOne(5_000);
        const ok = host.failures.length === 0;
        host.failures = [];
        return ok;
      });
      await write(5);
    }
    await expectReadBack();
    await expectOnRemote();
  });

  it('an engine without a superblock whose raid is gone is faulted; create with the same spec repairs it at the same port', async () => {
    await a.node.replicaCreate('ro1', 'd', 8 * MIB);
    await a.node.replicaCreate('ro2', 'd', 8 * MIB);
    const request = {
      name: 'old',
      sizeBytes: 8 * MIB,
      replicas: [
        { name: 'ro1', kind: 'local' as const },
        { name: 'ro2', kind: 'local' as const },
      ],
      frontend: 'export-only' as const,
      hostNqns: [HOST_NQN],
    };
    const old = await a.node.engineCreate(request);
    expect(old.superblock).toBe(false);
    await a.client.callUnchecked('nvmf_delete_subsystem', { nqn: old.frontend!.nqn });
    await a.client.callUnchecked('bdev_raid_delete', { name: old.raidName });
    expect((await a.node.engineGet('old')).state).toBe('faulted');

    const again = await a.node.engineCreate(request);
    expect(again.state).toBe('healthy');
    expect(again.frontend?.port).toBe(old.frontend?.port);
    expect(again.frontend?.nqn).toBe(old.frontend?.nqn);
    await a.node.engineDelete('old');
  });
});
