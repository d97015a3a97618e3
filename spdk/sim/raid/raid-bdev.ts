/**
 * One raid1 bdev: its slots (base bdevs), its state and counters exactly as bdev_raid.c keeps them,
 * its I/O (reads from the least-busy healthy member, writes to every operational member, a failing
 * member is failed out while the I/O still succeeds on another) and its rebuild process.
 *
 * Counters follow spdk_tgt: num_base_bdevs_operational starts at the slot count and only drops
 * when a member leaves an online raid (so a `configuring` raid reports 2 operational, 1 discovered);
 * adding a member to a degraded raid raises it again as the rebuild starts.
 */
import { SimIoError, type BdevRegistry, type MemoryBudget, type SimBdev } from '../core/contract.js';
import { EEXIST, EINVAL, EIO, ENODEV, ENOMEM, EPERM } from '../fabric/errno.js';
import { Rebuild } from './rebuild.js';
import { clearSuperblock, writeSuperblock, type Superblock } from './superblock.js';
import { RaidVolume } from './volume.js';

export type RaidState = 'online' | 'configuring' | 'offline';
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** RAID_BDEV_MIN_DATA_OFFSET_SIZE: a superblock raid keeps its data 1 MiB into each member. */
const SUPERBLOCK_OFFSET_BYTES = 1024 * 1024;
/** spdk_tgt allocates RAID_BDEV_PROCESS_MAX_QD (16) window-sized buffers up front. */
const PROCESS_BUFFERS = 16;

export interface RaidEnv {
  readonly bdevs: BdevRegistry;
  readonly memory: MemoryBudget;
  log(event: string, fields?: Record<string, unknown>): void;
  processOptions(): { windowKb: number; maxMbPerSec: number };
  /** An offline raid with no member left is freed. */
  forget(raid: Raid): void;
}

export interface Slot {
  name: string | null;
  uuid: string;
  bdev: SimBdev | null;
  configured: boolean;
  dataOffset: number;
  dataSize: number;
  failed: boolean;
  processTarget: boolean;
  readsOutstanding: number;
}

/** Where configuring a member failed: before it joined, or when its rebuild could not start. */
export interface ConfigureResult {
  readonly rc: number;
  readonly rebuildFailed?: boolean;
}

interface InflightWrite {
  readonly start: number;
  readonly end: number;
  readonly done: Promise<unknown>;
}

