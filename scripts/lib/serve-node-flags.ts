/**
 * How the image runs `serve` (Dockerfile: ENTRYPOINT's node flags, ENV), for the benchmarks that
 * measure it as it runs there; test/deploy/node-flags.test.ts keeps the Dockerfile, `npm start` and
 * these equal. Why each (docs/architecture.md, "Memory" under "Main loop budget"):
 *   --max-semi-space-size=4   V8's young generation at 4 MiB semi-spaces instead of 16 (2, and
 *                             --optimize-for-size, were measured against issue 16's RSS goal and
 *                             cost more CPU per operation than the ~5 % it allows: same doc section);
 *   --heap-growing-percent=50 a major GC when the old generation has grown 50% past what the last
 *                             one kept, instead of up to 4x: the heap's peak under churn follows the
 *                             live set (20% bought ~10 MiB more for twice the marking CPU). No heap
 *                             limit: nothing here can end the process;
 *   MALLOC_ARENA_MAX=2        glibc's malloc arenas capped instead of 8 per core;
 *   MALLOC_TRIM_THRESHOLD_=131072, MALLOC_MMAP_THRESHOLD_=262144
 *                             glibc's thresholds fixed (setting either stops glibc raising them
 *                             after the first large free): buffers of 256 KiB and more are mapped
 *                             and unmapped, a heap's free top over 128 KiB given back. 7-10 MiB
 *                             less at rest, ~5 less at the churn's peak, no CPU per operation
 *                             beyond the runs' spread on a quiet machine (same doc section);
 *   UV_THREADPOOL_SIZE=8      libuv's pool at 8 threads instead of 4, so that a filesystem backup
 *                             target on a hung mount, which holds at most half of them, leaves
 *                             the state file's writes theirs (src/threadpool.ts).
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

export const SERVE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '262144', UV_THREADPOOL_SIZE: '8' };
