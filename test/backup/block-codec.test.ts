/**
 * How a block is stored and hashed: the LZ4 frames lz4-frame.ts makes are standard frames (lz4-napi's
 * own frame decoder reads both kinds, compressed and stored), frames made by lz4-napi's encoder
 * (earlier backups) still decode, and the hashing threads give the SHA-256 of exactly the block's
 * bytes, whether they are shared memory, a view into a larger buffer, or a buffer of their own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { sha256OffLoop } from '../../src/objectstore/hash-pool.js';
import { decodeFrame, encodeFrame } from '../../src/objectstore/lz4-frame.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('block frames', () => {
  it('stores an incompressible block as a stored frame and a compressible one smaller, both read back by any LZ4 frame reader', async () => {
    const random = randomBytes(2 * MiB);
    const framed = await encodeFrame(random);
    expect(framed.length).toBe(random.length + 15);
    expect((await decodeFrame(framed)).equals(random)).toBe(true);
    expect((await decompressFrame(framed)).equals(random)).toBe(true);

    const text = Buffer.alloc(2 * MiB);
    for (let i = 0; i < text.length; i += 64) text.write(`block ${i % 4096} of a compressible image\n`, i);
    const packed = await encodeFrame(text);
    expect(packed.length).toBeLessThan(text.length / 4);
    expect((await decodeFrame(packed)).equals(text)).toBe(true);
    expect((await decompressFrame(packed)).equals(text)).toBe(true);
  });

  it("decodes frames made by lz4-napi's frame encoder, and refuses what is not a frame", async () => {
    const data = Buffer.concat([randomBytes(MiB), Buffer.alloc(MiB, 3)]);
    expect((await decodeFrame(await compressFrame(data))).equals(data)).toBe(true);
    // A stored frame whose length disagrees with its object is not taken as stored.
    const cut = await encodeFrame(randomBytes(4096));
    cut.writeUInt32LE((8192 | 0x80000000) >>> 0, 7);
    await expect(decodeFrame(cut)).rejects.toThrow();
    await expect(decodeFrame(Buffer.from('not a frame at all'))).rejects.toThrow();
  });
});

describe('hashing off the main loop', () => {
  it('gives the SHA-256 of exactly the bytes given, shared, a view or a buffer of their own', async () => {
    const shared = Buffer.from(new SharedArrayBuffer(6 * MiB));
    randomBytes(6 * MiB).copy(shared);
    const parts = [shared.subarray(0, 2 * MiB), shared.subarray(2 * MiB, 4 * MiB), shared.subarray(4 * MiB)];
    const own = randomBytes(2 * MiB);
    const big = randomBytes(8 * MiB);
    const view = big.subarray(MiB, 3 * MiB);
    const inputs = [...parts, own, view, Buffer.alloc(0)];
    const hashes = await Promise.all(inputs.map((b) => sha256OffLoop(b)));
    expect(hashes).toEqual(inputs.map(sha));
  });
});
