/**
 * The file env_dpdk_get_mem_stats makes spdk_tgt write (DPDK 22.11's rte_dump_physmem_layout,
 * rte_memzone_dump, rte_mempool_list_dump, rte_malloc_dump_stats and rte_malloc_dump_heaps, in
 * that order). The RPC answers only the file's path; every figure is in the text.
 *
 * Under `--no-huge` every 4 KiB page is one "Segment" line (and one "addr" line per memzone page):
 * ~45 MB for a 1 GiB heap, 78 MB for 2 GiB. So the reader streams it, keeps only counters, and
 * does no per-line search in those bulk lines (`MemDumpParser.pushChunk`).
 *
 *   DPDK memory size 817889280
 *   DPDK memory layout
 *   Segment 0-0: IOVA:0x127a00000, len:2097152, virt:0x200000200000, socket_id:0, hugepage_sz:2097152, ...
 *   DPDK memzones.
 *   Zone 0: name:<rte_eth_dev_data>, len:0x30040, virt:0x2000101a9ec0, socket_id:0, flags:0
 *   DPDK mempools.
 *   mempool <evtpool_21923>@0x2000100a7cc0
 *     size=16383 ... total_cache_count=513 ... common_pool_count=15870
 *   DPDK malloc stats.
 *   Heap id:0
 *   	Heap name:socket_0
 *   	Heap_size:817889280,  Free_size:  Alloc_size:  Greatest_free_size:  Alloc_count:  Free_count:
 *   DPDK malloc heaps.
 *   Heap id: 0 ... Malloc element at 0x200000200000 (FREE) ...
 */

export interface MemDumpHeap {
  id: number;
  name: string;
  heapBytes: number;
  freeBytes: number;
  allocBytes: number;
  /** The largest free element: the biggest single allocation that can succeed without growing. */
  greatestFreeBytes: number;
  allocCount: number;
  freeCount: number;
}

export interface MemDumpMempool {
  name: string;
  size: number;
  populatedSize: number;
  eltSize: number;
  totalObjSize: number;
  commonPoolCount: number;
  /** Absent for pools without a per-core cache. */
  totalCacheCount: number | undefined;
}

export interface MemDump {
  /** "DPDK memory size": all memory DPDK has mapped. */
  memorySizeBytes: number | undefined;
  segments: {
    count: number;
    bytes: number;
    /** The distinct hugepage_sz values, smallest first: [4096] means --no-huge. */
    pageSizes: number[];
    /** Segment bytes by hugepage_sz: what spdk_tgt has mapped of each size (its hugetlb cgroup's charge). */
    bytesByPageSize: Map<number, number>;
  };
  memzones: { count: number; totalBytes: number };
  mempools: MemDumpMempool[];
  /** Heaps with memory (one per NUMA socket in use); RTE_MAX_HEAPS empty ones are left out. */
  heaps: MemDumpHeap[];
  /** All heaps together: sizes and counts added, greatest free the largest of them. */
  heap: Omit<MemDumpHeap, 'id' | 'name'>;
  /** From the element list of rte_malloc_dump_heaps. */
  elements: { busy: number; free: number };
}

export type DmaMode = 'hugepages' | 'no-huge' | 'unknown';

/** 4 KiB "hugepages" are DPDK's --no-huge: anonymous memory, a heap fixed at spdk_tgt's -s size. */
export function dmaModeOf(dump: MemDump): DmaMode {
  const sizes = dump.segments.pageSizes;
  if (sizes.length === 0) return 'unknown';
  return sizes.every((s) => s === 4096) ? 'no-huge' : 'hugepages';
}

type Section = 'start' | 'layout' | 'memzones' | 'mempools' | 'stats' | 'heaps';

const SECTIONS: ReadonlyMap<string, Section> = new Map([
  ['DPDK memory layout', 'layout'],
  ['DPDK memzones.', 'memzones'],
  ['DPDK mempools.', 'mempools'],
  ['DPDK malloc stats.', 'stats'],
  ['DPDK malloc heaps.', 'heaps'],
]);

const ZONE = /^Zone \d+: .*len:(0x[0-9a-fA-F]+)/;
const MEMPOOL = /^mempool <(.*)>@/;
const POOL_FIELD = /^\s+(size|populated_size|elt_size|total_obj_size|common_pool_count|total_cache_count)=(\d+)$/;
const STATS_HEAP = /^Heap id:(\d+)$/;
const STATS_FIELD = /^\t(Heap name|Heap_size|Free_size|Alloc_size|Greatest_free_size|Alloc_count|Free_count):(.*?),?$/;

