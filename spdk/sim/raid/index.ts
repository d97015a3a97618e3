/**
 * The raid module (bdev_raid): raid1 bdevs over any bdevs of the registry. It examines new bdevs
 * (a `configuring` raid picks up a member that appears later; a bdev carrying a raid superblock
 * brings its raid back, or is re-added to it), takes out members that disappear, and registers
 * the bdev_raid_* methods.
 */
import type { SimBdev, SimModule, SimTarget } from '../core/contract.js';
import { errno } from '../core/errno.js';
import { EEXIST, EINVAL } from '../fabric/errno.js';
import { Raid, ZERO_UUID, type RaidEnv } from './raid-bdev.js';
import { registerRaidRpcs } from './rpc.js';
import { readSuperblock, type Superblock } from './superblock.js';
import { RaidVolume } from './volume.js';

export interface RaidOptions {
  processWindowSizeKb: number;
  processMaxBandwidthMbSec: number;
}

export class RaidModule implements SimModule {
  readonly name = 'raid';
  /** In creation order, as g_raid_bdev_list lists them. */
  readonly raids = new Map<string, Raid>();
  readonly options: RaidOptions = { processWindowSizeKb: 1024, processMaxBandwidthMbSec: 0 };
  private target: SimTarget | null = null;
  private readonly unsubscribe: Array<() => void> = [];

