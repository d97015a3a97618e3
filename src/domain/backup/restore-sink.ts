/**
 * A restore into a new replica through a staging file (backup.restoreVia staging; the default goes
 * over NVMe/TCP, restore-nvmf.ts, which shares checkRestore and becomeReplica from here), as
 * transcript 20 part c recorded it: blocks go into a sparse staging file;
 * commit opens it as a read-only aio bdev, clones it into the disk's lvstore as b.<replica> (an
 * esnap clone: no cluster of its own, the aio bdev claimed read_many_write_none), inflates the
 * clone (every cluster copied, the parent dropped), and only then deletes the aio bdev and the
 * file: deleting the parent while the clone still uses it is never answered. The finished lvol is
 * renamed r.<replica> (under the replica's lock, the only step that takes it), so a replica
 * appears whole or not at all; a restore killed midway leaves b.<replica>, which the sweep at
 * start deletes before its staging bdev. The replica is recorded as a fresh clone (mode
 * `restore`) under that lock, so an engine can be made over it as over a clone
 * (engine/stale-superblock.ts).
 */
import { ConductorError } from '../../errors.js';
import type { DomainContext } from '../node/context.js';
import { alias, checkName, headLvolName, restoreLvolName } from '../node/naming.js';
import { deleteQuietly, translate } from '../node/spdk-verdicts.js';
import type { Replicas } from '../replica/replicas.js';
import type { CommitProgress, RestoreRequest, RestoreSink } from './data-path.js';
import { syncDiskNamed } from './disk-sync.js';
import type { Reservation, StagingArea } from './staging-area.js';
import { aioUsesDirectIo, deleteStagingBdev } from './staging-bdev.js';
import { StagingWriter } from './staging-writer.js';

const MIB = 1024 * 1024;

type Ctx = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'locks' | 'events' | 'log' | 'state'>;

export async function openRestoreSink(ctx: Ctx, replicas: Pick<Replicas, 'info'>, staging: StagingArea, restoring: Set<string>, req: RestoreRequest): Promise<RestoreSink> {
  // The inflate makes every cluster the replica's own: the lvstore must have them all.
  const { replica, diskName, disk } = await checkRestore(ctx, restoring, req, req.sizeBytes);
  const reservation = await staging.admit(req.allocatedBytes ?? req.sizeBytes, `restore of ${replica}`);
  restoring.add(replica);
  const name = staging.newName('r');
  try {
    const path = await staging.createSparse(name, req.sizeBytes);
    const direct = await directWrites(ctx, staging);
    const writer = await StagingWriter.open(path, direct, ctx.log.child({ replica, staging: name }));
    ctx.log.info({ replica, disk: diskName, sizeBytes: req.sizeBytes, staging: name, directIo: direct }, 'restore opened');
    return new SpdkRestoreSink(ctx, replicas, staging, reservation, restoring, {
      replica,
      disk: diskName,
      sizeBytes: req.sizeBytes,
      blockSize: disk.blockSize,
      name,
      path,
      writer,
      directIo: direct,
      signal: req.signal,
      origin: req.origin,
    });
  } catch (error) {
    restoring.delete(replica);
    await staging.remove(name);
    reservation.release();
    throw error;
  }
}

/**
 * What every restore checks before it makes anything: names, the disk, the size (a whole number
 * of the disk's clusters), that no replica or other restore has the name, and that the lvstore
 * has `needBytes` free (what the restore will allocate).
 */
export async function checkRestore(ctx: Pick<Ctx, 'inventory' | 'spdk'>, restoring: ReadonlySet<string>, req: RestoreRequest, needBytes: number) {
  const replica = checkName('replica', req.replica);
  const diskName = checkName('disk', req.disk);
  const disk = ctx.inventory.disks.get(diskName);
  if (!disk) throw new ConductorError('DISK_NOT_FOUND', `disk ${diskName} does not exist on this node; create it first`);
  const unit = Math.max(disk.clusterSize, MIB);
  if (!Number.isSafeInteger(req.sizeBytes) || req.sizeBytes <= 0 || req.sizeBytes % unit !== 0) {
    throw new ConductorError('INVALID_SIZE', `size_bytes must be a positive multiple of the disk's cluster size ${unit}, got ${req.sizeBytes}`, { field: 'size_bytes' });
  }
  if (ctx.inventory.head(replica)) throw new ConductorError('REPLICA_EXISTS', `replica ${replica} exists; restore into a new name or delete it first`);
  if (restoring.has(replica)) throw new ConductorError('REPLICA_EXISTS', `a restore into replica ${replica} is already under way`);
  const [lvs] = await ctx.spdk.lvol.getLvstores({ lvs_name: disk.lvstoreName }, { signal: req.signal });
  const clusters = Math.ceil(needBytes / disk.clusterSize);
  if (lvs && lvs.free_clusters < clusters) {
    throw new ConductorError('DISK_FULL', `restore of ${replica} needs ${clusters} clusters of disk ${diskName}, which has ${lvs.free_clusters} free`, {
      neededClusters: clusters,
      freeClusters: lvs.free_clusters,
    });
  }
  return { replica, diskName, disk };
}

