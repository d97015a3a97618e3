/**
 * 1,000 exposed replicas (lvol + subsystem + host + namespace + listener) three ways: a minimal raw
 * client sequentially, the same raw client with 64 replicas in flight (each replica's calls in
 * order), and through the gRPC API of a real `serve` process with 64 replicas in flight (one
 * ReplicaCreate with host_nqns each: create and expose in one call). Prints the times, the
 * API / raw-pipelined ratio (target ≤ 1.3), the service's CPU per ReplicaCreate (from its
 * /proc/PID/stat, target ≤ 0.3 ms) and the creates refused, by code (target: none).
 *
 * Before the API phase, the same client drives a bare grpc-js server (scripts/lib/bare-grpc-server.ts:
 * the API's protos and server options, an empty ReplicaCreate) with the same lanes: its CPU per
 * call is what grpc-js costs on this machine before the service does anything, printed beside
 * the service's figure with the difference, the service's own share.
 *
 *   npm run build && node dist/scripts/bench-replicas.js [--replicas 1000] [--inflight 64] [--warmup 3000]
 *       [--spdk-socket PATH | --spdk-tgt PATH [--spdk-args="..."]] [--disk-path PATH] [--sequential] [--api-only] [--preload N]
 *
 * The raw pipelined client runs its window's work once first (made, then deleted), so that its
 * time and its CPU per replica (printed, with the bare server's, as the floor of a create's CPU
 * here) are a warm client's too.
 *
 * The service and the bare server are measured warm, as a service in production is: --warmup
 * creates (and, on the service, deletes) run first, outside the measured window; --warmup 0
 * measures a fresh process, V8 compiling the hot paths during the window. The warm-up does what
 * the window does, in the same order: the service's warm-up starts with the /metrics scrape that
 * the window also starts with (the first scrape transfers an ArrayBuffer to the health thread, and
 * V8's first detach in a process deoptimizes every function that touches a typed array: done in
 * the window, ~110 hot functions were recompiled there; serve now detaches a buffer at start,
 * but the first scrape's own one-time work and the client's first fetch still belong before it),
 * and it runs long enough (3,000 by default) for V8 to tier up what a create calls once: after
 * 1,000, ~47 first-time compiles still fell in the window, after 3,000 ~30-40, all small. The
 * window's creates are not deleted (the node fills to --replicas); the warm-up's are, so that the
 * node holds only the window's own.
 *
 * By default each phase runs on a fresh simulator. With --spdk-socket it runs against that
 * spdk_tgt (v26.05, already started, its nvmf TCP transport made or makeable, on this host or
 * with --disk-path naming a file or block device it can open): it starts no simulator, makes one
 * aio disk per phase on --disk-path (default: a sparse 16 GiB file in a temp directory, which only
 * a spdk_tgt on this host can open), deletes what each phase made before the next, and skips the
 * sequential raw phase unless --sequential (16 s on real spdk_tgt). The API phase's `serve` is
 * still started here, on the same socket. --spdk-tgt PATH starts that binary itself instead (and
 * stops it at the end, or kills it on any other way out): one core and hugepages when 1 GiB of them
 * is free, else --no-huge (scripts/lib/spdk-target.ts); --spdk-args replaces those arguments
 * (with "=", its value starts with a dash: --spdk-args="-m 0x1 --no-huge -s 2048"; nvmf_tgt with
 * "--interrupt-mode" runs its reactor in interrupt mode).
 *
 * --preload N makes N exposed replicas (kept) after the warm-up and before the window, the
 * simulator's subsystem cap raised to fit: the window's creates then run on a node that holds N,
 * which tells what grows with the node's size from what the window's own course does. The window
 * is cut in quarters by creates answered (see quarterEnds): per quarter, each thread's CPU
 * (schedstat), the state file's writes and size, the RSS, read and write calls per create.
 *
 * Where the service's CPU goes in the window: user and system time per thread (/proc/PID/task),
 * its I/O per create (/proc/PID/io: the state file's writes and the sockets' together) and how
 * many times the state file was written (renames seen by inotify). BENCH_PROFILE=DIR writes a CPU
 * profile (the window's bounds printed in its clock), BENCH_HEAP_PROFILE=FILE a sampling heap
 * profile of the window alone, collected objects included (scripts/lib/heap-sample-on-signal.ts).
 *
 * For scale: real spdk_tgt v26.05 does these with a raw client in 16.3 s sequentially and
 * 0.46 s pipelined.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, unaryCall } from '../src/api/client.js';
import { cpuMs, ioCounters, threadSchedMs, threadUserSysDelta, threadUserSysMs } from './lib/proc-stats.js';
import { connectRaw, inLanes, type RawRpc } from './lib/raw-rpc.js';
import { SERVE_ENV, SERVE_NODE_FLAGS } from './lib/serve-node-flags.js';
import { splitArgs, startSpdkTarget } from './lib/spdk-target.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const BARE = path.join(ROOT, 'dist/scripts/lib/bare-grpc-server.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001';
const MIB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1000' },
    inflight: { type: 'string', default: '64' },
    'spdk-socket': { type: 'string' },
    'spdk-tgt': { type: 'string' },
    'spdk-args': { type: 'string' },
    'disk-path': { type: 'string' },
    sequential: { type: 'boolean', default: false },
    'api-only': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '3000' },
    preload: { type: 'string', default: '0' },
  },
});
const count = Number(values.replicas);
const inFlight = Number(values.inflight);
const warmup = Number(values.warmup);
const preload = Number(values.preload);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replicas-'));
const started = values['spdk-tgt'] ? await startSpdkTarget(values['spdk-tgt'], dir, splitArgs(values['spdk-args'])) : undefined;
if (started) console.log(`real target: ${started.description}`);
const realSocket = values['spdk-socket'] ?? started?.socket;
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function waitForSocket(socket: string, child: ChildProcess): Promise<void> {
  // A loaded machine (load 30 on 2 cores) took 30 s to start serve.
  const deadline = Date.now() + 90_000;
  while (!fs.existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`${socket}: process exited ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${socket} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Target {
  socket: string;
  pid: number | undefined;
  stop: () => Promise<void>;
}

/** A fresh simulator, or the real spdk_tgt (left running). */
async function target(name: string): Promise<Target> {
  if (realSocket) return { socket: realSocket, pid: undefined, stop: async () => undefined };
  const socket = path.join(dir, `sim-${name}.sock`);
  // Its memory dump in this directory: the default path in /tmp is every simulator's and spdk_tgt's
  // on the machine, and the service's sampler would read (and be charged for) another's 45 MB dump.
  // --preload: the simulator's cap (spdk_tgt's default 1,024 subsystems) raised to what the node will hold.
  const maxSubsystems = ['--max-subsystems', String(Math.max(1024, count + preload + inFlight + 16))];
  const child = spawn(process.execPath, [SIM, '--socket', socket, '--name', name, '--mem-dump', path.join(dir, `mem-dump-${name}.txt`), ...maxSubsystems], { stdio: 'ignore' });
  children.push(child);
  await waitForSocket(socket, child);
  return { socket, pid: child.pid, stop: () => stopChild(child) };
}

