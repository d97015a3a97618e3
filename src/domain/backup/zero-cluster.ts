/**
 * Zeroes the first cluster of a replica's head with upstream RPCs only (spdk_tgt v26.05 has no
 * RPC that writes a bdev's blocks):
 *
 *   1. a sparse staging file of one cluster (reads as zeros), opened read-only as an aio bdev;
 *   2. bdev_lvol_clone_bdev of it into the replica's lvstore as b.<replica> (an esnap clone),
 *      bdev_lvol_inflate: an esnap parent's clusters are all copied, none skipped as zeros
 *      (blobstore.c bs_cluster_needs_allocation; blob_bdev.c's is_zeroes is always false), so the
 *      work lvol owns one cluster that holds zeros; it no longer reads the aio bdev, which goes
 *      now, then its file (never before the inflate: deleting an esnap parent in use is never
 *      answered, transcript 20); bdev_lvol_set_read_only;
 *   3. bdev_lvol_start_shallow_copy of the work lvol into r.<replica>: it copies only the clusters
 *      the work lvol owns, its one cluster, to offset 0 (transcript 20: a destination smaller than
 *      the source fails only at the check; the replica is larger), followed to its end;
 *   4. the work lvol is deleted.
 *
 * Every path tears down what it made, in that order; a crash leaves at most b.<replica>, a bk-z
 * aio bdev and its file, which the backup sweep at start removes in the same order (SpdkDataPath
 * sweepOrphans). The caller holds the replica's lock and has made sure nothing claims its head.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import { alias, headLvolName, restoreLvolName } from '../node/naming.js';
import { deleteQuietly } from '../node/spdk-verdicts.js';
import { runShallowCopy } from '../rebuild/shallow-copy.js';
import type { StagingArea } from './staging-area.js';
import { deleteStagingBdev } from './staging-bdev.js';

export type ZeroClusterContext = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'log'>;

/** Zeroes cluster 0 of replica `replica`'s head on `diskName`; returns the bytes zeroed (one cluster). */
export async function zeroFirstCluster(ctx: ZeroClusterContext, staging: StagingArea, replica: string, diskName: string, options?: CallOptions): Promise<number> {
  const disk = ctx.inventory.disks.get(diskName);
  if (!disk) throw new ConductorError('DISK_NOT_FOUND', `disk ${diskName} of replica ${replica} is not loaded`);
  const what = `zeroing the first cluster of replica ${replica}`;
  const reservation = await staging.admit(disk.clusterSize, what);
  const name = staging.newName('z');
  const work = alias(diskName, restoreLvolName(replica));
  const made = { bdev: false, lvol: false };
  const log = ctx.log.child({ replica, disk: diskName, staging: name });
  try {
    const file = await staging.createSparse(name, disk.clusterSize);
    await ctx.spdk.bdev.aioCreate({ name, filename: file, block_size: disk.blockSize, readonly: true }, options);
    made.bdev = true;
    await ctx.spdk.bdev.waitForExamine(options);
    await ctx.spdk.lvol.cloneBdev({ bdev: name, lvs_name: disk.lvstoreName, clone_name: restoreLvolName(replica) }, options);
    made.lvol = true;
    await ctx.spdk.lvol.inflate({ name: work }, options);
    await deleteStagingBdev(ctx, name);
    made.bdev = false;
    await staging.remove(name);
    await ctx.spdk.lvol.setReadOnly({ name: work }, options);
    const copy = await runShallowCopy(
      ctx,
      `the zero cluster into replica ${replica}`,
      work,
      alias(diskName, headLvolName(replica)),
      () => undefined,
      (operation) => log.debug({ operation }, 'zero cluster: shallow copy started'),
      options,
    );
    if (copy.copied_clusters !== 1) throw new ConductorError('SPDK_INCONSISTENT', `${what}: the shallow copy wrote ${copy.copied_clusters} clusters, not 1`);
    await deleteQuietly(ctx, () => ctx.spdk.lvol.delete({ name: work }, options));
    made.lvol = false;
    log.info({ bytes: disk.clusterSize }, 'first cluster of the replica zeroed');
    return disk.clusterSize;
  } finally {
    await teardown(ctx, staging, name, work, made, log);
    reservation.release();
  }
}

/** The work lvol first, then its parent bdev, then the file: the only order in which every call is answered. */
async function teardown(ctx: ZeroClusterContext, staging: StagingArea, name: string, work: string, made: { bdev: boolean; lvol: boolean }, log: DomainContext['log']): Promise<void> {
  try {
    if (made.lvol) await deleteQuietly(ctx, () => ctx.spdk.lvol.delete({ name: work }));
    if (made.bdev) await deleteStagingBdev(ctx, name);
  } catch (error) {
    log.error({ err: (error as Error).message }, 'zero cluster objects not removed from spdk_tgt; the next start removes them');
  }
  // The file goes in any case: an aio bdev left over keeps its own open file until the sweep deletes it.
  await staging.remove(name).catch((error: unknown) => log.error({ err: (error as Error).message }, 'zero cluster staging file not removed; the next start removes it'));
}
