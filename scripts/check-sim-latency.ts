/**
 * The simulator's cost model against the recordings: per-call round trips of the replica create
 * sequence (bdev_lvol_create, nvmf_create_subsystem, nvmf_subsystem_add_host, _add_ns,
 * _add_listener) on a fresh simulator, one call at a time, next to the p50 real spdk_tgt v26.05
 * showed for the same methods (../shared/spdk/transcripts 01–16: file 11's 1,000 lvol creates,
 * file 14's ~1,080 subsystems; files 17–21 were recorded on a busier machine and are left out);
 * then the whole sequence for N replicas with 64 in flight, next to the real raw client's time.
 * A row within the tolerance means bench:replicas on the simulator predicts the real figure.
 *
 * First, and deciding the exit code: the simulator's latency parameters against the recorded
 * figures (scripts/lib/sim-latency-model.ts: files 10 and 11, the attaches of 01-16 and 18); it
 * exits 1 when one disagrees beyond its stated tolerance. The live rows (these, and file 12's
 * bdev_get_bdevs of ~1,000 lvols, whose cost is the simulator's own encoding) only print figures:
 * on a loaded machine they measure the load as much as the model.
 *
 *   npm run build && node dist/scripts/check-sim-latency.js [--calls 100] [--replicas 1000] [--tolerance-ms 2]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectRaw, inLanes } from './lib/raw-rpc.js';
import { checkLatencyModel, formatLatencyRows } from './lib/sim-latency-model.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const TRANSCRIPTS = path.resolve(ROOT, '../shared/spdk/transcripts');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001';
const SEQUENCE = ['bdev_lvol_create', 'nvmf_create_subsystem', 'nvmf_subsystem_add_host', 'nvmf_subsystem_add_ns', 'nvmf_subsystem_add_listener'] as const;
/** 1,000 exposed replicas, 64 in flight, raw client on real spdk_tgt v26.05 (issue 16: 0.63–0.65 s; bench-replicas' note: 0.46 s). */
const REAL_PIPELINED_S = { low: 0.46, high: 0.65, replicas: 1000 };

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    replicas: { type: 'string', default: '1000' },
    'tolerance-ms': { type: 'string', default: '2' },
  },
});
const calls = Number(values.calls);
const replicas = Number(values.replicas);
const tolerance = Number(values['tolerance-ms']);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
}

/** Successful calls' rtt_ms per method, from the transcripts recorded on a quiet machine. */
function recorded(): Map<string, number[]> {
  const rtts = new Map<string, number[]>(SEQUENCE.map((m) => [m, []]));
  for (const file of fs.readdirSync(TRANSCRIPTS).sort()) {
    if (!file.endsWith('.jsonl') || Number(file.slice(0, 2)) > 16) continue;
    for (const line of fs.readFileSync(path.join(TRANSCRIPTS, file), 'utf8').split('\n')) {
      if (!line) continue;
      const o = JSON.parse(line) as { method?: string | null; rtt_ms?: number; response?: { error?: unknown } };
      if (!o.method || o.rtt_ms === undefined || o.response?.error !== undefined) continue;
      rtts.get(o.method)?.push(o.rtt_ms);
    }
  }
  return rtts;
}

const modelRows = checkLatencyModel(TRANSCRIPTS);
console.log(formatLatencyRows(modelRows));
if (modelRows.some((r) => !r.agrees)) process.exitCode = 1;
console.log();

/** File 12's round trips of bdev_get_bdevs listing every bdev. */
function recordedListing(): number[] {
  const file = fs.readdirSync(TRANSCRIPTS).find((f) => f.startsWith('12-'))!;
  return fs
    .readFileSync(path.join(TRANSCRIPTS, file), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { method?: string | null; params?: unknown; rtt_ms?: number })
    .filter((o) => o.method === 'bdev_get_bdevs' && o.params == null && o.rtt_ms !== undefined)
    .map((o) => o.rtt_ms!);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-sim-latency-'));
const socket = path.join(dir, 'sim.sock');
const sim = spawn(process.execPath, [SIM, '--socket', socket, '--name', 'latency', '--quiet', '--max-subsystems', String(calls + replicas + 1)], { stdio: 'ignore' });
process.on('exit', () => sim.kill('SIGKILL'));
const deadline = Date.now() + 20_000;
while (!fs.existsSync(socket)) {
  if (Date.now() > deadline || sim.exitCode !== null) throw new Error('the simulator did not start');
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const rpc = await connectRaw(socket);
const file = path.join(dir, 'disk.img');
fs.writeFileSync(file, '');
fs.truncateSync(file, 16 * 1024 ** 3);
await rpc.call('bdev_aio_create', { name: 'd', filename: file, block_size: 4096 });
await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'd', lvs_name: 'lvs', cluster_sz: 1024 * 1024 });
await rpc.call('nvmf_create_transport', { trtype: 'TCP' });