/** Ends a process and waits for it: its listeners must be closed before the next phase binds. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The disk's backing: --disk-path, or a sparse file here. */
function diskPath(name: string, mib: number): string {
  if (values['disk-path']) return values['disk-path'];
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, mib * MIB);
  return file;
}

const rawNqn = (i: number, prefix = 'b') => `nqn.2024-11.io.spdk-conductor:replica:${prefix}${i}`;

/** The SPDK calls of one exposed replica, as the service makes them. */
async function rawReplica(call: (m: string, p?: object) => Promise<unknown>, i: number, portBase: number, prefix = 'b'): Promise<void> {
  const nqn = rawNqn(i, prefix);
  await call('bdev_lvol_create', { lvol_name: `r.${prefix}${i}`, size_in_mib: 4, thin_provision: true, lvs_name: 'lvs.bench' });
  await call('nvmf_create_subsystem', { nqn, allow_any_host: false });
  await call('nvmf_subsystem_add_host', { nqn, host: HOST });
  await call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: `lvs.bench/r.${prefix}${i}` } });
  await call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(portBase + i) } });
}

/** What a raw phase made on a real spdk_tgt, removed so the next phase starts from the same place. */
async function rawCleanup(rpc: RawRpc): Promise<void> {
  await inLanes(count, inFlight, (i) => rpc.call('nvmf_delete_subsystem', { nqn: rawNqn(i) }).catch(() => undefined));
  await rpc.call('bdev_lvol_delete_lvstore', { lvs_name: 'lvs.bench' }).catch(() => undefined);
  await rpc.call('bdev_aio_delete', { name: 'd.bench' }).catch(() => undefined);
}

