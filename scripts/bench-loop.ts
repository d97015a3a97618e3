/**
 * The service's main loop at scale: the simulator and `serve` as separate processes, N replicas
 * (some exported, some with snapshots) and M engines over local members, then every List, Get and
 * Watch, NodeInfo, an inventory refresh and the periodic work (engine monitor, reconcile's check,
 * resource sampler, state-file writes) while the service, with CONDUCTOR_LOOP_TRACE=1, reports its
 * event-loop delay each second and every named synchronous task of 10 ms or more. Prints, per
 * phase, the loop delay (worst p99 and max of the one-second reports) and the slowest named tasks.
 *
 *   npm run bench:loop [-- --replicas 3000 --engines 500 --exported 450 --snapshots 300 --idle-sec 10 --rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, invoke, type ApiClients } from '../src/api/client.js';
import { inLanes } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001';
const MIB = 1024 * 1024;
const PORT_BASE = 20000;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3000' },
    engines: { type: 'string', default: '500' },
    exported: { type: 'string', default: '450' },
    snapshots: { type: 'string', default: '300' },
    'idle-sec': { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    inflight: { type: 'string', default: '64' },
  },
});
const replicas = Number(values.replicas);
const engines = Math.min(Number(values.engines), Math.floor(replicas / 2));
const exported = Number(values.exported);
const snapshots = Number(values.snapshots);
const inFlight = Number(values.inflight);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-loop-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

interface PhaseFigures {
  delays: Array<{ p99: number; max: number }>;
  /** Per span name: how many were logged, the most wall time and the most CPU time of one. */
  spans: Map<string, { count: number; max: number; cpuMax: number }>;
}
const phases = new Map<string, PhaseFigures>();
let phase = 'start';
const figures = (name: string): PhaseFigures => {
  let f = phases.get(name);
  if (!f) phases.set(name, (f = { delays: [], spans: new Map() }));
  return f;
};

/** Reads the service's log lines and files the tracer's reports under the phase running. */
function collect(child: ChildProcess): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: { msg?: string; span?: string; ms?: number; cpuMs?: number; p99Ms?: number; maxMs?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    const f = figures(phase);
    if (entry.msg === 'main-loop delay') f.delays.push({ p99: entry.p99Ms ?? 0, max: entry.maxMs ?? 0 });
    if (entry.msg === 'slow main-loop task' && entry.span) {
      const s = f.spans.get(entry.span) ?? { count: 0, max: 0, cpuMax: 0 };
      s.count++;
      s.max = Math.max(s.max, entry.ms ?? 0);
      s.cpuMax = Math.max(s.cpuMax, entry.cpuMs ?? 0);
      f.spans.set(entry.span, s);
    }
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sparseFile(name: string, mib: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, mib * MIB);
  return file;
}

/** Reads every page of a List (a server without paging answers all at once, with no token). */
async function allPages(list: (pageToken: string) => Promise<object>): Promise<number> {
  let token = '';
  let pages = 0;
  do {
    token = ((await list(token)) as { nextPageToken?: string }).nextPageToken ?? '';
    pages++;
  } while (token !== '');
  return pages;
}

/** Opens a watch, waits for its 'synced' event, and closes it; returns the events before it. */
function watchUntilSynced(open: () => NodeJS.EventEmitter & { cancel(): void }): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = open();
    let events = 0;
    stream.on('data', (event: { type: string }) => {
      if (event.type === 'EVENT_TYPE_SYNCED' || event.type === 'SYNCED') {
        stream.cancel();
        resolve(events);
      } else events++;
    });
    stream.on('error', (err: Error & { code?: number }) => {
      if (err.code !== 1) reject(err);
    });
  });
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${label}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

async function build(api: ApiClients): Promise<void> {
  phase = 'build';
  await invoke(api.disks, 'DiskCreate', { name: 'bench', path: sparseFile('disk.img', 64 * 1024) });
  await timed(`${replicas} replicas (${exported} exported)`, () =>
    inLanes(replicas, inFlight, async (i) => {
      await invoke(api.replicas, 'ReplicaCreate', { name: `r${i}`, diskName: 'bench', sizeBytes: 4 * MIB, hostNqns: i >= 2 * engines && i < 2 * engines + exported ? [HOST] : [] });
    }),
  );
  await timed(`${snapshots} snapshots`, () =>
    inLanes(snapshots, inFlight, async (i) => {
      await invoke(api.snapshots, 'SnapshotCreate', { replicaName: `r${replicas - 1 - i}`, name: 'snap', labels: {}, userCreated: true });
    }),
  );
  await timed(`${engines} engines over local members`, () =>
    inLanes(engines, inFlight, async (i) => {
      await invoke(api.engines, 'EngineCreate', {
        name: `v${i}`,
        sizeBytes: 4 * MIB,
        replicas: [{ local: { name: `r${2 * i}` } }, { local: { name: `r${2 * i + 1}` } }],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [HOST],
      });
    }),
  );
}

