/**
 * A clone's stale raid superblock. A replica cloned from a snapshot of a superblock engine's member
 * holds, in its first cluster, that engine's raid superblock; spdk_tgt v26.05 refuses a base bdev
 * carrying another raid's valid superblock to any new raid (bdev_raid.c,
 * raid_bdev_configure_base_bdev_check_sb_cb: -EEXIST), while one with none (or an invalid one) is
 * taken and gets the new raid's.
 *
 * When an EngineCreate's raid create answers -17, each member is probed: a raid zp.<replica> over
 * the member and a member that never exists reads its superblock as a create does (-17: another
 * raid's), stays configuring otherwise, and is deleted at once (a leftover is a phantom raid,
 * released at start, engine/phantom-raids.ts). The members found carrying one are cleared only if
 * every one of them is
 *   - local (another node's clone is cleared by that node when it first exports it, see
 *     clearBeforeExport; one still carrying a superblock here is refused, named),
 *   - a fresh clone of this node (StateFile.cloneOf: made by ReplicaClone or by a restore from a
 *     backup, never used by an engine or exported since): any other replica's superblock may be a
 *     volume's that salvage needs,
 *   - used by no engine recorded here and claimed by nothing in spdk_tgt,
 *   - on a disk whose cluster is at most 1 MiB: a superblock raid's data starts at 1 MiB rounded up
 *     to the member's optimal I/O boundary (RAID_BDEV_MIN_DATA_OFFSET_SIZE; an lvol's boundary is
 *     its cluster, an NVMe-oF namespace's may be less), so only then is the whole first cluster
 *     known to lie inside the source volume's superblock region, whatever its members were;
 * else the create is refused naming each member and why, nothing changed. Clearing zeroes the first
 * cluster (backup/zero-cluster.ts) under the replica's lock; the caller retries the create once.
 */
