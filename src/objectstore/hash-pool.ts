/**
 * A block's CPU work on a few worker threads (hash-thread.ts): SHA-256, and the LZ4 frame both
 * ways (lz4-frame.ts). Node's hashes, WebCrypto's digest included, run on the calling thread, and
 * a 2 MiB block costs milliseconds to tens of milliseconds on a busy node: on the main loop that
 * would delay every API call and health answer behind a backup. LZ4 ran on libuv's pool before,
 * where it held up the file reads, writes and fsyncs of the same backup.
 *
 * Blocks in a set of shared slots (block-buffers.ts) are worked on in place: each thread is sent a
 * set's memory once, then only offsets. Other bytes (hashes of a manifest's neighbours, tests) are
 * copied once and handed over.
 *
 * Threads start on first use, keep the process alive only while they work for it, and end after a
 * while unused; one that dies fails its work with the reason and is replaced on the next call.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type ThreadRequest =
  | { op: 'memory'; set: number; memory: SharedArrayBuffer }
  | { op: 'hash'; id: number; data: Uint8Array }
  | { op: 'hash-shared'; id: number; set: number; offset: number; length: number }
  | { op: 'frame' | 'hash-frame'; id: number; set: number; offset: number; length: number; headroom: number; blockLength: number }
  | { op: 'decode'; id: number; set: number; offset: number; length: number; out: number; outLength: number };

export type ThreadReply =
  | { id: number; error: string }
  | { id: number; hash: string; error?: undefined; length?: undefined }
  | { id: number; hash: string; offset: number; length: number; error?: undefined }
  | { id: number; offset: number; length: number; error?: undefined; hash?: undefined };

type Answer = Exclude<ThreadReply, { error: string }>;

/** The work on a block failed on its bytes (a frame that does not decode), not the thread. */
export class BlockWorkError extends Error {}

const THREAD_MAIN = new URL(import.meta.url.endsWith('.ts') ? '../../dist/src/objectstore/hash-thread.js' : './hash-thread.js', import.meta.url);
/** At most this many threads: the work competes with the rest of the node for its cores. */
const MAX_THREADS = 4;
/** Threads unused this long end (they hold their own heap, and references to shared slots). */
const IDLE_MS = 30_000;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (reply: Answer) => void; reject: (error: Error) => void }>;
  /** Sets of shared slots this thread has been sent. */
  memories: Set<number>;
}

const threads: Thread[] = [];
let nextId = 0;
let nextThread = 0;
let idleTimer: NodeJS.Timeout | undefined;
/** An id per set of shared slots, by its memory. */
const sets = new WeakMap<SharedArrayBuffer, number>();
let nextSet = 0;

