/**
 * TCP port blocks for tests that run simulators with NVMe/TCP listeners. Test files run in
 * parallel workers; two workers must never hand out the same ports. A test that kills a node's
 * listeners frees its ports for a moment, and a node of another file grabbing one would let an
 * engine reconnect to the wrong replica (the names and host NQNs of test fixtures repeat). So each
 * worker (VITEST_POOL_ID) has its own region of 21000–31999 (below the ephemeral range, above the
 * 20000–20999 a default `serve` of the CLI tests exports on), handed out in blocks of 100; files in
 * one worker run one after another and may reuse its blocks.
 *
 * Several checkouts of the repository testing at once on one machine (engineers' worktrees) would
 * share those regions, so `CONDUCTOR_TEST_PORT_SLOT=1..8` moves a checkout into its own 1,200
 * ports of 10000–19599 instead, split between its workers.
 */
const BLOCK = 100;
const MAX_WORKERS = 4;
const SLOTS = 8;
const SLOT_SIZE = 1_200;

const worker = Math.max(1, Math.min(MAX_WORKERS, Number(process.env.VITEST_POOL_ID ?? 1))) - 1;
const slot = Number(process.env.CONDUCTOR_TEST_PORT_SLOT ?? 0);
if (!Number.isInteger(slot) || slot < 0 || slot > SLOTS) {
  throw new Error(`CONDUCTOR_TEST_PORT_SLOT must be 0..${SLOTS}, got ${process.env.CONDUCTOR_TEST_PORT_SLOT}`);
}
const [first, last, workers] = slot === 0 ? [21_000, 31_999, MAX_WORKERS] : [10_000 + (slot - 1) * SLOT_SIZE, 10_000 + slot * SLOT_SIZE - 1, 2];
const regionSize = Math.floor((last + 1 - first) / workers / BLOCK) * BLOCK;
const regionStart = first + (worker % workers) * regionSize;
let next = 0;

/** The first port of a fresh block of 100 that no other worker uses. */
export function portBlock(): number {
  const base = regionStart + (next % (regionSize / BLOCK)) * BLOCK;
  next++;
  return base;
}

/**
 * This worker's whole region, for a file that needs more listeners than a block (files of one worker
 * run one after another, so it may take them all). Undefined when the region is smaller than `ports`
 * (the 600-port regions of a `CONDUCTOR_TEST_PORT_SLOT` checkout).
 */
export function workerRegion(ports: number): { min: number; max: number } | undefined {
  return regionSize >= ports ? { min: regionStart, max: regionStart + regionSize - 1 } : undefined;
}
