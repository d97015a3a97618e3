/**
 * How a block is stored and hashed: the LZ4 frames lz4-frame.ts makes are standard frames (lz4-napi's
 * own frame decoder reads both kinds, compressed and stored), frames made by lz4-napi's encoder
 * (earlier backups) still decode, the block threads give the SHA-256 of exactly the block's bytes,
 * whether they are a slot of shared memory, a view into a larger buffer, or a buffer of their own,
 * and frame blocks in place in the slots of a set of block buffers (hashed first where one request
 * does both), each slot given back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { BlockBuffers, SLOT_BYTES, SLOT_HEADROOM, SLOTS, withBlockBuffers } from '../../src/objectstore/block-buffers.js';
import { decodeBlock, encodeBlock, hashAndEncodeBlock } from '../../src/objectstore/format.js';
import { sha256OffLoop } from '../../src/objectstore/hash-pool.js';
import { decodeFrameInto, FRAME_OVERHEAD, frameInSlot } from '../../src/objectstore/lz4-frame.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The frame of `data` as a backup makes it: the block copied into a slot of shared memory at the headroom, framed there. */
function frameOf(data: Buffer): Buffer {
  const slot = Buffer.from(new SharedArrayBuffer(SLOT_BYTES));
  data.copy(slot, SLOT_HEADROOM);
  return Buffer.from(frameInSlot(slot, SLOT_HEADROOM, data.length));
}

function compressible(bytes: number): Buffer {
  const text = Buffer.alloc(bytes);
  for (let i = 0; i < text.length; i += 64) text.write(`block ${i % 4096} of a compressible image\n`, i);
  return text;
}

describe('block frames', () => {
  it('stores an incompressible block as a stored frame and a compressible one smaller, both read back by any LZ4 frame reader', async () => {
    const scratch = Buffer.alloc(SLOT_BYTES);
    const random = randomBytes(2 * MiB);
    const framed = frameOf(random);
    expect(framed.length).toBe(random.length + FRAME_OVERHEAD);
    expect(decodeFrameInto(framed, scratch).equals(random)).toBe(true);
    expect((await decompressFrame(framed)).equals(random)).toBe(true);

    const text = compressible(2 * MiB);
    const packed = frameOf(text);
    expect(packed.length).toBeLessThan(text.length / 4);
    expect(decodeFrameInto(packed, scratch).equals(text)).toBe(true);
    expect((await decompressFrame(packed)).equals(text)).toBe(true);

    // Random samples but a compressible rest: the samples find the block compressible.
    const mixed = compressible(2 * MiB);
    randomBytes(16 * 1024).copy(mixed, 0);
    const mixedFrame = frameOf(mixed);
    expect(mixedFrame.length).toBeLessThan(mixed.length / 2);
    expect((await decompressFrame(mixedFrame)).equals(mixed)).toBe(true);
  });

  it("decodes frames made by lz4-napi's frame encoder, and refuses what is not a frame or does not fit", async () => {
    const scratch = Buffer.alloc(SLOT_BYTES);
    const data = Buffer.concat([randomBytes(MiB), Buffer.alloc(MiB, 3)]);
    const theirs = await compressFrame(data);
    expect(decodeFrameInto(theirs, scratch).equals(data)).toBe(true);
    // A stored frame whose length disagrees with its object is not taken as stored.
    const cut = frameOf(randomBytes(4096));
    cut.writeUInt32LE((8192 | 0x80000000) >>> 0, 7);
    expect(() => decodeFrameInto(cut, scratch)).toThrow();
    expect(() => decodeFrameInto(Buffer.from('not a frame at all'), scratch)).toThrow();
    expect(() => decodeFrameInto(theirs, Buffer.alloc(MiB))).toThrow(/does not fit/);
  });
});

