/**
 * SHA-256 of backup blocks on a few worker threads (hash-thread.ts). Node's hashes, WebCrypto's
 * digest included, run on the calling thread, and a 2 MiB block costs milliseconds to tens of
 * milliseconds on a busy node: on the main loop that would delay every API call and health answer
 * behind a backup. Each block's bytes are copied once (a memcpy, far cheaper than the hash) and
 * handed to the thread.
 *
 * Threads start on first use, are unref'd (they never keep the process alive) and end after a
 * while unused; one that dies fails its hashes with the reason and is replaced on the next call.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface HashRequest {
  id: number;
  data: Uint8Array;
}

export type HashReply = { id: number; hash: string; error?: undefined } | { id: number; error: string; hash?: undefined };

const THREAD_MAIN = new URL(import.meta.url.endsWith('.ts') ? '../../dist/src/objectstore/hash-thread.js' : './hash-thread.js', import.meta.url);
/** At most this many threads: hashing competes with the rest of the node for its cores. */
const MAX_THREADS = 4;
/** Threads unused this long end (they hold their own heap). */
const IDLE_MS = 30_000;

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (hash: string) => void; reject: (error: Error) => void }>;
}

const threads: Thread[] = [];
let nextId = 0;
let nextThread = 0;
let idleTimer: NodeJS.Timeout | undefined;

function spawn(): Thread {
  const worker = new Worker(THREAD_MAIN, { execArgv: [] });
  worker.unref();
  const thread: Thread = { worker, pending: new Map() };
  const fail = (error: Error): void => {
    const at = threads.indexOf(thread);
    if (at >= 0) threads.splice(at, 1);
    for (const { reject } of thread.pending.values()) reject(error);
    thread.pending.clear();
  };
  worker.on('message', (reply: HashReply) => {
    const waiter = thread.pending.get(reply.id);
    if (!waiter) return;
    thread.pending.delete(reply.id);
    if (reply.error !== undefined) waiter.reject(new Error(`hashing a block failed: ${reply.error}`));
    else waiter.resolve(reply.hash);
  });
  worker.on('error', (err) => fail(new Error(`a hashing thread failed: ${err.message}`)));
  worker.on('exit', (code) => fail(new Error(`a hashing thread exited (${code})`)));
  return thread;
}

function pick(): Thread {
  const size = Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
  while (threads.length < size) threads.push(spawn());
  nextThread = (nextThread + 1) % threads.length;
  return threads[nextThread]!;
}

function armIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (threads.some((t) => t.pending.size > 0)) return armIdle();
    for (const thread of threads.splice(0)) void thread.worker.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** SHA-256 (hex) of `data`, computed on a hashing thread. */
export function sha256OffLoop(data: Uint8Array): Promise<string> {
  const thread = pick();
  const id = nextId++;
  armIdle();
  return new Promise((resolve, reject) => {
    thread.pending.set(id, { resolve, reject });
    // A copy of just the block's bytes, handed over: the thread's own heap then accounts for it
    // and frees it (shared memory sent instead stayed alive until the idle thread happened to collect).
    const body = Uint8Array.prototype.slice.call(data);
    thread.worker.postMessage({ id, data: body } satisfies HashRequest, [body.buffer]);
  });
}