/**
 * The last step of every restore: the finished lvol b.<replica> is renamed r.<replica> under the
 * replica's lock (the only step that takes it), so a replica appears whole or not at all, and is
 * recorded as a fresh clone (recordFresh). The caller has removed everything else it made.
 */
export async function becomeReplica(ctx: Ctx, replicas: Pick<Replicas, 'info'>, spec: { replica: string; disk: string; origin: RestoreRequest['origin'] }): Promise<{ replica: string; uuid: string }> {
  const { replica, disk } = spec;
  const head = await ctx.locks.with(`replica:${replica}`, async () => {
    if (ctx.inventory.head(replica)) throw new ConductorError('REPLICA_EXISTS', `replica ${replica} was created while its restore ran`);
    await ctx.spdk.lvol.rename({ old_name: alias(disk, restoreLvolName(replica)), new_name: headLvolName(replica) });
    await ctx.inventory.reread(ctx, disk, [headLvolName(replica)]);
    const made = ctx.inventory.head(replica);
    if (!made) throw new ConductorError('SPDK_INCONSISTENT', `restored replica ${replica} is not listed by spdk_tgt`);
    await recordFresh(ctx, spec);
    return made;
  });
  ctx.events.emit('added', replicas.info(head), 'restored from a backup');
  ctx.log.info({ replica, disk, sizeBytes: head.sizeBytes }, 'replica restored');
  return { replica, uuid: head.uuid };
}

/**
 * Records the new replica as a fresh clone (under its lock, before anything can use it): a
 * backup of a superblock engine's member holds that engine's superblock, which an engine over
 * the restored replica may then clear (engine/stale-superblock.ts) as it does a clone's. Not
 * recorded (the write failed, or a crash came first): the replica is whole, only not cleared.
 */
async function recordFresh(ctx: Pick<Ctx, 'state' | 'log'>, spec: { replica: string; origin: RestoreRequest['origin'] }): Promise<void> {
  const { replica, origin } = spec;
  const record = { source: origin?.volume ?? 'unknown', snapshot: origin?.backupId ?? 'unknown', mode: 'restore' as const, createdAt: new Date().toISOString() };
  try {
    await ctx.state.recordClone(replica, record);
  } catch (error) {
    ctx.log.warn({ replica, err: (error as Error).message }, 'restored replica not recorded as fresh: a stale raid superblock in it will not be cleared for an engine');
  }
}

const GIB = 1024 * MIB;

/**
 * The deadline of a restore's inflate of a `sizeBytes` volume: spdk.slowDeadlineMs plus
 * backup.inflateSecPerGib per GiB begun (measured on v26.05: 1.8-2.6 s per GiB at 1 GiB, README).
 */
export function inflateDeadlineMs(sizeBytes: number, settings: { inflateFloorMs?: number; inflateMsPerGib?: number }): number {
  return (settings.inflateFloorMs ?? 300_000) + Math.ceil(sizeBytes / GIB) * (settings.inflateMsPerGib ?? 10_000);
}

/** backup.restoreDirectIo: `auto` writes as the staging file's reader reads it (staging-writer.ts). */
async function directWrites(ctx: Ctx, staging: StagingArea): Promise<boolean> {
  const mode = staging.settings.restoreDirectIo ?? 'auto';
  if (mode !== 'auto') return mode === 'on';
  return aioUsesDirectIo(ctx);
}

interface SinkSpec {
  replica: string;
  disk: string;
  sizeBytes: number;
  blockSize: number;
  name: string;
  path: string;
  writer: StagingWriter;
  directIo: boolean;
  signal: AbortSignal | undefined;
  origin: RestoreRequest['origin'];
}

class SpdkRestoreSink implements RestoreSink {
  readonly directIo: boolean;
  private state: 'open' | 'committing' | 'done' | 'aborted' = 'open';
  private writer: StagingWriter | undefined;
  /** An inflate call is out: nothing may delete its clone until it answers. */
  private inflating = false;
  /** What commit made in spdk_tgt so far, for the teardown. */
  private made = { bdev: false, clone: false };