/**
 * The raw pipelined client's CPU per replica (this process's, warm: the same work as the window
 * made and undone first, as the service's warm-up does): what the spdk_tgt side of a create costs a
 * minimal JSON-RPC client. With the bare grpc-js server's figure it is the floor of the service's
 * CPU per create on this machine: both ends of the work with nothing of the service between them.
 */
let rawClientCpuMs: number | undefined;

async function raw(mode: 'sequential' | 'pipelined', portBase: number): Promise<number> {
  const spdk = await target(`raw-${mode}`);
  const rpc = await connectRaw(spdk.socket);
  await rpc.call('bdev_aio_create', { name: 'd.bench', filename: diskPath(`raw-${mode}.img`, 16 * 1024), block_size: 4096 });
  await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'd.bench', lvs_name: 'lvs.bench', cluster_sz: MIB });
  // A real spdk_tgt may have its transport already (-32603 "Transport type 'TCP' already exists").
  await rpc.call('nvmf_create_transport', { trtype: 'TCP' }).catch((e: unknown) => {
    if (!realSocket) throw e;
  });
  if (mode === 'pipelined') {
    const rounds = Math.min(warmup, count);
    await inLanes(rounds, inFlight, (i) => rawReplica((m, p) => rpc.call(m, p), i, portBase, 'w'));
    await inLanes(rounds, inFlight, async (i) => {
      await rpc.call('nvmf_delete_subsystem', { nqn: rawNqn(i, 'w') });
      await rpc.call('bdev_lvol_delete', { name: `lvs.bench/r.w${i}` });
    });
  }
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await inLanes(count, mode === 'sequential' ? 1 : inFlight, (i) => rawReplica((m, p) => rpc.call(m, p), i, portBase));
  const ms = performance.now() - started;
  if (mode === 'pipelined') {
    const used = process.cpuUsage(cpuBefore);
    rawClientCpuMs = (used.user + used.system) / 1000;
  }
  if (realSocket) await rawCleanup(rpc);
  rpc.close();
  await spdk.stop();
  return ms;
}

const createRequest = (i: number, prefix = 'b') => ({ name: `${prefix}${i}`, diskName: 'bench', sizeBytes: 4 * MIB, hostNqns: [HOST] });

/**
 * The bare grpc-js server's CPU per ReplicaCreate (same protos and server options, a handler that
 * does nothing) under the same client and lanes: what grpc-js, HTTP/2 and protobuf cost on this
 * machine before the service does any work, so the service's own share can be told apart.
 */
async function floor(): Promise<number> {
  const socket = path.join(dir, 'bare.sock');
  const server = spawn(process.execPath, [BARE, '--socket', socket], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(server);
  await waitForSocket(socket, server);
  const clients = createApiClients({ unixSocket: socket });
  let used = 0;
  try {
    const create = (i: number) => unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate(createRequest(i), md, opts, cb), {});
    // The service's listener has answered health checks and DiskCreate before its creates, and
    // the same warm-up as the service's (V8 has compiled the hot paths of both ends).
    await inLanes(10, 1, create);
    await inLanes(warmup, inFlight, (i) => unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate(createRequest(i, 'w'), md, opts, cb), {}));
    const before = cpuMs(server.pid);
    await inLanes(count, inFlight, create);
    used = cpuMs(server.pid) - before;
  } finally {
    clients.close();
    await stopChild(server);
  }
  return used;
}

