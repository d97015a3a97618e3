/**
 * Writes a restore's blocks into its sparse staging file, the way the file's reader will read it.
 * Real spdk_tgt opens an aio bdev with O_DIRECT (bdev_aio.c; it falls back to the page cache only
 * where the filesystem refuses O_DIRECT), so bytes left in the page cache are only flushed to the
 * disk when the commit's inflate reads them: the restore pays for the copy into the page cache
 * (fresh pages: on this project's VMs the kernel's biggest cost of the download) and then for the
 * write anyway. Written with O_DIRECT from the block's page-aligned slot (restore-slots.ts), a
 * block goes to the disk once, with no copy, while the next blocks are fetched and checked.
 * The simulator reads through the page cache: there, page-cache writes are the ones it finds.
 *
 * One pwrite per block with O_DIRECT, pieces of PAGE_CACHE_WRITE through the page cache. A direct write the kernel refuses (EINVAL: memory or offset not
 * aligned as this filesystem wants) ends the direct writes of this file, logged once, and that
 * block and the rest go through the page cache: never a failed restore for a speed-up.
 */
import { constants, type FileHandle, open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { DIRECT_ALIGN, directWritable } from './restore-slots.js';

/**
 * The largest write into the page cache. ext4 on Linux 6.18 (large folios) makes a folio as large
 * as the write: a 2 MiB pwrite took 0.1–1.2 s of kernel time per 512 MiB on this project's VM,
 * erratically (a 2 MiB folio is not always to be had), 256 KiB ones 0.09–0.14 s every time.
 */
const PAGE_CACHE_WRITE = 256 * 1024;

export class StagingWriter {
  /** Bytes written with O_DIRECT (tests, logs). */
  directBytes = 0;

  private constructor(
    private readonly buffered: FileHandle,
    private direct: FileHandle | undefined,
    private readonly log: Logger,
  ) {}

  /** Opens `path` (which exists) for writing; with `direct`, also with O_DIRECT where the filesystem allows it. */
  static async open(path: string, direct: boolean, log: Logger): Promise<StagingWriter> {
    const buffered = await open(path, 'r+');
    let handle: FileHandle | undefined;
    if (direct) {
      handle = await open(path, constants.O_RDWR | constants.O_DIRECT).catch((err: NodeJS.ErrnoException) => {
        log.info({ err: err.message }, 'the staging filesystem refuses O_DIRECT; the restore writes through the page cache');
        return undefined;
      });
    }
    return new StagingWriter(buffered, handle, log);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    let written = 0;
    if (this.direct && offset % DIRECT_ALIGN === 0 && directWritable(data)) {
      try {
        while (written < data.length) written += (await this.direct.write(data, written, data.length - written, offset + written)).bytesWritten;
        this.directBytes += written;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        await this.stopDirect(`the kernel refused a direct write (${(err as Error).message})`);
      }
    }
    // A direct write refused after a short one leaves the rest, at an offset that is still the block's.
    while (written < data.length) written += (await this.buffered.write(data, written, Math.min(PAGE_CACHE_WRITE, data.length - written), offset + written)).bytesWritten;
  }

  async close(): Promise<void> {
    const direct = this.direct;
    this.direct = undefined;
    try {
      await direct?.close();
    } finally {
      await this.buffered.close();
    }
  }

  private async stopDirect(why: string): Promise<void> {
    const direct = this.direct;
    if (!direct) return;
    this.direct = undefined;
    this.log.warn({ reason: why, directBytes: this.directBytes }, 'restore staging writes go through the page cache from here');
    await direct.close();
  }
}
