/**
 * bdev_aio on a real file: blocks are stored in the file (sparse where never written), so an
 * lvstore written there survives bdev_aio_delete / re-create and simulator restarts.
 */
import { randomUUID } from 'node:crypto';
import { constants, promises as fsp, type Stats } from 'node:fs';
import { SimIoError, SimRpcError, type SimBdev, type SimClaim, type SimConfigEntry, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { checkRange, checkWrite } from './block-io.js';
import { ioTypes } from './describe.js';
import { BDEV_VALIDATION } from './validation.js';

const AIO_IO = ioTypes(['read', 'write', 'flush', 'reset', 'write_zeroes']);

export class AioBdev implements SimBdev {
  readonly productName = 'AIO disk';
  readonly aliases: string[];
  claim: SimClaim | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    readonly uuid: string,
    readonly blockSize: number,
    public numBlocks: number,
    readonly filename: string,
    private readonly file: fsp.FileHandle,
    readonly readonly: boolean,
    readonly blockSizeOverride: boolean,
    readonly fallocate: boolean,
  ) {
    this.aliases = [uuid];
  }

  async read(lba: number, count: number): Promise<Buffer> {
    checkRange(lba, count, this.numBlocks);
    if (this.closed) throw new SimIoError(-errno.EIO, 'Input/output error');
    const out = Buffer.allocUnsafe(count * this.blockSize);
    // Past the end of a short file the bytes are zero, like the real read of a hole.
    const { bytesRead } = await this.file.read(out, 0, out.length, lba * this.blockSize);
    if (bytesRead < out.length) out.fill(0, bytesRead);
    return out;
  }

  async write(lba: number, data: Buffer): Promise<void> {
    checkWrite(lba, data, this.blockSize, this.numBlocks);
    if (this.closed || this.readonly) throw new SimIoError(-errno.EIO, 'Input/output error');
    await this.file.write(data, 0, data.length, lba * this.blockSize);
  }

  async size(): Promise<number> {
    return (await this.file.stat()).size;
  }

  describe(): Record<string, unknown> {
    return {
      supported_io_types: AIO_IO,
      driver_specific: {
        aio: { filename: this.filename, block_size_override: this.blockSizeOverride, readonly: this.readonly, fallocate: this.fallocate, nowait: false },
      },
    };
  }

  /** As transcript 19 recorded it (framework_get_config after bdev_aio_create). */
  configEntry(): SimConfigEntry {
    return {
      method: 'bdev_aio_create',
      params: { name: this.name, block_size: this.blockSize, filename: this.filename, readonly: this.readonly, fallocate: this.fallocate, uuid: this.uuid, nowait: false },
    };
  }

  destroy(): void {
    this.closed = true;
    void this.file.close().catch(() => undefined);
  }
}

interface CreateParams {
  name: string;
  filename: string;
  block_size?: number;
  readonly?: boolean;
  fallocate?: boolean;
  uuid?: string;
}

function fail(code: number): never {
  throw new SimRpcError(-code, strerror(code));
}

async function open(filename: string, readonly: boolean): Promise<{ file: fsp.FileHandle; stat: Stats }> {
  if (filename === '') fail(errno.ENOENT);
  let file: fsp.FileHandle;
  try {
    file = await fsp.open(filename, readonly ? constants.O_RDONLY : constants.O_RDWR);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(errno.ENOENT);
    if (code === 'EISDIR') fail(errno.EISDIR);
    if (code === 'EACCES' || code === 'EPERM') fail(errno.EPERM);
    fail(errno.EINVAL);
  }
  const stat = await file.stat();
  if (stat.isDirectory()) {
    await file.close();
    fail(errno.EISDIR);
  }
  return { file, stat };
}

/** The core registry waits for examines; a foreign registry (tests) has nothing to wait for. */
async function examinesDone(target: SimTarget): Promise<void> {
  const registry = target.bdevs as { examinesDone?: () => Promise<void> };
  await registry.examinesDone?.();
}

export function registerAio(target: SimTarget): void {
  target.register('bdev_aio_create', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_aio_create'),
    handler: async (params) => {
      const p = params as CreateParams;
      const { file, stat } = await open(p.filename, p.readonly ?? false);
      // A regular file has no block size to detect (spdk_tgt: "could not be auto-detected").
      const bs = p.block_size ?? 0;
      if (bs < 512 || (bs & (bs - 1)) !== 0) {
        await file.close();
        fail(errno.EINVAL);
      }
      const bdev = new AioBdev(p.name, p.uuid ?? randomUUID(), bs, Math.floor(stat.size / bs), p.filename, file, p.readonly ?? false, p.block_size !== undefined, p.fallocate ?? false);
      try {
        target.bdevs.add(bdev);
      } catch (err) {
        await file.close();
        throw err;
      }
      // The lvstore on the file is back by the next request (transcript 16, reload timings).
      await examinesDone(target);
      return p.name;
    },
  });
  target.register('bdev_aio_delete', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_aio_delete'),
    handler: (params) => {
      const { name } = params as { name: string };
      const bdev = target.bdevs.get(name);
      if (!(bdev instanceof AioBdev)) fail(errno.ENODEV);
      const esnapParent = bdev.claim?.claimType === 'read_many_write_none';
      target.bdevs.remove(bdev.name, 'bdev_aio_delete');
      // Transcript 20: an esnap clone keeps its parent open and ignores the remove event, so
      // spdk_tgt's unregister never completes and the call is never answered (waited 60 s), while
      // the bdev is gone from the lists and other calls are served. A pending answer holds up nobody.
      if (esnapParent) return new Promise<never>(() => undefined);
      return true;
    },
  });
  target.register('bdev_aio_rescan', {
    decode: tableDecoder(BDEV_VALIDATION, 'bdev_aio_rescan'),
    handler: async (params) => {
      const { name } = params as { name: string };
      const bdev = target.bdevs.get(name);
      if (!(bdev instanceof AioBdev)) fail(errno.ENODEV);
      bdev.numBlocks = Math.floor((await bdev.size()) / bdev.blockSize);
      return true;
    },
  });
}
