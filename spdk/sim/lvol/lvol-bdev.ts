/**
 * The bdev of an lvol: named by its uuid, aliased "lvs/name", blocks of the lvstore's io unit,
 * and a bdev_get_bdevs entry whose lvol part follows the blob's state.
 */
import type { SimBdev, SimClaim } from '../core/contract.js';
import { checkRange, checkWrite } from '../bdev/block-io.js';
import { ioTypes } from '../bdev/describe.js';
import type { Blob } from './blob.js';
import type { LvStore } from './lvstore.js';

const WRITABLE_IO = ioTypes(['read', 'write', 'unmap', 'reset', 'write_zeroes', 'seek_hole', 'seek_data']);
const READ_ONLY_IO = ioTypes(['read', 'reset', 'seek_hole', 'seek_data']);

export class LvolBdev implements SimBdev {
  readonly productName = 'Logical Volume';
  aliases: string[];
  claim: SimClaim | null = null;

  constructor(
    readonly lvs: LvStore,
    readonly blob: Blob,
    /** The bdev named by an esnap parent's uuid, when it is registered. */
    private readonly bdevByUuid: (uuid: string) => SimBdev | undefined,
  ) {
    this.aliases = [`${lvs.name}/${blob.name}`];
  }

  get name(): string {
    return this.blob.uuid;
  }

  get uuid(): string {
    return this.blob.uuid;
  }

  get blockSize(): number {
    return this.lvs.sb.ioUnit;
  }

  get numBlocks(): number {
    return (this.blob.numClusters * this.lvs.clusterSize) / this.blockSize;
  }

  /** spdk_tgt's lvol bdev sets optimal_io_boundary to the cluster. */
  get optimalIoBoundary(): number {
    return this.lvs.clusterSize / this.blockSize;
  }

  set numBlocks(_value: number) {
    // The size follows the blob: bdev_lvol_resize changes the cluster count.
  }

  async read(lba: number, count: number): Promise<Buffer> {
    checkRange(lba, count, this.numBlocks);
    return this.lvs.read(this.blob, lba * this.blockSize, count * this.blockSize);
  }

  async write(lba: number, data: Buffer): Promise<void> {
    checkWrite(lba, data, this.blockSize, this.numBlocks);
    await this.lvs.write(this.blob, lba * this.blockSize, data);
  }

  /**
   * numa_id and memory domains come from what the lvstore sits on: an lvol on a malloc bdev shows
   * numa_id -1 and [DMA, ACCEL], one on an aio bdev neither (transcripts 07 and 12); an esnap
   * clone adds its external snapshot's domains.
   */
  private domainsOf(bdev: SimBdev | undefined): Array<{ dma_device_type: string }> {
    if (bdev === undefined) return [];
    const d = bdev.describe();
    const has = Array.isArray(d['memory_domains']) || bdev.productName === 'Malloc disk' || bdev.productName === 'Logical Volume';
    return has ? [{ dma_device_type: 'DMA' }, { dma_device_type: 'ACCEL' }] : [];
  }

  describe(): Record<string, unknown> {
    const blob = this.blob;
    const base = this.lvs.base.describe();
    const out: Record<string, unknown> = {};
    if ('numa_id' in base) out['numa_id'] = base['numa_id'];
    out['supported_io_types'] = blob.readOnly ? READ_ONLY_IO : WRITABLE_IO;
    const esnap = blob.parent.kind === 'esnap' ? this.bdevByUuid(blob.parent.bdevUuid) : undefined;
    const domains = [...this.domainsOf(this.lvs.base), ...this.domainsOf(esnap)];
    if (domains.length > 0) out['memory_domains'] = domains;
    const lvol: Record<string, unknown> = {
      lvol_store_uuid: this.lvs.uuid,
      base_bdev: this.lvs.base.name,
      thin_provision: blob.thin,
      num_allocated_clusters: blob.allocated,
      snapshot: blob.snapshotEntry,
      clone: blob.parent.kind === 'blob',
    };
    if (blob.parent.kind === 'blob') lvol['base_snapshot'] = blob.parent.blob.name;
    if (blob.snapshotEntry && blob.clones.length > 0) lvol['clones'] = blob.clones.map((c) => c.name);
    lvol['esnap_clone'] = blob.parent.kind === 'esnap';
    if (blob.parent.kind === 'esnap') lvol['external_snapshot_name'] = blob.parent.bdevUuid;
    out['driver_specific'] = { lvol };
    return out;
  }
}