  constructor(
    private readonly ctx: Ctx,
    private readonly replicas: Pick<Replicas, 'info'>,
    private readonly staging: StagingArea,
    private readonly reservation: Reservation,
    private readonly restoring: Set<string>,
    private readonly spec: SinkSpec,
  ) {
    this.writer = spec.writer;
    this.directIo = spec.directIo;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    if (this.state !== 'open' || !this.writer) throw new ConductorError('INVALID_ARGUMENT', `the restore of ${this.spec.replica} is ${this.state}; no more writes`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + data.length > this.spec.sizeBytes) {
      throw new ConductorError('INVALID_ARGUMENT', `a write of ${data.length} bytes at ${offset} does not fit the volume's ${this.spec.sizeBytes} bytes`, { field: 'offset' });
    }
    this.spec.signal?.throwIfAborted();
    await this.writer.write(offset, data);
  }

  async commit(onProgress?: (p: CommitProgress) => void): Promise<{ replica: string; uuid: string }> {
    if (this.state !== 'open') throw new ConductorError('INVALID_ARGUMENT', `the restore of ${this.spec.replica} is ${this.state}; it cannot be committed`);
    this.state = 'committing';
    const { replica, disk, name, path, signal } = this.spec;
    const lvsName = this.ctx.inventory.disks.get(disk)?.lvstoreName;
    const building = alias(disk, restoreLvolName(replica));
    const what = `restore of ${replica}`;
    try {
      if (!lvsName) throw new ConductorError('DISK_NOT_FOUND', `disk ${disk} went away during the ${what}`);
      await this.closeFile();
      await this.ctx.spdk.bdev.aioCreate({ name, filename: path, block_size: this.spec.blockSize, readonly: true }, { signal });
      this.made.bdev = true;
      await this.ctx.spdk.bdev.waitForExamine({ signal });
      await this.ctx.spdk.lvol.cloneBdev({ bdev: name, lvs_name: lvsName, clone_name: restoreLvolName(replica) }, { signal });
      this.made.clone = true;
      // spdk_tgt reports no progress of an inflate: one call until it is done, its deadline sized
      // to the volume (the caller holds its own stall deadline that long). Not aborted by the
      // signal: v26.05 refuses to delete a blob under a running inflate (blobstore.c: the inflate
      // sets locked_operation_in_progress, bs_delete_blob answers -EBUSY, and vbdev_lvol has
      // unregistered the lvol's bdev by then), so an abort waits for the inflate's answer and then
      // tears down.
      const expectMs = inflateDeadlineMs(this.spec.sizeBytes, this.staging.settings);
      onProgress?.({ percent: 0, step: 'inflate', expectMs });
      this.inflating = true;
      try {
        await this.ctx.spdk.lvol.inflate({ name: building }, { deadlineMs: expectMs });
      } finally {
        this.inflating = false;
      }
      signal?.throwIfAborted();
      // The inflate's writes on the media before the lvol becomes the replica (disk-sync.ts).
      await syncDiskNamed(this.ctx, disk, what);
      // The clone no longer reads its parent: now the parent can go (never before, see the header).
      await deleteStagingBdev(this.ctx, name);
      this.made.bdev = false;
      await this.staging.remove(name);
      // Only the rename that makes it a replica runs under the replica's lock, never the slow steps.
      const made = await becomeReplica(this.ctx, this.replicas, this.spec);
      this.made.clone = false;
      this.finish('done');
      onProgress?.({ percent: 100 });
      return made;
    } catch (error) {
      await this.teardown('aborted');
      if (signal?.aborted) throw new ConductorError('CANCELLED', `${what} was cancelled`);
      throw translate(error, what);
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'done' || this.state === 'aborted') return;
    // The commit's own teardown runs once the inflate answers (see commit).
    if (this.inflating) return;
    await this.teardown('aborted');
    this.ctx.log.info({ replica: this.spec.replica }, 'restore aborted; its staging removed');
  }

  /** Clone first, then its parent bdev, then the file: the only order in which every call is answered. */
  private async teardown(state: 'aborted'): Promise<void> {
    const { disk, replica, name } = this.spec;
    try {
      await this.closeFile();
      if (this.made.clone) await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: alias(disk, restoreLvolName(replica)) }));
      this.made.clone = false;
      if (this.made.bdev) await deleteStagingBdev(this.ctx, name);
      this.made.bdev = false;
    } catch (error) {
      this.ctx.log.error({ replica, staging: name, err: (error as Error).message }, 'restore objects not removed from spdk_tgt; the next start removes them');
    }
    // The file goes in any case: an aio bdev left over keeps its own open file until the sweep deletes it.
    try {
      await this.staging.remove(name);
    } catch (error) {
      this.ctx.log.error({ replica, staging: name, err: (error as Error).message }, 'restore staging not removed; the next start removes it');
    } finally {
      this.finish(state);
    }
  }

  private finish(state: 'done' | 'aborted'): void {
    this.state = state;
    this.reservation.release();
    this.restoring.delete(this.spec.replica);
  }

  private async closeFile(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }
}
