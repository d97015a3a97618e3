/**
 * Builds the start-up heap for a memory mode from the recorded layouts:
 * - `dynamic` (spdk_tgt's default): the recorded 780 MiB heap that grows by mapping 2 MiB pages
 *   from the system's hugepage pool while it has free pages (`-s` does not cap it);
 * - `legacy` (`-s N --env-context=--legacy-mem`): a fixed heap of N MiB of hugepages, fragmented
 *   like the recorded 1024 MiB one (other sizes add or drop free space at the top);
 * - `no-huge` (`--no-huge -s N`): one virtually contiguous heap of N MiB whose start-up allocations
 *   sit at the top and whose free space is one block below them.
 * A budget below what start-up needs fails like spdk_tgt fails to start.
 */
import { DpdkHeap, PAGE_2M } from './heap.js';
import { DYNAMIC_PROFILE, LEGACY_PROFILE, NOHUGE_PROFILE } from './profiles-data.js';

export type MemoryMode = 'dynamic' | 'legacy' | 'no-huge';

export interface Memzone {
  readonly name: string;
  readonly len: number;
  readonly addr: number;
}

export interface HeapProfile {
  readonly heap: DpdkHeap;
  readonly memzones: readonly Memzone[];
  readonly mode: MemoryMode;
}

const BASE = 0x200000000000;
const MIB = 1024 * 1024;

interface Recorded {
  readonly runs: string;
  readonly elements: string;
  readonly memzones: readonly string[];
}

function hex(s: string): number {
  return parseInt(s, 16);
}

function load(rec: Recorded, heap: DpdkHeap, pageSize: number): Memzone[] {
  for (const r of rec.runs.split(' ')) {
    const [off, len] = r.split('+');
    heap.addRun(BASE + hex(off!), hex(len!), pageSize, false);
  }
  for (const e of rec.elements.split(' ')) {
    const busy = e[0] === 'b';
    const [off, len, pad] = e.slice(1).split('+');
    const addr = BASE + hex(off!);
    const run = heap.runs.find((r) => addr >= r.start && addr < r.start + r.len)!;
    heap.addElement(run, addr, hex(len!), busy, pad === undefined ? 0 : hex(pad), busy ? 'startup' : null);
  }
  return rec.memzones.map((z) => {
    const [name, len, off] = z.split('|');
    return { name: name!, len: hex(len!), addr: BASE + hex(off!) };
  });
}

export class StartupError extends Error {}

export function buildHeap(mode: MemoryMode, mib: number | null, hugepagesFree: number): HeapProfile {
  if (mode === 'dynamic') {
    const heap = new DpdkHeap({ free: hugepagesFree });
    return { heap, memzones: load(DYNAMIC_PROFILE, heap, PAGE_2M), mode };
  }
  const size = (mib ?? 1024) * MIB;
  if (mode === 'no-huge') {
    const heap = new DpdkHeap(null);
    const memzones = load(NOHUGE_PROFILE, heap, 4096);
    const run = heap.runs[0]!;
    const first = run.elements[0]!;
    const delta = size - run.len;
    // The free block is at the bottom; the heap's bottom moves with the budget.
    if (first.busy || first.len + delta < 64 * 1024) throw new StartupError(`--no-huge -s ${mib}: not enough memory to start`);
    run.start -= delta;
    run.len += delta;
    first.addr -= delta;
    first.len += delta;
    return { heap, memzones, mode };
  }
  const heap = new DpdkHeap(null);
  const memzones = load(LEGACY_PROFILE, heap, PAGE_2M);
  let delta = size - heap.stats().heapSize;
  if (delta > 0) {
    const last = heap.runs[heap.runs.length - 1]!;
    const run = heap.addRun(last.start + last.len + PAGE_2M, delta, PAGE_2M, false);
    heap.addElement(run, run.start, run.len, false);
  }
  // A smaller budget has fewer pages: drop wholly free runs from the top until it fits.
  while (delta < 0) {
    const run = [...heap.runs].reverse().find((r) => r.elements.every((e) => !e.busy));
    if (run === undefined) throw new StartupError(`-s ${mib} --legacy-mem: not enough memory to start`);
    heap.runs.splice(heap.runs.indexOf(run), 1);
    delta += run.len;
  }
  return { heap, memzones, mode };
}