export class Raid {
  readonly slots: Slot[];
  state: RaidState = 'configuring';
  blockSize = 0;
  numBlocks = 0;
  discovered = 0;
  operational: number;
  volume: RaidVolume | null = null;
  process: Rebuild | null = null;
  /** The superblock this raid keeps on its members (superblock raids, once online or examined). */
  sb: Superblock | null = null;
  private readonly inflight = new Set<InflightWrite>();
  private rebuildMemoryHeld = false;
  /** Superblock writes go one after another, as spdk_tgt's do. */
  private sbWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: RaidEnv,
    readonly name: string,
    memberNames: ReadonlyArray<string | null>,
    readonly superblock: boolean,
    public uuid: string,
  ) {
    this.slots = memberNames.map((n) => emptySlot(n));
    this.operational = memberNames.length;
  }

  /**
   * raid_bdev_create_from_sb: the raid a superblock describes, configuring, each slot with its
   * recorded offsets; only members the superblock counts as configured are expected (uuid) and
   * operational.
   */
  static fromSuperblock(env: RaidEnv, sb: Superblock): Raid {
    const raid = new Raid(env, sb.name, new Array<null>(sb.numBaseBdevs).fill(null), true, sb.uuid);
    raid.sb = structuredClone(sb);
    raid.operational = 0;
    for (const entry of sb.members) {
      const slot = raid.slots[entry.slot];
      if (!slot) continue;
      if (entry.state === 'configured') {
        slot.uuid = entry.uuid;
        raid.operational++;
      }
      slot.dataOffset = entry.dataOffset;
      slot.dataSize = entry.dataSize;
    }
    return raid;
  }

  /** bdev_raid_get_bdevs' fields after name and uuid (and driver_specific.raid after uuid). */
  info(): Record<string, unknown> {
    return {
      strip_size_kb: 0,
      state: this.state,
      raid_level: 'raid1',
      superblock: this.superblock,
      num_base_bdevs: this.slots.length,
      num_base_bdevs_discovered: this.discovered,
      num_base_bdevs_operational: this.operational,
      ...(this.process ? { process: this.process.info } : {}),
      base_bdevs_list: this.slots.map((s) => ({
        name: s.name,
        uuid: s.uuid,
        is_configured: s.configured,
        data_offset: s.dataOffset,
        data_size: s.dataSize,
      })),
    };
  }

  /** The member slot holding `bdev`, if any. */
  slotOf(bdev: SimBdev): Slot | undefined {
    return this.slots.find((s) => s.bdev === bdev);
  }

  /** A free slot for bdev_raid_add_base_bdev: no name and no uuid. */
  freeSlot(): Slot | undefined {
    return this.slots.find((s) => s.name === null && s.uuid === ZERO_UUID);
  }

  /** Opens, claims and sizes `bdev` into `slot`, then brings the raid online or starts a rebuild. */
  configure(slot: Slot, bdev: SimBdev): ConfigureResult {
    if (bdev.claim !== null) return { rc: -EPERM };
    const dataOffset = this.superblock ? this.dataOffsetOn(slot, bdev) : 0;
    if (dataOffset >= bdev.numBlocks) return { rc: -EINVAL };
    const dataSize = slot.dataSize === 0 ? bdev.numBlocks - dataOffset : slot.dataSize;
    if (dataOffset + dataSize > bdev.numBlocks) return { rc: -EINVAL };
    if (this.blockSize !== 0 && this.blockSize !== bdev.blockSize) return { rc: -EINVAL };
    this.env.bdevs.claim(bdev.name, { module: 'raid', holder: this.name, claimType: 'exclusive_write' });
    if (this.blockSize === 0) this.blockSize = bdev.blockSize;
    slot.name ??= bdev.name;
    slot.uuid = bdev.uuid;
    slot.bdev = bdev;
    slot.dataOffset = dataOffset;
    slot.dataSize = dataSize;
    slot.failed = false;

    if (this.discovered === this.operational && !slot.processTarget) slot.processTarget = true;
    slot.configured = true;
    this.discovered++;
    if (this.discovered === this.operational) return { rc: this.goOnline() };
    if (slot.processTarget) {
      this.operational++;
      const rc = this.startRebuild(slot);
      if (rc !== 0) {
        this.env.log('raid_rebuild_failed_to_start', { raid: this.name, error: rc });
        this.removeMember(slot);
        return { rc, rebuildFailed: true };
      }
      return { rc: 0 };
    }
    slot.processTarget = false;
    return { rc: 0 };
  }

  /**
   * 1 MiB of blocks (RAID_BDEV_MIN_DATA_OFFSET_SIZE) rounded up to the member's optimal I/O
   * boundary (an lvol's cluster: 1024 blocks on a 4 MiB-cluster lvstore, 256 on an NVMe bdev, as
   * transcript 17 shows); a superblock's recorded offset wins, with spdk_tgt's warning when it is
   * not that value.
   */
  private dataOffsetOn(slot: Slot, bdev: SimBdev): number {
    let offset = slot.dataOffset !== 0 ? slot.dataOffset : Math.ceil(SUPERBLOCK_OFFSET_BYTES / bdev.blockSize);
    const boundary = bdev.optimalIoBoundary ?? 0;
    if (boundary !== 0) {
      const optimal = Math.ceil(offset / boundary) * boundary;
      if (slot.dataOffset !== 0 && slot.dataOffset !== optimal) {
        this.env.log('raid_data_offset_not_optimal', { message: `Data offset ${slot.dataOffset} on bdev '${bdev.name}' is different than optimal value ${optimal}` });
      } else {
        offset = optimal;
      }
    }
    return offset;
  }

  /**
   * Takes a member out (remove_base_bdev, hot-remove, or a failed member). Returns 0 or -ENODEV
   * when the slot holds no configured member.
   */
  removeMember(slot: Slot): number {
    if (!slot.configured) return -ENODEV;
    if (this.state !== 'online') {
      this.releaseSlot(slot);
      if (this.discovered === 0 && this.state === 'offline') this.env.forget(this);
      return 0;
    }
    const process = this.process;
    if (process && (slot.processTarget || this.readableMembers(slot).length === 0)) {
      // The copy cannot go on: stop it; its end removes the target (see rebuildFinished).
      process.stop(-ENODEV);
    }
    const index = this.slots.indexOf(slot);
    const failed = slot.failed;
    this.releaseSlot(slot);
    this.operational--;
    // The members that stay record that this one left; the one that left keeps its older version.
    const entry = this.sb?.members.find((m) => m.slot === index && m.state === 'configured');
    if (entry) {
      entry.state = failed ? 'failed' : 'missing';
      this.persistSuperblock();
    }
    if (this.operational < 1) this.deconfigure();
    return 0;
  }

  /** Writes the superblock, one version on, to every configured member. */
  persistSuperblock(): void {
    const sb = this.sb;
    if (!sb) return;
    sb.seq++;
    const copy = structuredClone(sb);
    const targets = this.slots.filter((s) => s.configured && !s.failed && s.bdev).map((s) => s.bdev!);
    this.sbWrites = this.sbWrites.then(async () => {
      const results = await Promise.allSettled(targets.map((bdev) => writeSuperblock(bdev, copy)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') this.env.log('raid_sb_write_failed', { message: `Failed to save superblock on bdev ${targets[i]!.name}` });
      });
    });
  }

  /** Resolves once every superblock write asked for so far has ended. */
  superblockWritten(): Promise<void> {
    return this.sbWrites;
  }

  /** bdev_raid_delete with clear_sb: the configured members lose the superblock first. */
  async clearSuperblocks(): Promise<void> {
    await this.sbWrites;
    const members = this.slots.filter((s) => s.configured && s.bdev).map((s) => s.bdev!);
    await Promise.allSettled(members.map((bdev) => clearSuperblock(bdev)));
  }

  /**
   * raid_bdev_resize_base_bdev with raid1_resize: a member changed size, and the raid takes the
   * smallest configured member less its data offset (transcript 21: it grows by itself, there is
   * no raid resize RPC). A shrink of a claimed (exported) raid is refused by the bdev layer and
   * the raid stays as it was. A superblock raid records the new data sizes on its members.
   * Returns true when the raid's size changed.
   */
  memberResized(): boolean {
    const volume = this.volume;
    if (this.state !== 'online' || !volume) return false;
    const sizes = this.slots.filter((s) => s.configured && s.bdev).map((s) => s.bdev!.numBlocks - s.dataOffset);
    if (sizes.length === 0) return false;
    const size = Math.min(...sizes);
    if (size === this.numBlocks) return false;
    if (size < this.numBlocks && volume.claim !== null) {
      this.env.log('raid_resize_failed', { message: 'Failed to notify blockcount change' });
      return false;
    }
    this.env.log('raid_resized', { message: `raid bdev '${this.name}': block count was changed from ${this.numBlocks} to ${size}` });
    this.numBlocks = size;
    volume.numBlocks = size;
    for (const slot of this.slots) slot.dataSize = size;
    if (this.sb) {
      for (const entry of this.sb.members) {
        const slot = this.slots[entry.slot];
        if (slot) entry.dataSize = slot.dataSize;
      }
      this.persistSuperblock();
    }
    return true;
  }

  /** raid_bdev_fail_base_bdev: a member whose I/O failed leaves the raid. */
  failMember(slot: Slot): void {
    if (slot.failed || !slot.configured) return;
    slot.failed = true;
    this.env.log('raid_fail_base_bdev', {
      message: `Failing base bdev in slot ${this.slots.indexOf(slot)} ('${slot.name}') of raid bdev '${this.name}'`,
    });
    this.removeMember(slot);
  }

  /** bdev_raid_delete: unregisters the raid and lets go of every member. */
  delete(): void {
    this.process?.stop(-ENODEV);
    this.process = null;
    this.freeRebuildMemory();
    for (const slot of this.slots) if (slot.configured) this.releaseSlot(slot);
    this.unregister();
    this.state = 'offline';
  }

  async read(lba: number, count: number, includeTarget = true): Promise<Buffer> {
    this.checkRange(lba, count);
    const candidates = this.readableMembers(null, includeTarget ? lba + count : 0);
    if (candidates.length === 0) throw new SimIoError(-EIO, `raid ${this.name} has no readable member`);
    const first = candidates.reduce((a, b) => (b.readsOutstanding < a.readsOutstanding ? b : a));
    try {
      return await this.readMember(first, lba, count);
    } catch {
      // raid1 reads another member, then rewrites the data on the one that failed; only when that
      // write fails too is the member failed out.
      for (const other of candidates) {
        if (other === first || !other.configured || other.failed) continue;
        let data: Buffer;
        try {
          data = await this.readMember(other, lba, count);
        } catch {
          continue;
        }
        await this.writeMember(first, lba, data).catch(() => this.failMember(first));
        return data;
      }
      this.failMember(first);
      throw new SimIoError(-EIO, `raid ${this.name}: read failed on every member`);
    }
  }

  async write(lba: number, data: Buffer): Promise<void> {
    const count = data.length / this.blockSize;
    if (!Number.isInteger(count)) throw new SimIoError(-EINVAL, 'write not a multiple of the block size');
    this.checkRange(lba, count);
    await this.process?.waitUnlocked(lba, count);
    const done = this.writeMembers(lba, data, count);
    const entry: InflightWrite = { start: lba, end: lba + count, done };
    this.inflight.add(entry);
    try {
      await done;
    } finally {
      this.inflight.delete(entry);
    }
  }

  private async writeMembers(lba: number, data: Buffer, count: number): Promise<void> {
    const parts: Array<{ slot: Slot; blocks: number }> = [];
    for (const slot of this.slots) {
      if (!slot.configured || slot.failed) continue;
      if (slot.processTarget) {
        // Only the part the rebuild already copied; the rest will be copied from a source.
        const copied = Math.min(count, Math.max(0, (this.process?.offset ?? 0) - lba));
        if (copied > 0) parts.push({ slot, blocks: copied });
      } else {
        parts.push({ slot, blocks: count });
      }
    }
    if (parts.length === 0) throw new SimIoError(-ENODEV, `raid ${this.name} has no operational member`);
    const results = await Promise.allSettled(parts.map((p) => this.writeMember(p.slot, lba, data.subarray(0, p.blocks * this.blockSize))));
    let written = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') written++;
      else this.failMember(parts[i]!.slot);
    });
    if (written === 0) throw new SimIoError(-EIO, `raid ${this.name}: write failed on every member`);
  }

  private readableMembers(except: Slot | null, copiedUpTo = 0): Slot[] {
    return this.slots.filter((s) => s !== except && s.configured && !s.failed && (!s.processTarget || (this.process !== null && copiedUpTo > 0 && copiedUpTo <= this.process.offset)));
  }

  private async readMember(slot: Slot, lba: number, count: number): Promise<Buffer> {
    const bdev = slot.bdev;
    if (!bdev) throw new SimIoError(-ENODEV, 'member gone');
    slot.readsOutstanding += count;
    try {
      return await bdev.read(lba + slot.dataOffset, count);
    } finally {
      slot.readsOutstanding -= count;
    }
  }

  private async writeMember(slot: Slot, lba: number, data: Buffer): Promise<void> {
    const bdev = slot.bdev;
    if (!bdev) throw new SimIoError(-ENODEV, 'member gone');
    await bdev.write(lba + slot.dataOffset, data);
  }

  private checkRange(lba: number, count: number): void {
    if (this.state !== 'online') throw new SimIoError(-ENODEV, `raid ${this.name} is ${this.state}`);
    if (lba < 0 || count <= 0 || lba + count > this.numBlocks) {
      throw new SimIoError(-EINVAL, `I/O beyond the end of raid ${this.name}`);
    }
  }

  private goOnline(): number {
    const sizes = this.slots.filter((s) => s.configured).map((s) => s.dataSize);
    this.numBlocks = Math.min(...sizes);
    for (const slot of this.slots) if (slot.configured) slot.dataSize = this.numBlocks;
    if (this.uuid === ZERO_UUID) this.uuid = crypto.randomUUID();
    if (this.superblock && this.sb === null) this.sb = this.initialSuperblock();
    const volume = new RaidVolume(this);
    // Online before registering: examine (lvol) reads the new bdev from inside add().
    this.volume = volume;
    this.state = 'online';
    try {
      this.env.bdevs.add(volume);
    } catch {
      this.volume = null;
      this.state = 'configuring';
      for (const slot of this.slots) if (slot.configured) this.releaseSlot(slot);
      return -EEXIST;
    }
    // spdk_tgt writes the superblock each time the raid is configured (a raid examined back too).
    this.persistSuperblock();
    return 0;
  }

  private initialSuperblock(): Superblock {
    return {
      uuid: this.uuid,
      name: this.name,
      seq: 0,
      blockSize: this.blockSize,
      numBaseBdevs: this.slots.length,
      members: this.slots.map((s, slot) => ({ slot, uuid: s.uuid, state: 'configured', dataOffset: s.dataOffset, dataSize: s.dataSize })),
    };
  }

  private get rebuildTag(): string {
    return `raid-rebuild:${this.name}`;
  }

  private startRebuild(target: Slot): number {
    const opts = this.env.processOptions();
    if (!this.env.memory.alloc(this.rebuildTag, PROCESS_BUFFERS * opts.windowKb * 1024)) return -ENOMEM;
    this.rebuildMemoryHeld = true;
    this.env.log('raid_rebuild_started', { message: `Started rebuild on raid bdev ${this.name}` });
    this.process = new Rebuild(
      {
        name: this.name,
        blockSize: this.blockSize,
        numBlocks: this.numBlocks,
        readSource: (lba, count) => this.read(lba, count, false),
        writeTarget: (lba, data) => this.writeMember(target, lba, data),
        drainWrites: (start, end) => this.drainWrites(start, end),
        finished: (status) => this.rebuildFinished(target, status),
        log: (event, fields) => this.env.log(event, fields),
      },
      target.name ?? '',
      { windowKb: opts.windowKb, maxMbPerSec: opts.maxMbPerSec },
    );
    return 0;
  }

  private rebuildFinished(target: Slot, status: number): void {
    this.process = null;
    this.freeRebuildMemory();
    target.processTarget = false;
    if (status === 0) {
      this.env.log('raid_rebuild_finished', { message: `Finished rebuild on raid bdev ${this.name}` });
      this.superblockAfterRebuild();
      return;
    }
    this.env.log('raid_rebuild_failed', { message: `Finished rebuild on raid bdev ${this.name}`, status });
    if (target.configured) this.removeMember(target);
  }

  /** A slot the superblock does not count as configured whose member now is: it is, from now on. */
  private superblockAfterRebuild(): void {
    if (!this.sb) return;
    for (const entry of this.sb.members) {
      const slot = this.slots[entry.slot];
      if (entry.state === 'configured' || !slot?.configured) continue;
      entry.state = 'configured';
      entry.dataOffset = slot.dataOffset;
      entry.uuid = slot.uuid;
    }
    this.persistSuperblock();
  }

  private freeRebuildMemory(): void {
    if (!this.rebuildMemoryHeld) return;
    this.rebuildMemoryHeld = false;
    this.env.memory.free(this.rebuildTag);
  }

  private async drainWrites(start: number, end: number): Promise<void> {
    const overlapping = [...this.inflight].filter((w) => w.start < end && w.end > start);
    await Promise.allSettled(overlapping.map((w) => w.done));
  }

  /** Lets go of the member in `slot` and empties it (keeping data_size, as spdk_tgt does). */
  private releaseSlot(slot: Slot): void {
    const bdev = slot.bdev;
    if (bdev && this.env.bdevs.get(bdev.name) === bdev && bdev.claim?.holder === this.name) {
      this.env.bdevs.release(bdev.name, this.name);
    }
    slot.bdev = null;
    slot.configured = false;
    slot.name = null;
    slot.uuid = ZERO_UUID;
    slot.dataOffset = 0;
    slot.processTarget = false;
    this.discovered--;
  }

  /** Too few members left: the raid goes offline and leaves the bdev registry. */
  private deconfigure(): void {
    this.state = 'offline';
    this.unregister();
    if (this.discovered === 0) this.env.forget(this);
  }

  /** The registry dropped the raid's bdev behind bdev_raid_delete's back: the raid goes with it. */
  volumeDestroyed(volume: RaidVolume): void {
    if (this.volume !== volume) return;
    this.volume = null;
    this.delete();
    this.env.forget(this);
  }

  private unregister(): void {
    const volume = this.volume;
    this.volume = null;
    if (volume && this.env.bdevs.get(volume.name) === volume) this.env.bdevs.remove(volume.name, 'raid deleted');
  }
}

function emptySlot(name: string | null): Slot {
  return {
    name,
    uuid: ZERO_UUID,
    bdev: null,
    configured: false,
    dataOffset: 0,
    dataSize: 0,
    failed: false,
    processTarget: false,
    readsOutstanding: 0,
  };
}
