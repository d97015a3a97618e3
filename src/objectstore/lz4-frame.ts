/**
 * A backup block as one LZ4 frame (the format's `lz4-frame`), made from lz4-napi's block
 * compressor: its frame encoder measured about a third of the block compressor's speed and was
 * the slowest stage of a backup. The frame is the standard one (any LZ4 frame reader decodes it):
 * magic, a fixed descriptor (independent blocks, no checksums: the block's SHA-256 already guards
 * it, 4 MiB maximum block), then the block, compressed or, where compression does not shrink it,
 * stored, then the end mark. Reading a stored block is a view of the object, no decompression.
 */
import { compress, compressFrame, decompressFrame } from 'lz4-napi';

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

export async function encodeFrame(data: Buffer): Promise<Buffer> {
  if (data.length === 0 || data.length > MAX_BLOCK) return compressFrame(data);
  // lz4-napi's block output starts with the uncompressed size (4 bytes, little-endian).
  const packed = await compress(data);
  const block = packed.subarray(4);
  const stored = block.length >= data.length;
  const body = stored ? data : block;
  const out = Buffer.allocUnsafe(HEADER + 4 + body.length + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = HC;
  out.writeUInt32LE(stored ? (body.length | STORED) >>> 0 : body.length, HEADER);
  body.copy(out, HEADER + 4);
  out.writeUInt32LE(0, out.length - 4);
  return out;
}

export async function decodeFrame(frame: Buffer): Promise<Buffer> {
  if (frame.length >= HEADER + 8 && frame.readUInt32LE(0) === MAGIC && frame[4] === FLG && frame[5] === BD && frame[6] === HC) {
    const size = frame.readUInt32LE(HEADER);
    const length = size & ~STORED;
    if ((size & STORED) !== 0 && HEADER + 4 + length + 4 === frame.length && frame.readUInt32LE(frame.length - 4) === 0) return frame.subarray(HEADER + 4, HEADER + 4 + length);
  }
  return decompressFrame(frame);
}