const nqn = (prefix: string, i: number) => `nqn.2024-11.io.spdk-conductor:replica:${prefix}${i}`;
const steps = (prefix: string, i: number, port: number): Array<[string, object]> => [
  ['bdev_lvol_create', { lvol_name: `${prefix}${i}`, size_in_mib: 4, thin_provision: true, lvs_name: 'lvs' }],
  ['nvmf_create_subsystem', { nqn: nqn(prefix, i), allow_any_host: false }],
  ['nvmf_subsystem_add_host', { nqn: nqn(prefix, i), host: HOST }],
  ['nvmf_subsystem_add_ns', { nqn: nqn(prefix, i), namespace: { bdev_name: `lvs/${prefix}${i}` } }],
  ['nvmf_subsystem_add_listener', { nqn: nqn(prefix, i), listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } }],
];

// One call at a time, as the recordings were made.
const measured = new Map<string, number[]>(SEQUENCE.map((m) => [m, []]));
for (let i = 0; i < calls; i++) {
  for (const [method, params] of steps('s', i, 24000 + i)) {
    const t0 = performance.now();
    await rpc.call(method, params);
    measured.get(method)!.push(performance.now() - t0);
  }
}
const real = recorded();
console.log(`per-call round trip, one at a time (${calls} of each on the simulator; tolerance ±${tolerance} ms)`);
console.log('method                        real p50   sim p50   within');
let fits = 0;
for (const method of SEQUENCE) {
  const r = median(real.get(method)!);
  const s = median(measured.get(method)!);
  const ok = Math.abs(s - r) <= tolerance;
  if (ok) fits++;
  console.log(`${method.padEnd(29)} ${r.toFixed(2).padStart(6)} ms ${s.toFixed(2).padStart(6)} ms   ${ok ? 'yes' : 'NO'} (real n=${real.get(method)!.length})`);
}
const realSequence = SEQUENCE.reduce((sum, m) => sum + median(real.get(m)!), 0);
const simSequence = SEQUENCE.reduce((sum, m) => sum + median(measured.get(m)!), 0);
console.log(`one replica's sequence: real ${realSequence.toFixed(1)} ms, simulator ${simSequence.toFixed(1)} ms`);

// The bench's raw pipelined phase, on this simulator.
const started = performance.now();
await inLanes(replicas, 64, async (i) => {
  for (const [method, params] of steps('p', i, 26000 + i)) await rpc.call(method, params);
});
const pipelinedS = (performance.now() - started) / 1000;
const scaled = (s: number) => (s * replicas) / REAL_PIPELINED_S.replicas;
console.log(
  `${replicas} replicas, 64 in flight: simulator ${pipelinedS.toFixed(2)} s; real spdk_tgt ${scaled(REAL_PIPELINED_S.low).toFixed(2)}–${scaled(REAL_PIPELINED_S.high).toFixed(2)} s ` +
    `(ratio ${(pipelinedS / scaled(REAL_PIPELINED_S.high)).toFixed(2)}–${(pipelinedS / scaled(REAL_PIPELINED_S.low)).toFixed(2)}×)`,
);
console.log(`${fits} of ${SEQUENCE.length} methods within ±${tolerance} ms of the recorded p50`);

// File 12: bdev_get_bdevs of every bdev, one at a time, over the lvols made above (1,006 bdevs there).
const listTimes: number[] = [];
let listed = 0;
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  listed = (await rpc.call<unknown[]>('bdev_get_bdevs')).length;
  listTimes.push(performance.now() - t0);
}
console.log(`bdev_get_bdevs of ${listed} bdevs, one at a time: simulator p50 ${median(listTimes).toFixed(1)} ms; real p50 ${median(recordedListing()).toFixed(1)} ms (file 12, 1,006 bdevs)`);
rpc.close();
sim.kill('SIGTERM');
fs.rmSync(dir, { recursive: true, force: true });
process.exit(process.exitCode ?? 0);
