/**
 * The data path over spdk_tgt (see data-path.ts for the interface and docs/architecture.md, "The
 * backup data path", for the steps). A stage holds no lock: it reads a snapshot, which nothing
 * changes, and a snapshot deleted under it ends the copy with spdk_tgt's error. What a stage makes
 * (staging file, aio bdev) is removed on every path; the aio bdev goes as soon as the copies are
 * done, so while the caller reads the image only a file remains.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { LvolRecord } from '../node/inventory.js';
import { alias, checkName, parseLvstoreName, parseRestoreLvol, restoreNqn, snapshotLvolName } from '../node/naming.js';
import { deleteQuietly, translate } from '../node/spdk-verdicts.js';
import { runShallowCopy, waitCopyEnd } from '../rebuild/shallow-copy.js';
import type { Replicas } from '../replica/replicas.js';
import type { DataPath, RawRate, RestoreRequest, RestoreSink, StagedImage, StageRequest } from './data-path.js';
import { openRestoreSink } from './restore-sink.js';
import { openNvmfRestoreSink } from './restore-nvmf.js';
import { isStagingName, StagingArea, type StagingSettings } from './staging-area.js';
import { zeroFirstCluster } from './zero-cluster.js';
import { aioUsesDirectIo, deleteStagingBdev } from './staging-bdev.js';
import { dataRanges } from '../../host/sparse-ranges.js';
import { StagingCopy } from './staging-copy.js';
import { StagingImage } from './staging-image.js';
import { measureStagingRate } from './staging-rate.js';

/** How long a teardown waits for a given-up copy to end in spdk_tgt, and how often it asks. */

export type DataPathContext = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'locks' | 'events' | 'log' | 'state' | 'copyHolds' | 'admission' | 'ports' | 'settings' | 'keys'>;

export class SpdkDataPath implements DataPath {
  private readonly staging: StagingArea;
  /** Replicas a restore is building: a second restore of the name is refused until the first ends. */
  private readonly restoring = new Set<string>();
  /** Replicas whose first cluster is being zeroed (their b.<replica> work lvol is in use). */
  private readonly zeroing = new Set<string>();

  constructor(
    private readonly ctx: DataPathContext,
    private readonly replicas: Pick<Replicas, 'head' | 'info'>,
    settings: StagingSettings,
  ) {
    this.staging = new StagingArea(settings);
  }

