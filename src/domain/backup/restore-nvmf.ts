/**
 * A restore written over NVMe/TCP (backup.restoreVia `nvmf-tcp`, the default): the service is a
 * userspace NVMe/TCP host (src/nvme-tcp/) of its own node's spdk_tgt. Opening makes a thin lvol
 * b.<replica> of the volume's size, exports it in a subsystem of its own that listens on 127.0.0.1
 * and allows one host, the service's restore host NQN, and connects to it; each write goes to the
 * lvol as NVMe writes, so only the backup's data clusters are allocated and written once (the
 * staging path, restore-sink.ts, writes a file and then inflates every cluster of the volume,
 * zeros included: transcript 20). Commit flushes, syncs the disk's file (v26.05 answers a Flush to
 * an lvol without doing anything: disk-sync.ts), disconnects, deletes the subsystem, and renames
 * the lvol r.<replica> under the replica's lock (becomeReplica), so a replica appears whole or not
 * at all.
 *
 * The export's one host entry carries a DH-HMAC-CHAP key pair made for this restore alone
 * (backup.restoreAuth dhchap, the default): random secrets, held in the key directory and spdk_tgt's
 * keyring under the key user restore/<replica>/host (keys.ts) while the restore writes, and
 * released once its subsystem is gone. The service's host authenticates both ways, so a local
 * process that names the host NQN is refused, and the host knows it writes to its own export.
 *
 * Teardown order, on every path: the host's connection, then the subsystem (its listener and
 * namespace with it), then the restore's keys, then the lvol. A kill of the service leaves the
 * subsystem, the keys and b.<replica>; the sweep at start (data-path-spdk.ts sweepOrphans) deletes
 * the subsystem of each b.<replica> it finds, then the lvol, and the keys' recovery (keys.ts
 * recover, after the sweep) releases every restore's keys: no restore outlives its process. A spdk_tgt that goes away takes the subsystem with it (nvmf
 * configuration does not survive a restart) and fails the outstanding writes at once (the
 * connection closes), and the job fails with that reason.
 */
import { ConductorError } from '../../errors.js';
import type { DhGroupName } from '../../nvme-tcp/auth.js';
import { NvmeTcpHost } from '../../nvme-tcp/host.js';
import type { DomainContext } from '../node/context.js';
import { keyParams, restoreKeyUser } from '../node/keys.js';
import { alias, namespaceIds, RESTORE_HOST_NQN, restoreLvolName, restoreNqn } from '../node/naming.js';
import { deleteQuietly, translate } from '../node/spdk-verdicts.js';
import { listenOnFreePort } from '../replica/exports.js';
import type { Replicas } from '../replica/replicas.js';
import type { CommitProgress, RestoreRequest, RestoreSink } from './data-path.js';
import { syncDiskNamed } from './disk-sync.js';
import { becomeReplica, checkRestore } from './restore-sink.js';
import { newDhchapSecret } from '../../validation/nvme-secrets.js';

const MIB = 1024 * 1024;
/** NVMe writes in flight on a restore's I/O queue (spdk_tgt's TCP max_queue_depth is 128). */
const RESTORE_QUEUE_DEPTH = 64;

/** The DH groups the restore's host offers (see the connect). */
const RESTORE_DH_GROUPS: readonly DhGroupName[] = ['null', 'ffdhe2048'];
/** The restore subsystem listens here only: the data never leaves the node. */
const LOOPBACK = '127.0.0.1';

type Ctx = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'locks' | 'events' | 'log' | 'state' | 'admission' | 'ports' | 'settings' | 'keys'>;

export interface NvmfRestoreSettings {
  /** NVMe writes in flight on the restore's one I/O queue. */
  readonly queueDepth?: number;
  /** The connect's deadline and each command's, ms. */
  readonly commandTimeoutMs?: number;
  /** dhchap (default): the export's host entry takes a key pair made for this restore; none: the allow-list alone. */
  readonly auth?: 'dhchap' | 'none';
}

/** What a restore made in spdk_tgt (and the port it holds), for the teardown. */
interface Made {
  lvol: boolean;
  subsystem: boolean;
  /** The restore's key user holds its key pair (keys.ts restoreKeyUser). */
  keys: boolean;
  port?: number;
  host?: NvmeTcpHost;
  /** Takes the caller's abort to the host (one listener for the whole restore, not one per write). */
  unlisten?: () => void;
}