/** spdk_tgt calls the service has made so far, by method (count, and seconds waited for their answers), from its /metrics. */
async function spdkCalls(url: string): Promise<Map<string, { n: number; s: number }>> {
  const text = await (await fetch(url)).text();
  const calls = new Map<string, { n: number; s: number }>();
  for (const m of text.matchAll(/^spdk_conductor_spdk_rpc_duration_seconds_(count|sum)\{method="([^"]+)"\} ([\d.e+-]+)$/gm)) {
    const entry = calls.get(m[2]!) ?? { n: 0, s: 0 };
    if (m[1] === 'count') entry.n = Number(m[3]);
    else entry.s = Number(m[3]);
    calls.set(m[2]!, entry);
  }
  return calls;
}

interface ApiResult {
  ms: number;
  serveCpuMs: number;
  refused: Map<string, number>;
}

/**
 * serve's stdout (BENCH_SERVE_STDOUT=FILE, e.g. with "--trace-opt --trace-deopt"), opened for
 * appending so that the bench can write a line into it where the measured window starts. V8's
 * tracing goes through C stdio, buffered when not a terminal: for the line to fall where it
 * belongs, run with _STDBUF_O=0 LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so (what stdbuf -o0 sets).
 */
const serveStdout = process.env.BENCH_SERVE_STDOUT;
const heapProfile = process.env.BENCH_HEAP_PROFILE;
const HEAP_SAMPLER = path.join(ROOT, 'dist/scripts/lib/heap-sample-on-signal.js');
const markServeStdout = (line: string) => {
  if (serveStdout !== undefined) fs.appendFileSync(serveStdout, `=== bench: ${line} ===\n`);
};

const metricsPort = (portBase: number) => portBase + count + preload + 20;

/** One reading of what the window's quarters compare: per-thread CPU (schedstat, ns), the state file, the RSS. */
interface QuarterMark {
  threads: Map<number, number>;
  stateWrites: number;
  stateBytes: number;
  rssMib: number;
  /** /proc/PID/io: read and write calls, sockets and files. */
  syscr: number;
  syscw: number;
  /** The main thread's voluntary context switches: about its event loop's waits in epoll. */
  waits: number;
}

function threadRunMs(pid: number): Map<number, number> {
  const run = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number)) {
    const sched = threadSchedMs(pid, tid);
    if (sched) run.set(tid, sched.runMs);
  }
  return run;
}

const totalRunMs = (threads: Map<number, number>) => [...threads.values()].reduce((a, b) => a + b, 0);

