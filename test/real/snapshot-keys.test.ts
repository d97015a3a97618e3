/**
 * On real spdk_tgt v26.05 (SPDK_TGT; skipped, saying so, without it): snapshot-preserving rebuilds
 * onto new members whose exports require bidirectional DH-HMAC-CHAP, then TLS. Node A holds the
 * engine and its local source member, node B the new members (NVMe/TCP loopback); the nodes call
 * each other over mutual TLS. A's copy attaches B's export as the per-copy host with per-copy keys:
 * the snapshot arrives on the new member, B's export ends with the engine's host alone (its keys
 * kept), and A's keyring holds no key of the copy afterwards. With spdk_dd beside SPDK_TGT data is
 * written first, so the snapshot copied is not empty.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec, HostSecrets } from '../../src/domain/model.js';
import { keyName } from '../../src/domain/node/naming.js';
import { mutualTlsEnv } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dhchapKey, tlsPsk } from '../sim/helpers/key-files.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { ddOk, HAS_DD, MIB, RealNode, SPDK_TGT, startPair, until } from './helpers/real-node.js';

const ENGINE_HOST = 'nqn.2024-11.io.spdk-conductor:engine:real-snapkeys';
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000f3';
const SIZE = 32 * MIB;
const DATA = 8 * MIB;
const STEP_MS = 120_000;

if (!SPDK_TGT) console.log('test/real/snapshot-keys: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('snapshot-preserving rebuilds onto protected members, on real spdk_tgt (SPDK_TGT)', () => {
  let a: RealNode;
  let b: RealNode;
  let rpc: SimClient;

  async function remote(replica: string, secrets: HostSecrets): Promise<EngineReplicaSpec> {
    const info = await b.domain.replicaCreate(replica, 'db', SIZE, undefined, [ENGINE_HOST], new Map([[ENGINE_HOST, secrets]]));
    return { name: replica, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: b.apiAddress };
  }

  async function replace(out: string, replica: string, secrets: HostSecrets) {
    await a.domain.engineReplicaRemove('sk', out);
    await a.domain.engineReplicaAdd('sk', await remote(replica, secrets), undefined, secrets);
    const end = await until(`rebuild of ${replica}`, STEP_MS, async () => {
      const r = await a.domain.rebuildGet('sk', replica);
      return ['done', 'failed', 'cancelled'].includes(r.state) && r;
    });
    expect(end.state, end.reason).toBe('done');
    expect(end.path, end.pathReason).toBe('snapshot-preserving');
    expect(end.snapshots.map((x) => [x.name, x.state])).toEqual([['base', 'copied']]);
    const source = await a.domain.snapshotList('a0');
    const copied = await b.domain.snapshotList(replica);
    expect(copied.map((x) => [x.name, x.allocatedBytes])).toEqual(source.map((x) => [x.name, x.allocatedBytes]));
    // A holds the keys of its members only (the copy's were released), and no copy controller.
    const keyring = (await rpc.call<Array<{ name: string }>>('keyring_get_keys')).map((k) => k.name);
    expect(keyring.filter((name) => !Object.values(secrets).some((s) => keyName(s) === name))).toEqual([]);
    expect((await rpc.call<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name).filter((n) => n.startsWith('cp.'))).toEqual([]);
    return (await b.domain.replicaGet(replica)).export!;
  }

  beforeAll(async () => {
    const tls = await mutualTlsEnv(tempDir('real-snapkeys-'), 'real snapkeys CA');
    [a, b] = await startPair(RealNode.start('a', { env: { ...tls, CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '250' } }), RealNode.start('b', { env: tls }));
    await a.domain.diskCreate({ name: 'da', path: a.diskFile('da', 256) });
    await b.domain.diskCreate({ name: 'db', path: b.diskFile('db', 256) });
    rpc = await SimClient.connect(a.target.socket);
  }, 180_000);

  afterAll(async () => {
    rpc?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it(
    'copies the snapshot onto a DH-HMAC-CHAP member, then onto a TLS member',
    async () => {
      await a.domain.replicaCreate('a0', 'da', SIZE);
      const first = { dhchapKey: dhchapKey(), dhchapCtrlrKey: dhchapKey() };
      const made = await a.domain.engineCreate(
        { name: 'sk', sizeBytes: SIZE, replicas: [{ name: 'a0', kind: 'local' }, await remote('b0', first)], frontend: 'export-only', hostNqns: [HOST] },
        undefined,
        new Map([['b0', first]]),
      );
      expect(made.superblock).toBe(false);
      if (HAS_DD) {
        const input = path.join(a.dir, 'input');
        fs.writeFileSync(input, randomBytes(DATA));
        await ddOk(a.dir, made.frontend!, { write: input }, DATA, { hostnqn: HOST });
      }
      await a.domain.engineSnapshotCreate({ engine: 'sk', name: 'base' });

      const chap = await replace('b0', 'b1', { dhchapKey: dhchapKey(), dhchapCtrlrKey: dhchapKey() });
      expect(chap.hostNqns).toEqual([ENGINE_HOST]);
      expect(chap.hostAuth).toEqual([{ nqn: ENGINE_HOST, dhchap: 'bidirectional', tls: false }]);

      const tls = await replace('b1', 'b2', { psk: tlsPsk() });
      expect(tls.hostNqns).toEqual([ENGINE_HOST]);
      expect(tls.secureChannel).toBe(true);
      expect(tls.hostAuth).toEqual([{ nqn: ENGINE_HOST, dhchap: 'none', tls: true }]);
      expect((await a.domain.engineGet('sk')).state).toBe('healthy');
    },
    3 * STEP_MS,
  );
});
