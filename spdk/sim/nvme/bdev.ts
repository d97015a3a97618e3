/**
 * The bdev of one namespace of an attached controller ("<name>n<nsid>", product "NVMe disk"). With
 * several paths (multipath attaches under one name) I/O goes active-passive by default: the first
 * connected path whose ANA state is optimized, else non-optimized; active-active
 * (bdev_nvme_set_multipath_policy) spreads it over the connected paths of the best ANA state,
 * round robin (switching every rr_min_io I/Os) or to the one with the fewest I/Os in flight. While
 * no path is connected I/O waits on one that is reconnecting, until it hits fast-io-fail or is deleted.
 */
import { SimIoError, type SimBdev, type SimClaim } from '../core/contract.js';
import { EINVAL, EIO, ENODEV } from '../fabric/errno.js';
import { Op } from '../fabric/protocol.js';
import { PathError, type NvmeCtrlr } from './controller.js';

const NVME_IO_TYPES = {
  read: true,
  write: true,
  unmap: true,
  flush: true,
  reset: true,
  nvme_admin: true,
  nvme_io: true,
  nvme_io_md: false,
  write_zeroes: true,
  zcopy: false,
  get_zone_info: false,
  zone_management: false,
  zone_append: false,
  compare: true,
  compare_and_write: true,
  abort: true,
  seek_hole: false,
  seek_data: false,
  copy: true,
  nvme_iov_md: false,
  nvme_nssr: false,
  write_uncorrectable: false,
};
/** The TCP transport's max_io_size: optimal_write_size is it in blocks. */
const MAX_IO_BYTES = 131072;

export type MultipathPolicy = 'active_passive' | 'active_active';
export type MultipathSelector = 'round_robin' | 'queue_depth';

/** BDEV_NVME_MULTIPATH_MIN_IO_DEFAULT */
export const RR_MIN_IO_DEFAULT = 1;

export class NvmeBdev implements SimBdev {
  readonly name: string;
  readonly aliases: string[];
  readonly productName = 'NVMe disk';
  claim: SimClaim | null = null;
  /** Paths in the order they were attached. */
  readonly paths: NvmeCtrlr[] = [];
  mpPolicy: MultipathPolicy = 'active_passive';
  /** null: what bdev_nvme_set_multipath_policy leaves for active_passive when no selector is given (0). */
  mpSelector: MultipathSelector | null = 'round_robin';
  rrMinIo = RR_MIN_IO_DEFAULT;
  /** Round robin: the path in use and the I/Os it got since it was chosen. */
  private rrPath: NvmeCtrlr | null = null;
  private rrCount = 0;
  private readonly inFlight = new Map<NvmeCtrlr, number>();

  constructor(
    ctrlrName: string,
    readonly nsid: number,
    readonly uuid: string,
    readonly blockSize: number,
    public numBlocks: number,
  ) {
    this.name = `${ctrlrName}n${nsid}`;
    this.aliases = [uuid];
  }

  read(lba: number, count: number): Promise<Buffer> {
    return this.submit(Op.READ, lba, count);
  }

  async write(lba: number, data: Buffer): Promise<void> {
    await this.submit(Op.WRITE, lba, data.length / this.blockSize, data);
  }

  /** The ANA state a path reports for this namespace (undefined when not reporting). */
  anaState(path: NvmeCtrlr): string | undefined {
    if (!path.data?.anaReporting) return undefined;
    return path.namespaces.find((n) => n.nsid === this.nsid)?.anaState;
  }

