/**
 * What a caller sending hostile-size strings costs everybody else, with each party in its own
 * process as in production: the simulator, the service (`serve`), a prober (a cheap call loop on
 * its own channel: ReplicaList then a health check) and an attacker (DiskCreate with paths of
 * 512 KiB, 1 MiB and 4 MiB, several in flight, for the whole phase). A control phase sends the
 * same calls at the same concurrency with a short invalid path, so that "unchanged" compares the
 * hostile size with the same rate of ordinary refusals on the same busy machine. Prints per phase
 * the prober's p50/p99/max, the attacker's answers by grpc-status and the service's CPU.
 *
 *   npm run bench:hostile [-- --seconds 10] [--inflight 4]
 *
 * The in-process test (test/security/hostile-input.test.ts) shares one event loop between the
 * attacker, the prober and the service, so the attacker's own encoding of 4 MiB strings lands in
 * its figure; this one does not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, unaryCall } from '../src/api/client.js';
import { cpuMs } from './lib/proc-stats.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const SELF = fileURLToPath(import.meta.url);
const KIB = 1024;
const MIB = 1024 * KIB;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '4' },
    role: { type: 'string' },
    socket: { type: 'string' },
  },
});
const seconds = Number(values.seconds);

interface ProbeReport {
  calls: number;
  failures: number;
  p50: number;
  p99: number;
  max: number;
}

interface AttackReport {
  sent: number;
  byCode: Record<string, number>;
  sessions: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]! : Number.NaN;
}

/** The prober: sequential cheap calls for the phase, one kept channel. */
async function probe(socket: string): Promise<ProbeReport> {
  const clients = createApiClients({ unixSocket: socket });
  const samples: number[] = [];
  let failures = 0;
  const until = Date.now() + seconds * 1000;
  try {
    while (Date.now() < until) {
      const started = performance.now();
      try {
        await unaryCall((md, opts, cb) => clients.replicas.ReplicaList({ diskName: '' }, md, opts, cb), { deadlineMs: 5000 });
        if ((await clients.healthCheck('', { deadlineMs: 5000 })) !== 'SERVING') failures++;
      } catch {
        failures++;
      }
      samples.push(performance.now() - started);
    }
  } finally {
    clients.close();
  }
  samples.sort((a, b) => a - b);
  return { calls: samples.length, failures, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: samples.at(-1) ?? Number.NaN };
}

