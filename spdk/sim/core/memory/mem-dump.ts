/**
 * The text env_dpdk_get_mem_stats writes (rte_dump_physmem_layout, rte_memzone_dump,
 * rte_mempool_list_dump, rte_malloc_dump_stats, rte_malloc_dump_heaps), in DPDK 22.11's format.
 * Heap figures and the element list come from the heap model; segments, memzones and mempools
 * follow the recorded layout. In --no-huge mode every 4 KiB page is a segment line (~45 MB of
 * text), as with the real target: a reader must stream it.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { CoreMemory } from './budget.js';
import type { Element } from './heap.js';

const RTE_MAX_HEAPS = 32;
const RTE_MAX_LCORE = 128;

/** V8's radix conversion of a double is slow; addresses are split into two 32-bit halves. */
function hex(n: number): string {
  if (n < 0x100000000) return `0x${n.toString(16)}`;
  const hi = Math.floor(n / 0x100000000);
  return `0x${hi.toString(16)}${(n >>> 0).toString(16).padStart(8, '0')}`;
}

interface Pool {
  readonly name: string;
  readonly pid: boolean;
  readonly size: number;
  readonly elt: number;
  readonly trailer: number;
  readonly total: number;
  readonly chunks: number;
  readonly avg: string;
  readonly cache: number;
  readonly cached: number;
}

/** The eight mempools a default spdk_tgt creates at start-up (transcript 14 dumps). */
const POOLS: readonly Pool[] = [
  { name: 'evtpool', pid: true, size: 16383, elt: 32, trailer: 96, total: 192, chunks: 1, avg: '192.019532', cache: 512, cached: 513 },
  { name: 'msgpool', pid: true, size: 262143, elt: 24, trailer: 104, total: 192, chunks: 5, avg: '192.012451', cache: 0, cached: 0 },
  { name: 'bdev_io', pid: true, size: 65535, elt: 1496, trailer: 40, total: 1600, chunks: 23, avg: '1600.903334', cache: 0, cached: 0 },
  { name: 'PDU_Pool', pid: false, size: 36864, elt: 512, trailer: 0, total: 576, chunks: 6, avg: '576.154514', cache: 256, cached: 0 },
  { name: 'PDU_immediate_data_Pool', pid: false, size: 16384, elt: 13336, trailer: 104, total: 13504, chunks: 2, avg: '13530.664062', cache: 256, cached: 0 },
  { name: 'PDU_data_out_Pool', pid: false, size: 2048, elt: 77848, trailer: 104, total: 78016, chunks: 1, avg: '80671.968750', cache: 256, cached: 0 },
  { name: 'Session_Pool', pid: false, size: 128, elt: 120, trailer: 8, total: 192, chunks: 1, avg: '193.500000', cache: 0, cached: 0 },
  { name: 'SCSI_TASK_Pool', pid: false, size: 32768, elt: 440, trailer: 72, total: 576, chunks: 1, avg: '576.158203', cache: 128, cached: 0 },
];

/** Synthetic physical addresses for hugepages; --no-huge uses IOVA as VA (as recorded). */
function iovaOf(va: number, pageSize: number): number {
  return pageSize === 4096 ? va : va - 0x200000000000 + 0x150000000;
}

/**
 * Lines are collected synchronously into ~1 MB chunks (a --no-huge dump has ~430k lines: one
 * await per line would cost more than the text itself); chunks go to the file in order.
 */
class Out {
  private lines: string[] = [];
  private readonly chunks: string[] = [];
  line(s: string): void {
    this.lines.push(s);
    if (this.lines.length >= 10000) this.cut();
  }
  private cut(): void {
    if (this.lines.length === 0) return;
    this.chunks.push(`${this.lines.join('\n')}\n`);
    this.lines = [];
  }
  /** Hands over the chunks made so far (the caller writes them before making more). */
  take(): string[] {
    this.cut();
    return this.chunks.splice(0);
  }
}

/** The layout, memzones and mempools only change when the heap maps or unmaps pages. */
const layoutCache = new WeakMap<CoreMemory, { readonly key: string; readonly chunks: readonly string[] }>();

