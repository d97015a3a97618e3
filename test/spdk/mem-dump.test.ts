/**
 * The env_dpdk_get_mem_stats dump parser, against the full dump texts spdk_tgt v26.05 wrote in
 * transcript 14 (each compared with the figures recorded beside it) and against the dumps the
 * simulator writes in its three memory modes. --no-huge dumps (~45 MB: one line per 4 KiB page)
 * are streamed from a file; the recorder left out their per-page lines, which are put back here.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readDump } from '../../src/domain/health/dma-reading.js';
import { dmaModeOf, dumpWriterPid, parseMemDump, type MemDump } from '../../src/spdk/mem-dump.js';
import { MemDumpFormatError, readMemDump, readWrittenMemDump } from '../../src/spdk/mem-dump-file.js';
import type { SpdkMethods } from '../../src/spdk/methods/index.js';
import { readMemDumpLineByLine } from '../../scripts/lib/mem-dump-line-by-line.js';
import { writeSyntheticMemDump } from '../../scripts/lib/synthetic-mem-dump.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { tempDir } from '../helpers/temp-dir.js';

const TRANSCRIPT = fileURLToPath(new URL('../../../shared/spdk/transcripts/14-memory-exhaustion.jsonl', import.meta.url));
const MIB = 1024 * 1024;

interface RecordedHeap {
  id: number;
  name: string;
  Heap_size: number;
  Free_size: number;
  Alloc_size: number;
  Greatest_free_size: number;
  Alloc_count: number;
  Free_count: number;
}

interface RecordedDump {
  line: number;
  note: string;
  file_text: string;
  file_text_lines_omitted?: number;
  summary: {
    dpdk_memory_size: number;
    segments: number;
    memzones: { count: number; total_len: number };
    mempools: Array<{ name: string; size: number; populated_size: number; elt_size: number; total_obj_size: number; common_pool_count: number; total_cache_count: number | null }>;
    heaps: RecordedHeap[];
  };
}

const recorded: RecordedDump[] = fs
  .readFileSync(TRANSCRIPT, 'utf8')
  .split('\n')
  .flatMap((l, i) => (l.includes('"file_text"') ? [{ ...(JSON.parse(l) as RecordedDump), line: i + 1 }] : []));

const tmp = tempDir('mem-dump-');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What transcript 14 recorded beside a dump, in the parser's terms. */
function expectRecordedFigures(dump: MemDump, r: RecordedDump, segmentsToo: boolean): void {
  const s = r.summary;
  expect(dump.memorySizeBytes).toBe(s.dpdk_memory_size);
  expect(dump.heaps).toEqual(
    s.heaps.map((h) => ({
      id: h.id,
      name: h.name,
      heapBytes: h.Heap_size,
      freeBytes: h.Free_size,
      allocBytes: h.Alloc_size,
      greatestFreeBytes: h.Greatest_free_size,
      allocCount: h.Alloc_count,
      freeCount: h.Free_count,
    })),
  );
  expect(dump.heap).toMatchObject({ heapBytes: s.heaps[0]!.Heap_size, freeBytes: s.heaps[0]!.Free_size, greatestFreeBytes: s.heaps[0]!.Greatest_free_size });
  expect(dump.memzones).toEqual({ count: s.memzones.count, totalBytes: s.memzones.total_len });
  expect(dump.mempools).toEqual(
    s.mempools.map((p) => ({
      name: p.name,
      size: p.size,
      populatedSize: p.populated_size,
      eltSize: p.elt_size,
      totalObjSize: p.total_obj_size,
      commonPoolCount: p.common_pool_count,
      totalCacheCount: p.total_cache_count ?? undefined,
    })),
  );
  expect(dump.elements.busy).toBe(s.heaps[0]!.Alloc_count);
  expect(dump.elements.free).toBe(s.heaps[0]!.Free_count);
  if (segmentsToo) {
    expect(dump.segments.count).toBe(s.segments);
    expect(dump.segments.bytes).toBe(s.dpdk_memory_size);
  }
}

