/**
 * Reading a staged snapshot image: only the ranges the file holds data in (host/sparse-ranges.ts),
 * one block aligned to the caller's block size per read, into the caller's block buffers where it
 * gives them (SLOT_HEADROOM into a slot), all-zero blocks dropped. The shallow copy writes whole clusters, so a data range is
 * a run of clusters; a block that straddles a hole reads zeros there, as the volume does.
 */
import { promises as fsp } from 'node:fs';
import { ConductorError } from '../../errors.js';
import { dataRanges, type DataRange } from '../../host/sparse-ranges.js';
import { type BlockBuffers, SLOT_BYTES, SLOT_HEADROOM } from '../../objectstore/block-buffers.js';
import type { StagedBlock, StagedImage } from './data-path.js';

export class StagingImage implements StagedImage {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    readonly sizeBytes: number,
    readonly clusterBytes: number,
    readonly allocatedBytes: number,
    private readonly teardown: () => Promise<void>,
  ) {}

  async *blocks(blockBytes: number, signal?: AbortSignal, buffers?: BlockBuffers): AsyncIterable<StagedBlock> {
    if (!Number.isSafeInteger(blockBytes) || blockBytes <= 0) throw new ConductorError('INVALID_ARGUMENT', `block size must be a positive whole number of bytes, got ${blockBytes}`);
    if (buffers && SLOT_HEADROOM + blockBytes + SLOT_HEADROOM > SLOT_BYTES) throw new ConductorError('INVALID_ARGUMENT', `a block of ${blockBytes} bytes does not fit a slot of ${SLOT_BYTES}`);
    if (this.closing) throw new ConductorError('INVALID_ARGUMENT', `the staged image ${this.file} is closed`);
    const ranges = await cancellable(() => dataRanges(this.file, this.sizeBytes, signal), signal);
    const zero = Buffer.alloc(blockBytes);
    const handle = await fsp.open(this.file, 'r');
    try {
      for (const [first, last] of blockRuns(ranges, blockBytes)) {
        for (let index = first; index <= last; index++) {
          if (signal?.aborted) throw new ConductorError('CANCELLED', `reading the staged image ${this.file} was cancelled`);
          const offset = index * blockBytes;
          const length = Math.min(blockBytes, this.sizeBytes - offset);
          // One block per read, into a slot that is given back (SLOT_HEADROOM in, room for its frame's header), or, without buffers, a buffer of the caller's.
          const slot = buffers ? await cancellable(() => buffers.acquire(signal), signal) : Buffer.allocUnsafe(length);
          const release = buffers ? () => buffers.release(slot) : undefined;
          const data = buffers ? slot.subarray(SLOT_HEADROOM, SLOT_HEADROOM + length) : slot;
          try {
            const { bytesRead } = await handle.read(data, 0, length, offset);
            // A file shorter than the volume (never, but cheap to be right) reads as zeros past its end.
            if (bytesRead < length) data.fill(0, bytesRead);
          } catch (error) {
            release?.();
            throw error;
          }
          if (data.equals(length === blockBytes ? zero : zero.subarray(0, length))) {
            release?.();
            continue;
          }
          yield release ? { offset, data, release, slot } : { offset, data };
        }
      }
    } finally {
      await handle.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }
}

/** The blocks that overlap the data ranges, as runs of consecutive indexes [first, last], in order, each block once. */
function* blockRuns(ranges: readonly DataRange[], blockBytes: number): Generator<[number, number]> {
  let next = 0;
  for (const [start, end] of ranges) {
    const first = Math.max(next, Math.floor(start / blockBytes));
    const last = Math.ceil(end / blockBytes) - 1;
    if (last >= first) yield [first, last];
    next = Math.max(next, last + 1);
  }
}

async function cancellable<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (signal?.aborted) throw new ConductorError('CANCELLED', 'reading a staged image was cancelled');
    throw error;
  }
}