export async function openNvmfRestoreSink(ctx: Ctx, replicas: Pick<Replicas, 'info'>, restoring: Set<string>, req: RestoreRequest, settings: NvmfRestoreSettings = {}): Promise<RestoreSink> {
  // A thin lvol allocates only the clusters written: the data's, at most the whole volume.
  const { replica, diskName, disk } = await checkRestore(ctx, restoring, req, req.allocatedBytes ?? req.sizeBytes);
  restoring.add(replica);
  const made: Made = { lvol: false, subsystem: false, keys: false };
  const nqn = restoreNqn(replica);
  const signal = req.signal;
  const log = ctx.log.child({ replica, restore: 'nvmf-tcp' });
  try {
    await ctx.spdk.lvol.create({ lvol_name: restoreLvolName(replica), size_in_mib: req.sizeBytes / MIB, thin_provision: true, lvs_name: disk.lvstoreName, clear_method: 'unmap' }, { signal });
    made.lvol = true;
    // One subsystem of spdk_tgt's table while the restore writes: admitted as an export is.
    const reservation = await ctx.admission.admit({ kind: 'export', what: `restore of ${replica}`, subsystems: 1, nqn }, { signal });
    try {
      await ctx.spdk.nvmf.createSubsystem(
        { nqn, allow_any_host: false, serial_number: `SR${namespaceIds('restore', replica).nguid.slice(0, 18)}`, model_number: 'spdk-conductor restore' },
        { signal },
      );
      made.subsystem = true;
      reservation.release([nqn]);
    } finally {
      reservation.release();
    }
    // Secrets of this restore alone, never logged nor recorded: the state file names the key user's keys only.
    const dhchap = (settings.auth ?? 'dhchap') === 'dhchap' ? { key: newDhchapSecret(), ctrlrKey: newDhchapSecret() } : undefined;
    let keys = {};
    if (dhchap) {
      made.keys = true;
      keys = keyParams(await ctx.keys.hold(restoreKeyUser(replica), { dhchapKey: dhchap.key, dhchapCtrlrKey: dhchap.ctrlrKey }, { signal }));
    }
    await ctx.spdk.nvmf.addHost({ nqn, host: RESTORE_HOST_NQN, ...keys }, { signal });
    const nsid = await ctx.spdk.nvmf.addNs({ nqn, namespace: { bdev_name: alias(diskName, restoreLvolName(replica)) } }, { signal });
    made.port = await listenOnFreePort(ctx, nqn, { signal }, false, undefined, LOOPBACK);
    made.host = await NvmeTcpHost.connect({
      address: LOOPBACK,
      port: made.port,
      subnqn: nqn,
      hostnqn: RESTORE_HOST_NQN,
      // Deeper than the host's default: a first write into a thin lvol's cluster waits for the
      // cluster's allocation, and the restore's 4 blocks in flight are 64 writes of 128 KiB
      // (bench:nvme-tcp --lvol on real v26.05: ~1.1-1.5 GB/s at 64, ~0.4-0.6 at 32, load 2-5).
      queueDepth: settings.queueDepth ?? RESTORE_QUEUE_DEPTH,
      timeoutMs: settings.commandTimeoutMs,
      // The keys are 32 random bytes made for this restore, out of reach of an offline guess from
      // a recorded exchange, so a large FFDHE group buys nothing here and costs time (spdk_tgt
      // takes the strongest group offered that it allows: ffdhe8192 ~0.2-0.3 s per queue against
      // ffdhe2048's ~8 ms). NULL stays offered for a target whose dhchap_dhgroups leave out ffdhe2048.
      ...(dhchap ? { dhchap: { ...dhchap, dhgroups: RESTORE_DH_GROUPS } } : {}),
      signal,
      log,
    });
    // An abort closes the connection, which fails the writes in flight at once (CANCELLED); a
    // listener per write would be 64 at a time on the job's signal.
    const host = made.host;
    const onAbort = () => void host.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    made.unlisten = () => signal?.removeEventListener('abort', onAbort);
    // The export was given the key pair: a controller that did not ask for both proofs is not the export this restore made.
    if (dhchap && made.host.authentication?.bidirectional !== true) {
      throw new ConductorError('SPDK_INCONSISTENT', `restore export of ${replica} did not authenticate with the DH-HMAC-CHAP key pair its host entry was given`);
    }
    const ns = await made.host.namespace(nsid);
    if (ns.blocks * ns.blockBytes !== req.sizeBytes) {
      throw new ConductorError('SPDK_INCONSISTENT', `restore lvol of ${replica} shows ${ns.blocks * ns.blockBytes} bytes over NVMe/TCP, not the ${req.sizeBytes} made`);
    }
    log.info(
      { disk: diskName, sizeBytes: req.sizeBytes, nqn, port: made.port, blockBytes: ns.blockBytes, auth: dhchap ? `dhchap bidirectional ${made.host.authentication?.dhgroup}` : 'none' },
      'restore opened: writing the new lvol over NVMe/TCP on loopback',
    );
    return new NvmfRestoreSink(ctx, replicas, restoring, made, { replica, disk: diskName, sizeBytes: req.sizeBytes, nsid, blockBytes: ns.blockBytes, signal, origin: req.origin });
  } catch (error) {
    await teardown(ctx, made, replica, diskName);
    restoring.delete(replica);
    if (signal?.aborted) throw new ConductorError('CANCELLED', `restore of ${replica} was cancelled`);
    throw translate(error, `restore of ${replica}`);
  }
}

interface SinkSpec {
  replica: string;
  disk: string;
  sizeBytes: number;
  nsid: number;
  blockBytes: number;
  signal: AbortSignal | undefined;
  origin: RestoreRequest['origin'];
}

