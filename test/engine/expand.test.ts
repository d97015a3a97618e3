/**
 * EngineExpand on real processes (issue 14 item 1): replica nodes serving their API (peers), an
 * engine node with a superblock raid1 over a remote member and a local one, and a host simulator
 * attached to the engine's export, writing. The volume grows online: every member, then the raid
 * by itself (transcript 21), then what the host sees; the same size again is a no-op, a smaller
 * one and a disk without room are refused with nothing changed, and an expansion a crash cut
 * short at any step is finished by the node's restart from the record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { portBlock } from '../helpers/ports.js';
import { BLOCK, ENGINE_HOST_NQN, FAST_BUDGET, Host, HOST_NQN, MIB, until } from './helpers/cluster.js';

/** The superblock raid's headroom on every member (the size rule: 4 MiB beyond the volume). */
const HEADROOM = 4 * MIB;
const nodes: NodeFixture[] = [];
const hosts: Host[] = [];
let replicaNode: NodeFixture;
let engineNode: NodeFixture;

async function code(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConductorError);
  return { code: (err as ConductorError).code, message: (err as ConductorError).message };
}

/** A volume of `sizeBytes` over a remote member (with its node's API, on its disk `disk`) and a local one. */
async function volume(name: string, sizeBytes: number, disk = 'd', withApi = true): Promise<EngineReplicaSpec[]> {
  const memberBytes = sizeBytes + HEADROOM;
  const remote = await replicaNode.node.replicaCreate(`${name}-a`, disk, memberBytes, undefined, [ENGINE_HOST_NQN]);
  await engineNode.node.replicaCreate(`${name}-b`, 'd', memberBytes);
  const replicas: EngineReplicaSpec[] = [
    { name: `${name}-a`, kind: 'remote', address: '127.0.0.1', port: remote.export!.port, nqn: remote.export!.nqn, ...(withApi ? { apiAddress: replicaNode.apiAddress! } : {}) },
    { name: `${name}-b`, kind: 'local' },
  ];
  const engine = await engineNode.node.engineCreate({ name, sizeBytes, replicas, frontend: 'export-only', hostNqns: [HOST_NQN] });
  expect(engine.superblock).toBe(true);
  return replicas;
}

async function raidBytes(name: string): Promise<number> {
  const [raid] = await engineNode.client.call<Array<{ num_blocks: number; block_size: number }>>('bdev_get_bdevs', { name: `e.${name}` });
  return raid!.num_blocks * raid!.block_size;
}

