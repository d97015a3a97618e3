/**
 * bdev_malloc: a RAM disk whose buffer comes from the DMA heap (2 MiB-aligned spdk_zmalloc), so
 * its creation fails with -12 when no aligned run of that size is free, whatever the free total.
 */
import { randomUUID } from 'node:crypto';
import { SimRpcError, type SimBdev, type SimClaim, type SimConfigEntry, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { checkRange, checkWrite } from './block-io.js';
import { ioTypes } from './describe.js';
import { SparseStore } from './sparse-store.js';
import { BDEV_VALIDATION } from './validation.js';

const MALLOC_IO = ioTypes(['read', 'write', 'unmap', 'flush', 'reset', 'write_zeroes', 'zcopy', 'compare', 'abort', 'copy']);

export class MallocBdev implements SimBdev {
  readonly productName = 'Malloc disk';
  readonly aliases: string[];
  claim: SimClaim | null = null;
  private readonly store = new SparseStore();

  constructor(
    readonly name: string,
    readonly uuid: string,
    readonly blockSize: number,
    public numBlocks: number,
    /** Gives the DMA buffer back to the heap. */
    private readonly releaseBuffer: () => void,
  ) {
    this.aliases = [uuid];
  }

  async read(lba: number, count: number): Promise<Buffer> {
    checkRange(lba, count, this.numBlocks);
    return this.store.read(lba * this.blockSize, count * this.blockSize);
  }

  async write(lba: number, data: Buffer): Promise<void> {
    checkWrite(lba, data, this.blockSize, this.numBlocks);
    this.store.write(lba * this.blockSize, data);
  }

  describe(): Record<string, unknown> {
    return { numa_id: -1, supported_io_types: MALLOC_IO, driver_specific: {} };
  }

  configEntry(): SimConfigEntry {
    return {
      method: 'bdev_malloc_create',
      params: {
        name: this.name,
        num_blocks: this.numBlocks,
        block_size: this.blockSize,
        physical_block_size: this.blockSize,
        uuid: this.uuid,
        optimal_io_boundary: 0,
        md_size: 0,
        dif_type: 0,
        dif_is_head_of_md: false,
        dif_pi_format: 0,
        numa_id: -1,
      },
    };
  }

  destroy(): void {
    this.store.clear();
    this.releaseBuffer();
  }
}

interface CreateParams {
  name?: string;
  block_size: number;
  num_blocks: number;
  uuid?: string;
}

export function registerMalloc(target: SimTarget): void {
  let counter = 0;
  target.register('bdev_malloc_create', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_malloc_create'),
    handler: (params) => {
      const p = params as CreateParams;
      if (p.block_size < 512) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
      const name = p.name ?? `Malloc${counter++}`;
      const tag = `malloc:${name}:${randomUUID()}`;
      if (!target.memory.alloc(tag, p.block_size * p.num_blocks, { aligned2M: true })) {
        target.log('malloc_buf_alloc_failed', { name, bytes: p.block_size * p.num_blocks });
        throw new SimRpcError(-errno.ENOMEM, strerror(errno.ENOMEM));
      }
      const bdev = new MallocBdev(name, p.uuid ?? randomUUID(), p.block_size, p.num_blocks, () => target.memory.free(tag));
      try {
        target.bdevs.add(bdev);
      } catch (err) {
        target.memory.free(tag);
        throw err;
      }
      return name;
    },
  });
  target.register('bdev_malloc_delete', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_malloc_delete'),
    handler: (params) => {
      const { name } = params as { name: string };
      const bdev = target.bdevs.get(name);
      if (!(bdev instanceof MallocBdev)) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
      target.bdevs.remove(bdev.name, 'bdev_malloc_delete');
      return true;
    },
  });
}
