/**
 * A restore over NVMe/TCP (backup.restoreVia nvmf-tcp, the default) on a real spdk_tgt v26.05, with
 * kill -9 of the service (`serve`, the built CLI) mid-download: the restore's lvol b.<replica> and
 * its loopback subsystem (with the DH-HMAC-CHAP key pair of its host entry, in spdk_tgt's keyring
 * and the service's key directory) are left, the next start deletes them (subsystem first, keys
 * after) and restarts the restore, which makes a replica whose bytes are the backed-up ones. The data is
 * written into the source replica, and read back from the restored one, by the service's own
 * NVMe/TCP host through exports of them. The restore is held mid-download by a QoS limit on its
 * lvol (1 MiB/s, the smallest spdk_tgt takes), found once the export exists.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { restoreNqn } from '../../src/domain/node/naming.js';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { MIB, SPDK_TGT, until } from './helpers/real-node.js';
import { RealServe } from './helpers/real-serve.js';

const SIZE = 64 * MIB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:6b0c1f52-3f3e-4d0b-9a55-1c0ffee0c0de';

if (!SPDK_TGT) console.log('test/real/restore-nvmf-kill: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('kill -9 of the service mid-restore over NVMe/TCP on a real spdk_tgt (SPDK_TGT)', () => {
  let node: RealServe;
  /** Data in 8 of the volume's 32 clusters (2 MiB each), the rest never written. */
  const written = Buffer.alloc(SIZE);

  const leftovers = async () => ({
    lvols: (await node.rpc.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.')),
    subsystems: (await node.rpc.call<Array<{ nqn: string }>>('nvmf_get_subsystems')).map((s) => s.nqn).filter((n) => n.includes(':restore:')),
    // Only the restore makes keys here.
    keys: (await node.rpc.call<Array<{ name: string }>>('keyring_get_keys')).length,
    keyFiles: fs.existsSync(path.join(node.dir, 'keys')) ? fs.readdirSync(path.join(node.dir, 'keys')).length : 0,
  });

  /** The replica's bytes over an export of it, through the service's own NVMe/TCP host. */
  async function withExport<T>(replica: string, work: (host: NvmeTcpHost) => Promise<T>): Promise<T> {
    const exposed = await invoke(node.run!.clients.replicas, 'ReplicaExpose', { name: replica, hostNqns: [HOST] });
    const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port: exposed.export!.port, subnqn: exposed.export!.nqn, hostnqn: HOST });
    try {
      return await work(host);
    } finally {
      await host.close();
      await invoke(node.run!.clients.replicas, 'ReplicaUnexpose', { name: replica });
    }
  }

  beforeAll(async () => {
    node = await RealServe.start('rskill', 4 * SIZE, { CONDUCTOR_BACKUP_CONCURRENCY: '1', CONDUCTOR_DISK_CLUSTER_SIZE_MIB: '2' });
    const run = node.run!;
    await invoke(run.clients.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd', sizeBytes: SIZE });
    await withExport('src', async (host) => {
      for (const cluster of [0, 1, 5, 9, 10, 20, 30, 31]) {
        const data = randomBytes(2 * MIB);
        data.copy(written, cluster * 2 * MIB);
        await host.write(1, cluster * 2 * MIB, data);
      }
      await host.flush(1);
    });
    await invoke(run.clients.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 'a' });
    await invoke(run.clients.backups, 'BackupTargetSet', { kind: 'fs', path: path.join(node.dir, 'target') });
  }, 300_000);

  afterAll(async () => {
    await node?.close();
  });

  it('the next start deletes the restore export and lvol the killed one left, restarts the restore, and the replica holds the backed-up bytes', async () => {
    const ended = (id: string, method: 'BackupGet' | 'RestoreGet') =>
      until(`job ${id} to end`, 180_000, async () => {
        const j = await invoke(node.run!.clients.backups, method, { id }, { deadlineMs: 10_000 });
        return ['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED'].includes(String(j.state)) ? j : undefined;
      });
    const backup = await ended((await invoke(node.run!.clients.backups, 'BackupCreate', { replica: 'src', snapshot: 'a', volume: 'vol' })).id, 'BackupGet');
    expect(backup.state, backup.reason).toBe('BACKUP_JOB_STATE_DONE');

    const restore = await invoke(node.run!.clients.backups, 'RestoreCreate', { volume: 'vol', backupId: backup.backupId, disk: 'd', replica: 'back' });
    await until('the restore export to exist', 60_000, async () => (await leftovers()).subsystems.length === 1);
    await node.rpc.call('bdev_set_qos_limit', { name: 'lvs.d/b.back', w_mbytes_per_sec: 1 });
    const midway = await invoke(node.run!.clients.backups, 'RestoreGet', { id: restore.id });
    expect(midway.state, 'the restore ended before it could be slowed').toBe('BACKUP_JOB_STATE_DOWNLOADING');

    expect((await node.kill9()).signal).toBe('SIGKILL');
    expect(await leftovers()).toEqual({ lvols: ['b.back'], subsystems: [restoreNqn('back')], keys: 2, keyFiles: 2 });

    await node.serve();
    const done = await ended(restore.id, 'RestoreGet');
    expect(done.state, done.reason).toBe('BACKUP_JOB_STATE_DONE');
    expect(await leftovers()).toEqual({ lvols: [], subsystems: [], keys: 0, keyFiles: 0 });
    // Thin: the 8 clusters written, not the volume's 32.
    const [lvol] = (await node.rpc.call<Array<{ name: string; num_allocated_clusters: number }>>('bdev_lvol_get_lvols')).filter((l) => l.name === 'r.back');
    expect(lvol?.num_allocated_clusters).toBe(8);
    const read = await withExport('back', (host) => host.read(1, 0, SIZE));
    expect(createHash('sha256').update(read).digest('hex')).toBe(createHash('sha256').update(written).digest('hex'));
  }, 600_000);
});
