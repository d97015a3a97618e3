/**
 * libuv's thread pool runs every asynchronous fs call of the process (the state file's writes, the
 * staging files, a filesystem backup target's files), getaddrinfo and some crypto: 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise, read once when the pool starts, which is before any of the
 * program's code runs (node's ESM loader reads the modules through it), so only the environment
 * node starts in can set it: the image and `npm start` set 8 (scripts/lib/serve-node-flags.ts). A
 * call into a hung NFS mount sleeps in the kernel, holding its thread, until the server answers
 * again; with 4 threads a backup's uploads (8 at once) took them all, and the state file's next
 * write, which every change waits for, never ran. So a filesystem target's calls go through at
 * most half of the pool (objectstore/blocking-calls.ts): a hung target leaves the rest to the others.
 */

/** libuv's reading (threadpool.c init_threads): unset is 4; else atoi's value as unsigned, 0 made 1 and capped at 1024. */
const LIBUV_DEFAULT = 4;
const LIBUV_MAX = 1024;

/** The pool's size as libuv read the environment node started in. */
export function threadpoolSize(): number {
  const value = process.env.UV_THREADPOOL_SIZE;
  if (value === undefined) return LIBUV_DEFAULT;
  const parsed = Number.parseInt(value.trim(), 10);
  if (Number.isNaN(parsed) || parsed === 0) return 1;
  // A negative count is a huge unsigned one to libuv.
  return parsed < 0 ? LIBUV_MAX : Math.min(parsed, LIBUV_MAX);
}

/** The pool threads one filesystem backup target may hold at once: half the pool, at least one. */
export function targetLanes(): number {
  return Math.max(1, Math.floor(threadpoolSize() / 2));
}
