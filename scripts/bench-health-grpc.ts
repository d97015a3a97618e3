/**
 * What a grpc.health.v1 Check costs the health worker's listener: node:http2 itself (what the
 * thread runs) against grpc-js with grpc-health-check (what it ran before; HealthWorker's
 * `grpcServer: 'grpc-js'` keeps it for this comparison only). Each server is a HealthWorker in a
 * process of its own (this script with --serve), its thread at nice -10 as the service sets it
 * where it may, following a SERVING Health, on a Unix socket. A grpc-js client on one kept channel
 * (as the grpc-kept prober of bench:scale) sends `--checks` Checks one after the other; printed:
 * the server process's CPU per Check and its health thread's (from /proc), and latency p50/p99/max,
 * on the machine as it is and with two CPU burners (`sh -c 'while :; do :; done'` at nice 0,
 * killed after). Rounds alternate the servers, so that a change in the machine's load falls on both.
 * Figures, not assertions.
 *
 *   npm run bench:health-grpc [-- --checks 3000 --rounds 3 --no-burners]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { reapOnExit } from './lib/children.js';
import { cpuMs, threadCpuMs } from './lib/proc-stats.js';

type Impl = 'grpc-js' | 'node-http2';
const IMPLS: readonly Impl[] = ['grpc-js', 'node-http2'];

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    socket: { type: 'string' },
    checks: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    'no-burners': { type: 'boolean', default: false },
  },
});

if (values.serve !== undefined) await serve(values.serve as Impl, values.socket!);
else await main();

/** The server side: a HealthWorker with only the gRPC listener, following a SERVING Health. */
async function serve(impl: Impl, socket: string): Promise<void> {
  const { default: pino } = await import('pino');
  const { Health } = await import('../src/api/health.js');
  const { HealthWorker } = await import('../src/api/health-worker.js');
  // Kept alive here: the worker is unref'd.
  setInterval(() => undefined, 60_000);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const health = new Health({ logger, refreshMs: 1_000, stallMs: 10_000, readiness: [{ name: 'bench', read: () => ({ ok: true, reason: 'ok' }) }] });
  const worker = new HealthWorker({ http: undefined, grpc: { unixSocket: socket }, grpcServer: impl, stallMs: 10_000, logger, threadNice: -10 });
  await worker.listening;
  worker.follow(health);
  // Whether the thread got its nice value (CAP_SYS_NICE): the lowest of the process's threads.
  const nices = fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
  process.stdout.write(`listening, health thread nice ${Math.min(...nices)}\n`);
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ status: string }>): grpc.ClientUnaryCall;
}

async function main(): Promise<void> {
  const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
  const self = path.join(root, 'dist/scripts/bench-health-grpc.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-health-grpc-'));
  const track = reapOnExit(dir);
  const checks = Number(values.checks);
  const rounds = Number(values.rounds);
  const loads = values['no-burners'] ? ['as is'] : ['as is', '2 burners'];
  const Client = grpc.makeGenericClientConstructor(healthService, 'Health') as unknown as new (target: string, creds: grpc.ChannelCredentials) => HealthClient;
  const results: { impl: Impl; load: string; cpuPerCheck: number; threadPerCheck: number; p50: number; p99: number; max: number; loadavg: number }[] = [];

  console.log(`${checks} Checks per run, ${rounds} rounds; ${os.cpus().length} CPUs; node ${process.version}`);
  for (let round = 1; round <= rounds; round++) {
    for (const load of loads) {
      for (const impl of round % 2 === 1 ? IMPLS : [...IMPLS].reverse()) {
        const socket = path.join(dir, `${impl}-${round}.sock`);
        const server = track(spawn(process.execPath, [self, '--serve', impl, '--socket', socket], { stdio: ['ignore', 'pipe', 'inherit'] }));
        await new Promise<void>((resolve, reject) => {
          server.stdout!.on('data', (d: Buffer) => {
            const line = d.toString();
            if (!line.includes('listening')) return;
            if (round === 1 && load === loads[0]) console.log(`${impl}: ${line.trim()}`);
            resolve();
          });
          server.once('exit', (code) => reject(new Error(`the ${impl} server exited (${code})`)));
        });
        const client = new Client(`unix:${socket}`, grpc.credentials.createInsecure());
        const check = (): Promise<void> =>
          new Promise((resolve, reject) =>
            client.Check({ service: 'liveness' }, { deadline: Date.now() + 5_000 }, (err, reply) =>
              err ? reject(err) : reply?.status === 'SERVING' ? resolve() : reject(new Error(`answered ${reply?.status}`)),
            ),
          );
        for (let i = 0; i < 300; i++) await check();
        const burners = load === '2 burners' ? [0, 1].map(() => track(spawn('nice', ['-n', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }))) : [];
        if (burners.length > 0) await new Promise((r) => setTimeout(r, 300));
        const threadsBefore = threadCpuMs(server.pid);
        const cpuBefore = cpuMs(server.pid);
        const latencies: number[] = [];
        for (let i = 0; i < checks; i++) {
          const t0 = process.hrtime.bigint();
          await check();
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        const cpu = cpuMs(server.pid) - cpuBefore;
        const threadsAfter = threadCpuMs(server.pid);
        for (const b of burners) await stop(b, 'SIGKILL');
        // The health thread: the one thread that is neither the main one nor idle, the busiest.
        const thread = Math.max(...[...threadsAfter].filter(([name]) => name !== 'main').map(([name, ms]) => ms - (threadsBefore.get(name) ?? 0)));
        latencies.sort((a, b) => a - b);
        const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
        const row = { impl, load, cpuPerCheck: cpu / checks, threadPerCheck: thread / checks, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)!, loadavg: os.loadavg()[0]! };
        results.push(row);
        console.log(
          `round ${round} ${load.padEnd(9)} ${impl.padEnd(10)} CPU/Check: process ${row.cpuPerCheck.toFixed(3)} ms, health thread ${row.threadPerCheck.toFixed(3)} ms; latency p50 ${row.p50.toFixed(2)} p99 ${row.p99.toFixed(2)} max ${row.max.toFixed(1)} ms (load ${row.loadavg.toFixed(1)})`,
        );
        client.close();
        await stop(server, 'SIGTERM');
      }
    }
  }
  console.log('\nmedians over the rounds:');
  for (const load of loads) {
    for (const impl of IMPLS) {
      const rows = results.filter((r) => r.impl === impl && r.load === load);
      const med = (pick: (r: (typeof rows)[number]) => number): string => {
        const v = rows.map(pick).sort((a, b) => a - b);
        return v[Math.floor(v.length / 2)]!.toFixed(3);
      };
      console.log(
        `${load.padEnd(9)} ${impl.padEnd(10)} CPU/Check process ${med((r) => r.cpuPerCheck)} thread ${med((r) => r.threadPerCheck)} ms; p50 ${med((r) => r.p50)} p99 ${med((r) => r.p99)} max ${med((r) => r.max)} ms`,
      );
    }
  }
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
