/**
 * A restore's block memory. With direct writes: like the backup's slots (objectstore/block-buffers.ts),
 * one set of fixed slots per running job in shared memory, worked on in place by the block threads
 * and reused by the next job, but page-aligned, so that a verified block can go from its slot
 * straight to the disk (O_DIRECT, staging-writer.ts) without a copy into the page cache. Without
 * them: slots of the backup's own block buffers. A SharedArrayBuffer's bytes
 * start wherever malloc put them; a shared WebAssembly.Memory is reserved by V8's page allocator,
 * so its first byte starts a page. Nothing here is trusted for correctness: a direct write from a
 * slot that is not aligned after all is refused by the kernel and written through the page cache.
 *
 * Bounded as the backup's sets are: at most `backup.concurrency` jobs run, each holds one set;
 * a set unused for IDLE_MS is dropped.
 */
import { SLOT_BYTES, withBlockBuffers } from '../../objectstore/block-buffers.js';
import { IdleSets } from '../../objectstore/idle-sets.js';
import { FRAME_OVERHEAD } from '../../objectstore/lz4-frame.js';

/** What O_DIRECT asks of a buffer's address, a length and a file offset on the filesystems we stage on. */
export const DIRECT_ALIGN = 4096;
/**
 * Where in its slot a block's frame is read: a stored block's bytes follow the frame's header and
 * size (FRAME_OVERHEAD less the end mark), so read this far in they start a page and go to the disk
 * from the slot as they are. A compressed block is decompressed to the start of its own slot.
 */
export const FRAME_AT = DIRECT_ALIGN - (FRAME_OVERHEAD - 4);
/** Per block in flight: its frame and, where it was compressed, its bytes. */
export const RESTORE_SLOTS = 8;
const WASM_PAGE = 64 * 1024;
/** Each slot starts a page: SLOT_BYTES is a whole number of pages. */
const SET_PAGES = Math.ceil((RESTORE_SLOTS * SLOT_BYTES) / WASM_PAGE);
const IDLE_MS = 30_000;

// lib ES2023 declares no WebAssembly; the one constructor used here.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer } };

/** The memories of restore slot sets: only their views can be page-aligned. */
const aligned = new WeakSet<ArrayBufferLike>();

interface SlotSet {
  slots: Buffer[];
}

function newSet(): SlotSet {
  const memory = new WebAssembly.Memory({ initial: SET_PAGES, maximum: SET_PAGES, shared: true }).buffer;
  aligned.add(memory);
  return { slots: Array.from({ length: RESTORE_SLOTS }, (_, i) => Buffer.from(memory, i * SLOT_BYTES, SLOT_BYTES)) };
}

/** Whether a direct write may take `data` as it is: in a restore slot set, starting and ending on DIRECT_ALIGN. */
export function directWritable(data: Buffer): boolean {
  return aligned.has(data.buffer) && data.byteOffset % DIRECT_ALIGN === 0 && data.length % DIRECT_ALIGN === 0;
}

const idle = new IdleSets<SlotSet>(IDLE_MS);

/**
 * Runs `work` with RESTORE_SLOTS slots of its own: page-aligned ones (an idle set of these, or a new
 * one) for direct writes, otherwise slots of the block buffers backups use (block-buffers.ts): a
 * restore whose blocks go through the page cache needs no alignment, and taking the set a backup
 * left idle adds no memory. `work` must not return while anything (a block thread's task, a
 * write) still uses a slot: the slots go to the next job after it.
 */
export async function withRestoreSlots<T>(aligned: boolean, work: (slots: readonly Buffer[]) => Promise<T>): Promise<T> {
  if (!aligned) {
    return withBlockBuffers(async (buffers) => {
      // The set is this job's alone: every slot is free, none of these waits.
      const slots = await Promise.all(Array.from({ length: RESTORE_SLOTS }, () => buffers.acquire()));
      try {
        return await work(slots);
      } finally {
        for (const slot of slots) buffers.release(slot);
      }
    });
  }
  const set = idle.take(newSet);
  try {
    return await work(set.slots);
  } finally {
    idle.giveBack(set);
  }
}