  install(target: SimTarget): void {
    this.target = target;
    this.unsubscribe.push(target.bdevs.onAdd((bdev) => this.examine(bdev)));
    this.unsubscribe.push(target.bdevs.onRemove((bdev) => this.hotRemove(bdev)));
    const offResize = target.bdevs.onResize?.((bdev) => this.memberResized(bdev));
    if (offResize) this.unsubscribe.push(offResize);
    registerRaidRpcs(target, this);
    target.addConfigSource('bdev', () => [
      {
        method: 'bdev_raid_set_options',
        params: {
          process_window_size_kb: this.options.processWindowSizeKb,
          process_max_bandwidth_mb_sec: this.options.processMaxBandwidthMbSec,
        },
      },
    ]);
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const raid of this.raids.values()) raid.process?.stop(-19);
  }

  env(): RaidEnv {
    const target = this.requireTarget();
    return {
      bdevs: target.bdevs,
      memory: target.memory,
      log: (event, fields) => target.log(event, fields),
      processOptions: () => ({
        windowKb: this.options.processWindowSizeKb,
        maxMbPerSec: this.options.processMaxBandwidthMbSec,
      }),
      forget: (raid) => {
        if (this.raids.get(raid.name) === raid) this.raids.delete(raid.name);
      },
    };
  }

  /** The raid whose online member is `bdev`. */
  raidOfMember(bdev: SimBdev): Raid | undefined {
    for (const raid of this.raids.values()) if (raid.slotOf(bdev)) return raid;
    return undefined;
  }

  private requireTarget(): SimTarget {
    if (!this.target) throw new Error('raid module not installed');
    return this.target;
  }

  /**
   * Examine reads the start of every new bdev (bdev_wait_for_examine waits for it): a raid
   * superblock there goes to examineSuperblock, else a configuring raid without a superblock
   * waiting for a member of this name takes it.
   */
  private examine(bdev: SimBdev): Promise<void> | undefined {
    if (bdev instanceof RaidVolume) return undefined;
    return (async () => {
      const sb = await readSuperblock(bdev);
      if (this.target?.bdevs.get(bdev.name) !== bdev || bdev.claim !== null) return;
      if (sb) this.examineSuperblock(sb, bdev);
      else this.examineNoSuperblock(bdev);
    })();
  }

  /**
   * raid_bdev_examine_sb: the raid of that uuid is made from the newest superblock seen (a newer
   * one replaces a configuring raid), a member the superblock counts as configured joins it, and
   * a member an online raid lost (missing or failed in its superblock, e.g. removed before a
   * crash) is re-added and rebuilt. 0 or the errno of why the bdev was not taken.
   */
  examineSuperblock(found: Superblock, bdev: SimBdev): number {
    const log = (event: string, fields: Record<string, unknown>) => this.requireTarget().log(event, fields);
    if (found.blockSize !== bdev.blockSize) return -EINVAL;
    let sb = found;
    let raid: Raid | undefined = [...this.raids.values()].find((r) => r.uuid === sb.uuid);
    if (raid) {
      if (!raid.sb) return -EINVAL;
      if (sb.seq > raid.sb.seq) {
        if (raid.state !== 'configuring') {
          log('raid_sb_newer_ignored', { message: `Newer version of raid bdev ${raid.name} superblock found on bdev ${bdev.name} but raid bdev is not in configuring state.` });
          return -errno.EBUSY;
        }
        raid.delete();
        this.raids.delete(raid.name);
        raid = undefined;
      } else if (sb.seq < raid.sb.seq) {
        sb = raid.sb;
      }
    }
    const entry = sb.members.find((m) => m.uuid === bdev.uuid);
    if (!entry) return -EINVAL;
    let created = false;
    if (!raid) {
      if (this.raids.has(sb.name)) {
        log('raid_create_from_sb_failed', { message: `Failed to create raid bdev ${sb.name}: File exists` });
        return -EEXIST;
      }
      raid = Raid.fromSuperblock(this.env(), sb);
      this.raids.set(raid.name, raid);
      created = true;
    }
    let slot: Raid['slots'][number] | undefined;
    if (raid.state === 'online') {
      slot = raid.slots[entry.slot];
      if (!slot || slot.configured || entry.state === 'configured') return -EEXIST;
      slot.uuid = entry.uuid;
      log('raid_readd', { message: `Re-adding bdev ${bdev.name} to raid bdev ${raid.name}.` });
    } else {
      if (entry.state !== 'configured') {
        log('raid_not_active_member', { message: `Bdev ${bdev.name} is not an active member of raid bdev ${raid.name}. Ignoring.` });
        return -EINVAL;
      }
      slot = raid.slots.find((s) => s.uuid === bdev.uuid);
      if (!slot) return -EINVAL;
      if (slot.configured) return -EEXIST;
    }
    const { rc } = raid.configure(slot, bdev);
    if (rc !== 0) log('raid_examine_failed', { raid: raid.name, bdev: bdev.name, rc });
    if (created) this.examineOthers(raid);
    return rc;
  }

  /** After a raid came back from a superblock: its other members already registered join it too. */
  private examineOthers(raid: Raid): void {
    const target = this.requireTarget();
    for (const slot of raid.slots) {
      if (slot.configured || slot.uuid === ZERO_UUID) continue;
      const bdev = target.bdevs.get(slot.uuid);
      if (!bdev || bdev.claim !== null) continue;
      const registry = target.bdevs as { track?: (p: Promise<void>) => void };
      const work = readSuperblock(bdev).then((sb) => {
        if (sb && bdev.claim === null && target.bdevs.get(bdev.name) === bdev) this.examineSuperblock(sb, bdev);
      });
      registry.track?.(work);
    }
  }

  /** Examine without a superblock: a configuring raid waiting for a member of this name takes it. */
  private examineNoSuperblock(bdev: SimBdev): void {
    for (const raid of this.raids.values()) {
      if (raid.state !== 'configuring' || raid.sb !== null) continue;
      const slot = raid.slots.find((s) => !s.configured && s.name !== null && (s.name === bdev.name || bdev.aliases.includes(s.name)));
      if (!slot || bdev.claim !== null) continue;
      const result = raid.configure(slot, bdev);
      if (result.rc !== 0) {
        this.requireTarget().log('raid_examine_failed', { raid: raid.name, bdev: bdev.name, rc: result.rc });
      }
      return;
    }
  }

  /** A member changed size (SPDK_BDEV_EVENT_RESIZE): its raid follows, and tells its own claimer. */
  private memberResized(bdev: SimBdev): void {
    const raid = this.raidOfMember(bdev);
    if (raid?.memberResized() && raid.volume) this.target?.bdevs.resized?.(raid.volume);
  }

  /** A member left the registry (deleted, or its NVMe controller was lost): out of the raid. */
  private hotRemove(bdev: SimBdev): void {
    for (const raid of this.raids.values()) {
      const slot = raid.slotOf(bdev);
      if (slot) raid.removeMember(slot);
    }
  }
}

export const raidModule = (): RaidModule => new RaidModule();
