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
 * Turns spdk_tgt's resource errors (ENOSPC, ENOMEM) into DISK_FULL and DMA_EXHAUSTED with what to
 * do; others pass. The one place they are read: operations translate where they know what failed,
 * and NodeService translates whatever still escapes an operation.
 */
export function translate(error: unknown, what: string): unknown {
  if (error instanceof SpdkRpcError) {
    if (error.isNoSpace) return new ConductorError('DISK_FULL', `${what}: the disk has no space left (${error.rpcMessage}); free space or use another disk`, { cause: error.message });
    if (error.isOutOfMemory) return new ConductorError('DMA_EXHAUSTED', `${what}: spdk_tgt is out of DMA memory (${error.rpcMessage}); add hugepages or remove objects`, { cause: error.message });
  }
  return error;
}