/** A DiskCreateRequest {name: 'big', path} as a gRPC frame, encoded once. */
function diskCreateFrame(pathValue: string): Buffer {
  const field = (tag: number, value: Buffer) => Buffer.concat([Buffer.from([tag]), varint(value.length), value]);
  const message = Buffer.concat([field(0x0a, Buffer.from('big')), field(0x12, Buffer.from(pathValue))]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * The attacker: DiskCreate, `inflight` at a time on one kept HTTP/2 session, until SIGTERM; then
 * its report. Requests are framed once and written as bytes, so the attacker's own CPU is the
 * kernel's copy, not protobuf encoding of megabytes per call. `hostile` sends paths of 512 KiB,
 * 1 MiB and 4 MiB; `control` the same calls with a short invalid path, for the same rate of refusals.
 */
async function attack(socket: string, kind: 'hostile' | 'control'): Promise<void> {
  // The server may end a session that keeps sending data for a stream it refused; like a gRPC
  // channel, the attacker then connects again (counted).
  let session: http2.ClientHttp2Session | undefined;
  const report: AttackReport = { sent: 0, byCode: {}, sessions: 0 };
  const live = (): http2.ClientHttp2Session => {
    if (!session || session.destroyed || session.closed) {
      session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
      session.on('error', () => {});
      report.sessions++;
    }
    return session;
  };
  const sizes = kind === 'hostile' ? [512 * KIB, MIB, 4 * MIB] : [8];
  const frames = sizes.flatMap((size) => [diskCreateFrame('a'.repeat(size)), diskCreateFrame(`/${'a'.repeat(size - 1)}`)]);
  let stop = false;
  process.once('SIGTERM', () => {
    stop = true;
  });
  const one = (body: Buffer) =>
    new Promise<string>((resolve) => {
      const stream = live().request({
        ':method': 'POST',
        ':path': '/spdk.conductor.v1.Disks/DiskCreate',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status = 'none';
      stream.on('response', (headers) => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
      });
      stream.on('trailers', (trailers) => {
        if (trailers['grpc-status'] !== undefined) status = String(trailers['grpc-status']);
      });
      stream.on('data', () => {});
      stream.on('close', () => resolve(status));
      stream.on('error', () => resolve(status === 'none' ? 'stream-error' : status));
      stream.end(body);
    });
  const lane = async (first: number) => {
    for (let i = first; !stop; i++) {
      report.sent++;
      const code = await one(frames[i % frames.length]!);
      report.byCode[code] = (report.byCode[code] ?? 0) + 1;
    }
  };
  process.stdout.write('attacking\n');
  await Promise.all(Array.from({ length: Number(values.inflight) }, (_, i) => lane(i)));
  session?.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (values.role === 'probe') {
  process.stdout.write(`${JSON.stringify(await probe(values.socket!))}\n`);
  process.exit(0);
}
if (values.role === 'hostile' || values.role === 'control') {
  await attack(values.socket!, values.role);
  process.exit(0);
}

// The conductor of the benchmark.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hostile-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A child of this script in a role; resolves with the last line it printed. */
function child(role: string, socket: string, onLine?: (line: string) => void): { proc: ChildProcess; done: Promise<string> } {
  const proc = spawn(process.execPath, [SELF, '--role', role, '--socket', socket, '--seconds', String(seconds), '--inflight', String(values.inflight)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  let last = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      last = line;
      onLine?.(line);
    }
  });
  const done = new Promise<string>((resolve, reject) => proc.once('exit', (code) => (code === 0 ? resolve(last) : reject(new Error(`${role} exited ${code}`)))));
  return { proc, done };
}

const simSocket = path.join(dir, 'sim.sock');
const apiSocket = path.join(dir, 'api.sock');
const sim = spawn(process.execPath, [SIM, '--socket', simSocket, '--name', 'hostile'], { stdio: 'ignore' });
children.push(sim);
await until('the simulator', () => fs.existsSync(simSocket));
const serve = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
    CLI,
    'serve',
    '--spdk-socket',
    simSocket,
    '--api-socket',
    apiSocket,
    '--api-tcp',
    'off',
    '--state-file',
    path.join(dir, 'state.json'),
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CONDUCTOR_LOG_LEVEL: process.env.CONDUCTOR_LOG_LEVEL ?? 'warn' },
  },
);
children.push(serve);
await until('the API socket', () => fs.existsSync(apiSocket));
const clients = createApiClients({ unixSocket: apiSocket });
await until('readiness', async () => (await clients.healthCheck('').catch(() => '')) === 'SERVING');
// Something for ReplicaList to list: 50 replicas on one disk.
const img = path.join(dir, 'disk.img');
fs.writeFileSync(img, '');
fs.truncateSync(img, 4096 * MIB);
await unaryCall((md, opts, cb) => clients.disks.DiskCreate({ name: 'd', path: img }, md, opts, cb), {});
for (let i = 0; i < 50; i++) await unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate({ name: `r${i}`, diskName: 'd', sizeBytes: 4 * MIB }, md, opts, cb), {});
clients.close();

const rows: string[] = [];
async function phase(name: string, attackKind?: 'hostile' | 'control'): Promise<void> {
  let attacker: ReturnType<typeof child> | undefined;
  if (attackKind) {
    let attacking = false;
    attacker = child(attackKind, apiSocket, (line) => {
      if (line === 'attacking') attacking = true;
    });
    await until('the attacker', () => attacking);
  }
  const cpu0 = cpuMs(serve.pid);
  const report = JSON.parse(await child('probe', apiSocket).done) as ProbeReport;
  const serveCpu = Math.round(cpuMs(serve.pid) - cpu0);
  let attackNote = '';
  if (attacker) {
    attacker.proc.kill('SIGTERM');
    const a = JSON.parse(await attacker.done) as AttackReport;
    attackNote = `  attacker: ${a.sent} requests on ${a.sessions} session(s), grpc-status ${JSON.stringify(a.byCode)}`;
  }
  rows.push(
    `${name.padEnd(7)} prober ${String(report.calls).padStart(5)} calls, ${report.failures} failed, p50 ${report.p50.toFixed(2)} ms, p99 ${report.p99.toFixed(2)} ms, max ${report.max.toFixed(1)} ms; serve CPU ${serveCpu} ms over ${seconds} s${attackNote}`,
  );
}

// BENCH_PHASES=hostile runs only that phase (e.g. with BENCH_PROFILE=<dir> for a CPU profile of the service).
const phases = (process.env.BENCH_PHASES ?? 'quiet,control,hostile,quiet').split(',') as Array<'quiet' | 'control' | 'hostile'>;
for (const p of phases) await phase(p, p === 'quiet' ? undefined : p);
console.log(
  `hostile-size strings vs another client, ${seconds} s per phase, attacker ${values.inflight} in flight, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const r of rows) console.log(r);
serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('exit', resolve));
process.exit(0);
