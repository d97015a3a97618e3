/**
 * The memory a backup or restore moves its blocks through: a fixed set of slots in one
 * SharedArrayBuffer per running job, taken per block and given back, reused by the next job.
 * A Buffer made and dropped per block (a read, a copy for the hashing thread, a frame) cost more
 * than the work on it: every fresh 2 MiB is page-faulted in and zeroed by the kernel, the GC
 * frees it late, and the service's RSS grew with the backup (~470 MiB for 256 MiB backed up).
 * Slots live in shared memory so the block threads (hash-pool.ts) hash, compress and decompress
 * them in place, without a copy.
 *
 * Bounded by configuration, not by volume size: at most `backup.concurrency` jobs run, each holds
 * one set of SLOTS slots, so the service never holds more than concurrency × SET_BYTES here. A set
 * unused for IDLE_MS is dropped (the block threads, idle as long, end with their reference to it).
 */
import { BLOCK_BYTES } from './format.js';
import { IdleSets } from './idle-sets.js';

/**
 * A slot holds a whole block or its stored frame: a frame is at most the block plus 15 bytes (ours)
 * or a few hundred (lz4-napi's encoder, 64 KiB blocks with headers, in earlier backups).
 */
export const SLOT_BYTES = BLOCK_BYTES + 64 * 1024;
/**
 * The least room before a backup's block in its slot: its frame's header goes there, so a block
 * stored as it is (incompressible) is framed without moving it (lz4-frame.ts frameInSlot). A
 * reader may start the block further in (an O_DIRECT read needs an aligned address), at most
 * SLOT_HEADROOM_MAX: the slot still holds the block and its frame's end mark after it.
 */
export const SLOT_HEADROOM = 16;
export const SLOT_HEADROOM_MAX = SLOT_HEADROOM + 4096;
/**
 * Slots of one set: a backup holds a block being read plus one per block in flight (8: its bytes,
 * then its frame over them); a restore, per block in flight, its frame and its bytes.
 */
export const SLOTS = 10;
export const SET_BYTES = SLOTS * SLOT_BYTES;
const IDLE_MS = 30_000;

export class BlockBuffers {
  readonly memory = new SharedArrayBuffer(SET_BYTES);
  private readonly free: Buffer[] = [];
  private readonly waiters: Array<(slot: Buffer) => void> = [];

  constructor() {
    for (let i = SLOTS - 1; i >= 0; i--) this.free.push(Buffer.from(this.memory, i * SLOT_BYTES, SLOT_BYTES));
  }

  /** A free slot (SLOT_BYTES long); waits for one while all are taken. */
  acquire(signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    const slot = this.free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve, reject) => {
      const waiter = (s: Buffer): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(s);
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Gives a slot back: `slot` must be one acquire returned (or a view starting at its start). */
  release(slot: Buffer): void {
    // A slot given back twice would be handed to two takers at once: their blocks would mix.
    if (slot.buffer !== this.memory || this.free.some((f) => f.byteOffset === slot.byteOffset)) throw new Error(`slot at ${slot.byteOffset} is not a taken slot of these block buffers`);
    const whole = Buffer.from(this.memory, slot.byteOffset, SLOT_BYTES);
    const waiter = this.waiters.shift();
    if (waiter) waiter(whole);
    else this.free.push(whole);
  }

  /** Slots not taken (tests: every path gives its slots back). */
  get available(): number {
    return this.free.length;
  }
}

const idle = new IdleSets<BlockBuffers>(IDLE_MS);

/** Runs `work` with a set of slots of its own (an idle one, or a new one), given back after. */
export async function withBlockBuffers<T>(work: (buffers: BlockBuffers) => Promise<T>): Promise<T> {
  const buffers = idle.take(() => new BlockBuffers());
  try {
    return await work(buffers);
  } finally {
    // A set whose slots are not all back (a task still running) is not reused: it is left to the GC.
    if (buffers.available === SLOTS) idle.giveBack(buffers);
  }
}
