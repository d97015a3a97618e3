/**
 * Snapshot-preserving rebuilds onto a new replica whose export requires DH-HMAC-CHAP or TLS
 * (rebuild/snapshot-path.ts, docs/architecture.md "Snapshot-preserving rebuilds onto a protected
 * replica"): over real processes, two replica nodes and an engine node calling each other over
 * mutual TLS. The source node attaches the new replica as a per-copy host with per-copy keys; the
 * new replica keeps the volume's snapshots, its export keeps only the engine's host with its own
 * keys, and the source node's keyring and key directory are as they were before the copy: after a
 * copy that succeeded and after one that failed. Without mutual TLS the keys are not sent and the
 * raid path is taken with that reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import type { EngineReplicaSpec, HostSecrets, RebuildInfo } from '../../src/domain/model.js';
import { ownerTag } from '../../src/domain/node/naming.js';
import type { RequestRewrite } from '../crash/helpers/rpc-proxy.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { checksum, ENGINE_HOST_NQN, FAST_BUDGET, Host, HOST_NQN, MIB, until } from '../engine/helpers/cluster.js';
import { mutualTlsEnv } from '../helpers/certs.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dhchapKey, tlsPsk } from '../sim/helpers/key-files.js';

const SIZE = 32 * MIB;
const IO_TIMEOUT_MS = 5000;
const OTHER_HOST = 'nqn.2014-08.org.nvmexpress:uuid:7d2f1c4a-0000-4000-8000-00000000b0b0';

const chap = (): HostSecrets => ({ dhchapKey: dhchapKey(), dhchapCtrlrKey: dhchapKey() });
const tls = (): HostSecrets => ({ psk: tlsPsk() });

/** What a node's keyring and key directory hold: the names only. */
async function keysOf(node: NodeFixture): Promise<{ keyring: string[]; files: string[] }> {
  const keyring = (await node.client.call<Array<{ name: string }>>('keyring_get_keys')).map((k) => k.name).sort();
  const dir = path.join(node.dir, 'keys');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  return { keyring, files };
}

async function rebuildEnd(engineNode: NodeFixture, engine: string, replica: string): Promise<RebuildInfo> {
  return until(
    `rebuild of ${replica} into ${engine} to end`,
    60_000,
    async () => {
      const r = await engineNode.node.rebuildGet(engine, replica);
      return ['done', 'failed', 'cancelled'].includes(r.state) && r;
    },
    50,
  );
}

