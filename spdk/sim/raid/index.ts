/**
 * The raid module (bdev_raid): raid1 bdevs over any bdevs of the registry. It examines new bdevs
 * (a `configuring` raid picks up a member that appears later), takes out members that disappear,
 * and registers the bdev_raid_* methods.
 */
import type { SimBdev, SimModule, SimTarget } from '../core/contract.js';
import type { Raid, RaidEnv } from './raid-bdev.js';
import { registerRaidRpcs } from './rpc.js';

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

  /** Examine: a configuring raid waiting for a member of this name takes it. */
  private examine(bdev: SimBdev): void {
    for (const raid of this.raids.values()) {
      if (raid.state !== 'configuring') continue;
      const slot = raid.slots.find((s) => !s.configured && s.name !== null && (s.name === bdev.name || bdev.aliases.includes(s.name)));
      if (!slot || bdev.claim !== null) continue;
      const result = raid.configure(slot, bdev);
      if (result.rc !== 0) {
        this.requireTarget().log('raid_examine_failed', { raid: raid.name, bdev: bdev.name, rc: result.rc });
      }
      return;
    }
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
