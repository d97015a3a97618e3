/**
 * Staging aio bdevs: how spdk_tgt does I/O on their files, and deleting one safely.
 *
 * Deleting: an aio bdev that an esnap clone still uses as its parent is
 * never answered when deleted (transcript 20: the clone keeps it open and ignores the remove
 * event), and a call that never returns would hold its caller for the whole deadline. So the
 * delete goes out only when spdk_tgt says nothing claims the bdev; otherwise it is refused and
 * the bdev left for the caller to release first (delete or inflate the clone) or for the sweep
 * at the next start, which deletes the clones first.
 */
import { ConductorError } from '../../errors.js';
import type { DomainContext } from '../node/context.js';
import { deleteQuietly } from '../node/spdk-verdicts.js';

/**
 * Whether spdk_tgt reads and writes a staging aio bdev's file with O_DIRECT: real spdk_tgt does
 * (module/bdev/aio/bdev_aio.c), the simulator goes through the page cache. The service does its own
 * I/O on the file the same way (staging-image.ts reads, staging-writer.ts writes).
 */
export async function aioUsesDirectIo(ctx: Pick<DomainContext, 'client'>): Promise<boolean> {
  return (await ctx.client.capabilities.get()).simulator === undefined;
}

export async function deleteStagingBdev(ctx: Pick<DomainContext, 'spdk' | 'client'>, name: string): Promise<void> {
  let bdevs: Awaited<ReturnType<typeof ctx.spdk.bdev.getBdevs>>;
  try {
    bdevs = await ctx.spdk.bdev.getBdevs({ name });
  } catch (error) {
    if (ctx.client.verdictOf(error) === 'gone') return;
    throw error;
  }
  const bdev = bdevs[0];
  if (!bdev) return;
  if (bdev.claimed) throw new ConductorError('SPDK_INCONSISTENT', `staging bdev ${name} is still claimed (${bdev.claim_type ?? 'unknown claim'}); it is left for the next start`);
  await deleteQuietly(ctx, () => ctx.spdk.bdev.aioDelete({ name }));
}