const DPDK_FIRST = 0x44; // 'D': every section header starts "DPDK "
const SEGMENT_FIRST = 0x53; // 'S'
const ZONE_FIRST = 0x5a; // 'Z'
const NEWLINE = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const LEN_KEY = Buffer.from(' len:', 'latin1');
const PAGE_SIZE_KEY = Buffer.from(' hugepage_sz:', 'latin1');
/** Where a memzone section's lines that count start: a zone, or the next section's header. */
const ZONE_LINE = Buffer.from('\nZone ', 'latin1');
const HEADER_LINE = Buffer.from('\nDPDK ', 'latin1');

/**
 * Where the last Segment line read the slow way had its two fields (offsets from its start), and
 * its length (line end excluded): DPDK prints every Segment line with one format, so a line of the
 * same length whose field keys, digits and commas sit at the same offsets is read at those offsets,
 * without a search for its fields or for its end (MemDumpParser.pushChunk).
 */
interface SegmentShape {
  length: number;
  lenAt: number;
  lenEnd: number;
  pageSizeAt: number;
  pageSizeEnd: number;
}

/** Whether `bytes` holds `key` at `at`. */
function hasKey(bytes: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let k = 0; k < key.length; k++) if (bytes[at + k] !== key[k]) return false;
  return true;
}

/** hasKey(bytes, at, LEN_KEY) spelled out: small enough for V8 to inline in the per-line loop, as the loop was not. */
function isLenKey(b: Uint8Array, at: number): boolean {
  return b[at] === 0x20 && b[at + 1] === 0x6c && b[at + 2] === 0x65 && b[at + 3] === 0x6e && b[at + 4] === 0x3a;
}

/** hasKey(bytes, at, PAGE_SIZE_KEY) spelled out (' hugepage_sz:'). */
function isPageSizeKey(b: Uint8Array, at: number): boolean {
  return (
    b[at] === 0x20 &&
    b[at + 1] === 0x68 &&
    b[at + 2] === 0x75 &&
    b[at + 3] === 0x67 &&
    b[at + 4] === 0x65 &&
    b[at + 5] === 0x70 &&
    b[at + 6] === 0x61 &&
    b[at + 7] === 0x67 &&
    b[at + 8] === 0x65 &&
    b[at + 9] === 0x5f &&
    b[at + 10] === 0x73 &&
    b[at + 11] === 0x7a &&
    b[at + 12] === 0x3a
  );
}

/** The end of the run of decimal digits at `at` (at itself when none). */
function digitsEnd(bytes: Uint8Array, at: number, end: number): number {
  let i = at;
  for (; i < end; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) break;
  }
  return i;
}

/** The decimal number in bytes[at, end), all digits. */
function digitsValue(bytes: Uint8Array, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) n = n * 10 + bytes[i]! - 48;
  return n;
}

