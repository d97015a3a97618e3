/**
 * A synthetic env_dpdk_get_mem_stats dump in the format spdk_tgt v26.05 (DPDK 22.11) writes, of any
 * size: under `--no-huge -s N` a Segment line per 4 KiB page and an `addr` line per memzone page
 * (`-s 2048` gives ~78 MB, as a real spdk_tgt's did). For the memory-dump reader's tests and
 * bench (scripts/bench-mem-dump.ts) without committing a 78 MB file. Returns the figures it wrote.
 */
import { once } from 'node:events';
import fs from 'node:fs';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface SyntheticMemDump {
  /** The 4 KiB pages of the --no-huge heap (spdk_tgt's -s, MiB). */
  noHugeMib: number;
  /** Further memseg lists after it, each of `count` segments of `pageSize` (a mixed dump; real ones have one size). */
  extraLists?: ReadonlyArray<{ pageSize: number; count: number }>;
  /** Line ends: '\r\n' to test a CRLF file. */
  eol?: string;
  /** The pid in pool names (dumpWriterPid). */
  pid?: number;
}

export interface SyntheticFigures {
  segments: number;
  segmentBytes: number;
  bytesByPageSize: Map<number, number>;
  memzones: number;
  memzoneBytes: number;
  heapBytes: number;
  freeBytes: number;
  busy: number;
  free: number;
}

/** Zones as a real `-s 2048` spdk_tgt had them (name, len), the big pools scaled to the heap. */
function zonesOf(pid: number, heapBytes: number): Array<[string, number]> {
  const scale = heapBytes / (2048 * MIB);
  return [
    [`MP_evtpool_${pid}`, 0x1020c0],
    [`RG_MP_evtpool_${pid}`, 0x20180],
    [`MP_evtpool_${pid}_0`, 0x30c300],
    [`MP_msgpool_${pid}`, 0xc0],
    [`RG_MP_msgpool_${pid}`, 0x200180],
    [`MP_msgpool_${pid}_0`, Math.round(0x30c3080 * scale)],
    [`MP_bdev_io_${pid}`, 0xc0],
    [`MP_bdev_io_${pid}_0`, Math.round(0x7fffc80 * scale)],
    ['MP_PDU_Pool_0', Math.round(0x14926c0 * scale)],
    ['MP_PDU_immediate_data_Pool_0', Math.round(0x10000000 * scale)],
    ['MP_PDU_data_out_Pool_0', Math.round(0xa000000 * scale)],
    ['MP_SCSI_TASK_Pool_0', Math.round(0x1249480 * scale)],
  ];
}

export async function writeSyntheticMemDump(file: string, opts: SyntheticMemDump): Promise<SyntheticFigures> {
  const eol = opts.eol ?? '\n';
  const pid = opts.pid ?? 19445;
  const out = fs.createWriteStream(file);
  let lines: string[] = [];
  const put = async (line: string): Promise<void> => {
    lines.push(line);
    if (lines.length < 10_000) return;
    const text = lines.join(eol) + eol;
    lines = [];
    if (!out.write(text)) await once(out, 'drain');
  };

  const pages = (opts.noHugeMib * MIB) / (4 * KIB);
  const base = 0x20000183f000;
  const lists = [{ pageSize: 4 * KIB, count: pages }, ...(opts.extraLists ?? [])];
  const bytesByPageSize = new Map<number, number>();
  let segments = 0;
  let segmentBytes = 0;
  const memorySize = lists.reduce((n, l) => n + l.pageSize * l.count, 0);
  await put(`DPDK memory size ${memorySize}`);
  await put('DPDK memory layout');
  let va = base;
  for (const [list, { pageSize, count }] of lists.entries()) {
    for (let k = 0; k < count; k++, va += pageSize) {
      const hex = va.toString(16);
      await put(`Segment ${list}-${k}: IOVA:0x${hex}, len:${pageSize}, virt:0x${hex}, socket_id:0, hugepage_sz:${pageSize}, nchannel:0, nrank:0 fd:${8 + list}`);
      segments++;
      segmentBytes += pageSize;
      bytesByPageSize.set(pageSize, (bytesByPageSize.get(pageSize) ?? 0) + pageSize);
    }
  }

  await put('DPDK memzones.');
  const heapBytes = pages * 4 * KIB;
  let top = base + heapBytes;
  let memzones = 0;
  let memzoneBytes = 0;
  for (const [name, len] of zonesOf(pid, heapBytes)) {
    top -= len + 0x40;
    await put(`Zone ${memzones}: name:<${name}>, len:0x${len.toString(16)}, virt:0x${top.toString(16)}, socket_id:0, flags:0`);
    await put('physical segments used:');
    const first = Math.floor(top / 4096) * 4096;
    for (let page = first; page < top + len; page += 4096) {
      await put(`  addr: 0x${page.toString(16)} iova: 0x${page.toString(16)} len: 0x1000 pagesz: 0x1000`);
    }
    memzones++;
    memzoneBytes += len;
  }
  await put(`Total Memory Zones size = ${Math.round(memzoneBytes / MIB)}M`);

  await put('DPDK mempools.');
  for (const [name, size, cache] of [
    [`evtpool_${pid}`, 16383, 513],
    [`msgpool_${pid}`, 262143, undefined],
  ] as const) {
    await put(`mempool <${name}>@0x20008173ae00`);
    for (const f of ['  flags=10', '  socket_id=-1', '  nb_mem_chunks=1', `  size=${size}`, `  populated_size=${size}`, '  header_size=64', '  elt_size=32', '  total_obj_size=192']) await put(f);
    await put('  internal cache infos (hide zero value items):');
    if (cache !== undefined) await put(`    total_cache_count=${cache}`);
    await put(`  common_pool_count=${size - (cache ?? 0)}`);
    await put('  no statistics available');
  }

  const busy = 76;
  const free = 4;
  const freeBytes = heapBytes - memzoneBytes;
  await put('DPDK malloc stats.');
  for (let id = 0; id < 32; id++) {
    const mine = id === 0;
    await put(`Heap id:${id}`);
    await put(`\tHeap name:${mine ? 'socket_0' : ''}`);
    await put(`\tHeap_size:${mine ? heapBytes : 0},`);
    await put(`\tFree_size:${mine ? freeBytes : 0},`);
    await put(`\tAlloc_size:${mine ? memzoneBytes : 0},`);
    await put(`\tGreatest_free_size:${mine ? freeBytes : 0},`);
    await put(`\tAlloc_count:${mine ? busy : 0},`);
    await put(`\tFree_count:${mine ? free : 0},`);
  }
  await put('DPDK malloc heaps.');
  await put('Heap id: 0');
  await put(`Heap size: 0x${heapBytes.toString(16)}`);
  await put(`Heap alloc count: ${busy}`);
  for (let e = 0; e < busy + free; e++) {
    await put(`Malloc element at 0x${(base + e * 0x1000).toString(16)} (${e < free ? 'FREE' : 'BUSY'})`);
    await put('  len: 0x1000 pad: 0x0');
    await put('  prev: (nil) next: (nil)');
  }
  out.end(lines.length > 0 ? lines.join(eol) + eol : '');
  await once(out, 'finish');
  return { segments, segmentBytes, bytesByPageSize, memzones, memzoneBytes, heapBytes, freeBytes, busy, free };
}