async function lists(api: ApiClients, rounds: number, pageSize: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await allPages((pageToken) => invoke(api.replicas, 'ReplicaList', { diskName: '', pageSize, pageToken } as never));
    await allPages((pageToken) => invoke(api.engines, 'EngineList', { pageSize, pageToken } as never));
    await allPages((pageToken) => invoke(api.disks, 'DiskList', { pageSize, pageToken } as never));
    await allPages((pageToken) => invoke(api.engines, 'RebuildList', { engine: '', pageSize, pageToken } as never));
    await allPages((pageToken) => invoke(api.snapshots, 'SnapshotList', { replicaName: `r${replicas - 1}`, pageSize, pageToken } as never));
    await invoke(api.node, 'NodeInfo', {});
    await inLanes(50, 8, async (i) => {
      await invoke(api.replicas, 'ReplicaGet', { name: `r${(i * 61) % replicas}` });
      if (engines > 0) await invoke(api.engines, 'EngineGet', { name: `v${(i * 7) % engines}` });
      if (engines > 0) await invoke(api.engines, 'EngineReplicaList', { name: `v${(i * 7) % engines}` });
    });
    await watchUntilSynced(() => api.replicas.ReplicaWatch({}));
    await watchUntilSynced(() => api.engines.EngineWatch({}));
  }
}

function report(): void {
  console.log('\nphase                 loop p99 (worst s)  loop max   named tasks over 10 ms wall (count; most CPU ms / most wall ms of one)');
  for (const [name, f] of phases) {
    if (name === 'start') continue;
    const p99 = Math.max(0, ...f.delays.map((d) => d.p99));
    const max = Math.max(0, ...f.delays.map((d) => d.max));
    const spans = [...f.spans.entries()]
      .sort((a, b) => b[1].cpuMax - a[1].cpuMax)
      .slice(0, 6)
      .map(([s, v]) => `${s} ×${v.count} ${v.cpuMax}/${v.max}`)
      .join('; ');
    console.log(`${name.padEnd(22)}${`${p99} ms`.padEnd(20)}${`${max} ms`.padEnd(11)}${spans || '(none over 10 ms)'}`);
  }
}

const simSocket = path.join(dir, 'sim.sock');
const sim = spawn(process.execPath, [SIM, '--socket', simSocket, '--name', 'LOOP', '--quiet', '--max-subsystems', String(exported + engines + 64)], { stdio: 'ignore' });
children.push(sim);
await waitFor('the simulator socket', () => fs.existsSync(simSocket));
const apiSocket = path.join(dir, 'api.sock');
const serve = spawn(
  process.execPath,
  [
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
    '--export-port-min',
    String(PORT_BASE),
    '--export-port-max',
    String(PORT_BASE + exported + engines + 100),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CONDUCTOR_LOG_LEVEL: 'warn', CONDUCTOR_LOOP_TRACE: '1' } },
);
children.push(serve);
collect(serve);
await waitFor('the API socket', () => fs.existsSync(apiSocket));
const api = createApiClients({ unixSocket: apiSocket });
try {
  await waitFor('readiness', async () => (await api.healthCheck('').catch(() => '')) === 'SERVING');
  console.log(`building (load average ${os.loadavg()[0]!.toFixed(1)})`);
  await build(api);
  phase = 'idle (periodic work)';
  await new Promise((resolve) => setTimeout(resolve, Number(values['idle-sec']) * 1000));
  phase = 'lists, page_size 0';
  await timed(`${values.rounds} rounds of every List/Get/Watch, page_size 0 (every page read)`, () => lists(api, Number(values.rounds), 0));
  phase = 'lists, page_size 100';
  await timed(`${values.rounds} rounds of every List/Get/Watch, page_size 100`, () => lists(api, Number(values.rounds), 100));
  phase = 'inventory refresh';
  await timed('a second disk (a full inventory refresh)', () => invoke(api.disks, 'DiskCreate', { name: 'second', path: sparseFile('second.img', 1024) }));
  // The one-second reports of the phase's end.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  phase = 'end';
  console.log(`load average at the end ${os.loadavg()[0]!.toFixed(1)}`);
  report();
} finally {
  api.close();
  serve.kill('SIGTERM');
  sim.kill('SIGTERM');
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