beforeAll(async () => {
  replicaNode = await startNode({ portMin: portBlock(), api: true, env: { CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_HOST_NQN}-r` } });
  nodes.push(replicaNode);
  await replicaNode.node.diskCreate({ name: 'd', path: replicaNode.diskFile('d', 1024) });
  engineNode = await startNode({ portMin: portBlock(), api: true, env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', ...FAST_BUDGET } });
  nodes.push(engineNode);
  await engineNode.node.diskCreate({ name: 'd', path: engineNode.diskFile('d', 1024) });
}, 120_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await Promise.all(nodes.map((n) => n.close()));
});

describe('EngineExpand', () => {
  it('grows the volume under host writes: members, raid, and what the host sees', async () => {
    await volume('grow', 64 * MIB);
    const host = await Host.attach(await engineNode.node.engineGet('grow'), { ctrlLossTmoSec: 10, reconnectDelaySec: 1 });
    hosts.push(host);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const writing = host.writeUntil(stopped, 5_000);

    const grown = await engineNode.node.engineExpand('grow', 128 * MIB);
    expect(grown.sizeBytes).toBe(128 * MIB);
    expect(grown.expansion).toBeUndefined();
    expect(await raidBytes('grow')).toBeGreaterThanOrEqual(128 * MIB);
    expect((await replicaNode.node.replicaGet('grow-a')).sizeBytes).toBe(128 * MIB + HEADROOM);
    expect((await engineNode.node.replicaGet('grow-b')).sizeBytes).toBe(128 * MIB + HEADROOM);
    // The host's namespace follows the raid through the export's notice.
    await until('the host to see the new size', 10_000, async () => {
      const [bdev] = await host.rpc.call<Array<{ num_blocks: number }>>('bdev_get_bdevs', { name: host.bdev });
      return bdev!.num_blocks * BLOCK >= 128 * MIB;
    });
    stop();
    expect(await writing).toBeGreaterThan(0);
    expect(host.failures).toEqual([]);
    // The new range is the volume's: written through the host, read back.
    const last = Buffer.alloc(BLOCK, 0x6b);
    const lba = (128 * MIB) / BLOCK - 1;
    await host.rpc.callUnchecked('sim_bdev_write', { name: host.bdev, offset_blocks: lba, data_base64: last.toString('base64') });
    const back = await host.rpc.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: host.bdev, offset_blocks: lba, num_blocks: 1 });
    expect(Buffer.from(back.data_base64, 'base64').equals(last)).toBe(true);

    // The same size again is a no-op; smaller is refused.
    expect((await engineNode.node.engineExpand('grow', 128 * MIB)).sizeBytes).toBe(128 * MIB);
    expect((await code(engineNode.node.engineExpand('grow', 96 * MIB))).code).toBe('INVALID_SIZE');
    expect((await code(engineNode.node.engineExpand('grow', 128 * MIB + 4096))).code).toBe('INVALID_SIZE');
  }, 120_000);

  it('refuses a replica added after the volume grew that cannot hold it, with the numbers: a local one up front, a remote one at its rebuild', async () => {
    await volume('late', 64 * MIB);
    await engineNode.node.engineExpand('late', 128 * MIB);
    await engineNode.node.engineReplicaRemove('late', 'late-b');
    // Made at the volume's old size.
    await engineNode.node.replicaCreate('late-c', 'd', 64 * MIB + HEADROOM);
    const refusal = await code(engineNode.node.engineReplicaAdd('late', { name: 'late-c', kind: 'local' }));
    expect(refusal.code).toBe('INVALID_SIZE');
    // The reserve on a local member is 1 MiB rounded up to its disk's cluster.
    const cluster = (await engineNode.node.diskGet('d')).clusterSizeBytes / MIB;
    const reserve = Math.ceil(1 / cluster) * cluster;
    expect(refusal.message).toBe(
      `replica late-c of 68 MiB is too small for engine late: its raid needs 128 MiB of volume data plus ${reserve} MiB for the raid superblock on this member; expand the replica to at least ${128 + reserve} MiB or add a larger one`,
    );
    expect((await engineNode.node.engineGet('late')).members.map((m) => m.name)).toEqual(['late-a']);
    expect((await engineNode.node.rebuildList('late')).map((r) => r.replica)).toEqual([]);

    const remote = await replicaNode.node.replicaCreate('late-d', 'd', 64 * MIB + HEADROOM, undefined, [ENGINE_HOST_NQN]);
    await engineNode.node.engineReplicaAdd('late', { name: 'late-d', kind: 'remote', address: '127.0.0.1', port: remote.export!.port, nqn: remote.export!.nqn });
    const ended = await until('the remote rebuild to end', 30_000, async () => {
      const r = await engineNode.node.rebuildGet('late', 'late-d');
      return r.state === 'failed' || r.state === 'done' ? r : undefined;
    });
    expect(ended.state).toBe('failed');
    expect(ended.reason).toMatch(/replica late-d of 68 MiB is too small for engine late: its raid needs 128 MiB of volume data plus 1 MiB/);
    expect(await engineNode.client.call<Array<{ name: string }>>('bdev_nvme_get_controllers').then((c) => c.map((x) => x.name).filter((n) => n.includes('late-d')))).toEqual([]);
  }, 90_000);

  it('refuses with the numbers when a disk lacks the space, and changes nothing', async () => {
    await replicaNode.node.diskCreate({ name: 'small', path: replicaNode.diskFile('small', 256) });
    await volume('full', 64 * MIB, 'small');
    // Another replica on the disk takes 96 MiB (a write in each cluster allocates it).
    const filler = await replicaNode.node.replicaCreate('filler', 'small', 96 * MIB);
    const cluster = (await replicaNode.node.diskGet('small')).clusterSizeBytes;
    for (let offset = 0; offset < 96 * MIB; offset += cluster) {
      await replicaNode.client.callUnchecked('sim_bdev_write', { name: filler.lvolAlias, offset_blocks: offset / BLOCK, data_base64: Buffer.alloc(BLOCK, 1).toString('base64') });
    }
    const [lvs] = await replicaNode.client.callUnchecked<Array<{ free_clusters: number; total_data_clusters: number; cluster_size: number }>>('bdev_lvol_get_lvstores', {
      lvs_name: (await replicaNode.node.diskGet('small')).lvstoreName,
    });
    // The largest member the disk could hold at all, whose growth is more than it has free.
    const member = Math.floor((lvs!.total_data_clusters * lvs!.cluster_size) / (4 * MIB)) * 4 * MIB;
    expect(member - (64 * MIB + HEADROOM)).toBeGreaterThan(lvs!.free_clusters * lvs!.cluster_size);
    const refusal = await code(engineNode.node.engineExpand('full', member - HEADROOM));
    expect(refusal.code).toBe('DISK_FULL');
    expect(refusal.message).toMatch(/would grow by \d+ bytes .* has \d+ bytes free; nothing was changed/);
    expect((await replicaNode.node.replicaGet('full-a')).sizeBytes).toBe(64 * MIB + HEADROOM);
    expect((await engineNode.node.replicaGet('full-b')).sizeBytes).toBe(64 * MIB + HEADROOM);
    const engine = await engineNode.node.engineGet('full');
    expect(engine.sizeBytes).toBe(64 * MIB);
    expect(engine.expansion).toBeUndefined();
  }, 60_000);

  it('refuses a degraded engine, and a remote member without api_address until it is grown on its node', async () => {
    await volume('noapi', 64 * MIB, 'd', false);
    const refusal = await code(engineNode.node.engineExpand('noapi', 128 * MIB));
    expect(refusal.code).toBe('ENGINE_NOT_EXPANDABLE');
    expect(refusal.message).toMatch(/no api_address.*ReplicaExpand to \d+ bytes/);
    expect((await engineNode.node.replicaGet('noapi-b')).sizeBytes).toBe(64 * MIB + HEADROOM);
    expect((await engineNode.node.engineGet('noapi')).expansion).toBeUndefined();
    // Grown on its node first, it no longer stands in the way.
    await replicaNode.node.replicaExpand('noapi-a', 128 * MIB + HEADROOM, undefined, true);
    expect((await engineNode.node.engineExpand('noapi', 128 * MIB)).sizeBytes).toBe(128 * MIB);

    await volume('lost', 64 * MIB);
    await replicaNode.node.replicaUnexpose('lost-a');
    await until('the engine to be degraded', 30_000, async () => (await engineNode.node.engineGet('lost')).state === 'degraded');
    const degraded = await code(engineNode.node.engineExpand('lost', 128 * MIB));
    expect(degraded.code).toBe('ENGINE_NOT_EXPANDABLE');
    expect(degraded.message).toMatch(/degraded/);
    expect((await engineNode.node.replicaGet('lost-b')).sizeBytes).toBe(64 * MIB + HEADROOM);
  }, 90_000);

  it('is finished by a restart from the record, whatever step a crash cut it at', async () => {
    await volume('crash', 64 * MIB);
    const stateFile = path.join(engineNode.dir, 'state.json');
    const recordExpansion = (grown: Record<string, number>) => () => {
      const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
      state.engines.crash.expanding = { sizeBytes: state.engines.crash.sizeBytes * 2, startedAtMs: Date.now(), grown };
      fs.writeFileSync(stateFile, JSON.stringify(state));
    };
    const sizes = [128 * MIB, 256 * MIB, 512 * MIB];
    // The intent written, nothing grown; the remote member grown in spdk_tgt but not yet recorded; both recorded grown.
    const crashes = [
      async () => recordExpansion({}),
      async () => {
        await replicaNode.node.replicaExpand('crash-a', sizes[1]! + HEADROOM, undefined, true);
        return recordExpansion({});
      },
      async () => {
        await replicaNode.node.replicaExpand('crash-a', sizes[2]! + HEADROOM, undefined, true);
        await engineNode.node.replicaExpand('crash-b', sizes[2]! + HEADROOM, undefined, true);
        return recordExpansion({ 'crash-a': sizes[2]! + HEADROOM, 'crash-b': sizes[2]! + HEADROOM });
      },
    ];
    for (const [i, crash] of crashes.entries()) {
      await engineNode.restart(await crash());
      const target = sizes[i]!;
      const engine = await until(`the restarted node to finish the expansion to ${target}`, 30_000, async () => {
        const e = await engineNode.node.engineGet('crash');
        return e.sizeBytes === target && e.expansion === undefined && e;
      });
      expect(engine.state).toBe('healthy');
      expect(await raidBytes('crash')).toBeGreaterThanOrEqual(target);
      expect((await replicaNode.node.replicaGet('crash-a')).sizeBytes).toBe(target + HEADROOM);
      expect((await engineNode.node.replicaGet('crash-b')).sizeBytes).toBe(target + HEADROOM);
    }
  }, 180_000);
});
