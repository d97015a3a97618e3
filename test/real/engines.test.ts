/**
 * Engines against real spdk_tgt v26.05 (SPDK_TGT names its binary; skipped, saying so, when it is
 * not set): two nodes on one machine (test/real/helpers/real-node.ts: one core mask, their own
 * hugepage prefixes, --no-huge where the machine has no free hugepages), the engine node A with a
 * local replica, the replica node B exporting to A over NVMe/TCP loopback. Data is written and read
 * by spdk_dd beside SPDK_TGT as a host of the engine's export; without spdk_dd the data checks are
 * skipped, saying so, and only what the service shows is checked. Every write writes the same
 * 16 MiB, so the volume's first 16 MiB always read back as that file.
 *
 * The cases run in order on the same nodes: engine over a local and a remote replica; a full
 * rebuild with its data read back from the new member alone; a rebuild from B of a superblock engine
 * whose members have snapshots (the raid path); a snapshot-preserving rebuild of an engine without
 * a superblock (A's snapshot shallow-copied into a new member on B, whose data read alone is the
 * volume);
 * replica loss under writes (B's spdk_tgt killed: the member out within the budget, the host's
 * write never fails); the service restarted mid-rebuild (throttled so that it is seen mid-way); A's spdk_tgt killed and the node
 * reconciled; a DH-HMAC-CHAP member; a backup, its restore, and a volume over two restores of it. About 3-5 minutes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo, EngineReplicaSpec, HostSecrets } from '../../src/domain/model.js';
import { dhchapKey } from '../sim/helpers/key-files.js';
import { dd, ddOk, HAS_DD, md5, MIB, RealNode, SPDK_DD, SPDK_TGT, startPair, until } from './helpers/real-node.js';

const ENGINE_HOST = 'nqn.2024-11.io.spdk-conductor:engine:real-a';
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000e1';
const SIZE = 64 * MIB;
const DATA = 16 * MIB;
/** The replica budget, scaled down (integer seconds are SPDK's unit): member out by ~2 s, controller gone by ~3 s. */
const BUDGET = { reconnect: 1, fastIoFail: 1, ctrlrLoss: 2 };
/** The host (spdk_dd) rides out a member's loss: its own loss timeout is well past the replica's. */
const HOST_TIMEOUTS = { ctrlr_loss_timeout_sec: 30, reconnect_delay_sec: 1 };
const STEP_MS = 120_000;
/** Node A's rebuild bandwidth, MiB/s; SLOW_MB_SEC while a rebuild must be caught mid-way. */
const REBUILD_MB_SEC = 16;
const SLOW_MB_SEC = 4;

if (!SPDK_TGT) console.log('test/real/engines: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');
else if (!HAS_DD) console.log(`test/real/engines: ${SPDK_DD} not found: data is not written or read, only what the service shows is checked`);

