/**
 * Reading a staged snapshot image: only the ranges the file holds data in (host/sparse-ranges.ts),
 * one block aligned to the caller's block size per read, into the caller's block buffers where it
 * gives them (at least SLOT_HEADROOM into a slot), all-zero blocks dropped. The shallow copy
 * writes whole clusters, so a data range is a run of clusters; a block that straddles a hole reads
 * zeros there, as the volume does. An image whose copy still runs is read behind it: each block
 * once every cluster it overlaps is final (finalBytes), the ranges looked at again (one perl kept
 * for the read, host/sparse-ranges.ts) each time the copy moved. A file spdk_tgt wrote is read with
 * O_DIRECT where it can be (open).
 */
import { constants, promises as fsp } from 'node:fs';
import { ConductorError } from '../../errors.js';
import { DataRangeProbe, type DataRange } from '../../host/sparse-ranges.js';
import { type BlockBuffers, SLOT_BYTES, SLOT_HEADROOM, SLOT_HEADROOM_MAX } from '../../objectstore/block-buffers.js';
import type { StagedBlock, StagedImage } from './data-path.js';
import type { CopyState, StagingCopy } from './staging-copy.js';

/** Where an O_DIRECT read into each set of block buffers starts in a slot, once found (see open). */
const directHeadroom = new WeakMap<BlockBuffers, number>();

export interface StagingImageOptions {
  /** The copy into the file, where it may still run (a stage that answered at the copy's start); none once the file is whole. */
  readonly copy?: StagingCopy;
  /** spdk_tgt wrote the file with O_DIRECT (none of it in the page cache): read it so too where the filesystem can. */
  readonly direct?: boolean;
}

