/**
 * TCP port blocks for tests that run simulators with NVMe/TCP listeners. Test files run in
 * parallel workers; two workers must never hand out the same ports. A test that kills a node's
 * listeners frees its ports for a moment, and a node of another file grabbing one would let an
 * engine reconnect to the wrong replica (the names and host NQNs of test fixtures repeat). So each
 * worker (VITEST_POOL_ID) has its own region of 21000–31999 (below the ephemeral range, above the
 * 20000–20999 a default `serve` of the CLI tests exports on), handed out in blocks of 100; files in
 * one worker run one after another and may reuse its blocks.
 */
const FIRST = 21_000;
const LAST = 31_999;
const BLOCK = 100;
const MAX_WORKERS = 4;

const worker = Math.max(1, Math.min(MAX_WORKERS, Number(process.env.VITEST_POOL_ID ?? 1))) - 1;
const regionSize = Math.floor((LAST + 1 - FIRST) / MAX_WORKERS / BLOCK) * BLOCK;
const regionStart = FIRST + worker * regionSize;
let next = 0;

/** The first port of a fresh block of 100 that no other worker uses. */
export function portBlock(): number {
  const base = regionStart + (next % (regionSize / BLOCK)) * BLOCK;
  next++;
  return base;
}