  async stageSnapshot(req: StageRequest): Promise<StagedImage> {
    const replica = checkName('replica', req.replica);
    const snapshot = checkName('snapshot', req.snapshot);
    if (req.mode !== 'full' && req.mode !== 'delta') throw new ConductorError('INVALID_ARGUMENT', `mode must be full or delta, got ${String(req.mode)}`, { field: 'mode' });
    const signal = req.signal;
    const what = `${req.mode} stage of snapshot ${snapshot} of ${replica}`;
    const head = this.replicas.head(replica);
    const disk = this.ctx.inventory.disks.get(head.disk);
    if (!disk) throw new ConductorError('DISK_NOT_FOUND', `disk ${head.disk} of replica ${replica} is not loaded`);
    let chain = this.chain(head.disk, replica, snapshot, req.mode);
    // Allocation counts change when a snapshot below merges into its clone: read them now.
    await this.ctx.inventory.reread(
      this.ctx,
      head.disk,
      chain.map((s) => s.name),
      { signal },
    );
    chain = this.chain(head.disk, replica, snapshot, req.mode);
    const target = chain[chain.length - 1]!;
    const total = chain.reduce((sum, s) => sum + s.allocatedClusters * disk.clusterSize, 0);
    const fileBytes = Math.max(...chain.map((s) => s.sizeBytes));
    // Read the file as spdk_tgt wrote it (staging-image.ts open).
    const direct = await aioUsesDirectIo(this.ctx);
    const reservation = await this.staging.admit(total, what);
    const name = this.staging.newName('s');
    let bdev = false;
    let file = false;
    /** The copy spdk_tgt runs now: it cannot be stopped, and holds the staging bdev claimed until it ends. */
    let copying: number | undefined;
    /** Its source snapshot is held (copy-holds.ts) until spdk_tgt reports the copy's end. */
    let releaseSource: (() => void) | undefined;
    // The file and the reservation go whatever happens to the bdev (a bdev left behind is the sweep's).
    const cleanup = async () => {
      try {
        if (copying !== undefined) await this.copyEnded(copying);
        copying = undefined;
        releaseSource?.();
        releaseSource = undefined;
        if (bdev) await deleteStagingBdev(this.ctx, name);
        bdev = false;
      } finally {
        try {
          if (file) await this.staging.remove(name);
          file = false;
        } finally {
          reservation.release();
        }
      }
    };
    const failure = (error: unknown, aborted: boolean | undefined): unknown => {
      if (aborted) return new ConductorError('CANCELLED', `${what} was cancelled`);
      // The stage holds no lock: a snapshot deleted under it is gone when its copy starts.
      if (this.ctx.client.verdictOf(error) === 'gone') return new ConductorError('SNAPSHOT_NOT_FOUND', `${what}: a snapshot of the chain was deleted during the stage`);
      return translate(error, what);
    };
    /** Copies the chain into the staging bdev, oldest first, telling `follower` how far; the bdev is deleted once they are done. */
    const copyChain = async (copySignal: AbortSignal | undefined, follower?: StagingCopy): Promise<void> => {
      let done = 0;
      for (const source of chain) {
        const src = alias(head.disk, source.name);
        // Held and recorded (the state file's copies): the copy runs on in spdk_tgt if this process
        // dies. One copy of a snapshot at a time, e.g. beside one a killed process left running.
        let waitingFor: string | undefined;
        const ticket = await this.ctx.copyHolds.begin(head.disk, source.name, req.holder ?? `stage ${name}`, name, {
          signal: copySignal,
          onWait: (hold) => {
            if (waitingFor !== hold.holder) {
              waitingFor = hold.holder;
              this.ctx.log.info(
                { src, staging: name, reader: hold.holder, progress: hold.progress },
                'another copy reads the snapshot (spdk_tgt would refuse a second one, EBUSY): waiting for its end',
              );
            }
            req.onWait?.(hold);
          },
        });
        if (waitingFor !== undefined) this.ctx.log.info({ src, staging: name, after: waitingFor }, 'the other copy of the snapshot ended: copying');
        releaseSource = ticket.release;
        const status = await runShallowCopy(
          this.ctx,
          `snapshot ${source.role?.role === 'snapshot' ? source.role.snapshot : source.name} of ${replica}`,
          src,
          name,
          (s) => {
            ticket.progress(s.copied_clusters, s.total_clusters);
            follower?.progress(s.copied_clusters);
            req.onProgress?.({ bytes: done + s.copied_clusters * disk.clusterSize, total });
          },
          async (operation) => {
            copying = operation;
            this.ctx.log.debug({ src, staging: name, operation }, 'shallow copy into staging started');
            await ticket.started(operation);
          },
          { signal: copySignal },
        );
        copying = undefined;
        releaseSource();
        releaseSource = undefined;
        done += status.total_clusters * disk.clusterSize;
      }
      await deleteStagingBdev(this.ctx, name);
      bdev = false;
      follower?.complete(done / disk.clusterSize);
      this.ctx.log.info({ replica, snapshot, mode: req.mode, staging: name, bytes: done, followed: follower !== undefined }, 'snapshot staged');
    };
    try {
      const path = await this.staging.createSparse(name, fileBytes);
      file = true;
      await this.ctx.spdk.bdev.aioCreate({ name, filename: path, block_size: disk.blockSize }, { signal });
      bdev = true;
      this.ctx.log.info({ replica, snapshot, mode: req.mode, staging: name, snapshots: chain.length, bytes: total }, 'staging a snapshot');
      /** The image over the file; closing it ends `before` (a copy still running) first, then removes what the stage made. */
      const image = (before: (() => Promise<void>) | undefined, copy?: StagingCopy) =>
        new StagingImage(
          path,
          target.sizeBytes,
          disk.clusterSize,
          total,
          async () => {
            await before?.();
            await cleanup();
            this.ctx.log.debug({ staging: name }, 'staged image removed');
          },
          copy ? { copy, direct } : { direct },
        );
      // One copy into a file that held nothing, where holes are known (the fresh file lists no data):
      // the reader follows it (staging-image.ts finalBytes).
      if (req.follow && chain.length === 1 && (await dataRanges(path, fileBytes, signal)).length === 0) {
        // The copy runs on under its own signal (the caller's, or close()'s); its failure is the reader's.
        const follower = new StagingCopy();
        const stop = new AbortController();
        const copySignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
        const running = copyChain(copySignal, follower).catch((error: unknown) => follower.fail(failure(error, copySignal.aborted)));
        return image(async () => {
          stop.abort();
          await running;
        }, follower);
      }
      await copyChain(signal);
      return image(undefined);
    } catch (error) {
      await cleanup().catch((e: unknown) => this.ctx.log.error({ staging: name, err: (e as Error).message }, 'staging not removed; the next start removes it'));
      throw failure(error, signal?.aborted);
    }
  }

  isRestoring(replica: string): boolean {
    return this.restoring.has(replica);
  }

  /** backup.restoreVia: over NVMe/TCP into a thin lvol (restore-nvmf.ts), or a staging file inflated (restore-sink.ts). */
  openRestore(req: RestoreRequest): Promise<RestoreSink> {
    const { restoreVia, restoreIoTimeoutMs, restoreAuth } = this.staging.settings;
    if ((restoreVia ?? 'nvmf-tcp') === 'nvmf-tcp') {
      return openNvmfRestoreSink(this.ctx, this.replicas, this.restoring, req, { commandTimeoutMs: restoreIoTimeoutMs, auth: restoreAuth ?? 'dhchap' });
    }
    return openRestoreSink(this.ctx, this.replicas, this.staging, this.restoring, req);
  }

