/**
 * The bdev of one namespace of an attached controller ("<name>n<nsid>", product "NVMe disk"). With
 * several paths (multipath attaches under one name) I/O goes active-passive: the first connected
 * path whose ANA state is optimized, else non-optimized; while none is connected it waits on a
 * path that is reconnecting, until that path hits fast-io-fail or is deleted.
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

export class NvmeBdev implements SimBdev {
  readonly name: string;
  readonly aliases: string[];
  readonly productName = 'NVMe disk';
  claim: SimClaim | null = null;
  /** Paths in the order they were attached. */
  readonly paths: NvmeCtrlr[] = [];

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
        mp_policy: 'active_passive',
      },
    };
  }

  private async submit(opcode: typeof Op.READ | typeof Op.WRITE, lba: number, count: number, data?: Buffer): Promise<Buffer> {
    if (!Number.isInteger(count) || count <= 0 || lba < 0 || lba + count > this.numBlocks) {
      throw new SimIoError(-EINVAL, `I/O beyond the end of ${this.name}`);
    }
    const tried = new Set<NvmeCtrlr>();
    for (;;) {
      const path = this.choosePath(tried);
      if (!path) throw new SimIoError(this.paths.length === 0 ? -ENODEV : -EIO, `${this.name}: no usable path`);
      try {
        return await path.submit(opcode, this.nsid, lba, count, data);
      } catch (err) {
        if (!(err instanceof PathError)) throw err;
        tried.add(path);
      }
    }
  }

  private choosePath(tried: Set<NvmeCtrlr>): NvmeCtrlr | undefined {
    const candidates = this.paths.filter((p) => !tried.has(p) && this.anaState(p) !== 'inaccessible');
    const ready = candidates.filter((p) => p.usable);
    return (
      ready.find((p) => this.anaState(p) !== 'non_optimized') ??
      ready[0] ??
      candidates.find((p) => p.recoverable())
    );
  }
}