describe.skipIf(!SPDK_TGT)('engines across real spdk_tgt targets (SPDK_TGT)', () => {
  let a: RealNode;
  let b: RealNode;
  let input: string;
  let reads = 0;

  /** A replica on B for an engine on A; `size` exactly the volume's makes an engine without a raid superblock. */
  async function remote(replica: string, secrets?: HostSecrets, size = SIZE + 4 * MIB): Promise<EngineReplicaSpec> {
    const info = await b.domain.replicaCreate(replica, 'db', size, undefined, [ENGINE_HOST], secrets ? new Map([[ENGINE_HOST, secrets]]) : undefined);
    return { name: replica, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: b.apiAddress };
  }

  async function engine(volume = 'v1'): Promise<EngineInfo> {
    return a.domain.engineGet(volume);
  }

  async function rebuilt(replica: string, volume = 'v1') {
    const end = await until(`rebuild of ${replica}`, STEP_MS, async () => {
      const r = await a.domain.rebuildGet(volume, replica);
      return ['done', 'failed', 'cancelled'].includes(r.state) && r;
    });
    expect(end.state, end.reason).toBe('done');
    return end;
  }

  /** The volume's first 16 MiB, read by spdk_dd from the engine's export, are the file written. */
  async function readBack(why: string, volume = 'v1'): Promise<void> {
    if (!HAS_DD) return;
    const frontend = (await engine(volume)).frontend!;
    const out = path.join(a.dir, `read-${++reads}`);
    await ddOk(a.dir, frontend, { read: out }, DATA, { hostnqn: HOST });
    expect(md5(out), why).toBe(md5(input));
  }

  beforeAll(async () => {
    const budget = {
      CONDUCTOR_TIMEOUTS_REPLICA_RECONNECT_DELAY_SEC: String(BUDGET.reconnect),
      CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: String(BUDGET.fastIoFail),
      CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: String(BUDGET.ctrlrLoss),
      CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '1000',
      CONDUCTOR_TIMEOUTS_HOST_IO_TIMEOUT_SEC: '30',
      CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '30',
      CONDUCTOR_TIMEOUTS_HOST_RECONNECT_DELAY_SEC: '1',
    };
    [a, b] = await startPair(
      RealNode.start('a', { env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '250', CONDUCTOR_REBUILD_MAX_MB_SEC: String(REBUILD_MB_SEC), ...budget } }),
      RealNode.start('b'),
    );
    await a.domain.diskCreate({ name: 'da', path: a.diskFile('da', 1024) });
    await b.domain.diskCreate({ name: 'db', path: b.diskFile('db', 1024) });
    input = path.join(a.dir, 'input');
    fs.writeFileSync(input, randomBytes(DATA));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it(
    'makes an engine over a local and a remote replica; the host writes and reads it',
    async () => {
      await a.domain.replicaCreate('a1', 'da', SIZE + 4 * MIB);
      const info = await a.domain.engineCreate({ name: 'v1', sizeBytes: SIZE, replicas: [{ name: 'a1', kind: 'local' }, await remote('b1')], frontend: 'export-only', hostNqns: [HOST] });
      expect(info.state).toBe('healthy');
      expect(info.members.map((m) => [m.name, m.state])).toEqual([
        ['a1', 'healthy'],
        ['b1', 'healthy'],
      ]);
      if (HAS_DD) await ddOk(a.dir, info.frontend!, { write: input }, DATA, { hostnqn: HOST });
      await readBack('written through the engine');
    },
    STEP_MS,
  );

  it(
    'rebuilds a new remote member whose data, read alone, is the volume',
    async () => {
      await a.domain.engineReplicaRemove('v1', 'b1');
      await a.domain.engineReplicaAdd('v1', await remote('b2'));
      await rebuilt('b2');
      // Only b2 left under the raid: what the host reads comes from it.
      await a.domain.engineReplicaRemove('v1', 'a1');
      await readBack('read from the rebuilt member alone');
      await a.domain.replicaCreate('a2', 'da', SIZE + 4 * MIB);
      await a.domain.engineReplicaAdd('v1', { name: 'a2', kind: 'local' });
      await rebuilt('a2');
      expect((await engine()).state).toBe('healthy');
      await b.domain.replicaDelete('b1', undefined, true);
      await a.domain.replicaDelete('a1', undefined, true);
    },
    2 * STEP_MS,
  );

  it(
    // A superblock engine: its members' snapshots hold the raid's superblock, and spdk_tgt refuses a
    // new member cloned from them (-22), so the rebuild takes the raid path and says why.
    'rebuilds from B by the raid path when the members of a superblock engine have snapshots',
    async () => {
      for (const [node, replica] of [
        [a, 'a2'],
        [b, 'b2'],
      ] as const)
        await node.domain.snapshotCreate({ replicaName: replica, name: 'base' });
      await a.domain.engineReplicaRemove('v1', 'b2');
      await a.domain.engineReplicaAdd('v1', await remote('b3'));
      const end = await rebuilt('b3');
      expect(end.path, end.pathReason).toBe('raid');
      expect(end.pathReason).toMatch(/keeps a raid superblock on its members/);
      expect(await b.domain.snapshotList('b3')).toEqual([]);
      await readBack('after the rebuild of b3');
      await b.domain.replicaDelete('b2', undefined, true);
    },
    STEP_MS,
  );

  it(
    // No superblock (members exactly the volume's size): the snapshot chain can be copied. A's
    // local member is the source; its node shallow-copies the snapshot over NVMe/TCP into the new
    // member on B, B snapshots it under the same name, then the raid rebuild copies the volume.
    'rebuilds an engine without a superblock by the snapshot-preserving path, from A into a new member on B',
    async () => {
      await a.domain.replicaCreate('a30', 'da', SIZE);
      const made = await a.domain.engineCreate({
        name: 'v3',
        sizeBytes: SIZE,
        replicas: [{ name: 'a30', kind: 'local' }, await remote('b30', undefined, SIZE)],
        frontend: 'export-only',
        hostNqns: [HOST],
      });
      expect(made.superblock).toBe(false);
      expect(made.state).toBe('healthy');
      if (HAS_DD) await ddOk(a.dir, made.frontend!, { write: input }, DATA, { hostnqn: HOST });
      await a.domain.engineSnapshotCreate({ engine: 'v3', name: 'base' });
      expect((await a.domain.snapshotList('a30')).map((s) => s.name)).toEqual(['base']);

      await a.domain.engineReplicaRemove('v3', 'b30');
      await a.domain.engineReplicaAdd('v3', await remote('b31', undefined, SIZE));
      const end = await rebuilt('b31', 'v3');
      expect(end.path, end.pathReason).toBe('snapshot-preserving');
      expect(end.sourceReplica).toBe('a30');
      expect(end.snapshots.map((x) => [x.name, x.state])).toEqual([['base', 'copied']]);
      expect((await b.domain.snapshotList('b31')).map((x) => x.name)).toEqual(['base']);
      // Only b31 left under the raid: what the host reads comes from the new member alone.
      await a.domain.engineReplicaRemove('v3', 'a30');
      expect((await engine('v3')).members.map((m) => [m.name, m.state])).toEqual([['b31', 'healthy']]);
      await readBack('read from the snapshot-preserving rebuilt member alone', 'v3');

      await a.domain.engineDelete('v3');
      await a.domain.replicaDelete('a30', undefined, true);
      await b.domain.replicaDelete('b30', undefined, true);
      await b.domain.replicaDelete('b31', undefined, true);
    },
    2 * STEP_MS,
  );

  it(
    'loses the remote member under writes: out within the budget, no host write fails',
    async () => {
      const frontend = (await engine()).frontend!;
      const writer = HAS_DD ? dd(a.dir, frontend, { write: input }, DATA, { hostnqn: HOST, timeouts: HOST_TIMEOUTS }) : null;
      const killed = Date.now();
      await b.target.kill();
      const out = await until('the remote member out', STEP_MS, async () => {
        const info = await engine();
        return info.members.find((m) => m.name === 'b3')?.state !== 'healthy' && info;
      });
      const outMs = Date.now() - killed;
      expect(out.state).toBe('degraded');
      // fast-io-fail at the first reconnect tick after it, plus the monitor's period and a loaded machine's slack.
      expect(outMs).toBeLessThan((BUDGET.ctrlrLoss + BUDGET.reconnect) * 1000 + 5000);
      if (writer) {
        const { code, output } = await writer.done;
        expect(code, output).toBe(0);
      }
      await readBack('written while the member was lost');
      // B comes back (its node reconciled: disk and exports made again) for the next cases.
      await b.target.start();
      await until('B ready again', STEP_MS, () => b.service.readiness().ready);
      await a.domain.engineReplicaRemove('v1', 'b3');
      await b.domain.replicaDelete('b3', undefined, true);
    },
    2 * STEP_MS,
  );

  it(
    'restarts the engine node service mid-rebuild: the rebuild is adopted and ends',
    async () => {
      // spdk_tgt takes the bandwidth a rebuild starts with: at 4 MiB/s this one runs ~17 s, long
      // enough to be seen mid-way on a loaded machine. The restart after it sets 16 again for the next.
      await a.restartService({ CONDUCTOR_REBUILD_MAX_MB_SEC: String(SLOW_MB_SEC) });
      await a.domain.engineReplicaAdd('v1', await remote('b4'));
      const seen = await until('the rebuild under way', STEP_MS, async () => {
        const r = await a.domain.rebuildGet('v1', 'b4');
        return ['rebuilding', 'done', 'failed', 'cancelled'].includes(r.state) && r;
      });
      expect(seen.state, `the rebuild must be mid-way when the service restarts: ${seen.reason}`).toBe('rebuilding');
      expect(seen.percent).toBeLessThan(100);
      await a.restartService({ CONDUCTOR_REBUILD_MAX_MB_SEC: String(REBUILD_MB_SEC) });
      // Adopted as spdk_tgt's running raid process, or (caught in its snapshot copies) started again:
      // then queued until the line's pump gives it its slot, a moment later.
      const after = await a.domain.rebuildGet('v1', 'b4');
      expect(['queued', 'rebuilding', 'done'], after.reason).toContain(after.state);
      if (after.state === 'queued') expect(after.reason).toMatch(/^service restarted/);
      await rebuilt('b4');
      expect((await engine()).state).toBe('healthy');
      await readBack('after a rebuild across a service restart');
    },
    2 * STEP_MS,
  );

  it(
    "kills the engine node's spdk_tgt: the node reconciles and the engine is whole again",
    async () => {
      const before = await engine();
      await a.restartTarget();
      const after = await until('the engine healthy again', STEP_MS, async () => {
        const info = await engine();
        return info.state === 'healthy' && info;
      });
      expect(after.frontend).toEqual(before.frontend);
      expect(after.members.map((m) => m.name)).toEqual(before.members.map((m) => m.name));
      await readBack('after spdk_tgt was killed and the node reconciled');
    },
    2 * STEP_MS,
  );

  it(
    'attaches a member with DH-HMAC-CHAP (bidirectional) and rebuilds it',
    async () => {
      const secrets: HostSecrets = { dhchapKey: dhchapKey(48, 0), dhchapCtrlrKey: dhchapKey(48, 0) };
      await a.domain.engineReplicaRemove('v1', 'b4');
      await a.domain.engineReplicaAdd('v1', await remote('b5', secrets), undefined, secrets);
      await rebuilt('b5');
      const member = (await engine()).members.find((m) => m.name === 'b5')!;
      expect(member.state).toBe('healthy');
      // A host that brings no key is refused by B's export, though its NQN is allowed.
      if (HAS_DD) {
        const exported = (await b.domain.replicaGet('b5')).export!;
        const { code } = await dd(a.dir, exported, { read: path.join(a.dir, 'unauthenticated') }, 4096, { hostnqn: ENGINE_HOST }).done;
        expect(code).not.toBe(0);
      }
      await readBack('with an authenticated member');
    },
    STEP_MS,
  );

  it(
    'backs up a replica and restores it into a new one with the same data',
    async () => {
      const backup = await a.domain.backups.backupCreate({ replica: 'a2', volume: 'v1' });
      const done = await until('the backup', STEP_MS, () => {
        const job = a.domain.backups.jobGet(backup.id);
        return ['done', 'failed', 'cancelled'].includes(job.state) && job;
      });
      expect(done.state, done.reason).toBe('done');
      const restore = await a.domain.backups.restoreCreate({ volume: 'v1', backupId: done.backupId, disk: 'da', replica: 'restored' });
      const restored = await until('the restore', STEP_MS, () => {
        const job = a.domain.backups.jobGet(restore.id);
        return ['done', 'failed', 'cancelled'].includes(job.state) && job;
      });
      expect(restored.state, restored.reason).toBe('done');
      const source = await a.domain.replicaGet('a2');
      expect((await a.domain.replicaGet('restored')).sizeBytes).toBe(source.sizeBytes);
      if (HAS_DD) {
        // The replica holds the raid's superblock: the volume starts at the member's data offset.
        const raids = await a.service.client.call<Array<{ base_bdevs_list: Array<{ name: string | null; data_offset: number }> }>>('bdev_raid_get_bdevs', { category: 'all' });
        const slot = raids.flatMap((r) => r.base_bdevs_list).find((m) => m.name === source.lvolAlias || m.name === source.lvolUuid);
        if (!slot) throw new Error(`a2 (${source.lvolAlias}) is in no raid: ${JSON.stringify(raids)}`);
        const [lvol] = await a.service.client.call<Array<{ block_size: number }>>('bdev_get_bdevs', { name: source.lvolAlias });
        const exported = (await a.domain.replicaExpose('restored', [HOST])).export!;
        const out = path.join(a.dir, 'restored');
        await ddOk(a.dir, exported, { read: out }, DATA, { hostnqn: HOST, skipBytes: slot.data_offset * lvol!.block_size });
        expect(md5(out), 'the restored replica').toBe(md5(input));
      }
      // A volume over restored replicas: a second restore still holds v1's superblock (a2's first
      // cluster), cleared at the create as a fresh clone's; 'restored' was cleared at its first export.
      const again = await a.domain.backups.restoreCreate({ volume: 'v1', backupId: done.backupId, disk: 'da', replica: 'restored2' });
      const twice = await until('the second restore', STEP_MS, () => {
        const job = a.domain.backups.jobGet(again.id);
        return ['done', 'failed', 'cancelled'].includes(job.state) && job;
      });
      expect(twice.state, twice.reason).toBe('done');
      await a.domain.replicaUnexpose('restored');
      const local = (name: string): EngineReplicaSpec => ({ name, kind: 'local' });
      const made = await a.domain.engineCreate({ name: 'vr', sizeBytes: SIZE, replicas: [local('restored'), local('restored2')], frontend: 'export-only', hostNqns: [HOST] });
      expect(made.superblock).toBe(true);
      await until('vr healthy', STEP_MS, async () => (await engine('vr')).state === 'healthy');
      await readBack('the volume over restored replicas', 'vr');
      await a.domain.engineDelete('vr');
    },
    3 * STEP_MS,
  );

  it(
    // Replica salvage (docs/volume-operations.md): real spdk_tgt's examine assembles the raid from
    // the newest superblock (the local member's: the remote one was removed before the crash), so
    // the engine made again takes the local member as the source whatever the order given, and
    // the remote one is rebuilt from it.
    'salvage: a member removed while the host wrote, the engine node killed with its state lost; made again, the newer member is the source',
    async () => {
      await a.domain.replicaCreate('a3', 'da', SIZE + 4 * MIB);
      const b6 = await remote('b6');
      const made = await a.domain.engineCreate({ name: 'v2', sizeBytes: SIZE, replicas: [{ name: 'a3', kind: 'local' }, b6], frontend: 'export-only', hostNqns: [HOST] });
      expect(made.superblock).toBe(true);
      expect(made.salvage).toBeUndefined();
      expect(made.rebuilds).toEqual([]);
      if (HAS_DD) await ddOk(a.dir, made.frontend!, { write: input }, DATA, { hostnqn: HOST });
      await a.domain.engineReplicaRemove('v2', 'b6');
      const newer = path.join(a.dir, 'input-newer');
      fs.writeFileSync(newer, randomBytes(DATA));
      if (HAS_DD) await ddOk(a.dir, made.frontend!, { write: newer }, DATA, { hostnqn: HOST });

      await a.service.close();
      await a.target.kill();
      fs.rmSync(path.join(a.dir, 'state.json'));
      await a.target.start();
      await a.startService();
      await a.domain.diskCreate({ name: 'da', path: path.join(a.dir, 'da.img') });
      const again = await a.domain.engineCreate({ name: 'v2', sizeBytes: SIZE, replicas: [b6, { name: 'a3', kind: 'local' }], frontend: 'export-only', hostNqns: [HOST] });
      expect(again.salvage).toMatchObject({ source: 'a3', rule: 'superblock' });
      expect(again.salvage?.members.find((m) => m.replica === 'b6')?.verdict).toBe('rebuilt');
      const end = await until('the rebuild of b6', STEP_MS, async () => {
        const r = await a.domain.rebuildGet('v2', 'b6').catch(() => undefined);
        return r && ['done', 'failed', 'cancelled'].includes(r.state) && r;
      });
      expect(end.state, end.reason).toBe('done');
      if (HAS_DD) {
        const out = path.join(a.dir, 'read-salvaged');
        await ddOk(a.dir, again.frontend!, { read: out }, DATA, { hostnqn: HOST });
        expect(md5(out), 'the newer data').toBe(md5(newer));
      }
    },
    3 * STEP_MS,
  );
});