async function api(portBase: number): Promise<ApiResult> {
  if (serveStdout !== undefined) fs.writeFileSync(serveStdout, '');
  if (heapProfile) fs.rmSync(heapProfile, { force: true });
  const spdk = await target('api');
  const apiSocket = path.join(dir, 'api.sock');
  const serve = spawn(
    process.execPath,
    [
      // As the image runs it (Dockerfile): the service's CPU per create includes V8's GC threads.
      ...SERVE_NODE_FLAGS,
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      // BENCH_HEAP_PROFILE=FILE: what the measured window allocates, by function (scripts/lib/heap-sample-on-signal.ts).
      ...(heapProfile ? ['--import', HEAP_SAMPLER] : []),
      // Node or V8 flags for serve alone, e.g. "--trace-gc" with BENCH_SERVE_STDOUT=FILE.
      ...(process.env.BENCH_SERVE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      CLI,
      'serve',
      '--spdk-socket',
      spdk.socket,
      '--api-socket',
      apiSocket,
      '--api-tcp',
      'off',
      '--state-file',
      path.join(dir, 'state.json'),
      '--export-port-min',
      String(portBase),
      '--export-port-max',
      String(portBase + count + preload + 10),
      // /metrics: spdk_tgt calls by method, read before and after the creates (outside the CPU window),
      // each scrape waiting for its fresh render: past the default 20 ms a scrape is answered with the
      // last exposition, and the window's calls were then read from a render made before it.
      '--http-address',
      `127.0.0.1:${metricsPort(portBase)}`,
      '--metrics-scrape-wait-ms',
      '0',
    ],
    {
      stdio: ['ignore', serveStdout === undefined ? 'ignore' : fs.openSync(serveStdout, 'a'), 'inherit'],
      env: { ...process.env, ...SERVE_ENV, CONDUCTOR_LOG_LEVEL: process.env.CONDUCTOR_LOG_LEVEL ?? 'warn' },
    },
  );
  children.push(serve);
  await waitForSocket(apiSocket, serve);
  const clients = createApiClients({ unixSocket: apiSocket });
  const refused = new Map<string, number>();
  try {
    const deadline = Date.now() + 90_000;
    let health = '';
    while ((health = await clients.healthCheck('').catch((e: unknown) => String(e))) !== 'SERVING') {
      if (Date.now() > deadline) throw new Error(`the service did not become ready: ${health}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await unaryCall((md, opts, cb) => clients.disks.DiskCreate({ name: 'bench', path: diskPath('api.img', 16 * 1024) }, md, opts, cb), {});
    const metricsUrl = `http://127.0.0.1:${metricsPort(portBase)}/metrics`;
    if (warmup > 0) {
      // The warm-up does what precedes and fills the window: a /metrics scrape first. The service's
      // first scrape moves the exposition's bytes to the health thread (an ArrayBuffer transfer),
      // and V8's first ArrayBuffer detach in a process throws away every optimized function that
      // touches a typed array or Buffer (timers, nextTick, async hooks, streams, protobuf): done
      // inside the window, V8 recompiled ~90 hot functions there, ~0.2 ms per create.
      await spdkCalls(metricsUrl);
      // A service in production is warm: V8 has compiled its hot paths (on its platform threads,
      // ~0.4 ms per create over a fresh process's first 1,000). The warm-up's replicas are deleted
      // before the measured window, so the node holds only the window's own.
      const cpuBefore = cpuMs(serve.pid);
      await inLanes(warmup, inFlight, async (i) => {
        await unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate(createRequest(i, 'w'), md, opts, cb), {});
        await unaryCall((md, opts, cb) => clients.replicas.ReplicaDelete({ name: `w${i}` }, md, opts, cb), {});
      });
      console.log(`warm-up: ${warmup} ReplicaCreate and ReplicaDelete, serve CPU ${((cpuMs(serve.pid) - cpuBefore) / warmup).toFixed(3)} ms per pair (a fresh process: --warmup 0 measures it cold)`);
    }
    if (preload > 0) {
      // --preload N: N exposed replicas made before the window and kept, so the window's creates
      // are made on a node that already holds N (a window at N against one at 0 tells what grows).
      const cpuBefore = cpuMs(serve.pid);
      await inLanes(preload, inFlight, (i) => unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate(createRequest(i, 'p'), md, opts, cb), {}));
      console.log(`preload: ${preload} ReplicaCreate kept, serve CPU ${((cpuMs(serve.pid) - cpuBefore) / preload).toFixed(3)} ms per create`);
    }
    const callsBefore = await spdkCalls(metricsUrl);
    markServeStdout('measured window starts');
    if (heapProfile) serve.kill('SIGURG');
    const windowStartUs = process.hrtime.bigint() / 1000n;
    const started = performance.now();
    const cpuBefore = [process.cpuUsage(), cpuMs(serve.pid), cpuMs(spdk.pid)] as const;
    // The state file's writes (group commits): each ends in a rename over state.json (inotify).
    let stateWrites = 0;
    const stateWatch = fs.watch(dir, (event, name) => {
      if (event === 'rename' && name === 'state.json') stateWrites++;
    });
    const threadsBefore = threadUserSysMs(serve.pid);
    const ioBefore = ioCounters(serve.pid);
    // The service's CPU by quarter of the creates: how a create's cost changes as the node fills.
    const quarters: number[] = [];
    // The same quarters read finer: each thread's time on a CPU (schedstat, ns; /proc/PID/stat
    // counts 10 ms ticks, 0.04 ms per create over 250), the state file's writes and size, the RSS.
    const statePath = path.join(dir, 'state.json');
    const mark = (): QuarterMark => ({
      threads: threadRunMs(serve.pid!),
      stateWrites,
      stateBytes: fs.statSync(statePath, { throwIfNoEntry: false })?.size ?? 0,
      rssMib: Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${serve.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
      syscr: ioCounters(serve.pid)?.syscr ?? 0,
      syscw: ioCounters(serve.pid)?.syscw ?? 0,
      waits: Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${serve.pid}/task/${serve.pid}/status`, 'utf8'))?.[1] ?? 0),
    });
    const fineMarks: QuarterMark[] = [mark()];
    // Each create's time from the client's call to its answer: set beside the spdk_tgt calls' means
    // below, what a create waits for besides spdk_tgt (gRPC, the state file, the event loops).
    const latencies: number[] = [];
    // A quarter ends when the creates answered reach a quarter of the count less half the lanes:
    // then as many creates have been started past that point as are still unanswered before it, and
    // with the lanes full each has about half its work done, so each quarter carries about a
    // quarter's work. Marked at the start of every count/4th create instead (as before), the first
    // quarter held ~count/4 - inFlight/2 creates' work (64 start at once) and the last ~count/4 +
    // inFlight/2: 0.87 and 1.13 of a quarter at 1,000 and 64 in flight, the last 1.3x the first
    // from where the marks fall alone.
    const quarterEnds = [1, 2, 3].map((q) => Math.max(1, Math.round((q * count) / 4 - inFlight / 2)));
    let answered = 0;
    const startMarks: number[] = [];
    await inLanes(count, inFlight, async (i) => {
      if (i > 0 && i % Math.ceil(count / 4) === 0) startMarks.push(totalRunMs(threadRunMs(serve.pid!)));
      const t0 = performance.now();
      await unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate(createRequest(i), md, opts, cb), {}).catch((e: { metadata?: { get(key: string): unknown[] }; message?: string }) => {
        const code = String(e.metadata?.get('conductor-error-code')[0] ?? e.message);
        refused.set(code, (refused.get(code) ?? 0) + 1);
      });
      latencies.push(performance.now() - t0);
      if (quarterEnds.includes(++answered)) {
        quarters.push(cpuMs(serve.pid));
        fineMarks.push(mark());
      }
    });
    const ms = performance.now() - started;
    fineMarks.push(mark());
    stateWatch.close();
    markServeStdout('measured window ends');
    if (heapProfile) serve.kill('SIGURG');
    // CLOCK_MONOTONIC in µs, the clock of a .cpuprofile's startTime and samples: the window's
    // samples can be told apart from the warm-up's.
    if (process.env.BENCH_PROFILE) console.log(`measured window (CLOCK_MONOTONIC µs): ${windowStartUs} to ${process.hrtime.bigint() / 1000n}`);
    const client = process.cpuUsage(cpuBefore[0]);
    const serveCpuMs = cpuMs(serve.pid) - cpuBefore[1];
    const sim = spdk.pid === undefined ? '' : `, simulator ${Math.round(cpuMs(spdk.pid) - cpuBefore[2])} ms`;
    console.log(
      `API phase CPU: benchmark client ${Math.round((client.user + client.system) / 1000)} ms, serve ${Math.round(serveCpuMs)} ms${sim}, wall ${Math.round(ms)} ms (load average ${os.loadavg()[0]!.toFixed(1)})`,
    );
    console.log(`serve CPU by thread, user+system (ms): ${threadUserSysDelta(threadsBefore, threadUserSysMs(serve.pid))}`);
    // Files and sockets alike (the state file's writes, gRPC answers, spdk_tgt requests); the file's
    // size at the end is what each of its writes (one per group commit) rewrites.
    const ioAfter = ioCounters(serve.pid);
    if (ioBefore && ioAfter) {
      const per = (key: string) => ((ioAfter[key]! - ioBefore[key]!) / count).toFixed(1);
      const stateBytes = fs.statSync(path.join(dir, 'state.json'), { throwIfNoEntry: false })?.size ?? 0;
      console.log(
        `serve I/O per create: ${per('wchar')} bytes in ${per('syscw')} write calls, ${per('rchar')} bytes in ${per('syscr')} read calls; state file at the end ${(stateBytes / 1024).toFixed(0)} KiB, written ${stateWrites} times (${(count / Math.max(1, stateWrites)).toFixed(1)} creates per write)`,
      );
    }
    const marks = [cpuBefore[1], ...quarters, cpuBefore[1] + serveCpuMs];
    const perQuarter = marks.slice(1).map((ms, q) => ((ms - marks[q]!) / (count / 4)).toFixed(3));
    console.log(`serve CPU per create by quarter of the creates (ms): ${perQuarter.join(', ')}`);
    printQuarters(serve.pid!, fineMarks, count / 4);
    const sum = (m: QuarterMark) => totalRunMs(m.threads);
    const byStart = [sum(fineMarks[0]!), ...startMarks, sum(fineMarks.at(-1)!)];
    console.log(
      `  all threads, quarters marked at the start of each count/4th create (the old marks): ${byStart
        .slice(1)
        .map((ms, q) => ((ms - byStart[q]!) / (count / 4)).toFixed(3))
        .join(' ')}`,
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(0);
    console.log(`ReplicaCreate latency at the client (ms): p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}`);
    const callsAfter = await spdkCalls(metricsUrl);
    const perMethod = [...callsAfter]
      .map(([method, { n, s }]) => [method, n - (callsBefore.get(method)?.n ?? 0), s - (callsBefore.get(method)?.s ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    const allCalls = perMethod.reduce((sum, [, n]) => sum + n, 0);
    // The sampler's and monitor's calls are in it too: the figure is per create over the window.
    // The mean is from the call to its answer as the service saw it (spdk_tgt, the socket, and the
    // service's own event loop until it read the answer).
    console.log(
      `spdk_tgt calls during the creates: ${(allCalls / count).toFixed(2)} per create (method: calls, mean ms) ${perMethod.map(([m, n, s]) => `${m}: ${n}, ${((s * 1000) / n).toFixed(1)}`).join('; ')}`,
    );
    if (realSocket) {
      await inLanes(count, inFlight, (i) => unaryCall((md, opts, cb) => clients.replicas.ReplicaDelete({ name: `b${i}` }, md, opts, cb), {}).catch(() => undefined));
      await unaryCall((md, opts, cb) => clients.disks.DiskDelete({ name: 'bench' }, md, opts, cb), {});
    }
    if (heapProfile) {
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(heapProfile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      console.log(`heap profile of the measured window: ${heapProfile}`);
    }
    return { ms, serveCpuMs, refused };
  } finally {
    clients.close();
    await stopChild(serve);
    await spdk.stop();
  }
}

/**
 * Per quarter of the window, per create: the main thread's CPU, the other threads' by kind, the
 * state file's writes and its size at the quarter's end, the RSS. Node names every thread `node`;
 * V8's platform workers start right after the main thread (the four lowest ids), libuv's pool with
 * the first file operation (the state file's), the health worker and its helpers in between:
 * threads other than main are printed by id, the busiest first.
 */
function printQuarters(pid: number, marks: QuarterMark[], perQuarter: number): void {
  const delta = (q: number, tid: number) => (marks[q + 1]!.threads.get(tid) ?? 0) - (marks[q]!.threads.get(tid) ?? 0);
  const quarters = marks.length - 1;
  const tids = [...marks.at(-1)!.threads.keys()].filter((tid) => tid !== pid);
  const busy = tids
    .map((tid) => [tid, Array.from({ length: quarters }, (_, q) => delta(q, tid))] as const)
    .filter(([, per]) => per.reduce((a, b) => a + b, 0) >= 1)
    .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0));
  const row = (per: number[]) => per.map((ms) => (ms / perQuarter).toFixed(3)).join(' ');
  console.log(`by quarter, ms per create (schedstat): main ${row(Array.from({ length: quarters }, (_, q) => delta(q, pid)))}`);
  console.log(`  other threads: ${busy.map(([tid, per]) => `${tid}: ${row(per)}`).join('; ')}`);
  const total = Array.from({ length: quarters }, (_, q) => [pid, ...tids].reduce((sum, tid) => sum + delta(q, tid), 0));
  console.log(`  all threads ${row(total)}`);
  console.log(
    `  state file writes ${marks
      .slice(1)
      .map((m, q) => m.stateWrites - marks[q]!.stateWrites)
      .join(' ')}, KiB at the quarter's end ${marks
      .slice(1)
      .map((m) => (m.stateBytes / 1024).toFixed(0))
      .join(' ')}; RSS MiB ${marks.map((m) => m.rssMib.toFixed(0)).join(' ')}`,
  );
  const per = (key: 'syscr' | 'syscw' | 'waits') =>
    marks
      .slice(1)
      .map((m, q) => ((m[key] - marks[q]![key]) / perQuarter).toFixed(2))
      .join(' ');
  console.log(`  per create: read calls ${per('syscr')}, write calls ${per('syscw')}, the main thread's waits (voluntary switches) ${per('waits')}`);
}

// Each phase on its own ports, all below the kernel's ephemeral range (32768+), where any
// outgoing connection on the machine may hold a port and make a listen fail.
// --api-only: the service's figures (CPU per create, refusals, throughput) without the raw phases.
const pipelined = values['api-only'] ? undefined : await raw('pipelined', 24000);
const bare = await floor();
const viaApi = await api(26000);
const sequential = !values['api-only'] && (!realSocket || values.sequential) ? await raw('sequential', 28500) : undefined;
const on = realSocket ? `spdk_tgt at ${realSocket}` : 'the simulator';
const created = count - [...viaApi.refused.values()].reduce((a, b) => a + b, 0);
console.log(`${count} exposed replicas (5 spdk_tgt calls each) on ${on}, ${inFlight} in flight`);
if (sequential !== undefined) console.log(`raw sequential   ${(sequential / 1000).toFixed(2)} s`);
if (pipelined !== undefined) console.log(`raw pipelined    ${(pipelined / 1000).toFixed(2)} s`);
console.log(`API (gRPC)       ${(viaApi.ms / 1000).toFixed(2)} s (${Math.round((created * 1000) / viaApi.ms)} creates/s)`);
if (pipelined !== undefined) console.log(`API / raw pipelined: ${(viaApi.ms / pipelined).toFixed(2)}× (target ≤ 1.30×)`);
const perCreate = viaApi.serveCpuMs / Math.max(1, created);
const perBare = bare / count;
console.log(`service CPU per ReplicaCreate: ${perCreate.toFixed(3)} ms (target ≤ 0.300 ms)`);
console.log(`bare grpc-js server, same protos, empty handler: ${perBare.toFixed(3)} ms per call; the service's own share: ${(perCreate - perBare).toFixed(3)} ms`);
if (rawClientCpuMs !== undefined) {
  const perRaw = rawClientCpuMs / count;
  console.log(`raw pipelined client, warm: ${perRaw.toFixed(3)} ms of CPU per replica; with the bare server, the floor of a create's CPU here: ${(perBare + perRaw).toFixed(3)} ms`);
}
console.log(`refused: ${viaApi.refused.size === 0 ? 'none' : [...viaApi.refused].map(([code, n]) => `${n} ${code}`).join(', ')}`);
await started?.stop();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