  /**
   * Leftovers of a killed process, in the only safe order: half-built restore lvols first, each
   * after its restore subsystem if any (restore-nvmf.ts; each holds its staging bdev open as an
   * esnap parent, and deleting a parent in use is never answered, transcript 20), then the staging bdevs nothing claims, then the files. A full clone's and a
   * zeroing's work lvols (zero-cluster.ts) carry the same b. prefix, and go the same way.
   */
  async sweepOrphans(options?: CallOptions, sweep: { skipLive?: boolean } = {}): Promise<{ removed: string[] }> {
    const removed: string[] = [];
    // With skipLive (a sweep while the service runs, after spdk_tgt came back: reconcile's
    // afterConverge), what a stage, restore or zeroing under way uses now is left to it.
    // A copy the previous process left running (left-copies.ts) still writes its staging bdev and file.
    const live = (name: string) => (sweep.skipLive === true && this.staging.isLive(name)) || this.ctx.copyHolds.adopted.has(name);
    for (const lvol of await this.ctx.spdk.lvol.getLvols(undefined, options)) {
      const replica = parseRestoreLvol(lvol.name);
      if (parseLvstoreName(lvol.lvs.name) === undefined || replica === undefined) continue;
      if (sweep.skipLive && (this.restoring.has(replica) || this.zeroing.has(replica))) continue;
      // A restore over NVMe/TCP exports its lvol while it writes: the subsystem goes first.
      await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn: restoreNqn(replica) }, options));
      await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: lvol.alias }, options));
      removed.push(lvol.alias);
    }
    for (const bdev of await this.ctx.spdk.bdev.getBdevs(undefined, options)) {
      if (!isStagingName(bdev.name) || bdev.product_name !== 'AIO disk' || live(bdev.name)) continue;
      if (bdev.claimed) {
        this.ctx.log.warn({ bdev: bdev.name, claim: bdev.claim_type }, 'staging bdev left in place: something still claims it');
        continue;
      }
      await deleteQuietly(this.ctx, () => this.ctx.spdk.bdev.aioDelete({ name: bdev.name }, options));
      removed.push(bdev.name);
    }
    // A staging directory that cannot be read is logged, not fatal: the node can serve without backups.
    try {
      for (const name of await this.staging.leftovers()) {
        if (live(name)) continue;
        await this.staging.remove(name);
        removed.push(this.staging.file(name));
      }
    } catch (error) {
      this.ctx.log.warn({ dir: this.staging.settings.dir, err: (error as Error).message }, 'backup staging directory not swept');
    }
    if (removed.length) this.ctx.log.info({ removed }, 'backup staging left by a previous process removed');
    return { removed };
  }

  /** Zeroes cluster 0 of a replica's head (zero-cluster.ts); the caller holds the replica's lock. */
  async zeroFirstCluster(replica: string, disk: string, options?: CallOptions): Promise<number> {
    this.zeroing.add(replica);
    try {
      return await zeroFirstCluster(this.ctx, this.staging, replica, disk, options);
    } finally {
      this.zeroing.delete(replica);
    }
  }

  measureRawRate(bytes: number): Promise<RawRate> {
    return measureStagingRate(this.staging, bytes);
  }

  /** Bytes reserved by stages and restores under way (tests, metrics). */
  get reservedBytes(): number {
    return this.staging.reservedBytes;
  }

  /**
   * Waits for a copy that was given up (an abort, a failed check) to end in spdk_tgt: it holds its
   * destination claimed until then (vbdev_lvol_shallow_copy claims it), and the staging bdev can
   * only be deleted unclaimed. Bounded (waitCopyEnd): past it the bdev is left for the next start.
   */
  private async copyEnded(operation: number): Promise<void> {
    if (!(await waitCopyEnd(this.ctx, operation))) this.ctx.log.warn({ operation }, 'a given-up shallow copy may still run; its staging is left for the next start');
  }

  /**
   * The snapshots a stage copies, oldest first: for `full` the snapshot and every snapshot it was
   * taken after (its ancestors), for `delta` the snapshot alone.
   */
  private chain(disk: string, replica: string, snapshot: string, mode: 'full' | 'delta'): LvolRecord[] {
    const record = this.ctx.inventory.lvol(disk, snapshotLvolName(replica, snapshot));
    if (!record?.isSnapshot) throw new ConductorError('SNAPSHOT_NOT_FOUND', `replica ${replica} has no snapshot ${snapshot}`);
    const chain = [record];
    if (mode === 'full') {
      for (let parent = record.parent; parent !== undefined; ) {
        const up = this.ctx.inventory.lvol(disk, parent);
        if (!up?.isSnapshot) break;
        chain.unshift(up);
        parent = up.parent;
      }
    }
    return chain;
  }
}
