/**
 * Where an engine's members live in spdk_tgt: the bdev a member is in the raid as (a remote one's
 * NVMe namespace bdev, a local one's head lvol), waiting for one to be gone after a detach, and
 * whether the members given to a create can carry the engine at all.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineReplicaSpec } from '../model.js';
import { alias, engineMemberBdev, engineRaidName, headLvolName } from '../node/naming.js';
import type { EngineSpec } from '../node/state-file.js';
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

/**
 * Before an engine create changes anything: every local member exists, is as large as the engine,
 * and is in no other engine (by the records, then by spdk_tgt's raids, which would refuse the
 * claim with a bare EPERM).
 */
export async function checkLocalMembers(ctx: Pick<DomainContext, 'spdk' | 'inventory'>, spec: EngineSpec, engines: readonly EngineSpec[], options?: CallOptions): Promise<void> {
  const bdevs = new Map<string, string>();
  for (const member of spec.replicas) {
    if (member.kind !== 'local') continue;
    const head = ctx.inventory.head(member.name);
    if (!head) throw new ConductorError('REPLICA_NOT_FOUND', `local replica ${member.name} does not exist on this node; ReplicaList shows the replicas`, { field: 'replicas' });
    checkMemberSize(spec, member.name, head.sizeBytes);
    const other = engines.find((e) => e.name !== spec.name && e.replicas.some((r) => r.kind === 'local' && r.name === member.name));
    if (other) throw new ConductorError('REPLICA_CLAIMED', `replica ${member.name} is a member of engine ${other.name}; remove it from that engine first`);
    bdevs.set(alias(head.disk, head.name), member.name);
    bdevs.set(head.uuid, member.name);
  }
  if (bdevs.size === 0) return;
  for (const raid of await ctx.spdk.raid.getBdevs('all', options)) {
    if (raid.name === engineRaidName(spec.name)) continue;
    const claimed = raid.base_bdevs_list.map((b) => (b.name ? bdevs.get(b.name) : undefined)).find((r) => r !== undefined);
    if (claimed)
      throw new ConductorError(
        'REPLICA_CLAIMED',
        `replica ${claimed} is in raid ${raid.name} in spdk_tgt${raid.name.startsWith('e.') ? ` (engine ${raid.name.slice(2)})` : ''}; remove it there first`,
      );
  }
}

/** After the attach, before the raid: every remote member is as large as the engine. */
export async function checkRemoteSizes(ctx: Pick<DomainContext, 'spdk'>, spec: EngineSpec, attached: ReadonlyArray<{ name: string; bdev: string | undefined }>, options?: CallOptions): Promise<void> {
  const remote = new Set(spec.replicas.filter((r) => r.kind === 'remote').map((r) => r.name));
  for (const member of attached) {
    if (!remote.has(member.name) || member.bdev === undefined) continue;
    const [bdev] = await ctx.spdk.bdev.getBdevs({ name: member.bdev }, options);
    if (bdev) checkMemberSize(spec, member.name, bdev.num_blocks * bdev.block_size);
  }
}

function checkMemberSize(spec: EngineSpec, replica: string, bytes: number): void {
  if (bytes >= spec.sizeBytes) return;
  throw new ConductorError(
    'INVALID_SIZE',
    `engine ${spec.name} of ${spec.sizeBytes} bytes does not fit on replica ${replica} of ${bytes} bytes; make the engine at most ${bytes} bytes or expand the replica`,
    { field: 'size_bytes' },
  );
}