/** The decimal number in bytes[at, end) (at < end), or -1 when a byte there is not a digit. */
function digitsOnly(bytes: Uint8Array, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The offset of the first `key` in bytes[start, end), -1 when absent. */
function keyAt(bytes: Uint8Array, start: number, end: number, key: Uint8Array): number {
  for (let at = start; at + key.length <= end; at++) if (bytes[at] === key[0] && hasKey(bytes, at, key)) return at;
  return -1;
}

/** The decimal number after `key` in a Segment line (`len:2097152,`), undefined when absent. */
function fieldNumber(line: string, key: string): number | undefined {
  const at = line.indexOf(key);
  if (at < 0) return undefined;
  let n = 0;
  let i = at + key.length;
  for (; i < line.length; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return i === at + key.length ? undefined : n;
}

/** Feed it the dump's lines in order, then call `finish`. Holds counters only, never the text. */
export class MemDumpParser {
  private section: Section = 'start';
  private memorySizeBytes: number | undefined;
  private segmentCount = 0;
  private segmentBytes = 0;
  private readonly bytesByPageSize = new Map<number, number>();
  private zoneCount = 0;
  private zoneBytes = 0;
  private readonly mempools: MemDumpMempool[] = [];
  private pool: MemDumpMempool | undefined;
  private readonly heaps: MemDumpHeap[] = [];
  private statsHeap: MemDumpHeap | undefined;
  private busy = 0;
  private free = 0;
  /** The layout of the last Segment line read by searching its fields (bytes path only). */
  private shape: SegmentShape | undefined;
  /** Segment bytes of the current run of one page size, not yet in bytesByPageSize (bytes path only). */
  private runPageSize = -1;
  private runBytes = 0;

  push(line: string): void {
    // Every header starts with "DPDK ": the map is not asked for the ~400,000 other lines.
    const section = line.startsWith('DPDK ') ? SECTIONS.get(line) : undefined;
    if (section !== undefined) {
      this.section = section;
      return;
    }
    switch (this.section) {
      case 'start': {
        const m = /^DPDK memory size (\d+)$/.exec(line);
        if (m) this.memorySizeBytes = Number(m[1]);
        return;
      }
      case 'layout': {
        if (!line.startsWith('Segment ')) return;
        // One line per page under --no-huge (262,144 for 1 GiB): two searches, no backtracking regex.
        const len = fieldNumber(line, 'len:');
        const pageSize = fieldNumber(line, 'hugepage_sz:');
        if (len === undefined || pageSize === undefined) return;
        this.segmentCount++;
        this.segmentBytes += len;
        this.bytesByPageSize.set(pageSize, (this.bytesByPageSize.get(pageSize) ?? 0) + len);
        return;
      }
      case 'memzones': {
        if (!line.startsWith('Zone ')) return;
        const m = ZONE.exec(line);
        if (!m) return;
        this.zoneCount++;
        this.zoneBytes += parseInt(m[1]!, 16);
        return;
      }
      case 'mempools':
        return this.mempoolLine(line);
      case 'stats':
        return this.statsLine(line);
      case 'heaps':
        if (line.startsWith('Malloc element at ')) {
          if (line.endsWith('(BUSY)')) this.busy++;
          else if (line.endsWith('(FREE)')) this.free++;
        }
        return;
    }
  }

  /**
   * A line as bytes (`end` past its last byte, line end excluded). The bulk of a --no-huge dump (a
   * Segment line and a memzone addr line per 4 KiB page, ~400,000 lines) is counted or skipped
   * here without making a string of it: those strings were most of a read's garbage.
   */
  pushBytes(bytes: Uint8Array, start: number, end: number): void {
    const first = bytes[start];
    if (first !== DPDK_FIRST) {
      if (this.section === 'layout') {
        if (first !== SEGMENT_FIRST) return;
        this.segmentLine(bytes, start, end);
        return;
      }
      if (this.section === 'memzones' && first !== ZONE_FIRST) return;
    }
    this.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
  }

  /**
   * Every line in bytes[from, to), as `pushBytes` of each would read them: `to` ends a line (or the
   * dump), and a CR before a line's LF is not part of it. The bulk of a --no-huge dump costs no
   * per-line search here (a 78 MB dump of `-s 2048`: 157-175 ms line by line, 31-47 ms so):
   *  - a Segment line (524,288 of them) that ends (LF, or CR LF) where the last searched one's
   *    length puts its end, with that line's `len:` and `hugepage_sz:` keys, digits and commas at
   *    the same offsets, is read at those offsets: a few dozen byte compares, no search. This
   *    trusts DPDK's one printf format for these lines: the keys occur once in a line, and no line
   *    break hides in the bytes not compared (addresses, indexes). Any other line is searched.
   *  - a memzone's per-page `addr` lines (175,000) count for nothing: the native substring search
   *    jumps to the next line that starts `Zone ` or `DPDK ` (a section header).
   */
  pushChunk(bytes: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to) {
      if (this.section === 'layout') at = this.layoutLines(bytes, at, to);
      else if (this.section === 'memzones') at = this.memzoneLines(bytes, at, to);
      else at = this.oneLine(bytes, at, to);
    }
  }

  /** The line at `at` through pushBytes; returns where the next starts. */
  private oneLine(bytes: Buffer, at: number, to: number): number {
    let nl = bytes.indexOf(NEWLINE, at);
    if (nl < 0 || nl >= to) nl = to;
    this.pushBytes(bytes, at, nl > at && bytes[nl - 1] === CR ? nl - 1 : nl);
    return nl + 1;
  }

  /** Lines of the memory layout section until its end or `to`; returns where it stopped. */
  private layoutLines(bytes: Buffer, at: number, to: number): number {
    while (at < to) {
      // A Segment line shaped as the last one searched, and a line end where that one had it: no search.
      const shape = this.shape;
      if (shape !== undefined && bytes[at] === SEGMENT_FIRST) {
        const end = at + shape.length;
        const lf = bytes[end] === NEWLINE ? end : bytes[end] === CR && bytes[end + 1] === NEWLINE ? end + 1 : -1;
        if (lf >= 0 && lf < to && this.shapedSegment(bytes, at, end)) {
          at = lf + 1;
          continue;
        }
      }
      let nl = bytes.indexOf(NEWLINE, at);
      if (nl < 0 || nl >= to) nl = to;
      const end = nl > at && bytes[nl - 1] === CR ? nl - 1 : nl;
      const first = bytes[at];
      if (first === SEGMENT_FIRST) {
        if (!this.shapedSegment(bytes, at, end)) this.segmentLine(bytes, at, end);
      } else if (first === DPDK_FIRST) {
        this.pushBytes(bytes, at, end);
        if (this.section !== 'layout') return nl + 1;
      }
      at = nl + 1;
    }
    return at;
  }

  /** Lines of the memzones section until its end or `to`, only those starting `Zone ` or `DPDK ` read. */
  private memzoneLines(bytes: Buffer, at: number, to: number): number {
    // The LF before the next zone line and the next header line at or after `at`, -1 for none in the buffer.
    let zone = -2;
    let header = -2;
    while (at < to) {
      const first = bytes[at];
      if (first === ZONE_FIRST || first === DPDK_FIRST) {
        at = this.oneLine(bytes, at, to);
        if (this.section !== 'memzones') return at;
        continue;
      }
      // A search result before `at` is used up; one at or after it is still the first there.
      if (zone !== -1 && zone < at) zone = bytes.indexOf(ZONE_LINE, at);
      if (header !== -1 && header < at) header = bytes.indexOf(HEADER_LINE, at);
      const next = zone < 0 ? header : header < 0 ? zone : Math.min(zone, header);
      at = next < 0 || next >= to ? to : next + 1;
    }
    return at;
  }

  /** A Segment line read at the offsets of the last one searched; false when its shape differs. */
  private shapedSegment(bytes: Uint8Array, start: number, end: number): boolean {
    const s = this.shape;
    if (s === undefined || end - start !== s.length) return false;
    const lenEnd = start + s.lenEnd;
    const pageSizeEnd = start + s.pageSizeEnd;
    if (bytes[lenEnd] !== COMMA || bytes[pageSizeEnd] !== COMMA) return false;
    if (!isLenKey(bytes, start + s.lenAt) || !isPageSizeKey(bytes, start + s.pageSizeAt)) return false;
    const len = digitsOnly(bytes, start + s.lenAt + LEN_KEY.length, lenEnd);
    const pageSize = digitsOnly(bytes, start + s.pageSizeAt + PAGE_SIZE_KEY.length, pageSizeEnd);
    if (len < 0 || pageSize < 0) return false;
    this.addSegment(len, pageSize);
    return true;
  }

  /** A Segment line searched for its fields (the first `len:` and `hugepage_sz:`), its shape kept. */
  private segmentLine(bytes: Uint8Array, start: number, end: number): void {
    const lenAt = keyAt(bytes, start, end, LEN_KEY);
    const pageSizeAt = keyAt(bytes, start, end, PAGE_SIZE_KEY);
    if (lenAt < 0 || pageSizeAt < 0) return;
    const lenDigits = lenAt + LEN_KEY.length;
    const pageSizeDigits = pageSizeAt + PAGE_SIZE_KEY.length;
    const lenEnd = digitsEnd(bytes, lenDigits, end);
    const pageSizeEnd = digitsEnd(bytes, pageSizeDigits, end);
    if (lenEnd === lenDigits || pageSizeEnd === pageSizeDigits) return;
    this.addSegment(digitsValue(bytes, lenDigits, lenEnd), digitsValue(bytes, pageSizeDigits, pageSizeEnd));
    // Only a shape whose numbers end in a comma (as DPDK prints them) is reused: the comma bounds them.
    if (bytes[lenEnd] === COMMA && bytes[pageSizeEnd] === COMMA && lenEnd < end && pageSizeEnd < end) {
      this.shape = { length: end - start, lenAt: lenAt - start, lenEnd: lenEnd - start, pageSizeAt: pageSizeAt - start, pageSizeEnd: pageSizeEnd - start };
    }
  }

  private addSegment(len: number, pageSize: number): void {
    this.segmentCount++;
    this.segmentBytes += len;
    if (pageSize !== this.runPageSize) {
      this.flushRun();
      this.runPageSize = pageSize;
      // Set now, so that the map's order is the order the sizes first appear in.
      if (!this.bytesByPageSize.has(pageSize)) this.bytesByPageSize.set(pageSize, 0);
    }
    this.runBytes += len;
  }

  private flushRun(): void {
    if (this.runBytes === 0) return;
    this.bytesByPageSize.set(this.runPageSize, (this.bytesByPageSize.get(this.runPageSize) ?? 0) + this.runBytes);
    this.runBytes = 0;
  }

  finish(): MemDump {
    this.flushRun();
    const heaps = this.heaps.filter((h) => h.heapBytes > 0);
    const heap = { heapBytes: 0, freeBytes: 0, allocBytes: 0, greatestFreeBytes: 0, allocCount: 0, freeCount: 0 };
    for (const h of heaps) {
      heap.heapBytes += h.heapBytes;
      heap.freeBytes += h.freeBytes;
      heap.allocBytes += h.allocBytes;
      heap.greatestFreeBytes = Math.max(heap.greatestFreeBytes, h.greatestFreeBytes);
      heap.allocCount += h.allocCount;
      heap.freeCount += h.freeCount;
    }
    return {
      memorySizeBytes: this.memorySizeBytes,
      segments: { count: this.segmentCount, bytes: this.segmentBytes, pageSizes: [...this.bytesByPageSize.keys()].sort((a, b) => a - b), bytesByPageSize: new Map(this.bytesByPageSize) },
      memzones: { count: this.zoneCount, totalBytes: this.zoneBytes },
      mempools: this.mempools,
      heaps,
      heap,
      elements: { busy: this.busy, free: this.free },
    };
  }

  private mempoolLine(line: string): void {
    const start = MEMPOOL.exec(line);
    if (start) {
      this.pool = { name: start[1]!, size: 0, populatedSize: 0, eltSize: 0, totalObjSize: 0, commonPoolCount: 0, totalCacheCount: undefined };
      this.mempools.push(this.pool);
      return;
    }
    const m = this.pool && POOL_FIELD.exec(line);
    if (!m || !this.pool) return;
    const n = Number(m[2]);
    switch (m[1]) {
      case 'size':
        this.pool.size = n;
        break;
      case 'populated_size':
        this.pool.populatedSize = n;
        break;
      case 'elt_size':
        this.pool.eltSize = n;
        break;
      case 'total_obj_size':
        this.pool.totalObjSize = n;
        break;
      case 'common_pool_count':
        this.pool.commonPoolCount = n;
        break;
      case 'total_cache_count':
        this.pool.totalCacheCount = n;
        break;
    }
  }

  private statsLine(line: string): void {
    const start = STATS_HEAP.exec(line);
    if (start) {
      this.statsHeap = { id: Number(start[1]), name: '', heapBytes: 0, freeBytes: 0, allocBytes: 0, greatestFreeBytes: 0, allocCount: 0, freeCount: 0 };
      this.heaps.push(this.statsHeap);
      return;
    }
    const m = this.statsHeap && STATS_FIELD.exec(line);
    if (!m || !this.statsHeap) return;
    const h = this.statsHeap;
    const n = Number(m[2]);
    switch (m[1]) {
      case 'Heap name':
        h.name = m[2]!;
        break;
      case 'Heap_size':
        h.heapBytes = n;
        break;
      case 'Free_size':
        h.freeBytes = n;
        break;
      case 'Alloc_size':
        h.allocBytes = n;
        break;
      case 'Greatest_free_size':
        h.greatestFreeBytes = n;
        break;
      case 'Alloc_count':
        h.allocCount = n;
        break;
      case 'Free_count':
        h.freeCount = n;
        break;
    }
  }
}

/** Parses a dump held in memory (small dumps, tests). */
export function parseMemDump(text: string): MemDump {
  const parser = new MemDumpParser();
  for (const line of text.split('\n')) parser.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  return parser.finish();
}

/** Pools spdk_tgt names after its pid (`msgpool_12718`): who wrote a dump. */
const PID_POOL = /^(?:msgpool|evtpool|bdev_io)_(\d+)$/;

/** The pid of the SPDK process that wrote the dump, from its pool names; undefined when none names one. */
export function dumpWriterPid(dump: MemDump): number | undefined {
  for (const pool of dump.mempools) {
    const m = PID_POOL.exec(pool.name);
    if (m) return Number(m[1]);
  }
  return undefined;
}