class NvmfRestoreSink implements RestoreSink {
  private state: 'open' | 'committing' | 'done' | 'aborted' = 'open';

  constructor(
    private readonly ctx: Ctx,
    private readonly replicas: Pick<Replicas, 'info'>,
    private readonly restoring: Set<string>,
    private readonly made: Made,
    private readonly spec: SinkSpec,
  ) {}

  async write(offset: number, data: Buffer): Promise<void> {
    const host = this.made.host;
    if (this.state !== 'open' || !host) throw new ConductorError('INVALID_ARGUMENT', `the restore of ${this.spec.replica} is ${this.state}; no more writes`);
    const { sizeBytes, blockBytes } = this.spec;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > sizeBytes || offset % blockBytes !== 0 || data.length % blockBytes !== 0) {
      throw new ConductorError('INVALID_ARGUMENT', `a write of ${data.length} bytes at ${offset} is not whole ${blockBytes}-byte blocks of the volume's ${sizeBytes} bytes`, {
        field: 'offset',
      });
    }
    if (this.spec.signal?.aborted) throw new ConductorError('CANCELLED', `restore of ${this.spec.replica} was cancelled`);
    try {
      await host.write(this.spec.nsid, offset, data);
    } catch (error) {
      if (this.spec.signal?.aborted) throw new ConductorError('CANCELLED', `restore of ${this.spec.replica} was cancelled`);
      throw error;
    }
  }

  async commit(onProgress?: (p: CommitProgress) => void): Promise<{ replica: string; uuid: string }> {
    if (this.state !== 'open') throw new ConductorError('INVALID_ARGUMENT', `the restore of ${this.spec.replica} is ${this.state}; it cannot be committed`);
    this.state = 'committing';
    const { replica, disk, signal } = this.spec;
    try {
      // On the media before the lvol becomes the replica. Every write has been answered; v26.05
      // answers the Flush without doing anything (an lvol does not support FLUSH), so the disk's
      // file is synced as well (disk-sync.ts). The Flush stays: it costs one round trip.
      await this.made.host?.flush(this.spec.nsid);
      await syncDiskNamed(this.ctx, disk, `restore of ${replica}`);
      onProgress?.({ percent: 50 });
      this.made.unlisten?.();
      await this.made.host?.close();
      this.made.host = undefined;
      await dropExport(this.ctx, this.made, replica);
      signal?.throwIfAborted();
      // The keys' removal (keyring calls, a state write, file deletions) beside the rename: no host entry uses them any more.
      const [made] = await Promise.all([becomeReplica(this.ctx, this.replicas, this.spec), releaseKeys(this.ctx, this.made, replica)]);
      this.made.lvol = false;
      this.finish('done');
      onProgress?.({ percent: 100 });
      return made;
    } catch (error) {
      await teardown(this.ctx, this.made, replica, disk);
      this.finish('aborted');
      if (signal?.aborted) throw new ConductorError('CANCELLED', `restore of ${replica} was cancelled`);
      throw translate(error, `restore of ${replica}`);
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'done' || this.state === 'aborted') return;
    await teardown(this.ctx, this.made, this.spec.replica, this.spec.disk);
    this.finish('aborted');
    this.ctx.log.info({ replica: this.spec.replica }, 'restore aborted; its lvol and export removed');
  }

  private finish(state: 'done' | 'aborted'): void {
    this.state = state;
    this.restoring.delete(this.spec.replica);
  }
}

/** Connection, then subsystem, then lvol; each step's failure is logged and left to the next start's sweep. */
async function teardown(ctx: Ctx, made: Made, replica: string, disk: string): Promise<void> {
  made.unlisten?.();
  const host = made.host;
  made.host = undefined;
  await host?.close();
  try {
    await dropExport(ctx, made, replica);
    await releaseKeys(ctx, made, replica);
    if (made.lvol) await deleteQuietly(ctx, () => ctx.spdk.lvol.delete({ name: alias(disk, restoreLvolName(replica)) }));
    made.lvol = false;
  } catch (error) {
    ctx.log.error({ replica, err: (error as Error).message }, 'restore objects not removed from spdk_tgt; the next start removes them');
  }
}

/** The subsystem (with its namespace and listener), then its port back to the range: only once spdk_tgt no longer listens there. */
async function dropExport(ctx: Pick<Ctx, 'client' | 'spdk' | 'ports'>, made: Made, replica: string): Promise<void> {
  if (made.subsystem) await deleteQuietly(ctx, () => ctx.spdk.nvmf.deleteSubsystem({ nqn: restoreNqn(replica) }));
  made.subsystem = false;
  if (made.port !== undefined) ctx.ports.release(made.port);
  made.port = undefined;
}

/** The restore's key pair, once its subsystem is gone (no host entry uses it): out of the keyring, its files deleted; idempotent. */
async function releaseKeys(ctx: Pick<Ctx, 'keys'>, made: Made, replica: string): Promise<void> {
  if (made.keys) await ctx.keys.release(restoreKeyUser(replica));
  made.keys = false;
}
