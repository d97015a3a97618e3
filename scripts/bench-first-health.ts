/**
 * How soon a starting service answers its health probes: `serve` spawned as the image runs it
 * (`node dist/src/cli/bin.js serve`, NODE_ENV=production, CONDUCTOR_SIMULATOR=false, over a
 * simulator's socket), timed from the spawn to the first answer of GET /livez (any status: a
 * "starting" 503 is an answer) and to the first grpc.health.v1 Check answered on the health socket.
 * Also the service's own figures (its log's `httpMsSinceProcessStart`, from the process's time
 * origin, without the spawn) and the CPU time the process had used by its first answer, which the
 * machine's load distorts less than the wall clock. Goal: ≤ 300 ms to the first answer.
 * Then the start's whole cost: spawn → ready (gRPC health SERVING), the process's and its main
 * thread's CPU by then, and the main loop's delay over the start (p99 and max of the window serve
 * closes when it is first ready, from /readyz?verbose). The state file holds an empty version-2
 * state, so its check is on the path as on any node that ran before; whether dist/ holds the
 * build's generated validators (the contracts and the state schema, not compiled at start) is
 * printed with the figures.
 *
 *   npm run bench:first-health [-- --runs 10 --http-port 0]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { reapOnExit } from './lib/children.js';
import { cpuMs, threadCpuMs } from './lib/proc-stats.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/bin.js');
const DEADLINE_MS = 30_000;
const POLL_MS = 2;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, 'http-port': { type: 'string', default: '0' } } });
const runs = Number(values.runs);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-first-health-'));
const track = reapOnExit(dir);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = (): string => os.loadavg()[0]!.toFixed(1);

/** A port nobody listens on now (the kernel's choice), unless one is given. */
async function freePort(): Promise<number> {
  if (Number(values['http-port']) > 0) return Number(values['http-port']);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function connects(target: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(target);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The first answer of GET /livez: status and body, or undefined while nothing listens. */
function livez(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/livez', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.once('error', () => resolve(undefined));
  });
}

