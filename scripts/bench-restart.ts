/**
 * How fast a node comes back after spdk_tgt restarts, on a real `serve` over a simulator: two
 * disks, 3,000 replicas, 1,000 of them exported, 300 engines (raid1 with superblock over two local
 * replicas each, exported). Kill -9 the simulator, start a new one on the same socket and disk
 * files, and time from its socket answering to readiness SERVING, with where the time went: the
 * detection (spdk_tgt answering → the reconcile run that converges starts), the reconcile's steps
 * (wall and the service's CPU, from its 'reconcile done' log line), and the readiness publish
 * (reconcile done → the health socket says SERVING); with the CPU time the service and the
 * simulator used over the round and the load average beside every figure. Also: from spawning
 * `serve` to its first health answer (gRPC liveness), on an empty node and on the populated one.
 * Goals: ≤ 3 s back to ready, ≤ 300 ms to the first health answer (bench:first-health measures
 * that one as the image starts).
 *
 *   npm run bench:restart [-- --replicas 3000 --exports 1000 --engines 300 --rounds 3]
 *                         [--port-min 14000] [--prof DIR]   (--prof: node --cpu-prof of serve and the simulator into DIR)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, invoke, type ApiClients } from '../src/api/client.js';
import { reapOnExit } from './lib/children.js';
import { cpuMs } from './lib/proc-stats.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/bin.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000000b1';
const MIB = 1024 * 1024;
const REPLICA_MIB = 4;
/** An engine's members: room for the raid superblock beyond its 4 MiB volume. */
const MEMBER_MIB = 8;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3000' },
    exports: { type: 'string', default: '1000' },
    engines: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    'port-min': { type: 'string', default: '14000' },
    prof: { type: 'string' },
  },
});
const replicaCount = Number(values.replicas);
const exportCount = Math.min(replicaCount, Number(values.exports));
// Engine members are the last replicas, never exported ones: two each, one on each disk.
const engineCount = Math.min(Number(values.engines), Math.floor((replicaCount - exportCount) / 2));
const firstMember = replicaCount - 2 * engineCount;
const profDir = values.prof ? path.resolve(values.prof) : undefined;
const nodeFlags = (who: string): string[] => (profDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profDir, who)] : []);
const loadNow = (): string => os.loadavg()[0]!.toFixed(1);
const rounds = Number(values.rounds);
const portMin = Number(values['port-min']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-restart-'));
const simSocket = path.join(dir, 'tgt.sock');
const track = reapOnExit(dir);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>, everyMs = 5): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(everyMs);
  }
}

/** Whether the socket takes a JSON-RPC call and answers it (spdk_get_version). */
function answers(socket: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok ? true : undefined);
    };
    s.once('error', () => done(false));
    s.once('connect', () => s.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'spdk_get_version' })));
    s.once('data', () => done(true));
  });
}

async function startSim(): Promise<ChildProcess> {
  const args = [...nodeFlags('sim'), SIM, '--socket', simSocket, '--name', 'tgt', '--quiet', '--mem-dump', path.join(dir, 'mem.txt')];
  const child = track(spawn(process.execPath, [...args, '--max-subsystems', String(exportCount + engineCount + 64)], { stdio: 'ignore' }));
  await until('the simulator socket', 20_000, () => answers(simSocket));
  return child;
}

interface Serve {
  child: ChildProcess;
  clients: ApiClients;
  /** The health worker's socket (api-health.sock): readiness polls there, off the service's main thread. */
  health: ApiClients;
  lines: Array<Record<string, unknown>>;
  /** Spawn to first health answer, ms. */
  firstHealthMs: number;
}

