/**
 * Client overhead benchmark: SpdkClient against a raw baseline (socket.write + split on "\n" +
 * JSON.parse), both talking to the same minimal responder running in a worker thread (so it does
 * not share the client's event loop). Prints calls/s and p50/p99 per mode, and the ratio.
 *
 *   npm run build && node dist/scripts/bench-client.js [--calls 10000] [--inflight 64]
 */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { SpdkClient } from '../src/spdk/client.js';
import { connectRaw } from './lib/raw-rpc.js';

/** A realistic bdev_get_bdevs entry (a malloc bdev as spdk_tgt v26.05 describes it, ~1 KB). */
const RESULT = {
  name: 'Malloc0',
  aliases: ['2e63afb6-5bd0-4e0e-89c5-0f5e5f0d2f53'],
  product_name: 'Malloc disk',
  block_size: 512,
  num_blocks: 131072,
  uuid: '2e63afb6-5bd0-4e0e-89c5-0f5e5f0d2f53',
  numa_id: -1,
  assigned_rate_limits: { rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 },
  claimed: false,
  zoned: false,
  supported_io_types: { read: true, write: true, unmap: true, flush: true, reset: true, nvme_admin: false, nvme_io: false, write_zeroes: true, zcopy: true, copy: true },
  memory_domains: [{ dma_device_type: 'DMA' }],
  driver_specific: {},
};

if (!isMainThread) {
  respond(workerData as string);
} else {
  await main();
}

/** The responder: answers every request with a fixed bdev, compact JSON + "\n" as spdk_tgt does. */
function respond(socketPath: string): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let out = '';
      let depth = 0;
      let start = 0;
      let inString = false;
      for (let i = 0; i < buffered.length; i++) {
        const c = buffered.charCodeAt(i);
        if (inString) {
          if (c === 92) i++;
          else if (c === 34) inString = false;
        } else if (c === 34) inString = true;
        else if (c === 123) depth++;
        else if (c === 125 && --depth === 0) {
          const request = JSON.parse(buffered.slice(start, i + 1)) as { id: number };
          out += JSON.stringify({ jsonrpc: '2.0', id: request.id, result: [RESULT] }) + '\n';
          start = i + 1;
        }
      }
      buffered = buffered.slice(start);
      if (out) socket.write(out);
    });
    socket.on('error', () => undefined);
  });
  server.listen(socketPath, () => parentPort!.postMessage('ready'));
}

interface Figures {
  mode: string;
  callsPerSec: number;
  p50us: number;
  p99us: number;
}

type Caller = (i: number) => Promise<unknown>;

async function run(mode: string, calls: number, inFlight: number, call: Caller): Promise<Figures> {
  const latencies = new Float64Array(calls);
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const t = performance.now();
      await call(i);
      latencies[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  return {
    mode,
    callsPerSec: Math.round(calls / seconds),
    p50us: Math.round(latencies[Math.floor(calls * 0.5)]! * 1000),
    p99us: Math.round(latencies[Math.floor(calls * 0.99)]! * 1000),
  };
}

/** The baseline: what any client must do at least, with no checks, no deadlines, no queue. */
async function rawCaller(socketPath: string): Promise<{ call: Caller; close: () => void }> {
  const raw = await connectRaw(socketPath);
  return { call: (i) => raw.call('bdev_get_bdevs', { name: `Malloc${i % 16}` }), close: raw.close };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '10000' }, inflight: { type: 'string', default: '64' }, rounds: { type: 'string', default: '9' } } });
  const calls = Number(values.calls);
  const inFlight = Number(values.inflight);
  const rounds = Number(values.rounds);
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-client-')), 'responder.sock');
  const worker = new Worker(new URL(import.meta.url), { workerData: socketPath });
  await new Promise((resolve) => worker.once('message', resolve));

  const raw = await rawCaller(socketPath);
  const client = new SpdkClient({ socketPath, logger: pino({ level: 'silent' }) });
  await client.call('bdev_get_bdevs', { name: 'warmup' });
  const viaClient: Caller = (i) => client.call('bdev_get_bdevs', { name: `Malloc${i % 16}` });

  // Raw and client alternate round by round, so both see the same machine; each round gives a
  // ratio, and the median ratio is the figure (one side's lucky round cannot make it).
  const best = new Map<string, Figures>();
  const ratios = new Map<string, number[]>();
  const keep = (f: Figures): void => {
    const prev = best.get(f.mode);
    if (!prev || f.callsPerSec > prev.callsPerSec) best.set(f.mode, f);
  };
  for (let round = 0; round < rounds; round++) {
    for (const [kind, lanes] of [
      ['sequential', 1],
      [`${inFlight} in flight`, inFlight],
    ] as const) {
      const r = await run(`raw ${kind}`, calls, lanes, raw.call);
      const c = await run(`client ${kind}`, calls, lanes, viaClient);
      keep(r);
      keep(c);
      ratios.set(kind, [...(ratios.get(kind) ?? []), r.callsPerSec / c.callsPerSec]);
    }
  }
  raw.close();
  await client.close();
  await worker.terminate();

  console.log(`node ${process.version}, ${calls} calls per run, ${rounds} paired rounds; calls/s and latencies of the best round`);
  console.log('mode'.padEnd(24) + 'calls/s'.padStart(10) + 'p50 µs'.padStart(10) + 'p99 µs'.padStart(10));
  for (const f of best.values()) console.log(f.mode.padEnd(24) + String(f.callsPerSec).padStart(10) + String(f.p50us).padStart(10) + String(f.p99us).padStart(10));
  for (const [kind, list] of ratios) {
    const sorted = [...list].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`overhead ${kind}: ${median.toFixed(2)}× time per call, median of ${sorted.length} paired rounds (range ${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}; target ≤ 1.20×)`);
  }
}