/** grpc.health.v1.Health/Check of "" on a Unix socket; the status enum's number, or undefined. */
function grpcCheck(socket: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      () => Buffer.alloc(0),
      (bytes: Buffer) => (bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1]! : 0),
      {},
      { deadline: Date.now() + 2_000 },
      (err, status) => {
        client.close();
        resolve(err ? undefined : status);
      },
    );
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const end = performance.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > end) throw new Error(`${what}: not within ${DEADLINE_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** grpc.health.v1's ServingStatus SERVING. */
const SERVING = 1;

interface LoopWindow {
  p99Ms: number;
  maxMs: number;
  windowEnd: string;
}

/** GET on the service's HTTP listener: status and body. */
function getText(port: number, at: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: at, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
  });
}

/** The main loop's delay over the start: the window serve closes when it is first ready (read twice: the same end, so closed). */
async function startWindow(port: number): Promise<LoopWindow | undefined> {
  const read = async (): Promise<LoopWindow | undefined> => {
    const { status, body } = await getText(port, '/readyz?verbose');
    return status === 200 ? ((JSON.parse(body) as { eventLoopDelay?: LoopWindow | null }).eventLoopDelay ?? undefined) : undefined;
  };
  return until('the start window', async () => {
    const first = await read();
    await sleep(50);
    const second = await read();
    return first !== undefined && first.windowEnd === second?.windowEnd ? second : undefined;
  });
}

async function startSim(socket: string): Promise<void> {
  track(spawn(process.execPath, [SIM, '--socket', socket, '--name', 'tgt', '--mem-dump', path.join(dir, 'mem.txt')], { stdio: 'ignore' }));
  await until('the simulator socket', async () => ((await connects({ path: socket })) ? true : undefined));
}

interface Run {
  httpMs: number;
  grpcMs: number;
  answer: string;
  cpuAtHttpMs: number;
  readyMs: number;
  cpuAtReadyMs: number;
  mainCpuAtReadyMs: number;
  startLoop: LoopWindow | undefined;
  /** From the service's log: the worker's listeners, ms after the process's time origin. */
  ownHttpMs: number | undefined;
  ownGrpcMs: number | undefined;
  load: string;
}

async function once(simSocket: string, n: number): Promise<Run> {
  const runDir = fs.mkdtempSync(path.join(dir, `run-${n}-`));
  const apiSocket = path.join(runDir, 'api.sock');
  const healthSocket = path.join(runDir, 'api-health.sock');
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', CONDUCTOR_SIMULATOR: 'false', CONDUCTOR_API_SOCKET: apiSocket, CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1' };
  const stateFile = path.join(runDir, 'state.json');
  fs.writeFileSync(stateFile, JSON.stringify({ version: 2, disks: {}, exports: {}, engines: {}, snapshots: {}, intents: {} }));
  const args = [CLI, 'serve', '--spdk-socket', simSocket, '--api-tcp', 'off', '--http-address', `127.0.0.1:${port}`, '--state-file', stateFile];
  const atLoad = load();
  const spawned = performance.now();
  const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  const http = (async () => {
    const answer = await until('GET /livez', () => livez(port));
    return { answer, ms: performance.now() - spawned, cpu: cpuMs(child.pid) };
  })();
  const grpcMs = (async () => {
    await until('grpc.health.v1 Check', () => grpcCheck(healthSocket));
    return performance.now() - spawned;
  })();
  const [h, g] = await Promise.all([http, grpcMs]);
  await until('ready (SERVING)', async () => ((await grpcCheck(healthSocket)) === SERVING ? true : undefined));
  const readyMs = performance.now() - spawned;
  const cpuAtReadyMs = cpuMs(child.pid);
  const mainCpuAtReadyMs = threadCpuMs(child.pid).get('main') ?? 0;
  const startLoop = await startWindow(port);
  // The service's own account, once it logged it.
  const own = await until('the worker listening log line', async () => {
    for (const line of out.split('\n')) {
      if (!line.includes('health worker listening')) continue;
      return JSON.parse(line) as { httpMsSinceProcessStart?: number; grpcMsSinceProcessStart?: number };
    }
    return child.exitCode === null ? undefined : {};
  });
  await new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(undefined);
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  return {
    httpMs: h.ms,
    grpcMs: g,
    answer: h.answer,
    cpuAtHttpMs: h.cpu,
    readyMs,
    cpuAtReadyMs,
    mainCpuAtReadyMs,
    startLoop,
    ownHttpMs: own.httpMsSinceProcessStart,
    ownGrpcMs: own.grpcMsSinceProcessStart,
    load: atLoad,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const simSocket = path.join(dir, 'tgt.sock');
  await startSim(simSocket);
  const results: Run[] = [];
  for (let n = 1; n <= runs; n++) {
    const r = await once(simSocket, n);
    results.push(r);
    const own = (v: number | undefined): string => (v === undefined ? '-' : `${v} ms`);
    console.log(
      `run ${String(n).padStart(2)}: /livez ${Math.round(r.httpMs)} ms (${r.answer}), gRPC health ${Math.round(r.grpcMs)} ms; own: http ${own(r.ownHttpMs)}, grpc ${own(r.ownGrpcMs)}; CPU by /livez ${Math.round(r.cpuAtHttpMs)} ms; ` +
        `ready ${Math.round(r.readyMs)} ms, CPU by ready ${Math.round(r.cpuAtReadyMs)} ms (main thread ${Math.round(r.mainCpuAtReadyMs)} ms), start loop delay p99 ${own(r.startLoop?.p99Ms)} max ${own(r.startLoop?.maxMs)}; load ${r.load}`,
    );
  }
  const ms = (pick: (r: Run) => number | undefined): string => `${Math.round(median(results.map(pick).filter((v) => v !== undefined)))} ms`;
  console.log(
    [
      `spawn → first /livez answer: median ${ms((r) => r.httpMs)} of ${runs} — goal ≤ 300 ms`,
      `spawn → first gRPC health answer: median ${ms((r) => r.grpcMs)}`,
      `process start → listening (own log): http ${ms((r) => r.ownHttpMs)}, grpc ${ms((r) => r.ownGrpcMs)}`,
      `CPU time of the process by its first /livez answer: median ${ms((r) => r.cpuAtHttpMs)}`,
      `spawn → ready (SERVING): median ${ms((r) => r.readyMs)}; CPU by then ${ms((r) => r.cpuAtReadyMs)}, of it the main thread ${ms((r) => r.mainCpuAtReadyMs)}`,
      `main loop over the start (spawn → ready): delay p99 ${ms((r) => r.startLoop?.p99Ms)}, max ${ms((r) => r.startLoop?.maxMs)} (median of runs)`,
      `generated validators in dist: ${fs.existsSync(path.join(ROOT, 'dist/src/spdk/contract-validators/index.json')) ? 'yes' : 'no (the start compiles the schemas)'}`,
      `node ${process.version}, cpus: ${os.cpus().length}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