import { ConductorError, SpdkRpcError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import { alias, probeRaidName } from '../node/naming.js';
import { deleteQuietly } from '../node/spdk-verdicts.js';
import type { EngineSpec } from '../node/state-file.js';
import type { EngineRecords } from './engine-records.js';
import type { Attached } from './members.js';

const MIB = 1024 * 1024;
const EEXIST = -17;

/** Zeroes cluster 0 of a replica's head (SpdkDataPath.zeroFirstCluster). */
export type ZeroFirstCluster = (replica: string, disk: string, options?: CallOptions) => Promise<number>;

type Ctx = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'log'>;

/** Whether a raid create's failure is spdk_tgt's -17 (another raid's superblock on a member, or the raid's name taken). */
export function isRaidExists(error: unknown): boolean {
  return error instanceof SpdkRpcError && error.rpcCode === EEXIST;
}

export class StaleSuperblocks {
  constructor(
    private readonly ctx: Ctx,
    private readonly records: Pick<EngineRecords, 'all'>,
    private readonly zero: ZeroFirstCluster,
  ) {}

  /**
   * After the raid create of `spec` over `members` answered -17: clears the stale superblocks of
   * fresh local clones and returns their names (the caller retries once), returns [] when no
   * member carries another raid's superblock (the -17 was something else), or refuses.
   */
  async clear(spec: EngineSpec, members: readonly Attached[], options?: CallOptions): Promise<string[]> {
    const holders: Array<{ name: string; bdev: string }> = [];
    for (const member of members) {
      if (member.bdev && (await this.carriesForeignSuperblock(member.name, member.bdev, options))) holders.push({ name: member.name, bdev: member.bdev });
    }
    if (holders.length === 0) return [];
    const problems: string[] = [];
    for (const holder of holders) {
      const why = await this.unclearable(spec, holder.name, holder.bdev, options);
      if (why) problems.push(`${holder.name}: ${why}`);
    }
    if (problems.length > 0) {
      throw new ConductorError(
        'ENGINE_MEMBER_FOREIGN_SUPERBLOCK',
        `engine ${spec.name}: spdk_tgt refuses members carrying another raid's superblock, and it cannot be cleared here (${problems.join('; ')}); nothing was changed`,
        { members: holders.map((h) => h.name) },
      );
    }
    for (const holder of holders) {
      await this.ctx.locks.with(`replica:${holder.name}`, async () => {
        // Checked again under the lock: a delete or an export may have come in between.
        const why = await this.unclearable(spec, holder.name, holder.bdev, options);
        if (why) throw new ConductorError('ENGINE_MEMBER_FOREIGN_SUPERBLOCK', `engine ${spec.name}: ${holder.name}: ${why}`, { members: [holder.name] });
        const head = this.ctx.inventory.head(holder.name)!;
        await this.zero(holder.name, head.disk, options);
        const clone = this.ctx.state.cloneOf(holder.name);
        this.ctx.log.info(
          { engine: spec.name, replica: holder.name, clonedFrom: clone && `${clone.source}/${clone.snapshot}`, mode: clone?.mode },
          "stale raid superblock cleared: the clone's first cluster (its source volume's superblock region) zeroed",
        );
      });
    }
    return holders.map((h) => h.name);
  }

  /**
   * Before a fresh clone is first exported (its caller holds the replica's lock): an export is how
   * a clone becomes another node's engine member, and that node cannot clear it, so a stale
   * superblock is cleared here, where the clone lives. Only on a disk whose cluster is at most
   * 1 MiB (see above), only when the probe finds one; true when cleared. Not a fresh clone, or in a
   * raid: nothing done.
   */
  async clearBeforeExport(replica: string, options?: CallOptions): Promise<boolean> {
    const clone = this.ctx.state.cloneOf(replica);
    const head = this.ctx.inventory.head(replica);
    if (!clone || !head) return false;
    const users = this.records.all().filter((spec) => spec.replicas.some((r) => r.kind === 'local' && r.name === replica));
    if (users.length > 0) return false;
    const bdev = alias(head.disk, head.name);
    const [found] = await this.ctx.spdk.bdev.getBdevs({ name: bdev }, options);
    if (!found || found.claimed) return false;
    if (!(await this.carriesForeignSuperblock(replica, bdev, options))) return false;
    const cluster = this.ctx.inventory.disks.get(head.disk)?.clusterSize ?? Number.POSITIVE_INFINITY;
    if (cluster > MIB) {
      this.ctx.log.warn(
        { replica, clusterSize: cluster },
        "exported with a stale raid superblock: its disk's cluster is over 1 MiB, so the first cluster may hold volume data and is not zeroed; a new engine elsewhere will refuse it",
      );
      return false;
    }
    await this.zero(replica, head.disk, options);
    this.ctx.log.info(
      { replica, clonedFrom: `${clone.source}/${clone.snapshot}`, mode: clone.mode },
      "stale raid superblock cleared before the clone's first export: its first cluster (its source volume's superblock region) zeroed",
    );
    return true;
  }

  /** Why `replica`'s superblock may not be cleared for engine `spec`; undefined when it may. */
  private async unclearable(spec: EngineSpec, replica: string, bdev: string, options?: CallOptions): Promise<string | undefined> {
    const member = spec.replicas.find((r) => r.name === replica);
    if (member?.kind !== 'local') {
      return `a replica on another node (${member ? `${member.address}:${member.port}` : 'unknown address'}); its node clears a fresh clone's stale superblock when it first exports it, and this one was not (no fresh clone of that node then, or its disk's cluster is over 1 MiB): make the volume over fresh clones, or delete the raid that wrote it with clear_sb`;
    }
    if (!this.ctx.state.cloneOf(replica)) {
      return "not a clone or restore this node made and no engine or export has used since: its superblock may be another volume's, which salvage needs; delete that volume's engine (it clears its superblocks) or use other replicas";
    }
    const users = this.records.all().filter((other) => other.name !== spec.name && other.replicas.some((r) => r.kind === 'local' && r.name === replica));
    if (users.length > 0) return `a member of engine ${users.map((u) => u.name).join(', ')}`;
    const head = this.ctx.inventory.head(replica);
    if (!head) return 'not found on this node';
    const disk = this.ctx.inventory.disks.get(head.disk);
    if (!disk) return `its disk ${head.disk} is not loaded`;
    if (disk.clusterSize > MIB) {
      return `its disk's cluster is ${disk.clusterSize} bytes: the source volume's data may start at 1 MiB, inside the first cluster, which therefore cannot be zeroed safely`;
    }
    const [found] = await this.ctx.spdk.bdev.getBdevs({ name: bdev }, options);
    if (found?.claimed) return `claimed in spdk_tgt (${found.claim_type ?? 'unknown claim'})`;
    return undefined;
  }

  /**
   * Reads `bdev`'s superblock the way a raid create does: a raid over it and a member that never
   * appears. -17: another raid's superblock; created: none (the probe raid stays configuring and
   * is deleted, its superblock never written).
   */
  private async carriesForeignSuperblock(replica: string, bdev: string, options?: CallOptions): Promise<boolean> {
    const { raid, absent } = probeRaidName(replica);
    // A probe left by a killed process would make the create answer -17 for its name.
    await deleteQuietly(this.ctx, () => this.ctx.spdk.raid.delete({ name: raid }, options));
    try {
      await this.ctx.spdk.raid.create({ name: raid, raid_level: 'raid1', base_bdevs: [bdev, absent], strip_size_kb: 0 }, options);
    } catch (error) {
      if (isRaidExists(error)) return true;
      throw error;
    }
    await deleteQuietly(this.ctx, () => this.ctx.spdk.raid.delete({ name: raid }, options));
    return false;
  }
}
