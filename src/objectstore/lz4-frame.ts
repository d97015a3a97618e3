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
/** Where a frame's body starts: after the magic, the descriptor and the block's size. */
export const FRAME_BODY_AT = HEADER + 4;

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

/** The block's frame body: its LZ4 block where that is smaller, otherwise undefined (stored as it is). */
function packed(data: Buffer): Buffer | undefined {
  if (data.length === 0 || incompressible(data)) return undefined;
  // lz4-napi's block output starts with the uncompressed size (4 bytes, little-endian).
  const body = compressSync(data).subarray(4);
  return body.length < data.length ? body : undefined;
}

/** Writes the frame around a body already at out[HEADER + 4, HEADER + 4 + length); returns the frame's length. */
function frameAround(out: Buffer, length: number, stored: boolean): number {
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = HC;
  let end = HEADER;
  if (length > 0) {
    out.writeUInt32LE(stored ? (length | STORED) >>> 0 : length, HEADER);
    end = HEADER + 4 + length;
  }
  out.writeUInt32LE(0, end);
  return end + 4;
}

/**
 * Frames the block at slot[headroom, headroom + length) in its own slot and returns the frame, a
 * view of the slot; the block's bytes are gone after. A stored block is not moved: its header goes
 * into the headroom before it (at least FRAME_BODY_AT bytes; the slot holds 11 bytes past the block). A compressed body is copied in at the
 * same alignment it has in lz4-napi's output: V8 copies into shared memory a word at a time only
 * between alike-aligned addresses, and a byte at a time otherwise (measured ~10x slower, ~1.3 ms
 * for 2 MiB), which was a backup's costliest copy when every frame's body went 11 bytes in.
 */
export function frameInSlot(slot: Buffer, headroom: number, length: number): Buffer {
  if (length > MAX_BLOCK) throw new RangeError(`a block of ${length} bytes is larger than a frame's ${MAX_BLOCK}`);
  // A compressed body is shorter than the block but may start up to 7 bytes later; the end mark follows either.
  if (headroom < FRAME_BODY_AT || slot.length < headroom + length + 11) throw new RangeError(`a ${length}-byte block at ${headroom} of a ${slot.length}-byte slot leaves no room for its frame`);
  const data = slot.subarray(headroom, headroom + length);
  const body = packed(data);
  if (!body) {
    const start = headroom - FRAME_BODY_AT;
    return slot.subarray(start, start + frameAround(slot.subarray(start), length, true));
  }
  const at = headroom + ((body.byteOffset - slot.byteOffset - headroom) & 7);
  body.copy(slot, at);
  const start = at - FRAME_BODY_AT;
  return slot.subarray(start, start + frameAround(slot.subarray(start), body.length, false));
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