let serveRuns = 0;
async function startServe(stateDir: string): Promise<Serve> {
  const apiSocket = path.join(dir, `api-${++serveRuns}.sock`);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1' };
  const args = [...nodeFlags('serve'), CLI, 'serve', '--spdk-socket', simSocket, '--api-socket', apiSocket, '--api-tcp', 'off', '--state-file', path.join(stateDir, 'state.json')];
  args.push('--export-port-min', String(portMin), '--export-port-max', String(portMin + exportCount + engineCount + 99), '--log-level', 'info');
  const spawned = performance.now();
  const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  const lines: Array<Record<string, unknown>> = [];
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    const parts = (rest + d).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  await until('the API socket', 120_000, async () => (fs.existsSync(apiSocket) ? true : undefined), 1);
  const clients = createApiClients({ unixSocket: apiSocket });
  const health = createApiClients({ unixSocket: apiSocket.replace(/\.sock$/, '-health.sock') });
  await until('a health answer', 120_000, () => clients.healthCheck('liveness', { deadlineMs: 1000 }), 1);
  return { child, clients, health, lines, firstHealthMs: performance.now() - spawned };
}

async function stopServe(serve: Serve): Promise<void> {
  serve.clients.close();
  serve.health.close();
  if (serve.child.exitCode !== null) return;
  await new Promise((resolve) => {
    serve.child.once('exit', resolve);
    serve.child.kill('SIGTERM');
  });
}

async function readiness(clients: ApiClients): Promise<string | undefined> {
  return clients.healthCheck('readiness', { deadlineMs: 1000 });
}

async function inLanes<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Admission counts the subsystems of work in flight until a health reading has seen them: near
 * the limit it refuses for a moment (RESOURCE_EXHAUSTED), and a retry goes through. */
