/**
 * Preloaded into a benchmark's service (`node --expose-gc --import <this>`), never by the service
 * itself: SIGWINCH runs a full garbage collection and appends the memory that is left (one JSON
 * line) to BENCH_GC_REPORT, so the benchmark tells retained memory from garbage not yet collected.
 * With BENCH_HEAP_SNAPSHOT_DIR set, each signal also writes a heap snapshot there, to compare what
 * grew between two of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

const report = process.env.BENCH_GC_REPORT;
const snapshots = process.env.BENCH_HEAP_SNAPSHOT_DIR;
let taken = 0;

if (report) {
  process.on('SIGWINCH', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    // Twice: objects with finalizers or weak callbacks are freed by the second pass.
    gc?.();
    gc?.();
    const snapshot = snapshots ? v8.writeHeapSnapshot(path.join(snapshots, `heap-${++taken}.heapsnapshot`)) : undefined;
    // Committed size of each V8 space: what of the RSS the heap holds, used or not.
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), s.space_size]));
    fs.appendFileSync(report, `${JSON.stringify({ at: Date.now(), collected: gc !== undefined, ...process.memoryUsage(), spaces, snapshot })}\n`);
  });
}