const SEGMENT_MARKER = /^\.\.\. \[(\d+) further 'Segment' lines of the same form omitted by the recorder\] \.\.\.$/;
const ADDR_MARKER = /^ {2}\.\.\. \[(\d+) further per-page 'addr' lines of this memzone omitted by the recorder\] \.\.\.$/;

/** Writes the dump as spdk_tgt wrote it: every per-page line the recorder left out put back. */
async function expandToFile(r: RecordedDump, file: string): Promise<void> {
  const out = fs.createWriteStream(file);
  let chunk: string[] = [];
  const flush = async (force = false) => {
    if (!force && chunk.length < 20_000) return;
    if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
    chunk = [];
  };
  let lastSegment = '';
  let lastAddr = '';
  let restored = 0;
  for (const line of r.file_text.split('\n').slice(0, -1)) {
    const seg = SEGMENT_MARKER.exec(line);
    const addr = ADDR_MARKER.exec(line);
    if (seg) {
      const m = /^Segment (\d+)-(\d+): IOVA:0x([0-9a-f]+), len:(\d+), virt:0x([0-9a-f]+), (.*)$/.exec(lastSegment)!;
      const [list, idx, iova, len, virt, rest] = [m[1], Number(m[2]), BigInt(`0x${m[3]}`), BigInt(m[4]!), BigInt(`0x${m[5]}`), m[6]];
      for (let k = 1n; k <= BigInt(seg[1]!); k++) {
        chunk.push(`Segment ${list}-${idx + Number(k)}: IOVA:0x${(iova + k * len).toString(16)}, len:${len}, virt:0x${(virt + k * len).toString(16)}, ${rest}`);
        await flush();
      }
      restored += Number(seg[1]);
    } else if (addr) {
      const m = /^ {2}addr: 0x([0-9a-f]+) iova: 0x([0-9a-f]+) len: (0x[0-9a-f]+) pagesz: (0x[0-9a-f]+)$/.exec(lastAddr)!;
      const [va, iova, len] = [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`), BigInt(m[3]!)];
      for (let k = 1n; k <= BigInt(addr[1]!); k++) {
        chunk.push(`  addr: 0x${(va + k * len).toString(16)} iova: 0x${(iova + k * len).toString(16)} len: ${m[3]} pagesz: ${m[4]}`);
        await flush();
      }
      restored += Number(addr[1]);
    } else {
      if (line.startsWith('Segment ')) lastSegment = line;
      if (line.startsWith('  addr: ')) lastAddr = line;
      chunk.push(line);
      await flush();
    }
  }
  await flush(true);
  out.end();
  await once(out, 'finish');
  expect(restored).toBe(r.file_text_lines_omitted);
}

describe('dumps spdk_tgt v26.05 wrote (transcript 14)', () => {
  const whole = recorded.filter((r) => r.file_text_lines_omitted === undefined);
  const noHuge = recorded.filter((r) => r.file_text_lines_omitted !== undefined);

  it('has both kinds to test against', () => {
    expect(whole.length).toBeGreaterThanOrEqual(8);
    expect(noHuge.length).toBeGreaterThanOrEqual(10);
  });

  it.each(whole.map((r) => [r.line, r.note.slice(0, 70), r] as const))('line %i (%s): the recorded figures, hugepage mode', (_line, _note, r) => {
    const dump = parseMemDump(r.file_text);
    expectRecordedFigures(dump, r, true);
    expect(dump.segments.pageSizes).toEqual([2 * MIB]);
    expect(dmaModeOf(dump)).toBe('hugepages');
  });

  it.each(noHuge.map((r) => [r.line, r.note.slice(0, 70), r] as const))('line %i (%s): heap, memzones and mempools of a --no-huge dump', (_line, _note, r) => {
    const dump = parseMemDump(r.file_text);
    expectRecordedFigures(dump, r, false);
    expect(dump.segments.pageSizes).toEqual([4096]);
    expect(dmaModeOf(dump)).toBe('no-huge');
  });

  // Phase 2 (--no-huge -s 852) before the attaches, and phase 4 (--no-huge -s 1024) before any malloc.
  it.each([148, 4724])('line %i, restored to its full ~40 MB: streamed, every segment counted', async (line) => {
    const r = noHuge.find((d) => d.line === line)!;
    const file = path.join(tmp, `line-${line}.txt`);
    await expandToFile(r, file);
    expect(fs.statSync(file).size).toBeGreaterThan(35_000_000);
    const dump = await readMemDump(file);
    expectRecordedFigures(dump, r, true);
    expect(dmaModeOf(dump)).toBe('no-huge');
    fs.rmSync(file);
  });

  // readMemDump skips per-line work in the bulk sections (pushChunk): it must read every recorded
  // dump as the straightforward parse of its text does, and as the line-by-line read did.
  it.each(recorded.map((r) => [r.line, r.note.slice(0, 70), r] as const))('line %i (%s): the fast read equals the line-by-line parses', async (_line, _note, r) => {
    const file = path.join(tmp, `same-${r.line}.txt`);
    if (r.file_text_lines_omitted === undefined) fs.writeFileSync(file, r.file_text);
    else await expandToFile(r, file);
    const fast = await readMemDump(file);
    expect(fast).toEqual(parseMemDump(fs.readFileSync(file, 'latin1')));
    expect(fast).toEqual(await readMemDumpLineByLine(file));
    fs.rmSync(file);
  });

  it('reads a file with CRLF line ends as the same dump as its text', async () => {
    const r = whole[0]!;
    const file = path.join(tmp, 'crlf.txt');
    fs.writeFileSync(file, r.file_text.replaceAll('\n', '\r\n'));
    expect(await readMemDump(file)).toEqual(parseMemDump(r.file_text));
    fs.rmSync(file);
  });
});

describe('synthetic dumps of the same format (scripts/lib/synthetic-mem-dump.ts)', () => {
  it('a --no-huge -s 2048 dump (78 MB, as a real one): the figures written, the same as the line-by-line parses, the event loop given turns', async () => {
    const file = path.join(tmp, 'synthetic-2048.txt');
    const wrote = await writeSyntheticMemDump(file, { noHugeMib: 2048 });
    expect(fs.statSync(file).size).toBeGreaterThan(75_000_000);
    let turns = 0;
    let reading = true;
    const turn = (): void => {
      turns++;
      if (reading) setImmediate(turn);
    };
    setImmediate(turn);
    const fast = await readMemDump(file);
    reading = false;
    // Between every 1 MiB read at least: the read never holds the loop for the whole file.
    expect(turns).toBeGreaterThan(70);
    expect(fast.segments).toEqual({ count: wrote.segments, bytes: wrote.segmentBytes, pageSizes: [4096], bytesByPageSize: wrote.bytesByPageSize });
    expect(fast.memzones).toEqual({ count: wrote.memzones, totalBytes: wrote.memzoneBytes });
    expect(fast.heap).toMatchObject({ heapBytes: wrote.heapBytes, freeBytes: wrote.freeBytes });
    expect(fast.elements).toEqual({ busy: wrote.busy, free: wrote.free });
    expect(dumpWriterPid(fast)).toBe(19445);
    expect(fast).toEqual(parseMemDump(fs.readFileSync(file, 'latin1')));
    expect(fast).toEqual(await readMemDumpLineByLine(file));
    fs.rmSync(file);
  });

  it.each([
    [
      'mixed page sizes (4 KiB, then 2 MiB, then 1 GiB segments)',
      {
        noHugeMib: 64,
        extraLists: [
          { pageSize: 2 * MIB, count: 300 },
          { pageSize: 1024 * MIB, count: 2 },
        ],
      },
    ],
    ['CRLF line ends', { noHugeMib: 64, eol: '\r\n' }],
  ] as const)('%s: the same as the line-by-line parses', async (_name, opts) => {
    const file = path.join(tmp, 'synthetic-odd.txt');
    const wrote = await writeSyntheticMemDump(file, opts);
    const fast = await readMemDump(file);
    expect(fast.segments).toEqual({ count: wrote.segments, bytes: wrote.segmentBytes, pageSizes: [...wrote.bytesByPageSize.keys()].sort((a, b) => a - b), bytesByPageSize: wrote.bytesByPageSize });
    expect([...fast.segments.bytesByPageSize.keys()]).toEqual([...wrote.bytesByPageSize.keys()]);
    expect(fast).toEqual(parseMemDump(fs.readFileSync(file, 'latin1')));
    expect(fast).toEqual(await readMemDumpLineByLine(file));
    fs.rmSync(file);
  });

  it('lines that break the Segment shape or the memzone skip are read as line by line', async () => {
    const seg = (k: number, len: number | string, pageSize: number | string, tail = ', nchannel:0, nrank:0 fd:8') =>
      `Segment 0-${k}: IOVA:0x${(0x200000000000 + k * 4096).toString(16)}, len:${len}, virt:0x${(0x200000000000 + k * 4096).toString(16)}, socket_id:0, hugepage_sz:${pageSize}${tail}`;
    const text = [
      'DPDK memory size 1234',
      'DPDK memory layout',
      seg(1, 4096, 4096),
      seg(2, 4096, 4096),
      // Same length and shape, other numbers of the same width.
      seg(3, 8192, 2048),
      // Same length, a digit where the comma was and a comma where a digit was.
      seg(4, 40960, 409),
      seg(5, 4096, 4096),
      // No page size, no len, a letter in a number, a longer and a shorter tail.
      seg(6, 4096, 'x'),
      seg(7, 'x', 4096),
      seg(8, '40a6', 4096),
      seg(9, 4096, 4096, ', nchannel:0, nrank:0 fd:10'),
      seg(10, 4096, 4096, ', nchannel:0'),
      seg(11, 4096, 4096),
      'DPDK not a header',
      'Something else',
      seg(12, 4096, 4096),
      seg(13, 4096, 4096),
      'DPDK memzones.',
      'Zone 0: name:<a>, len:0x1000, virt:0x200000000000, socket_id:0, flags:0',
      '  addr: 0x200000000000 iova: 0x200000000000 len: 0x1000 pagesz: 0x1000',
      'Zoned out',
      'DPDK not a header either',
      'xZone 9: name:<b>, len:0x1000',
      'Zone 1: name:<c>, len:0x2000, virt:0x200000000000, socket_id:0, flags:0',
      'DPDK mempools.',
      'mempool <msgpool_4242>@0x1',
      '  size=7',
      'DPDK malloc stats.',
      'Heap id:0',
      '\tHeap name:socket_0',
      '\tHeap_size:1234,',
      'DPDK malloc heaps.',
      'Malloc element at 0x1 (BUSY)',
      'Malloc element at 0x2 (FREE)',
    ].join('\n');
    const file = path.join(tmp, 'odd.txt');
    fs.writeFileSync(file, text);
    const fast = await readMemDump(file);
    expect(fast).toEqual(await readMemDumpLineByLine(file));
    expect(fast).toEqual(parseMemDump(text));
    // `len:40a6` reads as 40 in every parse: the digits up to the letter.
    expect(fast.segments).toMatchObject({
      count: 11,
      bytesByPageSize: new Map([
        [4096, 8 * 4096 + 40],
        [2048, 8192],
        [409, 40960],
      ]),
    });
    expect(fast.memzones).toEqual({ count: 2, totalBytes: 0x3000 });
    fs.rmSync(file);
  });

  it("trusts DPDK's format: a line break hidden in the address of a Segment line shaped as the last is not looked for", async () => {
    const seg = (k: number) => `Segment 0-${k}: IOVA:0x${(0x200000000000 + k * 4096).toString(16)}, len:4096, virt:0x2000, socket_id:0, hugepage_sz:4096, nchannel:0, nrank:0 fd:8`;
    const broken = seg(3).replace('IOVA:0x2000', 'IOVA:0x\n000');
    const text = ['DPDK memory layout', seg(1), seg(2), broken, seg(4), 'DPDK malloc stats.', 'Heap id:0', '\tHeap_size:1,'].join('\n');
    const file = path.join(tmp, 'hidden-break.txt');
    fs.writeFileSync(file, text);
    // Line by line it is two lines, neither a Segment line with both fields; read at the last line's offsets it is one.
    expect((await readMemDumpLineByLine(file)).segments.count).toBe(3);
    expect(parseMemDump(text).segments.count).toBe(3);
    expect((await readMemDump(file)).segments.count).toBe(4);
    fs.rmSync(file);
  });
});

describe('readMemDump failures', () => {
  it('rejects with the fs error for a file it cannot read', async () => {
    await expect(readMemDump(path.join(tmp, 'absent.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a dump cut short before its malloc stats', async () => {
    const r = recorded[0]!;
    const file = path.join(tmp, 'cut.txt');
    fs.writeFileSync(file, r.file_text.slice(0, r.file_text.indexOf('DPDK malloc stats.')));
    await expect(readMemDump(file)).rejects.toBeInstanceOf(MemDumpFormatError);
  });

  it('tells a file spdk_tgt did not just write (another host) from its dump', async () => {
    const file = path.join(tmp, 'old.txt');
    fs.writeFileSync(file, recorded[0]!.file_text);
    expect(await readWrittenMemDump(file, Date.now())).toMatchObject({ dump: { heap: { heapBytes: recorded[0]!.summary.heaps[0]!.Heap_size } } });
    fs.utimesSync(file, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    expect(await readWrittenMemDump(file, Date.now())).toEqual({
      problem: `${file} was not rewritten by env_dpdk_get_mem_stats (last written 2026-01-01T00:00:00.000Z): spdk_tgt writes it on another host or in another mount namespace`,
    });
    expect(await readWrittenMemDump(path.join(tmp, 'absent.txt'), Date.now())).toEqual({
      problem: `cannot read spdk_tgt's memory dump ${path.join(tmp, 'absent.txt')}: absent here: spdk_tgt writes it on another host or in another mount namespace`,
    });
  });

  it("tells a dump another SPDK process wrote over spdk_tgt's (one fixed path per host) by its pools' pid", async () => {
    const file = path.join(tmp, 'foreign.txt');
    fs.writeFileSync(file, recorded[0]!.file_text);
    const writer = dumpWriterPid(parseMemDump(recorded[0]!.file_text));
    expect(writer).toBe(Number(/msgpool_(\d+)/.exec(recorded[0]!.file_text)![1]));
    expect(await readWrittenMemDump(file, Date.now(), writer)).toHaveProperty('dump');
    expect(await readWrittenMemDump(file, Date.now(), writer! + 1)).toEqual({
      problem: `${file} was written by another SPDK process (pid ${writer}), not spdk_tgt (pid ${writer! + 1}): SPDK processes on this host share that path`,
      foreign: true,
    });
  });

  it('says unknown for a dump without segments', () => {
    expect(dmaModeOf(parseMemDump('DPDK memory size 0\nDPDK memory layout\nDPDK malloc stats.\n'))).toBe('unknown');
  });
});