describe('a snapshot-preserving rebuild onto a protected replica, peers over mutual TLS', () => {
  let nodes: NodeFixture[] = [];
  let engineNode: NodeFixture;
  let host: Host;
  /** While set, the source node's spdk_tgt is asked to copy into a bdev that does not exist: the copy fails. */
  let failCopies = false;
  const fixtures: NodeFixture[] = [];

  /** Replica `name` on node i, exposed to the engine's host with `secrets`, as a member spec. */
  async function member(i: number, name: string, secrets: HostSecrets): Promise<EngineReplicaSpec> {
    const node = nodes[i]!;
    const info = await node.node.replicaCreate(name, 'd', SIZE, undefined, [ENGINE_HOST_NQN], new Map([[ENGINE_HOST_NQN, secrets]]));
    return { name, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: node.apiAddress! };
  }

  /** Replaces the engine's member `out` by a new replica `name` on node 1 with `secrets`, and waits for its rebuild. */
  async function replace(out: string, name: string, secrets: HostSecrets): Promise<RebuildInfo> {
    await engineNode.node.engineReplicaRemove('kc', out);
    await engineNode.node.engineReplicaAdd('kc', await member(1, name, secrets), undefined, secrets);
    return rebuildEnd(engineNode, 'kc', name);
  }

  /** Replaces member `out` by `name`, whose export requires `secrets`: the rebuild takes the snapshot path and copies both snapshots. */
  async function replacedKeepingSnapshots(out: string, name: string, secrets: HostSecrets): Promise<void> {
    const rebuild = await replace(out, name, secrets);
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path, rebuild.pathReason).toBe('snapshot-preserving');
    expect(rebuild.snapshots.map((s) => [s.name, s.state])).toEqual([
      ['s1', 'copied'],
      ['s2', 'copied'],
    ]);
    await expectSnapshotsCopied(name);
  }

  async function expectSnapshotsCopied(replica: string): Promise<void> {
    const sourceSnaps = await nodes[0]!.node.snapshotList('kc-r0');
    const targetSnaps = await nodes[1]!.node.snapshotList(replica);
    expect(targetSnaps.map((s) => s.name)).toEqual(['s1', 's2']);
    for (const [i, snap] of sourceSnaps.entries()) {
      expect(targetSnaps[i]!.allocatedBytes, `${snap.name} allocation`).toBe(snap.allocatedBytes);
      expect(await checksum(nodes[1]!.client, `lvs.d/s.${snap.name}.${ownerTag(replica)}`), `${snap.name} data`).toBe(await checksum(nodes[0]!.client, `lvs.d/s.${snap.name}.${ownerTag('kc-r0')}`));
    }
    expect(await checksum(nodes[1]!.client, `lvs.d/r.${replica}`)).toBe(host.expectedChecksum());
  }

  async function copyControllers(): Promise<string[]> {
    return (await nodes[0]!.client.call<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name);
  }

  beforeAll(async () => {
    const tlsEnv = await mutualTlsEnv(tempDir('snapkeys-'), 'snapkeys CA');
    const failing: RequestRewrite = (request) => {
      if (!failCopies || request.method !== 'bdev_lvol_start_shallow_copy') return request;
      return { ...request, params: { ...(request.params as object), dst_bdev_name: 'no-such-bdev' } };
    };
    nodes = await Promise.all(
      [0, 1].map(async (i) => {
        const portMin = portBlock();
        const fixture = await startNode({ portMin, api: true, ...(i === 0 ? { rewriteCalls: failing } : {}), env: { ...tlsEnv, CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_HOST_NQN}-${portMin}` } });
        fixtures.push(fixture);
        await fixture.node.diskCreate({ name: 'd', path: fixture.diskFile('d', 512) });
        return fixture;
      }),
    );
    engineNode = await startNode({ portMin: portBlock(), api: true, env: { ...tlsEnv, CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', ...FAST_BUDGET } });
    fixtures.push(engineNode);
    const keys0 = chap();
    const keys1 = chap();
    const members = [await member(0, 'kc-r0', keys0), await member(1, 'kc-r1', keys1)];
    const engine = await engineNode.node.engineCreate(
      { name: 'kc', sizeBytes: SIZE, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] },
      undefined,
      new Map([
        ['kc-r0', keys0],
        ['kc-r1', keys1],
      ]),
    );
    host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
    for (const snapshot of ['s1', 's2']) {
      for (let i = 0; i < 20; i++) await host.writeOne(IO_TIMEOUT_MS);
      await Promise.all(members.map((m, i) => nodes[i]!.node.snapshotCreate({ replicaName: m.name, name: snapshot, labels: { volume: 'kc' } })));
    }
    for (let i = 0; i < 10; i++) await host.writeOne(IO_TIMEOUT_MS);
    expect(host.failures).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    for (const fixture of fixtures.reverse()) await fixture.close();
  });

  it('keeps the snapshot chain on a new replica that requires bidirectional DH-HMAC-CHAP; the copy keys are gone after', async () => {
    const before = await keysOf(nodes[0]!);
    await replacedKeepingSnapshots('kc-r1', 'kc-r1b', chap());
    // The export is back to the engine's host alone, with its own keys; the copy host is gone.
    const exported = (await nodes[1]!.node.replicaGet('kc-r1b')).export!;
    expect(exported.hostNqns).toEqual([ENGINE_HOST_NQN]);
    expect(exported.hostAuth).toEqual([{ nqn: ENGINE_HOST_NQN, dhchap: 'bidirectional', tls: false }]);
    // The source node holds no key of the copy and no copy controller.
    expect(await keysOf(nodes[0]!)).toEqual(before);
    expect(await copyControllers()).toEqual([]);
    const engine = await engineNode.node.engineGet('kc');
    expect(engine.state, engine.reason).toBe('healthy');
  }, 90_000);

  it('keeps the snapshot chain on a new replica whose export is TLS (a per-copy PSK)', async () => {
    const before = await keysOf(nodes[0]!);
    await replacedKeepingSnapshots('kc-r1b', 'kc-r1t', tls());
    const exported = (await nodes[1]!.node.replicaGet('kc-r1t')).export!;
    expect(exported.hostNqns).toEqual([ENGINE_HOST_NQN]);
    expect(exported.secureChannel).toBe(true);
    expect(exported.hostAuth).toEqual([{ nqn: ENGINE_HOST_NQN, dhchap: 'none', tls: true }]);
    expect(await keysOf(nodes[0]!)).toEqual(before);
    expect(await copyControllers()).toEqual([]);
  }, 90_000);

  it('removes the copy keys and the copy host after a copy that failed, and falls back to the raid rebuild', async () => {
    const before = await keysOf(nodes[0]!);
    failCopies = true;
    let rebuild: RebuildInfo;
    try {
      rebuild = await replace('kc-r1t', 'kc-r1f', chap());
    } finally {
      failCopies = false;
    }
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path).toBe('raid');
    expect(rebuild.pathReason).toMatch(/^snapshot copy failed \(.*\); fell back to the raid rebuild$/);
    expect(await keysOf(nodes[0]!)).toEqual(before);
    expect(await copyControllers()).toEqual([]);
    const exported = (await nodes[1]!.node.replicaGet('kc-r1f')).export!;
    expect(exported.hostNqns).toEqual([ENGINE_HOST_NQN]);
    expect(exported.hostAuth).toEqual([{ nqn: ENGINE_HOST_NQN, dhchap: 'bidirectional', tls: false }]);
    expect(await checksum(nodes[1]!.client, 'lvs.d/r.kc-r1f')).toBe(host.expectedChecksum());
  }, 90_000);

  it('EXPOSE_MODE_REMOVE takes away the named hosts only; the others keep their keys', async () => {
    const node = nodes[1]!;
    await node.node.replicaCreate('kc-x', 'd', 4 * MIB, undefined, [ENGINE_HOST_NQN], new Map([[ENGINE_HOST_NQN, chap()]]));
    await node.node.replicaExpose('kc-x', [OTHER_HOST], undefined, 'add', new Map([[OTHER_HOST, { dhchapKey: dhchapKey() }]]));
    const keysWithOther = (await keysOf(node)).keyring.length;
    const removed = await node.node.replicaExpose('kc-x', [OTHER_HOST], undefined, 'remove');
    expect(removed.export!.hostAuth).toEqual([{ nqn: ENGINE_HOST_NQN, dhchap: 'bidirectional', tls: false }]);
    // The removed host's key went with it.
    expect((await keysOf(node)).keyring.length).toBe(keysWithOther - 1);
    // A host not there: nothing to do. Every host: refused (that is an unexpose).
    expect((await node.node.replicaExpose('kc-x', [OTHER_HOST], undefined, 'remove')).export!.hostNqns).toEqual([ENGINE_HOST_NQN]);
    const refused = await node.node.replicaExpose('kc-x', [ENGINE_HOST_NQN], undefined, 'remove').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConductorError);
    expect((refused as ConductorError).code).toBe('INVALID_NQN');
    expect((await node.node.replicaGet('kc-x')).export!.hostAuth).toEqual([{ nqn: ENGINE_HOST_NQN, dhchap: 'bidirectional', tls: false }]);
    await node.node.replicaDelete('kc-x', undefined, true);
  }, 30_000);
});

describe('a protected new replica reached over plain TCP', () => {
  let engineNode: NodeFixture;
  let replicaNode: NodeFixture;

  beforeAll(async () => {
    const portMin = portBlock();
    replicaNode = await startNode({ portMin, api: true, env: { CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_HOST_NQN}-${portMin}` } });
    await replicaNode.node.diskCreate({ name: 'd', path: replicaNode.diskFile('d', 256) });
    engineNode = await startNode({ portMin: portBlock(), api: true, env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', ...FAST_BUDGET } });
    await engineNode.node.diskCreate({ name: 'd', path: engineNode.diskFile('d', 256) });
  }, 60_000);

  afterAll(async () => {
    await engineNode?.close();
    await replicaNode?.close();
  });

  it('is rebuilt by the raid: the copy keys are not sent in the clear, and the reason says so', async () => {
    const remote = async (name: string, secrets: HostSecrets): Promise<EngineReplicaSpec> => {
      const info = await replicaNode.node.replicaCreate(name, 'd', SIZE, undefined, [ENGINE_HOST_NQN], new Map([[ENGINE_HOST_NQN, secrets]]));
      return { name, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: replicaNode.apiAddress! };
    };
    await engineNode.node.replicaCreate('pl-r0', 'd', SIZE);
    const keys1 = chap();
    await engineNode.node.engineCreate(
      { name: 'pl', sizeBytes: SIZE, replicas: [{ name: 'pl-r0', kind: 'local' }, await remote('pl-r1', keys1)], frontend: 'export-only', hostNqns: [HOST_NQN] },
      undefined,
      new Map([['pl-r1', keys1]]),
    );
    await engineNode.node.snapshotCreate({ replicaName: 'pl-r0', name: 's1', labels: { volume: 'pl' } });
    await engineNode.node.engineReplicaRemove('pl', 'pl-r1');
    const keys2 = chap();
    await engineNode.node.engineReplicaAdd('pl', await remote('pl-r2', keys2), undefined, keys2);
    const rebuild = await rebuildEnd(engineNode, 'pl', 'pl-r2');
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path).toBe('raid');
    expect(rebuild.pathReason).toBe(
      `new replica pl-r2's export requires DH-HMAC-CHAP or TLS, and calls to node ${replicaNode.apiAddress} are not over mutual TLS (client.tls.* is not set): the copy's keys are not sent in the clear, so its snapshots are not copied`,
    );
    expect((await replicaNode.node.replicaGet('pl-r2')).export!.hostNqns).toEqual([ENGINE_HOST_NQN]);
  }, 90_000);
});
