/**
 * A model of DPDK's malloc heap (rte_malloc, DPDK 22.11): memory runs (virtually contiguous page
 * ranges), malloc elements with a 64-byte header, allocation carved from the END of a free element
 * at the requested alignment, and free-neighbour merging inside a run. It exists because spdk_tgt's
 * out-of-memory failures are decided by fragmentation, not by the free total: a 16 MiB malloc bdev
 * (2 MiB-aligned) failed with 237 MiB free in pieces (transcript 14).
 */

/**
 * MALLOC_ELEM_HEADER_LEN: sizeof(struct malloc_elem), 80 bytes rounded up to two cache lines
 * (__rte_cache_aligned). The dumps agree: a 16 MiB malloc buffer is an element of 16 MiB + 0x80.
 */
export const HEADER = 128;
/** MIN_DATA_SIZE (one cache line): a leftover smaller than header + this is absorbed instead of split off. */
const MIN_DATA = 64;
export const PAGE_2M = 2 * 1024 * 1024;

export interface Element {
  addr: number;
  len: number;
  busy: boolean;
  /** Bytes before the data that belong to the element (DPDK's pad). */
  pad: number;
  tag: string | null;
  run: Run;
}

export interface Run {
  start: number;
  len: number;
  pageSize: number;
  /** Pages mapped after start-up in dynamic mode: returned to the pool once wholly free. */
  grown: boolean;
  elements: Element[];
}

export interface HeapStats {
  heapSize: number;
  freeSize: number;
  allocSize: number;
  greatestFree: number;
  allocCount: number;
  freeCount: number;
}

/**
 * malloc_elem_free_list_index: the free-list bucket of a data size (log2 steps of 4 starting at
 * 256 bytes). A free element is filed by its data size (length less the header); a request
 * starts its search at the bucket of its own size.
 */
function bucketOf(size: number): number {
  if (size <= 256) return 0;
  const log2 = Math.ceil(Math.log2(size));
  return Math.min(12, Math.floor((log2 - 8 + 1) / 2));
}

