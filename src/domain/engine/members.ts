/**
 * Where an engine's members live in spdk_tgt: the bdev a member is in the raid as (a remote one's
 * NVMe namespace bdev, a local one's head lvol), and waiting for one to be gone after a detach.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineReplicaSpec } from '../model.js';
import { alias, engineMemberBdev, headLvolName } from '../node/naming.js';
import { isGone } from '../node/spdk-verdicts.js';

/** Resolves once spdk_tgt no longer has `bdev` (a detached controller's bdev goes asynchronously). */
export async function waitBdevGone(ctx: Pick<DomainContext, 'spdk' | 'client'>, bdev: string, timeoutMs: number, options?: CallOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ctx.spdk.bdev.getBdevs({ name: bdev }, options);
    } catch (error) {
      if (isGone(ctx, error)) return;
      throw error;
    }
    if (Date.now() > deadline) throw new ConductorError('MEMBER_DETACH_TIMEOUT', `bdev ${bdev} was still there ${timeoutMs} ms after its controller was detached`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function memberBdev(volume: string, member: Readonly<EngineReplicaSpec>, ctx: Pick<DomainContext, 'inventory'>): string {
  if (member.kind === 'remote') return engineMemberBdev(volume, member.name);
  const head = ctx.inventory.head(member.name);
  return head ? alias(head.disk, head.name) : alias('?', headLvolName(member.name));
}
