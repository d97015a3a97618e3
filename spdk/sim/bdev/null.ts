/**
 * bdev_null: discards writes, reads zeros, takes no DMA memory (transcript 14 creates 1086 of
 * them at heap exhaustion). No recorded bdev_get_bdevs entry of a null bdev exists: its
 * supported_io_types here follow the module's capabilities, not a recording.
 */
import { randomUUID } from 'node:crypto';
import { SimRpcError, type SimBdev, type SimClaim, type SimConfigEntry, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { checkRange, checkWrite } from './block-io.js';
import { ioTypes } from './describe.js';
import { BDEV_VALIDATION } from './validation.js';

const NULL_IO = ioTypes(['read', 'write', 'unmap', 'flush', 'reset', 'write_zeroes', 'abort']);

export class NullBdev implements SimBdev {
  readonly productName = 'Null disk';
  readonly aliases: string[];
  claim: SimClaim | null = null;

  constructor(
    readonly name: string,
    readonly uuid: string,
    readonly blockSize: number,
    public numBlocks: number,
  ) {
    this.aliases = [uuid];
  }

  async read(lba: number, count: number): Promise<Buffer> {
    checkRange(lba, count, this.numBlocks);
    return Buffer.alloc(count * this.blockSize);
  }

  async write(lba: number, data: Buffer): Promise<void> {
    checkWrite(lba, data, this.blockSize, this.numBlocks);
  }

  describe(): Record<string, unknown> {
    return { numa_id: -1, supported_io_types: NULL_IO, driver_specific: {} };
  }

  configEntry(): SimConfigEntry {
    return {
      method: 'bdev_null_create',
      params: {
        name: this.name,
        uuid: this.uuid,
        num_blocks: this.numBlocks,
        block_size: this.blockSize,
        physical_block_size: this.blockSize,
        md_size: 0,
        dif_type: 0,
        dif_is_head_of_md: false,
        dif_pi_format: 0,
      },
    };
  }
}

interface CreateParams {
  name: string;
  block_size: number;
  num_blocks: number;
  uuid?: string;
}

export function registerNull(target: SimTarget): void {
  target.register('bdev_null_create', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_null_create'),
    handler: (params) => {
      const p = params as CreateParams;
      if (p.block_size < 512) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
      target.bdevs.add(new NullBdev(p.name, p.uuid ?? randomUUID(), p.block_size, p.num_blocks));
      return p.name;
    },
  });
  target.register('bdev_null_delete', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_null_delete'),
    handler: (params) => {
      const { name } = params as { name: string };
      const bdev = target.bdevs.get(name);
      if (!(bdev instanceof NullBdev)) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
      target.bdevs.remove(bdev.name, 'bdev_null_delete');
      return true;
    },
  });
  target.register('bdev_null_resize', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_null_resize'),
    handler: (params) => {
      const { name, new_size } = params as { name: string; new_size: number };
      const bdev = target.bdevs.get(name);
      if (!(bdev instanceof NullBdev)) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
      const blocks = Math.floor((new_size * 1024 * 1024) / bdev.blockSize);
      if (blocks < bdev.numBlocks && bdev.claim !== null) throw new SimRpcError(-errno.EPERM, strerror(errno.EPERM));
      bdev.numBlocks = blocks;
      return true;
    },
  });
}