function alignDown(v: number, a: number): number {
  return Math.floor(v / a) * a;
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** elem_start_pt: where a new element holding `size` bytes at `align` would start, or null. */
function startPoint(elem: Element, size: number, align: number): number | null {
  const end = elem.addr + elem.len;
  const dataStart = alignDown(end - size, align);
  const elemStart = dataStart - HEADER;
  return elemStart < elem.addr ? null : elemStart;
}

export class DpdkHeap {
  readonly runs: Run[] = [];

  constructor(
    /** Dynamic mode maps more 2 MiB pages from this pool when nothing fits (null: fixed heap). */
    public hugepagePool: { free: number } | null,
  ) {}

  addRun(start: number, len: number, pageSize: number, grown: boolean): Run {
    const run: Run = { start, len, pageSize, grown, elements: [] };
    // Kept sorted by address; grown runs come last, so this is an append in practice.
    let i = this.runs.length;
    while (i > 0 && this.runs[i - 1]!.start > start) i--;
    this.runs.splice(i, 0, run);
    return run;
  }

  addElement(run: Run, addr: number, len: number, busy: boolean, pad = 0, tag: string | null = null): Element {
    const e: Element = { addr, len, busy, pad, tag, run };
    run.elements.push(e);
    return e;
  }

  stats(): HeapStats {
    const s: HeapStats = { heapSize: 0, freeSize: 0, allocSize: 0, greatestFree: 0, allocCount: 0, freeCount: 0 };
    for (const run of this.runs) {
      s.heapSize += run.len;
      for (const e of run.elements) {
        if (e.busy) {
          s.allocSize += e.len;
          s.allocCount++;
        } else {
          s.freeSize += e.len;
          s.freeCount++;
          if (e.len > s.greatestFree) s.greatestFree = e.len;
        }
      }
    }
    return s;
  }

  /**
   * Allocates `size` bytes at `align`. The free element is chosen as DPDK's find_suitable_element
   * does: the smallest size bucket first; inside a bucket this model takes the lowest address
   * (DPDK's list order depends on history the dumps do not show).
   */
  alloc(size: number, align: number, tag: string): Element | null {
    const sz = alignUp(Math.max(size, MIN_DATA), 64);
    const al = Math.max(alignUp(align, 64), 64);
    const chosen = this.find(sz, al) ?? this.grow(sz, al);
    return chosen === null ? null : this.carve(chosen, sz, al, tag);
  }

  private find(size: number, align: number): Element | null {
    let best: Element | null = null;
    let bestBucket = Infinity;
    const minBucket = bucketOf(size);
    for (const run of this.runs) {
      for (const e of run.elements) {
        // Too short for the header and data at any alignment: startPoint would say null.
        if (e.busy || e.len < size + HEADER) continue;
        const b = Math.max(bucketOf(e.len - HEADER), minBucket);
        if (b > bestBucket || (b === bestBucket && best !== null && e.addr > best.addr)) continue;
        if (startPoint(e, size, align) === null) continue;
        best = e;
        bestBucket = b;
      }
    }
    return best;
  }

  /** Dynamic mode: maps the fewest 2 MiB pages in which the allocation fits, if the pool has them. */
  private grow(size: number, align: number): Element | null {
    const pool = this.hugepagePool;
    if (pool === null) return null;
    let pages = Math.max(1, Math.ceil(size / PAGE_2M));
    // Refused before counting pages: above 2^53 bytes `pages++` no longer changes a double.
    if (pages > pool.free) return null;
    const fits = (n: number) => startPoint({ addr: 0, len: n * PAGE_2M } as Element, size, align) !== null;
    while (!fits(pages)) pages++;
    if (pages > pool.free) return null;
    pool.free -= pages;
    const last = this.runs[this.runs.length - 1];
    // A gap of one page keeps the new run from touching the old one, as a separate mapping would.
    const start = last === undefined ? 0x200000200000 : alignUp(last.start + last.len + PAGE_2M, PAGE_2M);
    const run = this.addRun(start, pages * PAGE_2M, PAGE_2M, true);
    return this.addElement(run, start, run.len, false);
  }

  /** malloc_elem_alloc: splits off the leading free part and the trailer when large enough. */
  private carve(elem: Element, size: number, align: number, tag: string): Element {
    const run = elem.run;
    const newStart = startPoint(elem, size, align)!;
    const before = newStart - elem.addr;
    const used = size + HEADER;
    const trailer = elem.len - before - used;
    const idx = run.elements.indexOf(elem);
    let busyLen = used;
    const inserts: Element[] = [];
    if (trailer > HEADER + MIN_DATA) {
      inserts.push({ addr: newStart + used, len: trailer, busy: false, pad: 0, tag: null, run });
    } else {
      busyLen += trailer;
    }
    if (before < HEADER + MIN_DATA) {
      // Too small to stay a free element: it becomes the busy element's pad.
      elem.busy = true;
      elem.pad = before;
      elem.len = before + busyLen;
      elem.tag = tag;
      run.elements.splice(idx + 1, 0, ...inserts);
      return elem;
    }
    elem.len = before;
    const busy: Element = { addr: newStart, len: busyLen, busy: true, pad: 0, tag, run };
    run.elements.splice(idx + 1, 0, busy, ...inserts);
    return busy;
  }

  free(elem: Element): void {
    const run = elem.run;
    elem.busy = false;
    elem.tag = null;
    elem.pad = 0;
    let idx = run.elements.indexOf(elem);
    const next = run.elements[idx + 1];
    if (next !== undefined && !next.busy && next.addr === elem.addr + elem.len) {
      elem.len += next.len;
      run.elements.splice(idx + 1, 1);
    }
    const prev = run.elements[idx - 1];
    if (prev !== undefined && !prev.busy && prev.addr + prev.len === elem.addr) {
      prev.len += elem.len;
      run.elements.splice(idx, 1);
      idx--;
    }
    // Dynamic mode gives pages it mapped later back to the system once nothing uses them.
    if (run.grown && run.elements.length === 1 && !run.elements[0]!.busy && this.hugepagePool !== null) {
      this.hugepagePool.free += run.len / PAGE_2M;
      this.runs.splice(this.runs.indexOf(run), 1);
    }
  }
}