describe('dumps the simulator writes', () => {
  let sims: RunningSim[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    sims = [];
  });

  async function dumpOf(args: string[]): Promise<{ dump: MemDump; c: SimClient; stats: { heap_size: number; free_size: number; greatest_free_size: number } }> {
    const sim = await startSim({ name: 'D', args });
    sims.push(sim);
    const c = await SimClient.connect(sim.socket);
    const { filename } = await c.call<{ filename: string }>('env_dpdk_get_mem_stats');
    // Its own dump file, never the shared default: tests run in parallel.
    expect(filename).not.toBe('/tmp/spdk_mem_dump.txt');
    const stats = await c.call<{ heap_size: number; free_size: number; greatest_free_size: number }>('sim_set_memory', {});
    const dump = await readMemDump(filename);
    // The fast read, as the straightforward parse of the text reads it.
    expect(dump).toEqual(parseMemDump(fs.readFileSync(filename, 'latin1')));
    return { dump, c, stats };
  }

  it.each([
    ['legacy (--mem-mib 1024)', ['--mem-mib', '1024'], 'hugepages', 2 * MIB, 512],
    ['--no-huge (--mem-mib 1024 --no-huge)', ['--mem-mib', '1024', '--no-huge'], 'no-huge', 4096, 262144],
    ['dynamic (default)', [], 'hugepages', 2 * MIB, 390],
  ] as const)('%s: the heap figures the simulator reports, and its mode', async (_name, args, mode, pageSize, segments) => {
    const { dump, stats } = await dumpOf([...args]);
    expect(dmaModeOf(dump)).toBe(mode);
    expect(dump.segments).toEqual({ count: segments, bytes: stats.heap_size, pageSizes: [pageSize], bytesByPageSize: new Map([[pageSize, stats.heap_size]]) });
    expect(dump.heap).toMatchObject({ heapBytes: stats.heap_size, freeBytes: stats.free_size, greatestFreeBytes: stats.greatest_free_size });
    expect(dump.memorySizeBytes).toBe(stats.heap_size);
    expect(dump.mempools.map((p) => p.name.replace(/_\d+$/, ''))).toEqual([
      'evtpool',
      'msgpool',
      'bdev_io',
      'PDU_Pool',
      'PDU_immediate_data_Pool',
      'PDU_data_out_Pool',
      'Session_Pool',
      'SCSI_TASK_Pool',
    ]);
  });

  it("asks again when another simulator on the same dump path wrote over spdk_tgt's before it was read", async () => {
    const file = path.join(tmp, 'shared-dump.txt');
    const [a, b] = await Promise.all(['A', 'B'].map((name) => startSim({ name, args: ['--mem-mib', '1024', '--mem-dump', file] })));
    sims.push(a!, b!);
    const [ca, cb] = await Promise.all([SimClient.connect(a!.socket), SimClient.connect(b!.socket)]);
    const { pid } = await ca.call<{ pid: number }>('framework_get_reactors');
    let asked = 0;
    // A's dump, then B's over it before the reader gets there, on the first ask only.
    const spdk = {
      info: {
        dumpMemStats: async () => {
          const answer = await ca.call<{ filename: string }>('env_dpdk_get_mem_stats');
          if (++asked === 1) await cb.call('env_dpdk_get_mem_stats');
          return answer;
        },
      },
    } as unknown as SpdkMethods;
    const read = await readDump(spdk, {}, pid);
    expect(asked).toBe(2);
    expect('dump' in read && dumpWriterPid(read.dump)).toBe(pid);
    // B writing over every answer: no reading, and the problem says why.
    spdk.info.dumpMemStats = async () => {
      const answer = await ca.call<{ filename: string }>('env_dpdk_get_mem_stats');
      await cb.call('env_dpdk_get_mem_stats');
      return answer;
    };
    const foreign = await readDump(spdk, {}, pid);
    expect('problem' in foreign && foreign.problem).toMatch(new RegExp(`another SPDK process \\(pid ${b!.proc.pid}\\), not spdk_tgt \\(pid ${pid}\\)`));
  });

  it('follows allocations: a 16 MiB malloc bdev leaves 16 MiB less free', async () => {
    const { dump: before, c } = await dumpOf(['--mem-mib', '1024', '--no-huge']);
    await c.call('bdev_malloc_create', { name: 'm', num_blocks: 4096, block_size: 4096 });
    const { filename } = await c.call<{ filename: string }>('env_dpdk_get_mem_stats');
    const after = await readMemDump(filename);
    expect(before.heap.freeBytes - after.heap.freeBytes).toBeGreaterThanOrEqual(16 * MIB);
    expect(after.heap.allocCount).toBe(before.heap.allocCount + 1);
    expect(after.elements.busy).toBe(after.heap.allocCount);
  });
});
