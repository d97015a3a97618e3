/** The bdev a raid registers once online: product "Raid Volume", I/O delegated to the raid. */
import type { SimBdev, SimClaim, SimConfigEntry } from '../core/contract.js';
import type { Raid } from './raid-bdev.js';

/** supported_io_types of a raid1 volume, as bdev_get_bdevs shows it in transcript 01. */
const RAID1_IO_TYPES = {
  read: true,
  write: true,
  unmap: true,
  flush: false,
  reset: true,
  nvme_admin: false,
  nvme_io: false,
  nvme_io_md: false,
  write_zeroes: true,
  zcopy: false,
  get_zone_info: false,
  zone_management: false,
  zone_append: false,
  compare: false,
  compare_and_write: false,
  abort: false,
  seek_hole: false,
  seek_data: false,
  copy: false,
  nvme_iov_md: false,
  nvme_nssr: false,
  write_uncorrectable: false,
};

export class RaidVolume implements SimBdev {
  readonly name: string;
  readonly uuid: string;
  readonly aliases: string[];
  readonly productName = 'Raid Volume';
  readonly blockSize: number;
  numBlocks: number;
  claim: SimClaim | null = null;

  constructor(private readonly raid: Raid) {
    this.name = raid.name;
    this.uuid = raid.uuid;
    this.aliases = [raid.uuid];
    this.blockSize = raid.blockSize;
    this.numBlocks = raid.numBlocks;
  }

  read(lba: number, count: number): Promise<Buffer> {
    return this.raid.read(lba, count);
  }

  write(lba: number, data: Buffer): Promise<void> {
    return this.raid.write(lba, data);
  }

  describe(): Record<string, unknown> {
    // The raid exposes its members' memory domains, one list after the other; none: no key.
    const domains = this.raid.slots.flatMap((s) => {
      const d = s.configured ? s.bdev?.describe().memory_domains : undefined;
      return Array.isArray(d) ? d : [];
    });
    return {
      preferred_write_alignment: 0,
      preferred_write_granularity: 0,
      optimal_write_size: 0,
      preferred_unmap_alignment: 0,
      preferred_unmap_granularity: 0,
      supported_io_types: RAID1_IO_TYPES,
      ...(domains.length > 0 ? { memory_domains: domains } : {}),
      driver_specific: { raid: { uuid: this.raid.uuid, ...this.raid.info() } },
    };
  }

  /** bdev_raid_create for framework_get_config; a superblock raid re-assembles from its members. */
  configEntry(): SimConfigEntry | null {
    if (this.raid.superblock) return null;
    return {
      method: 'bdev_raid_create',
      params: {
        name: this.name,
        uuid: this.uuid,
        raid_level: 'raid1',
        base_bdevs: this.raid.slots.map((s, i) => s.name ?? `removed_base_bdev_${i}`),
      },
    };
  }

  destroy(): void {
    this.raid.volumeDestroyed(this);
  }
}
