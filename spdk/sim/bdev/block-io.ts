/** Range checks shared by the bdevs that store blocks. */
import { SimIoError } from '../core/contract.js';
import { errno } from '../core/errno.js';

export function checkRange(lba: number, count: number, numBlocks: number): void {
  if (!Number.isInteger(lba) || !Number.isInteger(count) || lba < 0 || count < 0 || lba + count > numBlocks) {
    throw new SimIoError(-errno.EINVAL, `I/O out of range: lba ${lba} + ${count} > ${numBlocks}`);
  }
}

export function checkWrite(lba: number, data: Buffer, blockSize: number, numBlocks: number): number {
  if (data.length % blockSize !== 0) throw new SimIoError(-errno.EINVAL, 'write length is not a multiple of the block size');
  const count = data.length / blockSize;
  checkRange(lba, count, numBlocks);
  return count;
}
