/**
 * On real spdk_tgt v26.05 (SPDK_TGT; skipped, saying so, without it): a snapshot-preserving rebuild
 * whose source snapshot a backup's stage is copying waits for that copy (v26.05 would end a second
 * copy of the snapshot EBUSY: test/real/shallow-copy-busy.test.ts), says so in its reason with the
 * stage's progress, and both finish once the stage's copy ends. The stage's copy is slowed by a
 * 1 MiB/s QoS write limit on its staging bdev so that the rebuild surely comes while it runs.
 * Node A holds the engine and its source member, node B the new member (NVMe/TCP loopback).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import type { CopyRecord } from '../../src/domain/node/state-records.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { ddOk, HAS_DD, MIB, RealNode, SPDK_TGT, startPair, until } from './helpers/real-node.js';

const ENGINE_HOST = 'nqn.2024-11.io.spdk-conductor:engine:real-copyq';
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000e7';
const SIZE = 64 * MIB;
const DATA = 16 * MIB;
const STEP_MS = 120_000;

if (!SPDK_TGT) console.log('test/real/copy-beside-backup: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT || !HAS_DD)('a rebuild copying a snapshot a backup stages, on real spdk_tgt (SPDK_TGT, spdk_dd beside it)', () => {
  let a: RealNode;
  let b: RealNode;
  let rpc: SimClient;

  async function remote(replica: string): Promise<EngineReplicaSpec> {
    const info = await b.domain.replicaCreate(replica, 'db', SIZE, undefined, [ENGINE_HOST]);
    return { name: replica, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: b.apiAddress };
  }
  const copies = () => (JSON.parse(fs.readFileSync(path.join(a.dir, 'state.json'), 'utf8')) as { copies?: Record<string, CopyRecord> }).copies ?? {};

  beforeAll(async () => {
    [a, b] = await startPair(RealNode.start('a', { env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '250' } }), RealNode.start('b'));
    await a.domain.diskCreate({ name: 'da', path: a.diskFile('da', 512) });
    await b.domain.diskCreate({ name: 'db', path: b.diskFile('db', 512) });
    await a.domain.backups.targetSet({ kind: 'fs', path: path.join(a.dir, 'target') });
    rpc = await SimClient.connect(a.target.socket);
  }, 180_000);

  afterAll(async () => {
    rpc?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it(
    'the rebuild waits for the stage, saying so with its progress; both finish and nothing is left',
    async () => {
      await a.domain.replicaCreate('a50', 'da', SIZE);
      const made = await a.domain.engineCreate({ name: 'v5', sizeBytes: SIZE, replicas: [{ name: 'a50', kind: 'local' }, await remote('b50')], frontend: 'export-only', hostNqns: [HOST] });
      const input = path.join(a.dir, 'input');
      fs.writeFileSync(input, randomBytes(DATA));
      await ddOk(a.dir, made.frontend!, { write: input }, DATA, { hostnqn: HOST });
      await a.domain.engineSnapshotCreate({ engine: 'v5', name: 'base' });

      const job = await a.domain.backups.backupCreate({ replica: 'a50', snapshot: 'base', volume: 'v5' });
      // Slowed as soon as it is recorded (its staging bdev made, the copy about to start): on a fast
      // machine the 16 MiB copy was over by the time its operation id was in the state file.
      const recorded = await until('the stage copy recorded', STEP_MS, () => Object.values(copies())[0], 5);
      await rpc.call('bdev_set_qos_limit', { name: recorded.dst, w_mbytes_per_sec: 1 });
      const copy = await until('the stage copy recorded with its operation id', STEP_MS, () => Object.values(copies()).find((c) => c.operation !== undefined));
      const slowed = await rpc.call<{ state: string }>('bdev_lvol_check_shallow_copy', { operation_id: copy.operation });
      expect(slowed.state, 'the copy ended before it could be slowed').toBe('in progress');

      await a.domain.engineReplicaRemove('v5', 'b50');
      await a.domain.engineReplicaAdd('v5', await remote('b51'));
      const waiting = await until('the rebuild waiting for the stage', STEP_MS, async () => {
        const r = await a.domain.rebuildGet('v5', 'b51');
        if (['done', 'failed', 'cancelled'].includes(r.state)) throw new Error(`rebuild ended ${r.state}: ${r.reason}`);
        return / waits for backup /.test(r.reason) && r;
      });
      expect(waiting.reason).toMatch(new RegExp(`waits for backup ${job.id}'s copy of the snapshot to end, \\d+ of \\d+ clusters copied`));

      await rpc.call('bdev_set_qos_limit', { name: copy.dst, w_mbytes_per_sec: 0 });
      const end = await until('the rebuild to end', STEP_MS, async () => {
        const r = await a.domain.rebuildGet('v5', 'b51');
        return ['done', 'failed', 'cancelled'].includes(r.state) && r;
      });
      expect(end.state, end.reason).toBe('done');
      expect(end.path, end.pathReason).toBe('snapshot-preserving');
      expect(end.snapshots.map((x) => [x.name, x.state])).toEqual([['base', 'copied']]);
      const backup = await until('the backup to end', STEP_MS, () => (['done', 'failed', 'cancelled'].includes(a.domain.backups.jobGet(job.id).state) ? a.domain.backups.jobGet(job.id) : undefined));
      expect(backup.state, backup.reason).toBe('done');
      await until('no copy record, copy controller or staging bdev left on A', STEP_MS, async () => {
        const bdevs = (await rpc.call<Array<{ name: string }>>('bdev_get_bdevs')).map((x) => x.name);
        return Object.keys(copies()).length === 0 && !bdevs.some((n) => n.startsWith('bk-') || n.startsWith('cp.'));
      });
    },
    4 * STEP_MS,
  );
});
