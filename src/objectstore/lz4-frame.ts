/**
 * A backup block as one LZ4 frame (the format's `lz4-frame`), made from lz4-napi's block
 * compressor: its frame encoder measured about a third of the block compressor's speed and was
 * the slowest stage of a backup. The frame is the standard one (any LZ4 frame reader decodes it):
 * magic, a fixed descriptor (independent blocks, no checksums: the block's SHA-256 already guards
 * it, 4 MiB maximum block), then the block, compressed or, where compression does not shrink it,
 * stored, then the end mark. Reading a stored block is a view of the object, no decompression.
 *
 * Synchronous: these run on the block threads (hash-pool.ts), in place in shared slots
 * (block-buffers.ts), never on the service's main loop.
 */
import { compressSync, decompressFrameSync } from 'lz4-napi';

const MAGIC = 0x184d2204;
/** Version 01, blocks independent, no block checksum, no content size, no content checksum. */
const FLG = 0x60;
/** Blocks of at most 4 MiB. */
const BD = 0x70;
/** The descriptor's checksum: the second byte of xxHash32 of FLG and BD (seed 0), fixed since they are. */
const HC = 0x73;
const MAX_BLOCK = 4 * 1024 * 1024;
const STORED = 0x80000000;
const HEADER = 7;
/** What a frame adds to its block: magic, descriptor, the block's size, the end mark. */
export const FRAME_OVERHEAD = HEADER + 8;

/**
 * Compression is first tried on a few samples of the block: where none of them shrinks by a
 * sixteenth, the block is stored without compressing it whole (already compressed or encrypted
 * data, which LZ4 crawls through at a fraction of its usual speed for nothing).
 */
const SAMPLE = 16 * 1024;
const SAMPLES = 4;

function incompressible(data: Buffer): boolean {
  if (data.length < SAMPLE * SAMPLES * 4) return false;
  const stride = Math.floor(data.length / SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const sample = data.subarray(i * stride, i * stride + SAMPLE);
    if (compressSync(sample).length - 4 < SAMPLE - SAMPLE / 16) return false;
  }
  return true;
}

/** Writes the frame of `data` into `out` (at least data.length + FRAME_OVERHEAD long); returns its length. */
export function encodeFrameInto(data: Buffer, out: Buffer): number {
  if (data.length > MAX_BLOCK) throw new RangeError(`a block of ${data.length} bytes is larger than a frame's ${MAX_BLOCK}`);
  if (out.length < data.length + FRAME_OVERHEAD) throw new RangeError(`a frame of a ${data.length}-byte block needs ${data.length + FRAME_OVERHEAD} bytes, the buffer has ${out.length}`);
  let body = data;
  let stored = true;
  if (data.length > 0 && !incompressible(data)) {
    // lz4-napi's block output starts with the uncompressed size (4 bytes, little-endian).
    const packed = compressSync(data).subarray(4);
    if (packed.length < data.length) {
      body = packed;
      stored = false;
    }
  }
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = HC;
  let end = HEADER;
  if (body.length > 0) {
    out.writeUInt32LE(stored ? (body.length | STORED) >>> 0 : body.length, HEADER);
    body.copy(out, HEADER + 4);
    end = HEADER + 4 + body.length;
  }
  out.writeUInt32LE(0, end);
  return end + 4;
}

/**
 * The bytes of a frame: a view of `frame` where it holds one stored block (ours), otherwise
 * decompressed into `out` (any valid LZ4 frame: earlier backups hold lz4-napi's). Throws on what
 * is not a frame or does not fit `out`.
 */
export function decodeFrameInto(frame: Buffer, out: Buffer): Buffer {
  if (frame.length >= HEADER + 8 && frame.readUInt32LE(0) === MAGIC && frame[4] === FLG && frame[5] === BD && frame[6] === HC) {
    const size = frame.readUInt32LE(HEADER);
    const length = size & ~STORED;
    if ((size & STORED) !== 0 && HEADER + 4 + length + 4 === frame.length && frame.readUInt32LE(frame.length - 4) === 0) return frame.subarray(HEADER + 4, HEADER + 4 + length);
  }
  const data = decompressFrameSync(frame);
  if (data.length > out.length) throw new RangeError(`a frame of ${data.length} bytes does not fit ${out.length}`);
  data.copy(out);
  return out.subarray(0, data.length);
}
