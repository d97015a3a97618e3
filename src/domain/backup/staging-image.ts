/**
 * Reading a staged snapshot image: only the ranges the file holds data in (host/sparse-ranges.ts),
 * read a few blocks at a time and cut into blocks aligned to the caller's block size, all-zero
 * blocks dropped. The shallow copy writes whole clusters, so a data range is a run of clusters; a
 * block that straddles a hole reads zeros there, as the volume does.
 */
import { promises as fsp } from 'node:fs';
import { ConductorError } from '../../errors.js';
import { dataRanges, type DataRange } from '../../host/sparse-ranges.js';
import type { StagedBlock, StagedImage } from './data-path.js';

/**
 * Bytes of a data range read per call: a few blocks in one positioned read. A yielded block is a
 * view of its read, so blocks the caller still holds keep at most this much each.
 */
const READ_BYTES = 8 * 1024 * 1024;

export class StagingImage implements StagedImage {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    readonly sizeBytes: number,
    readonly clusterBytes: number,
    readonly allocatedBytes: number,
    private readonly teardown: () => Promise<void>,
  ) {}

  async *blocks(blockBytes: number, signal?: AbortSignal): AsyncIterable<StagedBlock> {
    if (!Number.isSafeInteger(blockBytes) || blockBytes <= 0) throw new ConductorError('INVALID_ARGUMENT', `block size must be a positive whole number of bytes, got ${blockBytes}`);
    if (this.closing) throw new ConductorError('INVALID_ARGUMENT', `the staged image ${this.file} is closed`);
    const ranges = await cancellable(() => dataRanges(this.file, this.sizeBytes, signal), signal);
    const zero = Buffer.alloc(blockBytes);
    const perRead = Math.max(1, Math.floor(READ_BYTES / blockBytes));
    const handle = await fsp.open(this.file, 'r');
    try {
      for (const [first, last] of blockRuns(ranges, blockBytes)) {
        for (let index = first; index <= last; index += perRead) {
          if (signal?.aborted) throw new ConductorError('CANCELLED', `reading the staged image ${this.file} was cancelled`);
          const offset = index * blockBytes;
          const length = Math.min(Math.min(perRead, last - index + 1) * blockBytes, this.sizeBytes - offset);
          const chunk = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(chunk, 0, length, offset);
          // A file shorter than the volume (never, but cheap to be right) reads as zeros past its end.
          if (bytesRead < length) chunk.fill(0, bytesRead);
          for (let start = 0; start < length; start += blockBytes) {
            const data = chunk.subarray(start, Math.min(start + blockBytes, length));
            if (data.equals(data.length === blockBytes ? zero : zero.subarray(0, data.length))) continue;
            yield { offset: offset + start, data };
          }
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