function layoutChunks(memory: CoreMemory): readonly string[] {
  const runs = memory.heap.runs;
  const key = runs.map((r) => `${r.start}+${r.len}`).join(' ');
  const cached = layoutCache.get(memory);
  if (cached?.key === key) return cached.chunks;
  const out = new Out();
  const base = runs[0]?.start ?? 0;
  out.line('DPDK memory layout');
  let fd = runs[0]?.pageSize === 4096 ? 11 : 15;
  for (const run of runs) {
    for (let va = run.start; va < run.start + run.len; va += run.pageSize) {
      const idx = Math.round((va - base) / run.pageSize);
      out.line(`Segment 0-${idx}: IOVA:${hex(iovaOf(va, run.pageSize))}, len:${run.pageSize}, virt:${hex(va)}, socket_id:0, hugepage_sz:${run.pageSize}, nchannel:0, nrank:0 fd:${fd}`);
      if (run.pageSize !== 4096) fd++;
    }
  }
  out.line('DPDK memzones.');
  const zones = memory.profile.memzones;
  for (let i = 0; i < zones.length; i++) {
    const z = zones[i]!;
    out.line(`Zone ${i}: name:<${z.name}>, len:${hex(z.len)}, virt:${hex(z.addr)}, socket_id:0, flags:0`);
    out.line('physical segments used:');
    const run = runs.find((r) => z.addr >= r.start && z.addr < r.start + r.len);
    const ps = run?.pageSize ?? 2 * 1024 * 1024;
    for (let page = Math.floor(z.addr / ps) * ps; page < z.addr + z.len; page += ps) {
      out.line(`  addr: ${hex(page)} iova: ${hex(iovaOf(page, ps))} len: ${hex(ps)} pagesz: ${hex(ps)}`);
    }
  }
  out.line('DPDK mempools.');
  for (const p of POOLS) writePool(out, p, process.pid);
  const chunks = out.take();
  layoutCache.set(memory, { key, chunks });
  return chunks;
}

export async function writeMemDump(path: string, memory: CoreMemory): Promise<void> {
  const stream = createWriteStream(path);
  const write = async (chunk: string) => {
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  const out = new Out();
  const heap = memory.heap;
  const stats = heap.stats();
  await write(`DPDK memory size ${stats.heapSize}\n`);
  for (const chunk of layoutChunks(memory)) await write(chunk);
  out.line('DPDK malloc stats.');
  for (let id = 0; id < RTE_MAX_HEAPS; id++) {
    const s = id === 0 ? stats : { heapSize: 0, freeSize: 0, allocSize: 0, greatestFree: 0, allocCount: 0, freeCount: 0 };
    out.line(`Heap id:${id}`);
    out.line(`\tHeap name:${id === 0 ? 'socket_0' : ''}`);
    out.line(`\tHeap_size:${s.heapSize},`);
    out.line(`\tFree_size:${s.freeSize},`);
    out.line(`\tAlloc_size:${s.allocSize},`);
    out.line(`\tGreatest_free_size:${s.greatestFree},`);
    out.line(`\tAlloc_count:${s.allocCount},`);
    out.line(`\tFree_count:${s.freeCount},`);
  }
  out.line('DPDK malloc heaps.');
  const elements: Element[] = heap.runs.flatMap((r) => r.elements);
  for (let id = 0; id < RTE_MAX_HEAPS; id++) {
    out.line(`Heap id: ${id}`);
    out.line(`Heap size: ${hex(id === 0 ? stats.heapSize : 0)}`);
    out.line(`Heap alloc count: ${id === 0 ? stats.allocCount : 0}`);
    if (id !== 0) continue;
    for (let i = 0; i < elements.length; i++) {
      const e = elements[i]!;
      const prev = elements[i - 1];
      const next = elements[i + 1];
      out.line(`Malloc element at ${hex(e.addr)} (${e.busy ? 'BUSY' : 'FREE'})`);
      out.line(`  len: ${hex(e.len)} pad: ${hex(e.pad)}`);
      out.line(`  prev: ${prev ? hex(prev.addr) : '(nil)'} next: ${next ? hex(next.addr) : '(nil)'}`);
    }
  }
  for (const chunk of out.take()) await write(chunk);
  stream.end();
  await once(stream, 'finish');
}

function writePool(out: Out, p: Pool, pid: number): void {
  const name = p.pid ? `${p.name}_${pid}` : p.name;
  out.line(`mempool <${name}>@0x0`);
  for (const l of ['  flags=10', '  socket_id=-1', '  pool=0x0', '  iova=0x0', `  nb_mem_chunks=${p.chunks}`]) out.line(l);
  out.line(`  size=${p.size}`);
  out.line(`  populated_size=${p.size}`);
  out.line('  header_size=64');
  out.line(`  elt_size=${p.elt}`);
  out.line(`  trailer_size=${p.trailer}`);
  out.line(`  total_obj_size=${p.total}`);
  out.line('  private_data_size=0');
  out.line('  ops_index=0');
  out.line('  ops_name: <ring_mp_mc>');
  out.line(`  avg bytes/object=${p.avg}`);
  out.line('  internal cache infos:');
  out.line(`    cache_size=${p.cache}`);
  if (p.cache > 0) {
    for (let i = 0; i < RTE_MAX_LCORE; i++) out.line(`    cache_count[${i}]=${i === 0 ? p.cached : 0}`);
    out.line(`    total_cache_count=${p.cached}`);
  }
  out.line(`  common_pool_count=${p.size - p.cached}`);
  out.line('  no statistics available');
}
