/**
 * spdk_tgt's DMA memory as admission and the throttle count it: the heap from its
 * env_dpdk_get_mem_stats dump, plus what it can still map. In the default mode the heap grows by
 * mapping more hugepages (transcript 14, phase 6: 16 MiB allocations succeed with ~9 MiB free),
 * so the node's free pages of that size count; under --no-huge (and a fixed simulator heap) the
 * heap is all there is.
 */
import {
  boundFigures,
  boundPagesBySpdkLimit,
  describePool,
  describeSpdkLimit,
  formatPageSize,
  poolOf,
  type BoundedPages,
  type HugepageBound,
  type HugepageBoundFigure,
  type HugepagePool,
  type HugepageReading,
  type SpdkHugepageLimits,
} from '../../host/hugepages.js';
import type { CallOptions } from '../../spdk/call.js';
import { dmaModeOf, type DmaMode, type MemDump } from '../../spdk/mem-dump.js';
import { readWrittenMemDump } from '../../spdk/mem-dump-file.js';
import type { SpdkMethods } from '../../spdk/methods/index.js';

const MIB = 1024 * 1024;

export interface DmaReading {
  mode: DmaMode;
  /** Why there is no reading (mode 'unknown'), or what is missing for admission. */
  problem?: string;
  heapBytes: number;
  freeBytes: number;
  greatestFreeBytes: number;
  allocCount: number;
  freeCount: number;
  segments: number;
  pageSizeBytes: number;
  memzones: number;
  mempools: number;
  /** Pages the heap can still map: null when it cannot grow (--no-huge, a fixed heap); undefined when unknown. */
  growablePages: number | null | undefined;
  /** Heap free + what it can still map: what admission and the throttle count as free. */
  availableBytes: number | undefined;
  /** The biggest single allocation that can succeed (header included). */
  largestPieceBytes: number | undefined;
  /** For messages: "hugepages: 1658 of 2048 free, 2 MiB each", "spdk_tgt runs with --no-huge; ...". */
  note: string;
  /** What bounded growablePages: the pool, this container's hugetlb cgroup or spdk_tgt's configured limit. */
  bound?: HugepageBound;
  /** Each bound's figure for the pages growablePages counts, the node's (or simulator's) pool first; set with `bound`. */
  bounds?: HugepageBoundFigure[];
  dumpFile?: string;
  /** spdk_tgt's side: env_dpdk_get_mem_stats' round trip (it writes the file on its app thread). */
  dumpMs?: number;
  /** The service's side: reading and parsing the file it wrote (wall ms, on the event loop and its file reads). */
  readMs?: number;
  /** When the dump was asked for (the sampler's clock): a sample may keep an older one (dump-schedule.ts). */
  readAt?: number;
}

/** A dump asked for and read: `dumpMs` is spdk_tgt's cost (the RPC), `readMs` the service's (the file's read and parse). */
export type DumpRead = ({ dump: MemDump } | { problem: string }) & { filename: string; dumpMs: number; readMs: number };

const EMPTY_DMA = {
  heapBytes: 0,
  freeBytes: 0,
  greatestFreeBytes: 0,
  allocCount: 0,
  freeCount: 0,
  segments: 0,
  pageSizeBytes: 0,
  memzones: 0,
  mempools: 0,
  growablePages: undefined,
  availableBytes: undefined,
  largestPieceBytes: undefined,
} as const;

/** Asks again this many times when another SPDK process wrote over the dump before it was read. */
const FOREIGN_DUMP_TRIES = 3;

/**
 * Runs env_dpdk_get_mem_stats and streams the file it names, if this host has that file; with
 * spdk_tgt's pid, a dump another SPDK process of the host wrote over it meanwhile is asked again.
 */
export async function readDump(spdk: SpdkMethods, opts: CallOptions, ownerPid?: number): Promise<DumpRead> {
  for (let attempt = 1; ; attempt++) {
    const asked = Date.now();
    const t0 = performance.now();
    const { filename } = await spdk.info.dumpMemStats(opts);
    const t1 = performance.now();
    const dumpMs = Math.round(t1 - t0);
    const read = await readWrittenMemDump(filename, asked, ownerPid);
    const readMs = Math.round(performance.now() - t1);
    if (!('foreign' in read) || attempt >= FOREIGN_DUMP_TRIES) return { ...('dump' in read ? { dump: read.dump } : { problem: read.problem }), filename, dumpMs, readMs };
  }
}

