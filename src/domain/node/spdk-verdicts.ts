/**
 * Reading spdk_tgt's answers in domain terms: an error's verdict (per the method's contract) and
 * the service error a caller should see, with what was wrong and what to do.
 */
import { ConductorError, SpdkRpcError } from '../../errors.js';
import type { DomainContext } from './context.js';

/** True when the error says the object the call named is certainly not there. */
export function isGone(ctx: Pick<DomainContext, 'client'>, error: unknown): boolean {
  return ctx.client.verdictOf(error) === 'gone';
}

/** 'exists' is certain; 'maybe-exists' needs a read to confirm. */
export function existsVerdict(ctx: Pick<DomainContext, 'client'>, error: unknown): 'exists' | 'maybe' | undefined {
  const verdict = ctx.client.verdictOf(error);
  if (verdict === 'exists') return 'exists';
  if (verdict === 'maybe-exists') return 'maybe';
  return undefined;
}

/** Deletes idempotently: an answer meaning "already gone" is success. */
export async function deleteQuietly(ctx: Pick<DomainContext, 'client'>, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!isGone(ctx, error)) throw error;
  }
}

/**
 * Methods whose EPERM (-1) means "a base bdev is claimed by another module": raid create
 * (transcript 08, "bdev_raid_create with a base bdev already claimed") and lvstore create on a
 * claimed bdev (same transcript). Elsewhere EPERM means other things (keyring_file_add_key: the
 * key file's mode), so it is read per method.
 */
const CLAIMING_METHODS: ReadonlySet<string> = new Set(['bdev_raid_create', 'bdev_lvol_create_lvstore']);

/**
 * Turns the spdk_tgt errors a caller can act on into codes that say so; others pass. Resource
 * errors (ENOSPC, ENOMEM) become DISK_FULL and DMA_EXHAUSTED; EPERM on a claimed bdev
 * BDEV_CLAIMED (the caller must release it: retrying cannot help); EIO from attaching an NVMe-oF
 * target (nothing listens there, no such subsystem, or the host is not allowed: transcripts 08
 * and 15) NVMF_TARGET_UNREACHABLE, to retry once the target is back. The one place they are read:
 * operations translate where they know what failed, and NodeService translates whatever still
 * escapes an operation.
 */
export function translate(error: unknown, what: string): unknown {
  if (error instanceof SpdkRpcError) {
    if (error.isNoSpace) return new ConductorError('DISK_FULL', `${what}: the disk has no space left (${error.rpcMessage}); free space or use another disk`, { cause: error.message });
    if (error.isOutOfMemory) return new ConductorError('DMA_EXHAUSTED', `${what}: spdk_tgt is out of DMA memory (${error.rpcMessage}); add hugepages or remove objects`, { cause: error.message });
    if (error.is('EPERM') && CLAIMING_METHODS.has(error.method)) {
      return new ConductorError(
        'BDEV_CLAIMED',
        `${what}: a bdev it needs is already in use by another object in spdk_tgt (${error.rpcMessage}); release it first (unexpose the replica, or remove it from its engine)`,
        {
          cause: error.message,
        },
      );
    }
    if (error.is('EIO') && error.method === 'bdev_nvme_attach_controller') {
      return new ConductorError(
        'NVMF_TARGET_UNREACHABLE',
        `${what}: spdk_tgt could not attach the NVMe-oF target (${error.rpcMessage}): nothing listens at that address and port, the subsystem does not exist, or it does not allow this node's host NQN; check the target, then retry`,
        { cause: error.message },
      );
    }
  }
  return error;
}
