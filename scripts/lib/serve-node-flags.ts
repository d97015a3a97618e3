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
 *   MALLOC_ARENA_MAX=2        glibc's malloc arenas capped instead of 8 per core (its thresholds
 *                             fixed, MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_, took ~10 MiB
 *                             off the RSS at rest, but bench:scale's churn read more CPU per
 *                             operation in each of four pairs: not taken, same doc section).
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

export const SERVE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