function spawn(): Thread {
  const worker = new Worker(THREAD_MAIN, { execArgv: [] });
  const thread: Thread = { worker, pending: new Map(), memories: new Set() };
  const fail = (error: Error): void => {
    const at = threads.indexOf(thread);
    if (at >= 0) threads.splice(at, 1);
    for (const { reject } of thread.pending.values()) reject(error);
    thread.pending.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    const waiter = thread.pending.get(reply.id);
    if (!waiter) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) worker.unref();
    if (reply.error !== undefined) waiter.reject(new BlockWorkError(reply.error));
    else waiter.resolve(reply);
  });
  worker.on('error', (err) => fail(new Error(`a block thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`a block thread exited (${code})`)));
  // Held only while it works for someone (send refs it): unref'd after the listeners, since adding
  // a 'message' listener refs a Worker again (a thread unref'd before it kept every process that
  // used one alive until the idle timer ended it, 30 s).
  worker.unref();
  return thread;
}

/** Threads to keep: availableParallelism() is a system call, so it is asked once. */
let poolSize: number | undefined;

function fill(): void {
  poolSize ??= Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
  while (threads.length < poolSize) threads.push(spawn());
}

function pick(): Thread {
  fill();
  nextThread = (nextThread + 1) % threads.length;
  return threads[nextThread]!;
}

/** When work was last sent: the idle timer looks at it rather than being re-armed per block. */
let lastUseMs = 0;

function armIdle(): void {
  lastUseMs = Date.now();
  if (idleTimer) return;
  const check = (): void => {
    const idleFor = Date.now() - lastUseMs;
    if (threads.some((t) => t.pending.size > 0) || idleFor < IDLE_MS) {
      idleTimer = setTimeout(check, Math.max(1000, IDLE_MS - idleFor));
      idleTimer.unref();
      return;
    }
    idleTimer = undefined;
    for (const thread of threads.splice(0)) void thread.worker.terminate();
  };
  idleTimer = setTimeout(check, IDLE_MS);
  idleTimer.unref();
}

/**
 * Starts the block threads now, if they are not running: a thread's start (a Node environment,
 * lz4-napi loaded) cost ~70-100 ms of CPU (perf, on the 2-core machine), which a backup calls for
 * while its stage waits on spdk_tgt, not once its blocks arrive and every millisecond of CPU is
 * the upload's.
 */
export function warmBlockThreads(): void {
  fill();
  armIdle();
}

function setOf(memory: SharedArrayBuffer): number {
  let id = sets.get(memory);
  if (id === undefined) sets.set(memory, (id = nextSet++));
  return id;
}

type Work =
  | { op: 'hash'; data: Uint8Array }
  | { op: 'hash-shared' | 'decode'; memory: SharedArrayBuffer; offset: number; length: number; out?: number; outLength?: number }
  | { op: 'frame' | 'hash-frame'; memory: SharedArrayBuffer; offset: number; length: number; headroom: number; blockLength: number };

function send(work: Work, transfer: ArrayBuffer[] = []): Promise<Answer> {
  const thread = pick();
  const id = nextId++;
  armIdle();
  return new Promise((resolve, reject) => {
    if (thread.pending.size === 0) thread.worker.ref();
    thread.pending.set(id, { resolve, reject });
    if (work.op === 'hash') {
      thread.worker.postMessage({ op: 'hash', id, data: work.data } satisfies ThreadRequest, transfer);
      return;
    }
    const set = setOf(work.memory);
    if (!thread.memories.has(set)) {
      thread.worker.postMessage({ op: 'memory', set, memory: work.memory } satisfies ThreadRequest);
      thread.memories.add(set);
    }
    const { offset, length } = work;
    const request: ThreadRequest =
      work.op === 'hash-shared'
        ? { op: work.op, id, set, offset, length }
        : 'headroom' in work
          ? { op: work.op, id, set, offset, length, headroom: work.headroom, blockLength: work.blockLength }
          : { op: work.op, id, set, offset, length, out: work.out!, outLength: work.outLength! };
    thread.worker.postMessage(request);
  });
}

function shared(data: Uint8Array): SharedArrayBuffer | undefined {
  return data.buffer instanceof SharedArrayBuffer ? data.buffer : undefined;
}

function sameMemory(a: Uint8Array, b: Uint8Array): SharedArrayBuffer {
  const memory = shared(a);
  if (!memory || shared(b) !== memory) throw new Error('a block and its output must be slots of one set of block buffers');
  return memory;
}

/** SHA-256 (hex) of `data`, computed on a block thread: in place when it is in shared memory. */
export async function sha256OffLoop(data: Uint8Array): Promise<string> {
  const memory = shared(data);
  if (memory) return (await send({ op: 'hash-shared', memory, offset: data.byteOffset, length: data.byteLength })).hash!;
  // A copy of just the block's bytes, handed over: the thread's own heap then accounts for it.
  const body = Uint8Array.prototype.slice.call(data);
  return (await send({ op: 'hash', data: body }, [body.buffer])).hash!;
}

/** The block in a slot framed there on a block thread ('hash-frame': hashed first); the frame is a view of the slot. */
async function frameInSlotOnThread(op: 'frame' | 'hash-frame', slot: Buffer, headroom: number, blockLength: number): Promise<{ hash?: string; frame: Buffer }> {
  const memory = shared(slot);
  if (!memory) throw new Error('a block framed in its slot must be in a slot of block buffers');
  const reply = await send({ op, memory, offset: slot.byteOffset, length: slot.length, headroom, blockLength });
  return { hash: reply.hash, frame: Buffer.from(memory, (reply as { offset: number }).offset, reply.length!) };
}

/**
 * The LZ4 frame of the block at slot[headroom, headroom + blockLength), made in that slot of a set
 * of block buffers (lz4-frame.ts frameInSlot) on a block thread: a view of the slot.
 */
export async function frameInSlotOffLoop(slot: Buffer, headroom: number, blockLength: number): Promise<Buffer> {
  return (await frameInSlotOnThread('frame', slot, headroom, blockLength)).frame;
}

/**
 * The SHA-256 of the block at slot[headroom, headroom + blockLength), then its LZ4 frame made in
 * that slot (as frameInSlotOffLoop), in one request to a block thread: for blocks that will be
 * stored whatever their hash (a volume's first backup), one round trip a block instead of two.
 */
export async function hashAndFrameInSlotOffLoop(slot: Buffer, headroom: number, blockLength: number): Promise<{ hash: string; frame: Buffer }> {
  const { hash, frame } = await frameInSlotOnThread('hash-frame', slot, headroom, blockLength);
  return { hash: hash!, frame };
}

/**
 * The bytes of `frame` and their SHA-256, on a block thread: a view of `frame` for a stored block,
 * otherwise decompressed into `out` (both slots of one set).
 */
export async function decodeFrameOffLoop(frame: Buffer, out: Buffer): Promise<{ data: Buffer; hash: string }> {
  const memory = sameMemory(frame, out);
  const reply = await send({ op: 'decode', memory, offset: frame.byteOffset, length: frame.length, out: out.byteOffset, outLength: out.length });
  return { data: Buffer.from(memory, (reply as { offset: number }).offset, reply.length!), hash: reply.hash! };
}
