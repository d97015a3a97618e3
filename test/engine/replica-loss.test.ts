/**
 * The failure the timeout budget exists for: a replica is lost under host writes, 50 times in a
 * row. Each time the volume must stay up (degraded, never faulted), the member must leave the raid
 * within fast_io_fail_timeout_sec + one reconnect period, no host write may fail, the surviving
 * members must hold exactly what the host wrote, and the replica comes back with add-base-bdev.
 *
 * Five simulator processes: three replica nodes, the engine node, the host.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import type { EngineInfo } from '../../src/domain/model.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { anotherReplica, checksum, engineNode, FAST_BUDGET, Host, HOST_NQN, MIB, replicaNode, until, type ReplicaNode } from './helpers/cluster.js';

const CYCLES = Number(process.env.ENGINE_CYCLES ?? 50);
const SIZE = 16 * MIB;
const FAST_IO_FAIL_S = Number(FAST_BUDGET.CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC);
const RECONNECT_S = Number(FAST_BUDGET.CONDUCTOR_TIMEOUTS_REPLICA_RECONNECT_DELAY_SEC);
const IO_TIMEOUT_MS = Number(FAST_BUDGET.CONDUCTOR_TIMEOUTS_HOST_IO_TIMEOUT_SEC) * 1000;
/** Polling and scheduling slack on a loaded 2-core machine, on top of the budget's bound. */
const SLACK_MS = 1500;

let replicas: ReplicaNode[];
let engineFixture: NodeFixture;
let host: Host;
let engine: EngineInfo;

beforeAll(async () => {
  replicas = await Promise.all([0, 1, 2].map((i) => replicaNode(`n${i}`, `vol1-r${i}`, SIZE)));
  engineFixture = await engineNode();
  engine = await engineFixture.node.engineCreate({ name: 'vol1', sizeBytes: SIZE, replicas: replicas.map((r) => r.spec), frontend: 'export-only', hostNqns: [HOST_NQN] });
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await engineFixture?.close();
  await Promise.all((replicas ?? []).map((r) => r.fixture.close()));
});

function memberConfigured(info: EngineInfo, replica: string): boolean {
  return info.members.find((m) => m.name === replica)?.state === 'healthy';
}

describe('a lost replica degrades the volume and never fails it', () => {
  it('comes up healthy with three members and takes host writes', async () => {
    expect(engine.state).toBe('healthy');
    expect(engine.members.map((m) => m.state)).toEqual(['healthy', 'healthy', 'healthy']);
    // The line a host pastes carries the whole host side of the budget, and its NQN.
    const f = engine.frontend!;
    expect(f.connectCommand).toBe(`nvme connect -t tcp -a ${f.address} -s ${f.port} -n ${f.nqn} --hostnqn ${HOST_NQN} --ctrl-loss-tmo 6 --reconnect-delay 1 --keep-alive-tmo 1`);
    for (let i = 0; i < 20; i++) await host.writeOne(IO_TIMEOUT_MS);
    expect(host.failures).toEqual([]);
  });

  it(`survives ${CYCLES} replica losses under continuous host writes`, async () => {
    const leaveTimes: number[] = [];
    let writes = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const victim = replicas[cycle % replicas.length]!;
      const others = replicas.filter((r) => r !== victim);
      let stopWriting!: () => void;
      const writer = host.writeUntil(new Promise<void>((resolve) => (stopWriting = resolve)), IO_TIMEOUT_MS);
      try {
        // The replica's node goes away: its listeners and connections vanish.
        await victim.fixture.client.callUnchecked('sim_listeners_kill');
        const lostAt = performance.now();
        const degraded = await until(`member ${victim.replica} to leave the raid (cycle ${cycle})`, 20_000, async () => {
          const info = await engineFixture.node.engineGet('vol1');
          return !memberConfigured(info, victim.replica) && info;
        });
        leaveTimes.push((performance.now() - lostAt) / 1000);
        if (process.env.ENGINE_TRACE) appendFileSync(process.env.ENGINE_TRACE, `cycle ${cycle}: left after ${leaveTimes.at(-1)!.toFixed(2)} s\n`);
        expect(degraded.state, `cycle ${cycle}: ${degraded.reason}`).toBe('degraded');

        // Bring it back: its node listens again; the engine takes the stale member out and adds
        // it back, and spdk_tgt rebuilds it from the others.
        await victim.fixture.client.callUnchecked('sim_listeners_restore');
        await engineFixture.node.engineReplicaRemove('vol1', victim.replica);
        await engineFixture.node.engineReplicaAdd('vol1', victim.spec);
        await until(`member ${victim.replica} rebuilt (cycle ${cycle})`, 30_000, async () => {
          const info = await engineFixture.node.engineGet('vol1');
          return info.state === 'healthy' && info.rebuild === undefined && info;
        });
        if (process.env.ENGINE_TRACE) appendFileSync(process.env.ENGINE_TRACE, `cycle ${cycle}: rebuilt at +${((performance.now() - lostAt) / 1000).toFixed(2)} s\n`);
      } finally {
        stopWriting();
        writes += await writer;
      }
      expect(host.failures, `cycle ${cycle}`).toEqual([]);
      const expected = host.expectedChecksum();
      for (const member of others) expect(await checksum(member.fixture.client, member.bdev), `cycle ${cycle}: ${member.replica}`).toBe(expected);
      expect(await checksum(victim.fixture.client, victim.bdev), `cycle ${cycle}: rebuilt ${victim.replica}`).toBe(expected);
    }
    const worst = Math.max(...leaveTimes);
    // Written out so a run shows the figures: the budget bound is fast_io_fail + one reconnect.
    console.log(`${CYCLES} losses, ${writes} host writes, member left the raid after ${Math.min(...leaveTimes).toFixed(2)}–${worst.toFixed(2)} s (bound ${FAST_IO_FAIL_S + RECONNECT_S} s)`);
    expect(worst).toBeLessThanOrEqual(FAST_IO_FAIL_S + RECONNECT_S + SLACK_MS / 1000);
  }, 600_000);
});

