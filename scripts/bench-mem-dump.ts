/**
 * The service's cost of reading one env_dpdk_get_mem_stats dump (readMemDump, src/spdk/mem-dump.ts):
 * wall ms and process CPU ms per read, and the longest it holds the event loop at once, against
 * the line-by-line read it replaced (scripts/lib/mem-dump-line-by-line.ts). On a real dump (--file, e.g. a copy of /tmp/spdk_mem_dump.txt
 * from `spdk_tgt --no-huge -s 2048`, 78 MB) or a synthetic one of the same format (--synthetic-mib,
 * spdk_tgt's -s; default 2048). Both readers must give the same figures, or it exits 1.
 *
 * With --before, another build's readMemDump too: the module that exports it (dist/src/spdk/mem-dump-file.js since
 * the file reading left mem-dump.js; dist/src/spdk/mem-dump.js in builds before that, e.g. fb395cb's).
 * On a busy machine the longest slice includes time the process was not scheduled: read its median.
 *
 * With --spdk-socket PATH instead, readDump (the RPC, then the read) against a running spdk_tgt.
 *
 *   npm run bench:mem-dump [-- --file /path/to/dump.txt --runs 10 --before OTHER/dist/src/spdk/mem-dump-file.js]
 *   flock /tmp/real-spdk.lock npm run bench:mem-dump -- --spdk-socket /tmp/x.sock --runs 6
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import pino from 'pino';
import { CONFIG_KEYS } from '../src/config/schema.js';
import { readDump } from '../src/domain/health/dma-reading.js';
import { SpdkClient } from '../src/spdk/client.js';
import type { MemDump } from '../src/spdk/mem-dump.js';
import { readMemDump } from '../src/spdk/mem-dump-file.js';
import { SpdkMethods } from '../src/spdk/methods/index.js';
import { readMemDumpLineByLine } from './lib/mem-dump-line-by-line.js';
import { writeSyntheticMemDump } from './lib/synthetic-mem-dump.js';

const { values } = parseArgs({
  options: {
    file: { type: 'string', multiple: true },
    'synthetic-mib': { type: 'string', default: '2048' },
    runs: { type: 'string', default: '10' },
    before: { type: 'string' },
    'spdk-socket': { type: 'string' },
  },
});
const runs = Number(values.runs);

/**
 * The longest the read holds the event loop at once: the largest gap between two turns of a
 * setImmediate chain run beside it (a separate read: the chain costs CPU of its own).
 */
async function longestSlice(read: (file: string) => Promise<MemDump>, file: string): Promise<number> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await read(file);
  running = false;
  return longest;
}

interface Figures {
  wallMs: number[];
  cpuMs: number[];
  sliceMs: number[];
}

async function measure(read: (file: string) => Promise<MemDump>, file: string): Promise<{ figures: Figures; first: { wallMs: number; cpuMs: number }; dump: MemDump }> {
  const figures: Figures = { wallMs: [], cpuMs: [], sliceMs: [] };
  const cold = { cpu0: process.cpuUsage(), t0: performance.now() };
  let dump = await read(file); // the first read also compiles the parser: reported, not counted
  const coldCpu = process.cpuUsage(cold.cpu0);
  const first = { wallMs: performance.now() - cold.t0, cpuMs: (coldCpu.user + coldCpu.system) / 1000 };
  // Two more before the measured reads: V8 optimizes the parser over the first few.
  for (let i = 0; i < 2; i++) dump = await read(file);
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    dump = await read(file);
    figures.wallMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    figures.cpuMs.push((cpu.user + cpu.system) / 1000);
    figures.sliceMs.push(await longestSlice(read, file));
  }
  return { figures, first, dump };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (name: string, m: Awaited<ReturnType<typeof measure>>): string => {
  const f = m.figures;
  return `${name.padEnd(14)} wall median ${median(f.wallMs).toFixed(1)} ms (min ${Math.min(...f.wallMs).toFixed(1)}, max ${Math.max(...f.wallMs).toFixed(1)}), CPU median ${median(f.cpuMs).toFixed(1)} ms, longest slice median ${median(f.sliceMs).toFixed(1)} ms (max ${Math.max(...f.sliceMs).toFixed(1)}); first read ${m.first.wallMs.toFixed(1)} ms wall, ${m.first.cpuMs.toFixed(1)} ms CPU`;
};

/** Another build's reader (its dist/src/spdk/mem-dump-file.js, or mem-dump.js before the split) measured beside this one. */
const beforeRead: ((file: string) => Promise<MemDump>) | undefined = values.before
  ? ((await import(path.resolve(values.before))) as { readMemDump: (file: string) => Promise<MemDump> }).readMemDump
  : undefined;

/**
 * With --spdk-socket, the resource sampler's own readDump against that running spdk_tgt, --runs
 * times: spdk_tgt's side (dumpMs) and the service's (readMs), and the gap they make at the default
 * health.memDumpSpacing. spdk_tgt writes /tmp/spdk_mem_dump.txt, so run it under the real-SPDK lock.
 */
if (values['spdk-socket']) {
  const client = new SpdkClient({ socketPath: values['spdk-socket'], logger: pino({ level: 'silent' }) });
  const spdk = new SpdkMethods(client);
  const { pid } = await spdk.info.getReactors({});
  const spacing = CONFIG_KEYS['health.memDumpSpacing'].default;
  for (let i = 0; i < runs; i++) {
    const read = await readDump(spdk, {}, pid);
    const what = 'dump' in read ? `${read.dump.segments.count} segments` : read.problem;
    console.log(`readDump: dumpMs ${read.dumpMs}, readMs ${read.readMs} (${what}); gap at spacing ${spacing}: ${((spacing * (read.dumpMs + read.readMs)) / 1000).toFixed(1)} s`);
  }
  await client.close();
  process.exit(0);
}

let files = values.file ?? [];
let tmp: string | undefined;
if (files.length === 0) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mem-dump-'));
  const file = path.join(tmp, `no-huge-${values['synthetic-mib']}.txt`);
  await writeSyntheticMemDump(file, { noHugeMib: Number(values['synthetic-mib']) });
  files = [file];
}
let failed = false;
try {
  for (const file of files) {
    const mb = (fs.statSync(file).size / 1e6).toFixed(1);
    const fast = await measure(readMemDump, file);
    const slow = await measure(readMemDumpLineByLine, file);
    const before = beforeRead && (await measure(beforeRead, file));
    const same = isDeepStrictEqual(fast.dump, slow.dump) && (!before || isDeepStrictEqual(fast.dump, before.dump));
    failed ||= !same;
    console.log(`${file}: ${mb} MB, ${fast.dump.segments.count} segments, ${fast.dump.memzones.count} memzones, ${runs} reads each (after 3 warm-up reads)`);
    console.log(`  ${line('readMemDump', fast)}`);
    console.log(`  ${line('line by line', slow)}`);
    if (before) console.log(`  ${line('--before', before)}`);
    console.log(`  same figures: ${same}`);
  }
} finally {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