  describe(): Record<string, unknown> {
    return {
      preferred_write_alignment: 1,
      preferred_write_granularity: 1,
      optimal_write_size: MAX_IO_BYTES / this.blockSize,
      preferred_unmap_alignment: 1,
      preferred_unmap_granularity: 1,
      numa_id: -1,
      supported_io_types: NVME_IO_TYPES,
      memory_domains: [{ dma_device_type: 'DMA' }],
      driver_specific: {
        nvme: this.paths.map((p) => {
          const ana = this.anaState(p);
          return {
            trid: { ...p.trid },
            ctrlr_data: {
              cntlid: p.cntlid,
              vendor_id: '0x8086',
              model_number: p.data?.modelNumber ?? '',
              serial_number: p.data?.serialNumber ?? '',
              firmware_revision: '26.05',
              subnqn: p.trid.subnqn,
              oacs: { security: 0, format: 0, firmware: 0, ns_manage: 0 },
              multi_ctrlr: true,
              ana_reporting: p.data?.anaReporting ?? false,
            },
            vs: { nvme_version: '2.0' },
            ns_data: { id: this.nsid, ...(ana !== undefined ? { ana_state: ana } : {}), can_share: true },
          };
        }),
        mp_policy: this.mpPolicy,
        ...(this.mpPolicy === 'active_active' ? { selector: this.mpSelector } : {}),
        ...(this.mpPolicy === 'active_active' && this.mpSelector === 'round_robin' ? { rr_min_io: this.rrMinIo } : {}),
      },
    };
  }

  /**
   * bdev_get_iostat's driver_specific: bdev_nvme dumps its NVMe status counts there, kept only
   * with bdev_nvme_set_options nvme_error_stat (off by default; not simulated): an empty object.
   */
  deviceStat(): Record<string, unknown> {
    return {};
  }

  private async submit(opcode: typeof Op.READ | typeof Op.WRITE, lba: number, count: number, data?: Buffer): Promise<Buffer> {
    if (!Number.isInteger(count) || count <= 0 || lba < 0 || lba + count > this.numBlocks) {
      throw new SimIoError(-EINVAL, `I/O beyond the end of ${this.name}`);
    }
    const tried = new Set<NvmeCtrlr>();
    for (;;) {
      const path = this.choosePath(tried);
      if (!path) throw new SimIoError(this.paths.length === 0 ? -ENODEV : -EIO, `${this.name}: no usable path`);
      this.inFlight.set(path, (this.inFlight.get(path) ?? 0) + 1);
      try {
        return await path.submit(opcode, this.nsid, lba, count, data);
      } catch (err) {
        if (!(err instanceof PathError)) throw err;
        tried.add(path);
      } finally {
        this.inFlight.set(path, this.inFlight.get(path)! - 1);
      }
    }
  }

  private choosePath(tried: Set<NvmeCtrlr>): NvmeCtrlr | undefined {
    const candidates = this.paths.filter((p) => !tried.has(p) && this.anaState(p) !== 'inaccessible');
    const ready = candidates.filter((p) => p.usable);
    if (this.mpPolicy === 'active_active' && ready.length > 0) {
      const optimized = ready.filter((p) => this.anaState(p) !== 'non_optimized');
      return this.spread(optimized.length > 0 ? optimized : ready);
    }
    return ready.find((p) => this.anaState(p) !== 'non_optimized') ?? ready[0] ?? candidates.find((p) => p.recoverable());
  }

  private spread(paths: NvmeCtrlr[]): NvmeCtrlr {
    if (this.mpSelector === 'queue_depth') {
      return paths.reduce((best, p) => ((this.inFlight.get(p) ?? 0) < (this.inFlight.get(best) ?? 0) ? p : best));
    }
    if (this.rrPath === null || !paths.includes(this.rrPath) || this.rrCount >= this.rrMinIo) {
      const at = this.rrPath === null ? -1 : paths.indexOf(this.rrPath);
      this.rrPath = paths[(at + 1) % paths.length]!;
      this.rrCount = 0;
    }
    this.rrCount++;
    return this.rrPath;
  }

  /** bdev_nvme_set_multipath_policy (the channels pick a path anew). */
  setMultipath(policy: MultipathPolicy, selector: MultipathSelector | null, rrMinIo: number): void {
    this.mpPolicy = policy;
    this.mpSelector = selector;
    this.rrMinIo = rrMinIo;
    this.rrPath = null;
    this.rrCount = 0;
  }
}