export class StagingImage implements StagedImage {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    readonly sizeBytes: number,
    readonly clusterBytes: number,
    readonly allocatedBytes: number,
    private readonly teardown: () => Promise<void>,
    private readonly options: StagingImageOptions = {},
  ) {}

  async *blocks(blockBytes: number, signal?: AbortSignal, buffers?: BlockBuffers): AsyncIterable<StagedBlock> {
    if (!Number.isSafeInteger(blockBytes) || blockBytes <= 0) throw new ConductorError('INVALID_ARGUMENT', `block size must be a positive whole number of bytes, got ${blockBytes}`);
    if (buffers && SLOT_HEADROOM_MAX + blockBytes + SLOT_HEADROOM > SLOT_BYTES) throw new ConductorError('INVALID_ARGUMENT', `a block of ${blockBytes} bytes does not fit a slot of ${SLOT_BYTES}`);
    if (this.closing) throw new ConductorError('INVALID_ARGUMENT', `the staged image ${this.file} is closed`);
    const zero = Buffer.alloc(blockBytes);
    const { handle, direct } = await this.open(buffers);
    // One look at the data ranges per move of the copy (one at all for a whole file), of one kept process.
    const probe = new DataRangeProbe(this.file, signal);
    try {
      /** Blocks below this index have been read (or were holes), as of the last look at the copy. */
      let next = 0;
      let seen: CopyState | undefined;
      for (;;) {
        // A copy still running: wait for it to move, then read the blocks it has made final.
        const copy = this.options.copy ? await this.options.copy.next(seen, signal) : { copied: 0, complete: true };
        seen = copy;
        const ranges = await cancellable(() => probe.ranges(this.sizeBytes), signal);
        const end = copy.complete ? Number.POSITIVE_INFINITY : Math.floor(finalBytes(ranges, copy.copied, this.clusterBytes) / blockBytes);
        for (const [first, last] of blockRuns(ranges, blockBytes)) {
          for (let index = Math.max(first, next); index <= last && index < end; index++) {
            if (signal?.aborted) throw new ConductorError('CANCELLED', `reading the staged image ${this.file} was cancelled`);
            const block = await this.read(handle, direct, index, blockBytes, zero, signal, buffers);
            if (block) yield block;
          }
        }
        if (copy.complete) return;
        next = Math.max(next, end);
      }
    } finally {
      probe.close();
      await handle.close();
    }
  }

  /**
   * The file's handle, and where blocks start in their slots. spdk_tgt writes the staging file with
   * O_DIRECT (module/bdev/aio/bdev_aio.c), so none of it is in the page cache: a buffered read has
   * the kernel fill the cache first, measured ~0.7-1 s of its CPU per 512 MiB on the 2-core machine,
   * an O_DIRECT read ~0.03 s. O_DIRECT needs an aligned address, which JavaScript cannot see: the
   * first read of data (holes are answered without the check) finds it, trying headrooms from
   * SLOT_HEADROOM in 16s while the read is refused (EINVAL), and that headroom serves every slot of
   * the set (slots are multiples of 4 KiB apart). A filesystem without O_DIRECT (tmpfs) is read
   * through the cache. The simulator writes through the cache, where an O_DIRECT read would force
   * the write-back of the whole file first: its files are read buffered.
   */
  private async open(buffers: BlockBuffers | undefined): Promise<{ handle: fsp.FileHandle; direct: boolean }> {
    if (this.options.direct && buffers && constants.O_DIRECT !== undefined) {
      const handle = await fsp.open(this.file, constants.O_RDONLY | constants.O_DIRECT).catch(() => undefined);
      if (handle) return { handle, direct: true };
    }
    return { handle: await fsp.open(this.file, 'r'), direct: false };
  }

  /** One block per read, into a slot that is given back (SLOT_HEADROOM or more in, room for its frame's header), or, without buffers, a buffer of the caller's; undefined when it is all zeros. */
  private async read(handle: fsp.FileHandle, direct: boolean, index: number, blockBytes: number, zero: Buffer, signal?: AbortSignal, buffers?: BlockBuffers): Promise<StagedBlock | undefined> {
    const offset = index * blockBytes;
    const length = Math.min(blockBytes, this.sizeBytes - offset);
    const slot = buffers ? await cancellable(() => buffers.acquire(signal), signal) : Buffer.allocUnsafe(length);
    const release = buffers ? () => buffers.release(slot) : undefined;
    const known = direct && buffers ? directHeadroom.get(buffers) : SLOT_HEADROOM;
    let headroom = known ?? SLOT_HEADROOM;
    let data = buffers ? slot.subarray(headroom, headroom + length) : slot;
    try {
      for (;;) {
        try {
          const { bytesRead } = await handle.read(data, 0, length, offset);
          // A file shorter than the volume (never, but cheap to be right) reads as zeros past its end.
          if (bytesRead < length) data.fill(0, bytesRead);
          break;
        } catch (error) {
          if (known !== undefined || (error as NodeJS.ErrnoException).code !== 'EINVAL' || headroom + 16 > SLOT_HEADROOM_MAX) throw error;
          headroom += 16;
          data = slot.subarray(headroom, headroom + length);
        }
      }
      if (known === undefined && buffers) directHeadroom.set(buffers, headroom);
    } catch (error) {
      release?.();
      throw error;
    }
    if (data.equals(length === blockBytes ? zero : zero.subarray(0, length))) {
      release?.();
      return undefined;
    }
    return release ? { offset, data, release, slot } : { offset, data };
  }

  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }
}

/**
 * Where the file is final while a shallow copy into it runs with `copied` clusters done: spdk_tgt
 * copies a snapshot's clusters one at a time in ascending order and counts one once its write is
 * done (blobstore.c bs_shallow_copy_cluster_find_next, bs_shallow_copy_bdev_write_cpl), and the
 * file held nothing before, so the first `copied` clusters holding data are written whole, and a
 * cluster below the last of them that holds none is one the snapshot does not own: a hole for
 * good. The copy may have gone on since it counted `copied`; later clusters are not taken. The
 * stage follows a copy only where the fresh file listed no data, so that holes are known
 * (data-path-spdk.ts): a filesystem that reports holes as data, or no perl, lists the whole file.
 */
function finalBytes(ranges: readonly DataRange[], copied: number, clusterBytes: number): number {
  let count = 0;
  let last = -1;
  for (const [start, end] of ranges) {
    if (copied <= count) break;
    const first = Math.max(last + 1, Math.floor(start / clusterBytes));
    const stop = Math.ceil(end / clusterBytes) - 1;
    if (stop < first) continue;
    if (count + (stop - first + 1) >= copied) return (first + (copied - count)) * clusterBytes;
    count += stop - first + 1;
    last = stop;
  }
  return 0;
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