describe('restart', () => {
  it('re-adopts the engine from spdk_tgt after a service restart, and the host never notices', async () => {
    const before = await engineFixture.node.engineGet('vol1');
    await engineFixture.restart();
    const after = await engineFixture.node.engineGet('vol1');
    expect(after).toEqual(before);
    await host.writeOne(IO_TIMEOUT_MS);
    expect(host.failures).toEqual([]);
  });
});

describe('degraded start, rollback and delete without the other side', () => {
  it('starts degraded when one of three replicas is unreachable', async () => {
    await replicas[2]!.fixture.client.callUnchecked('sim_listeners_kill');
    try {
      const specs = await Promise.all(replicas.map((r, i) => anotherReplica(r, `vol2-r${i}`, SIZE)));
      const info = await engineFixture.node.engineCreate({ name: 'vol2', sizeBytes: SIZE, replicas: specs, frontend: 'export-only', hostNqns: [HOST_NQN] });
      expect(info.state).toBe('degraded');
      expect(info.members.map((m) => m.state)).toEqual(['healthy', 'healthy', 'missing']);
      await engineFixture.node.engineDelete('vol2');
    } finally {
      await replicas[2]!.fixture.client.callUnchecked('sim_listeners_restore');
    }
  });

  it('rolls back everything when no replica is reachable', async () => {
    const before = await engineObjects(engineFixture);
    const unreachable = replicas.map((r, i) => ({ ...r.spec, name: `gone-${i}`, port: 1 }));
    const err = await engineFixture.node.engineCreate({ name: 'vol3', sizeBytes: SIZE, replicas: unreachable, frontend: 'export-only', hostNqns: [HOST_NQN] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConductorError);
    expect((err as ConductorError).code).toBe('REPLICA_UNREACHABLE');
    expect(await engineObjects(engineFixture)).toEqual(before);
    await expect(engineFixture.node.engineGet('vol3')).rejects.toMatchObject({ code: 'ENGINE_NOT_FOUND' });
  });

  it('deletes an engine whose replica node is gone, leaving nothing on the engine node', async () => {
    const before = await engineObjects(engineFixture);
    const specs = await Promise.all(replicas.slice(0, 2).map((r, i) => anotherReplica(r, `vol4-r${i}`, SIZE)));
    await engineFixture.node.engineCreate({ name: 'vol4', sizeBytes: SIZE, replicas: specs, frontend: 'export-only', hostNqns: [HOST_NQN] });
    await replicas[0]!.fixture.client.callUnchecked('sim_listeners_kill');
    // vol1 has a member on the node killed too: should the delete outlast vol1's controller-loss
    // budget (a loaded machine), that member's controller and bdev go, which is vol1's business.
    const vol1OnKilledNode = (o: string): boolean => o.includes(`ec.vol1.${replicas[0]!.replica}`);
    try {
      await engineFixture.node.engineDelete('vol4');
      expect((await engineObjects(engineFixture)).filter((o) => !vol1OnKilledNode(o))).toEqual(before.filter((o) => !vol1OnKilledNode(o)));
    } finally {
      await replicas[0]!.fixture.client.callUnchecked('sim_listeners_restore');
    }
  });
});

/** Everything engine-shaped in the engine node's spdk_tgt, to compare before and after. */
async function engineObjects(f: NodeFixture): Promise<string[]> {
  const [raids, controllers, subsystems, bdevs] = await Promise.all([
    f.client.call<Array<{ name: string }>>('bdev_raid_get_bdevs', { category: 'all' }),
    f.client.call<Array<{ name: string }>>('bdev_nvme_get_controllers'),
    f.client.call<Array<{ nqn: string }>>('nvmf_get_subsystems'),
    f.client.call<Array<{ name: string }>>('bdev_get_bdevs'),
  ]);
  return [...raids.map((r) => `raid ${r.name}`), ...controllers.map((c) => `ctrlr ${c.name}`), ...subsystems.map((s) => `nqn ${s.nqn}`), ...bdevs.map((b) => `bdev ${b.name}`)].sort();
}
