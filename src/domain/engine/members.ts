/**
 * Where an engine's members live in spdk_tgt: the bdev a member is in the raid as (a remote one's
 * NVMe namespace bdev, a local one's head lvol), waiting for one to be gone after a detach, and
 * whether the members given to a create can carry the engine at all.
 */
import { ConductorError, type ErrorCode } from '../../errors.js';
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
 * and is in no other engine (by the records, then by spdk_tgt, whose raid would refuse the claim
 * with a bare EPERM). spdk_tgt is asked per member whether its bdev is claimed; the raids, ~240 KB
 * at 500 engines, are listed only to name the holder of a claimed one.
 */
export async function checkLocalMembers(
  ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory'>,
  spec: EngineSpec,
  engines: { localEnginesOf(replica: string): string[] },
  options?: CallOptions,
): Promise<void> {
  const bdevs = new Map<string, string>();
  const claimed: string[] = [];
  for (const member of spec.replicas) {
    if (member.kind !== 'local') continue;
    const head = ctx.inventory.head(member.name);
    if (!head) throw new ConductorError('REPLICA_NOT_FOUND', `local replica ${member.name} does not exist on this node; ReplicaList shows the replicas`, { field: 'replicas' });
    checkMemberSize(spec, member.name, head.sizeBytes);
    const other = engines.localEnginesOf(member.name).find((e) => e !== spec.name);
    if (other) throw new ConductorError('REPLICA_CLAIMED', `replica ${member.name} is a member of engine ${other}; remove it from that engine first`);
    const name = alias(head.disk, head.name);
    bdevs.set(name, member.name);
    bdevs.set(head.uuid, member.name);
    const [bdev] = await ctx.spdk.bdev.getBdevs({ name }, options).catch((e: unknown) => {
      if (isGone(ctx, e)) return [];
      throw e;
    });
    if (bdev?.claimed) claimed.push(member.name);
  }
  if (claimed.length === 0) return;
  for (const raid of await ctx.spdk.raid.getBdevs('all', options)) {
    if (raid.name === engineRaidName(spec.name)) continue;
    const holds = raid.base_bdevs_list.map((b) => (b.name ? bdevs.get(b.name) : undefined)).find((r) => r !== undefined);
    if (holds)
      throw new ConductorError('REPLICA_CLAIMED', `replica ${holds} is in raid ${raid.name} in spdk_tgt${raid.name.startsWith('e.') ? ` (engine ${raid.name.slice(2)})` : ''}; remove it there first`);
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

/**
 * Before a replica joins a running engine: it holds the volume after its own superblock reserve
 * (`superblock`: the raid keeps one). spdk_tgt would take the member and fail it at
 * bdev_raid_add_base_bdev with a bare -22 once the rebuild was queued; this says why first.
 */
export function checkJoinSize(spec: EngineSpec, member: Readonly<EngineReplicaSpec>, bytes: number, superblock: boolean, ctx: Pick<DomainContext, 'inventory'>): void {
  const reserve = superblock ? superblockReserve(member, ctx) : 0;
  if (bytes >= spec.sizeBytes + reserve) return;
  const mib = (n: number): string => `${+(n / 1024 / 1024).toFixed(2)} MiB`;
  throw new ConductorError(
    'INVALID_SIZE',
    `replica ${member.name} of ${mib(bytes)} is too small for engine ${spec.name}: its raid needs ${mib(spec.sizeBytes)} of volume data` +
      (reserve > 0 ? ` plus ${mib(reserve)} for the raid superblock on this member` : '') +
      `; expand the replica to at least ${mib(spec.sizeBytes + reserve)} or add a larger one`,
    { field: 'replica' },
  );
}

/** RAID_BDEV_MIN_DATA_OFFSET_SIZE: a superblock raid's data starts at least 1 MiB into each member. */
const SUPERBLOCK_MIN_OFFSET = 1024 * 1024;

/**
 * Where a superblock raid's data starts on a member (transcript 17): 1 MiB rounded up to the
 * bdev's optimal I/O boundary, which on a local lvol is its lvstore's cluster (4 MiB by
 * default) and on an NVMe namespace bdev is none (1 MiB).
 */
export function superblockReserve(member: Readonly<EngineReplicaSpec>, ctx: Pick<DomainContext, 'inventory'>): number {
  if (member.kind === 'remote') return SUPERBLOCK_MIN_OFFSET;
  const head = ctx.inventory.head(member.name);
  const cluster = head ? (ctx.inventory.disks.get(head.disk)?.clusterSize ?? 0) : 0;
  return cluster > 0 ? Math.ceil(SUPERBLOCK_MIN_OFFSET / cluster) * cluster : SUPERBLOCK_MIN_OFFSET;
}

/**
 * Whether every member has room for the volume after its superblock reserve: then the engine's
 * raid keeps a superblock and its usable size is still at least the volume's. Members made exactly
 * the volume's size (as before superblocks) make an engine without one.
 */
export async function superblockFits(
  ctx: Pick<DomainContext, 'spdk' | 'inventory'>,
  spec: EngineSpec,
  attached: ReadonlyArray<{ name: string; bdev: string | undefined }>,
  options?: CallOptions,
): Promise<boolean> {
  for (const member of attached) {
    const replica = spec.replicas.find((r) => r.name === member.name);
    if (!replica || member.bdev === undefined) continue;
    let bytes: number;
    if (replica.kind === 'local') {
      bytes = ctx.inventory.head(replica.name)?.sizeBytes ?? 0;
    } else {
      const [bdev] = await ctx.spdk.bdev.getBdevs({ name: member.bdev }, options);
      bytes = bdev ? bdev.num_blocks * bdev.block_size : 0;
    }
    if (bytes < spec.sizeBytes + superblockReserve(replica, ctx)) return false;
  }
  return true;
}

/** Every name spdk_tgt may list a member's slot under: its bdev name, and a local lvol's uuid (after examine). */
export function memberSlotNames(volume: string, member: Readonly<EngineReplicaSpec>, ctx: Pick<DomainContext, 'inventory'>): string[] {
  const names = [memberBdev(volume, member, ctx)];
  if (member.kind === 'local') {
    const head = ctx.inventory.head(member.name);
    if (head) names.push(head.uuid);
  }
  return names;
}

/** A member's attach as attachAll saw it; `code` says why it failed when that is known. */
export interface Attached {
  name: string;
  bdev: string | undefined;
  error: string | undefined;
  code?: ErrorCode;
}
