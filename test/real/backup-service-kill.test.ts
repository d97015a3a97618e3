/**
 * kill -9 of the service (`serve`, the built CLI) while a real spdk_tgt v26.05 shallow-copies, for
 * a backup, a snapshot whose delete the service took (recorded `deletePending`): spdk_tgt keeps
 * copying, and the next start must not finish that delete under the copy (v26.05 half-deletes it:
 * test/real/backup-snapshot-busy.test.ts). The snapshot is a 1 GiB replica's with every cluster
 * allocated (inflated), and its copy is slowed by a QoS limit on the staging bdev it writes (1 MiB/s,
 * the smallest spdk_tgt takes), so it still runs when the service starts again; the limit is lifted
 * once the start is done. Then the delete is done, the resumed backup (whose stage waits for that
 * copy: v26.05 refuses a second copy of a snapshot a copy reads, EBUSY) finishes, and no copy
 * record or deletePending is left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { MIB, SPDK_TGT, until } from './helpers/real-node.js';
import { RealServe } from './helpers/real-serve.js';

const SIZE = 1024 * MIB;

interface Check {
  copied_clusters: number;
  total_clusters: number;
  state: string;
}
interface StateJson {
  copies?: Record<string, { lvol: string; dst: string; operation?: number }>;
  snapshots: Record<string, { deletePending?: boolean }>;
}

if (!SPDK_TGT) console.log('test/real/backup-service-kill: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('kill -9 of the service while a real spdk_tgt copies a snapshot whose delete was taken (SPDK_TGT)', () => {
  let node: RealServe;
  const state = (): StateJson => JSON.parse(fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8'));
  const snapshotLvols = async () => (await node.rpc.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('s.a.'));

  beforeAll(async () => {
    node = await RealServe.start('bkkill', 2 * SIZE + 512 * MIB, { CONDUCTOR_BACKUP_CONCURRENCY: '1' });
    const run = node.run!;
    await invoke(run.clients.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd', sizeBytes: SIZE });
    // Every cluster allocated (a thin lvol with no parent inflates to all clusters): a long copy.
    await node.rpc.call('bdev_lvol_inflate', { name: 'lvs.d/r.src' });
    await invoke(run.clients.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 'a' });
    await invoke(run.clients.backups, 'BackupTargetSet', { kind: 'fs', path: path.join(node.dir, 'target') });
  }, 300_000);

  afterAll(async () => {
    await node?.close();
  });

  it('the next start leaves the snapshot to the running copy and deletes it once the copy ends', async () => {
    const created = await invoke(node.run!.clients.backups, 'BackupCreate', { replica: 'src', snapshot: 'a', volume: 'vol' });
    const copy = await until('the copy recorded with its operation id', 60_000, () => Object.values(state().copies ?? {}).find((c) => c.operation !== undefined));
    await node.rpc.call('bdev_set_qos_limit', { name: copy.dst, w_mbytes_per_sec: 1 });
    const slowed = await node.rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: copy.operation });
    expect(slowed.state, 'the copy ended before it could be slowed').toBe('in progress');
    expect((await invoke(node.run!.clients.snapshots, 'SnapshotDelete', { replicaName: 'src', name: 'a' })).alreadyAbsent).toBe(false);
    expect(state().snapshots['src/a']?.deletePending).toBe(true);

    expect((await node.kill9()).signal).toBe('SIGKILL');
    const held = await snapshotLvols();
    expect(held).toHaveLength(1);

    const run = await node.serve();
    expect(run.output()).toMatch(/a shallow copy the previous process started still runs in spdk_tgt/);
    // Not half-deleted at start: the snapshot and its bdev are still there.
    expect(await snapshotLvols(), 'the snapshot the running copy reads was deleted under it at start').toEqual(held);
    const [bdev] = await node.rpc.call<Array<{ name: string }>>('bdev_get_bdevs', { name: `lvs.d/${held[0]}` });
    expect(bdev?.name).toBeDefined();

    await node.rpc.call('bdev_set_qos_limit', { name: copy.dst, w_mbytes_per_sec: 0 });
    await until('the taken delete done once the copy ended', 180_000, async () => (await snapshotLvols()).length === 0);
    const job = await until('the resumed backup to end', 180_000, async () => {
      const j = await invoke(node.run!.clients.backups, 'BackupGet', { id: created.id }, { deadlineMs: 10_000 });
      return ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'].includes(String(j.state)) ? j : undefined;
    });
    // The resumed stage waited for the left copy: a second copy of the locked snapshot is refused EBUSY.
    expect(job.state, job.reason).toBe('BACKUP_JOB_STATE_DONE');
    await until('no copy record or deletePending left', 60_000, () => Object.keys(state().copies ?? {}).length === 0 && state().snapshots['src/a'] === undefined);
  }, 600_000);
});