async function admitted<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: number }).code !== 8 || attempt >= 30) throw error;
      await sleep(500);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  let sim = await startSim();
  // The first answer of a node with nothing in it.
  const emptyDir = fs.mkdtempSync(path.join(dir, 'empty-'));
  const empty = await startServe(emptyDir);
  await stopServe(empty);

  const stateDir = fs.mkdtempSync(path.join(dir, 'state-'));
  let serve = await startServe(stateDir);
  await until('ready', 60_000, async () => ((await readiness(serve.health)) === 'SERVING' ? true : undefined), 20);
  const perDiskMib = Math.ceil(firstMember / 2) * REPLICA_MIB + engineCount * MEMBER_MIB;
  for (const disk of ['d1', 'd2']) {
    const file = path.join(stateDir, `${disk}.img`);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, (perDiskMib + 256) * MIB);
    await invoke(serve.clients.disks, 'DiskCreate', { name: disk, path: file, kind: 'DISK_KIND_AIO' });
  }
  const setup = performance.now();
  const names = Array.from({ length: replicaCount }, (_, i) => `b${i}`);
  await inLanes(names, 64, async (name) => {
    const i = Number(name.slice(1));
    const sizeMib = i >= firstMember ? MEMBER_MIB : REPLICA_MIB;
    const request = { name, diskName: i % 2 ? 'd2' : 'd1', sizeBytes: sizeMib * MIB, hostNqns: i < exportCount ? [HOST] : [] };
    await admitted(() => invoke(serve.clients.replicas, 'ReplicaCreate', request));
  });
  const engines = Array.from({ length: engineCount }, (_, i) => i);
  await inLanes(engines, 32, async (i) => {
    const members = [firstMember + 2 * i, firstMember + 2 * i + 1].map((m) => ({ local: { name: `b${m}` } }));
    await admitted(() => invoke(serve.clients.engines, 'EngineCreate', { name: `v${i}`, sizeBytes: REPLICA_MIB * MIB, replicas: members, frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] }));
  });
  console.log(
    `setup: ${replicaCount} replicas, ${exportCount} exported, ${engineCount} engines (raid1 over two local replicas, exported), in ${Math.round(performance.now() - setup)} ms; load ${loadNow()}`,
  );

  const backMs: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const from = serve.lines.length;
    sim.kill('SIGKILL');
    await new Promise((resolve) => sim.once('exit', resolve));
    await until('readiness NOT_SERVING', 30_000, async () => ((await readiness(serve.health)) === 'NOT_SERVING' ? true : undefined));
    const loadBefore = loadNow();
    sim = await startSim();
    const back = performance.now();
    const backEpoch = Date.now();
    const serveCpu = cpuMs(serve.child.pid);
    const simCpu = cpuMs(sim.pid);
    await until('readiness SERVING', 120_000, async () => ((await readiness(serve.health)) === 'SERVING' ? true : undefined), 10);
    const ms = performance.now() - back;
    backMs.push(ms);
    const serveUsed = cpuMs(serve.child.pid) - serveCpu;
    const simUsed = cpuMs(sim.pid) - simCpu;
    const lines = serve.lines.slice(from);
    const at = (line: Record<string, unknown>): number => (typeof line['time'] === 'number' ? line['time'] : Date.parse(String(line['time']))) - backEpoch;
    const done = lines.filter((l) => String(l['msg']).startsWith('reconcile done')).at(-1);
    const started = done ? lines.filter((l) => l['msg'] === 'reconcile started' && at(l) <= at(done)).at(-1) : undefined;
    console.log(
      `round ${round}: spdk_tgt answering → SERVING ${Math.round(ms)} ms (load ${loadBefore} → ${loadNow()}); CPU over the round: service ${Math.round(serveUsed)} ms, simulator ${Math.round(simUsed)} ms`,
    );
    if (done && started) {
      const steps = (done['ms'] ?? {}) as Record<string, number>;
      const cpu = (done['cpuMs'] ?? {}) as Record<string, number>;
      const row = (step: string, wall: number, cpuOf?: number): string =>
        `    ${step.padEnd(34)}${`${Math.round(wall)} ms`.padStart(9)}${cpuOf === undefined ? '' : `${`${Math.round(cpuOf)} ms`.padStart(10)} CPU`}`;
      const out = [row('detect (answering → last run starts)', at(started))];
      for (const [step, wall] of Object.entries(steps)) out.push(row(step, wall, cpu[step]));
      out.push(row('readiness publish (done → SERVING)', ms - at(done)));
      console.log(out.join('\n'));
    }
    // The service's own account of the round, timed from spdk_tgt answering: what ran when.
    for (const line of lines) {
      const msg = String(line['msg']);
      if (/re-exported: |replica exposed|engine brought back/.test(msg)) continue;
      if (line['component'] === 'reconcile' || /recover|ready|spdk_tgt|reconnect/.test(msg))
        console.log(`  ${String(Math.round(at(line))).padStart(7)} ms  ${msg}${line['reason'] ? ` (${String(line['reason'])})` : ''}`);
    }
  }

  // The service itself restarted over a converged spdk_tgt: its first answer and its recovery.
  await stopServe(serve);
  serve = await startServe(stateDir);
  const startedAt = performance.now();
  await until('ready after a service restart', 120_000, async () => ((await readiness(serve.health)) === 'SERVING' ? true : undefined), 5);
  const recoveryMs = performance.now() - startedAt + serve.firstHealthMs;
  await stopServe(serve);
  // Stopped, not killed: a simulator run with --prof writes its profile as it exits.
  await new Promise((resolve) => {
    sim.once('exit', resolve);
    sim.kill('SIGTERM');
  });

  console.log(
    [
      `spdk_tgt back → SERVING: median ${Math.round(median(backMs))} ms of ${rounds} (${backMs.map((m) => Math.round(m)).join(', ')}) — goal ≤ 3000 ms`,
      `serve spawn → first health answer: ${Math.round(empty.firstHealthMs)} ms empty, ${Math.round(serve.firstHealthMs)} ms with ${replicaCount} replicas — goal ≤ 300 ms`,
      `serve spawn → SERVING over a converged spdk_tgt with ${replicaCount} replicas: ${Math.round(recoveryMs)} ms`,
      `${replicaCount} replicas, ${exportCount} exports, ${engineCount} engines; node ${process.version}, cpus: ${os.cpus().length}, load average ${os
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