/**
 * What spdk_tgt's DMA heap can still give, from its dump and the node's (or simulator's) hugepages.
 * The node's pools come bounded already (boundBySpdkLimit); the simulator's pool, which stands for
 * the node's, is bounded here by spdk_tgt's configured limit with the same helper
 * (boundPagesBySpdkLimit). The reading says which bound applied and each one's figure.
 */
export function dmaReading(
  read: DumpRead | undefined,
  hugepages: HugepageReading,
  simPool: { hugepages_free: number | null } | undefined,
  problems: string[],
  spdkLimits: SpdkHugepageLimits = new Map(),
): DmaReading {
  if (!read || 'problem' in read) {
    const problem = read?.problem ?? problems.find((p) => p.includes('env_dpdk_get_mem_stats')) ?? 'no memory dump';
    if (read) problems.push(read.problem);
    return { ...EMPTY_DMA, mode: 'unknown', problem, note: problem };
  }
  const { dump } = read;
  const mode = dmaModeOf(dump);
  const pageSizeBytes = dump.segments.pageSizes[dump.segments.pageSizes.length - 1] ?? 0;
  const base = {
    heapBytes: dump.heap.heapBytes,
    freeBytes: dump.heap.freeBytes,
    greatestFreeBytes: dump.heap.greatestFreeBytes,
    allocCount: dump.heap.allocCount,
    freeCount: dump.heap.freeCount,
    segments: dump.segments.count,
    pageSizeBytes,
    memzones: dump.memzones.count,
    mempools: dump.mempools.length,
    dumpFile: read.filename,
    dumpMs: read.dumpMs,
    readMs: read.readMs,
  };
  const fixed = (note: string): DmaReading => ({
    ...base,
    mode,
    growablePages: null,
    availableBytes: base.freeBytes,
    largestPieceBytes: base.greatestFreeBytes,
    note,
  });
  if (mode === 'no-huge') return fixed(`spdk_tgt runs with --no-huge; its memory is the configured -s size: ${Math.round(base.heapBytes / MIB)} MiB`);
  if (mode === 'unknown')
    return {
      ...base,
      mode,
      growablePages: undefined,
      availableBytes: undefined,
      largestPieceBytes: undefined,
      note: 'the dump lists no memory segments',
      problem: 'the dump lists no memory segments',
    };
  let note: string;
  let pool: (BoundedPages & Pick<HugepagePool, 'free' | 'reserved' | 'cgroup'>) | undefined;
  if (simPool) {
    if (simPool.hugepages_free === null)
      return fixed(`a fixed heap of ${Math.round(base.heapBytes / MIB)} MiB of ${formatPageSize(pageSizeBytes)} hugepages that maps no more pages: the simulator's --mem-mib`);
    const free = simPool.hugepages_free;
    pool = { free, reserved: 0, available: free, bound: 'node pool' };
    note = `hugepages: ${free} free, ${formatPageSize(pageSizeBytes)} each, in the simulator's pool`;
    const limitBytes = spdkLimits.get(pageSizeBytes);
    if (limitBytes !== undefined) {
      const limit = boundPagesBySpdkLimit(pool, limitBytes, dump.segments.bytesByPageSize.get(pageSizeBytes) ?? 0, pageSizeBytes);
      note += `; ${describeSpdkLimit(limit)}${pool.bound === 'spdk_tgt limit' ? ' (the bound)' : ''}`;
    }
  } else {
    const nodePool = poolOf(hugepages, pageSizeBytes);
    pool = nodePool;
    note = nodePool ? `hugepages: ${describePool(nodePool)}` : `the node's ${formatPageSize(pageSizeBytes)} hugepages cannot be read (${hugepages.problems.join('; ') || 'no such pool'})`;
  }
  if (pool === undefined) return { ...base, mode, growablePages: undefined, availableBytes: undefined, largestPieceBytes: undefined, note, problem: note };
  const growBytes = pool.available * pageSizeBytes;
  return {
    ...base,
    mode,
    growablePages: pool.available,
    availableBytes: base.freeBytes + growBytes,
    largestPieceBytes: Math.max(base.greatestFreeBytes, growBytes),
    note,
    bound: pool.bound,
    bounds: boundFigures(pool),
  };
}

/** Bytes for messages: KiB below 1 MiB, else MiB with one decimal. */
export function mib(bytes: number): string {
  if (bytes === 0) return '0 MiB';
  return Math.abs(bytes) < MIB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}