describe('block threads', () => {
  it('give the SHA-256 of exactly the bytes given, shared, a view or a buffer of their own', async () => {
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

  it('frame and unframe blocks in place in the slots of block buffers, checked, every slot given back', async () => {
    const blocks = [randomBytes(2 * MiB), compressible(2 * MiB), randomBytes(MiB + 4096)];
    await withBlockBuffers(async (buffers) => {
      for (const block of blocks) {
        const [input, frame, out] = [await buffers.acquire(), await buffers.acquire(), await buffers.acquire()];
        block.copy(input, SLOT_HEADROOM);
        const stored = Buffer.from(await encodeBlock(input, SLOT_HEADROOM, block.length));
        input.fill(0);
        stored.copy(frame);
        const back = await decodeBlock('test', sha(block), block.length, frame.subarray(0, stored.length), out);
        expect(back.equals(block)).toBe(true);
        await expect(decodeBlock('test', '0'.repeat(64), block.length, frame.subarray(0, stored.length), out)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
        await expect(decodeBlock('test', sha(block), block.length, Buffer.from(input.buffer, input.byteOffset, 100), out)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
        for (const slot of [input, frame, out]) buffers.release(slot);
      }
      expect(buffers.available).toBe(SLOTS);
    });
  });

  it('hash a block and frame it in one request: the hash of the bytes before the frame went over them, the same frame', async () => {
    const blocks = [randomBytes(2 * MiB), compressible(2 * MiB), randomBytes(MiB + 4096)];
    await withBlockBuffers(async (buffers) => {
      for (const block of blocks) {
        const [input, out] = [await buffers.acquire(), await buffers.acquire()];
        block.copy(input, SLOT_HEADROOM + 4080);
        const { hash, frame } = await hashAndEncodeBlock(input, SLOT_HEADROOM + 4080, block.length);
        expect(hash).toBe(sha(block));
        expect(frame.buffer).toBe(input.buffer);
        const stored = Buffer.from(frame);
        expect(stored.equals(frameOf(block))).toBe(true);
        expect((await decodeBlock('test', hash, block.length, frame, out)).equals(block)).toBe(true);
        for (const slot of [input, out]) buffers.release(slot);
      }
      expect(buffers.available).toBe(SLOTS);
    });
  });

  it('make a taker wait while every slot is out, and an aborted taker stop waiting', async () => {
    const buffers = new BlockBuffers();
    const taken = await Promise.all(Array.from({ length: SLOTS }, () => buffers.acquire()));
    expect(buffers.available).toBe(0);
    const waiting = buffers.acquire();
    const abort = new AbortController();
    const given = buffers.acquire(abort.signal);
    abort.abort(new Error('stop'));
    await expect(given).rejects.toThrow('stop');
    buffers.release(taken[3]!);
    expect((await waiting).byteOffset).toBe(taken[3]!.byteOffset);
    expect(buffers.available).toBe(0);
    buffers.release(taken[4]!);
    // Given back twice, a slot would go to two takers at once.
    expect(() => buffers.release(taken[4]!)).toThrow(/not a taken slot/);
    expect(() => buffers.release(Buffer.alloc(16))).toThrow(/not a taken slot/);
    expect(buffers.available).toBe(1);
  });
});

describe('block threads and the process', () => {
  it('never keep a process alive: one that used them exits when its own work is done, not when they go idle (30 s)', async () => {
    const pool = fileURLToPath(new URL('../../dist/src/objectstore/hash-pool.js', import.meta.url));
    const script = `const { warmBlockThreads, sha256OffLoop } = await import(${JSON.stringify(pool)});
warmBlockThreads();
const sum = await sha256OffLoop(Buffer.alloc(4096, 1));
process.stdout.write(sum.slice(0, 8));`;
    const started = Date.now();
    const child = execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, timeout: 25_000 });
    const done = await child;
    // Killed by the timeout only when the threads held it past its work (until their idle end at 30 s).
    expect(done.timedOut, `exited after ${Date.now() - started} ms: ${done.stderr}`).toBe(false);
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toBe(createHash('sha256').update(Buffer.alloc(4096, 1)).digest('hex').slice(0, 8));
  });
});
