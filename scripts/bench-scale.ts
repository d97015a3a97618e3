/**
 * One node at scale, and how its probes fare: a simulator and `serve` as separate processes,
 * N replicas (some exported) and M engines (two local members each) built 64 at a time, then
 * churn (replica create+delete, unexpose+expose, snapshot create+delete, an engine member removed
 * and a fresh one added), while probers, each its own process, ask for liveness every 100 ms:
 *   - grpc-kept:   the health worker's grpc.health.v1 over TCP on one kept HTTP/2 connection;
 *   - http-fresh:  the health worker's HTTP /livez, a new TCP connection per probe (as kubelet httpGet);
 *   - api-kept:    the API server's own grpc.health.v1 (answered on the main loop), for comparison;
 *   - grpc-kept/shared: grpc-kept again, but in the benchmark's own session.
 * The others run in sessions of their own: kubelet probes from its own cgroup, not the pod's, and
 * with the kernel's sched_autogroup a session is a scheduling group, so they compete with the
 * service as kubelet does, group against group; /shared competes thread for thread with the
 * service, the simulator and the client, as an exec probe inside the pod would.
 * The probers are small on purpose, as kubelet's are (why, and what a heavier one costs:
 * lib/liveness-probers.ts).
 * `--compare-probers` runs the grpc-js (grpc-js-kept) and node:http (node-http-fresh) ones beside them.
 * Per phase (build, idle, churn, idle, cycles, idle) it prints each prober's p50/p99/max and
 * failures (no answer within 4 s, an error, or not SERVING), the main loop's delay (the worst 10 s
 * window's p99 and max, from /readyz?verbose), operation throughput and refusals, the service's
 * CPU per thread and its main thread's time runnable but waiting for a core (schedstat: on a loaded
 * machine that wait, not the loop's work, is most of the delay), RSS (at the phase's peak by kind: lib/rss-kinds.ts) and open fds, the /metrics scrape and the machine's load average. /metrics is scraped every
 * 5 s by a process of its own, as a Prometheus server would ("scrape/5 s", p50/p99/max per phase),
 * and once more at each phase's end by the benchmark (time and size; that one also waits for the
 * benchmark's own busy loop). Around the cycles phase (exported replicas created and deleted, `--cycles` of them) the
 * service's memory at rest is read after a full GC (scripts/lib/gc-on-signal.ts, preloaded with
 * --expose-gc), so that growth is retention, not garbage; `--heap-snapshots` writes a heap
 * snapshot at each of those two points too. `--serve-node-args` passes flags to the service's node
 * (with "=": --serve-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"), `--serve-env NAME=VALUE` (repeatable) sets its
 * environment over the image's (e.g. MALLOC_ARENA_MAX=1); `--serve-log FILE` keeps its log (with
 * CONDUCTOR_LOOP_TRACE=1 in the environment: the slow main-loop tasks).
 *
 *   npm run bench:scale -- [--replicas 3000] [--exported 2000] [--engines 500] [--churn-seconds 120] [--idle-seconds 20] [--cycles 10000] [--inflight 64]
 *                          [--export-ports 61000-64999] [--compare-probers] [--heap-snapshots] [--serve-node-args=...] [--serve-env NAME=VALUE] [--serve-log FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, unaryCall } from '../src/api/client.js';
import { cpuMs, threadCpuDelta, threadCpuMs, threadSchedMs } from './lib/proc-stats.js';
import { formatRssKinds, rssKinds, type RssKinds } from './lib/rss-kinds.js';
import { inLanes } from './lib/raw-rpc.js';
import { SERVE_ENV, SERVE_NODE_FLAGS } from './lib/serve-node-flags.js';
import { runProber, type ProbeRecord } from './lib/liveness-probers.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/bin.js');
const SELF = fileURLToPath(import.meta.url);
const GC_PRELOAD = path.join(path.dirname(SELF), 'lib/gc-on-signal.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001';
const MIB = 1024 * 1024;
const REPLICA_BYTES = 4 * MIB;

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3000' },
    exported: { type: 'string', default: '2000' },
    engines: { type: 'string', default: '500' },
    'churn-seconds': { type: 'string', default: '120' },
    'idle-seconds': { type: 'string', default: '20' },
    inflight: { type: 'string', default: '64' },
    prober: { type: 'string' },
    target: { type: 'string' },
    'serve-log': { type: 'string' },
    'serve-node-args': { type: 'string', default: '' },
    'serve-env': { type: 'string', multiple: true, default: [] },
    cycles: { type: 'string', default: '10000' },
    'heap-snapshots': { type: 'boolean', default: false },
    'compare-probers': { type: 'boolean', default: false },
    // The simulator listens on the ports it exports: two benchmarks at once need ranges of their own.
    // The default is above Linux's ephemeral range (32768-60999) and the tests' port slots
    // (test/helpers/ports.ts, 10000-31999), so a benchmark beside the tests takes none of theirs.
    'export-ports': { type: 'string', default: '61000-64999' },
  },
});

if (values.prober) await runProber(values.prober, values.target!);
else await bench();

interface Phase {
  name: string;
  start: number;
  end: number;
  ops: number;
  refused: number;
  failed: number;
  errors: Map<string, number>;
  /** The first message of each error code, to tell what failed. */
  firstErrors: Map<string, string>;
  peakRssMib: number;
  /** Where the RSS was (smaps) at the phase's highest sample. */
  peakKinds?: RssKinds;
  peakFds: number;
  /** The service's CPU time (all its threads) when the phase began, ms. */
  cpuStartMs: number;
  /** And per thread. */
  threadsStartMs: Map<string, number>;
  mainSchedStart: ReturnType<typeof threadSchedMs>;
}

async function bench(): Promise<void> {
  const replicas = Number(values.replicas);
  const exported = Math.min(replicas, Number(values.exported));
  const engines = Math.min(Number(values.engines), Math.floor((replicas - exported) / 2));
  const churnMs = Number(values['churn-seconds']) * 1000;
  const idleMs = Number(values['idle-seconds']) * 1000;
  const inFlight = Number(values.inflight);
  const cycles = Number(values.cycles);
  const [portMin, portMax] = values['export-ports'].split('-').map(Number);
  const exportPorts = { min: portMin!, max: portMax! };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const children: ChildProcess[] = [];
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });

  const simSocket = path.join(dir, 'sim.sock');
  const sim = spawn(process.execPath, [SIM, '--socket', simSocket, '--name', 'scale', '--quiet', '--mem-dump', path.join(dir, 'mem-dump.txt'), '--max-subsystems', String(exported + engines + 1000)], {
    stdio: 'ignore',
  });
  children.push(sim);
  await waitForFile(simSocket, sim);

  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const apiSocket = path.join(dir, 'api.sock');
  const disk = path.join(dir, 'disk.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, Math.max(64 * 1024, replicas * 8) * MIB);
  const spawnedAt = Date.now();
  const gcReport = path.join(dir, 'gc.jsonl');
  const serve = spawn(
    process.execPath,
    [
      // As the image runs it (Dockerfile).
      ...SERVE_NODE_FLAGS,
      ...values['serve-node-args'].split(' ').filter(Boolean),
      '--expose-gc',
      '--import',
      GC_PRELOAD,
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
      // Below the tests' ports (20000-31999) and the kernel's ephemeral range by default.
      '--export-port-min',
      String(exportPorts.min),
      '--export-port-max',
      String(exportPorts.max),
      '--http-address',
      `127.0.0.1:${httpPort}`,
      '--health-grpc-address',
      `127.0.0.1:${grpcPort}`,
      '--disk-allowed-prefixes',
      dir,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        CONDUCTOR_LOG_LEVEL: process.env.CONDUCTOR_LOG_LEVEL ?? 'warn',
        ...SERVE_ENV,
        ...Object.fromEntries(values['serve-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
        BENCH_GC_REPORT: gcReport,
        ...(values['heap-snapshots'] ? { BENCH_HEAP_SNAPSHOT_DIR: process.cwd() } : {}),
      },
    },
  );
  children.push(serve);
  if (values['serve-log']) serve.stdout!.pipe(fs.createWriteStream(values['serve-log']));
  else serve.stdout!.resume();
  const firstAnswerMs = await firstAnswer(httpPort, spawnedAt, serve);
  await waitForFile(apiSocket, serve);
  const api = createApiClients({ unixSocket: apiSocket });
  await until('the service ready', async () => (await api.healthCheck('', { deadlineMs: 2000 }).catch(() => '')) === 'SERVING', 60_000);
  const readyMs = Date.now() - spawnedAt;
  const start = await startWindow(httpPort);

  // Each prober row: what it runs, against what, and whether it runs in its own session. kubelet
  // probes from its own cgroup, never from the pod's, so the kubelet-like probers run in a session
  // of their own: with the kernel's sched_autogroup that is a scheduling group of their own, as
  // kubelet's cgroup is. One more gRPC prober stays in the benchmark's group, beside the service,
  // the simulator and the client, for the figure a probe gets when it competes with them thread
  // for thread (an exec probe inside the pod would).
  const grpcTarget = `127.0.0.1:${grpcPort}`;
  const httpTarget = `127.0.0.1:${httpPort}`;
  const rows: Array<{ label: string; mode: string; target: string; ownGroup: boolean }> = [
    { label: 'grpc-kept', mode: 'grpc-kept', target: grpcTarget, ownGroup: true },
    { label: 'http-fresh', mode: 'http-fresh', target: httpTarget, ownGroup: true },
    { label: 'api-kept', mode: 'api-kept', target: apiSocket, ownGroup: true },
    { label: 'grpc-kept/shared', mode: 'grpc-kept', target: grpcTarget, ownGroup: false },
    // A Prometheus server scrapes from its own process (and node); the scrape the benchmark
    // itself makes at each phase's end waits for the benchmark's own busy loop as well.
    { label: 'scrape/5 s', mode: 'metrics-scrape', target: httpTarget, ownGroup: true },
  ];
  if (values['compare-probers']) {
    rows.push({ label: 'grpc-js-kept', mode: 'grpc-js-kept', target: grpcTarget, ownGroup: true }, { label: 'node-http-fresh', mode: 'node-http-fresh', target: httpTarget, ownGroup: true });
  }
  const probes: Record<string, ProbeRecord[]> = {};
  for (const row of rows) {
    const records: ProbeRecord[] = [];
    probes[row.label] = records;
    const child = spawn(process.execPath, [SELF, '--prober', row.mode, '--target', row.target], { stdio: ['ignore', 'pipe', 'inherit'], detached: row.ownGroup });
    children.push(child);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => records.push(JSON.parse(line) as ProbeRecord));
  }
  await until('every prober answering', () => Object.values(probes).every((r) => r.some((p) => p.ok)), 30_000);

  const windows = new Map<string, { end: number; p99Ms: number; maxMs: number }>();
  const phases: Phase[] = [];
  let phase: Phase | undefined;
  const sampler = setInterval(() => {
    void getText(httpPort, '/readyz?verbose').then(
      ({ body }) => {
        const delay = (JSON.parse(body) as { eventLoopDelay?: { p99Ms: number; maxMs: number; windowEnd: string } | null }).eventLoopDelay;
        if (delay) windows.set(delay.windowEnd, { end: Date.parse(delay.windowEnd), p99Ms: delay.p99Ms, maxMs: delay.maxMs });
      },
      () => undefined,
    );
    if (phase) {
      const { rssMib, fds } = usage(serve.pid!);
      if (rssMib > phase.peakRssMib) phase.peakKinds = rssKinds(serve.pid!) ?? phase.peakKinds;
      phase.peakRssMib = Math.max(phase.peakRssMib, rssMib);
      phase.peakFds = Math.max(phase.peakFds, fds);
    }
  }, 1000);
  const begin = (name: string): Phase => {
    phase = {
      name,
      start: Date.now(),
      end: 0,
      ops: 0,
      refused: 0,
      failed: 0,
      errors: new Map(),
      firstErrors: new Map(),
      peakRssMib: 0,
      peakFds: 0,
      cpuStartMs: cpuMs(serve.pid),
      threadsStartMs: threadCpuMs(serve.pid),
      mainSchedStart: threadSchedMs(serve.pid),
    };
    phases.push(phase);
    return phase;
  };
  const call = async (p: Phase, what: () => Promise<unknown>): Promise<boolean> => {
    try {
      await what();
      p.ops++;
      return true;
    } catch (err) {
      const code = String((err as { metadata?: { get(k: string): unknown[] } }).metadata?.get('conductor-error-code')[0] ?? (err as Error).message.slice(0, 60));
      if (/RESOURCE_EXHAUSTED|NO_SPACE|NO_MEMORY|LIMIT/.test(code)) p.refused++;
      else p.failed++;
      p.errors.set(code, (p.errors.get(code) ?? 0) + 1);
      if (!p.firstErrors.has(code)) p.firstErrors.set(code, (err as Error).message.slice(0, 300));
      return false;
    }
  };
  const end = async (p: Phase): Promise<void> => {
    p.end = Date.now();
    phase = undefined;
    await report(p);
  };
  const report = async (p: Phase): Promise<void> => {
    const secs = (p.end - p.start) / 1000;
    console.log(
      `\n== ${p.name}: ${secs.toFixed(1)} s, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (${os.cpus().length} CPUs)`,
    );
    for (const [mode, records] of Object.entries(probes)) {
      const inPhase = records.filter((r) => r.at >= p.start && r.at < p.end);
      const ms = inPhase.map((r) => r.ms).sort((a, b) => a - b);
      const failed = inPhase.filter((r) => !r.ok).length;
      console.log(`  probe ${mode.padEnd(17)} n=${String(inPhase.length).padStart(5)}  p50 ${fmt(pct(ms, 50))}  p99 ${fmt(pct(ms, 99))}  max ${fmt(ms.at(-1))}  failures ${failed}`);
      const peak = inPhase.filter((r) => r.mem?.process_resident_memory !== undefined).sort((a, b) => b.mem!.process_resident_memory! - a.mem!.process_resident_memory!)[0];
      if (peak)
        console.log(
          `    memory at the scrape with the most RSS, MiB: ${Object.entries(peak.mem!)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
      const aged = inPhase.filter((r) => r.ageSec !== undefined);
      if (aged.length > 0) {
        // Stale: answered with the last exposition past metrics.scrapeWaitMs (the count grew since the scrape before).
        const before = records.filter((r) => r.at < p.start && r.staleTotal !== undefined).at(-1)?.staleTotal ?? 0;
        const stale = (aged.at(-1)!.staleTotal ?? 0) - before;
        const ages = aged.map((r) => r.ageSec! * 1000).sort((a, b) => a - b);
        console.log(`    exposition age at the answer: p50 ${fmt(pct(ages, 50))}  max ${fmt(ages.at(-1))}; stale answers in the phase (any scraper, the benchmark's own included): ${stale}`);
      }
    }
    const ended = [...windows.values()].filter((w) => w.end > p.start && w.end <= p.end + 1000);
    console.log(
      ended.length === 0
        ? '  main-loop delay: no 10 s window ended in this phase'
        : `  main-loop delay (${ended.length} windows of 10 s): worst p99 ${fmt(Math.max(...ended.map((w) => w.p99Ms)))}  max ${fmt(Math.max(...ended.map((w) => w.maxMs)))}`,
    );
    if (p.ops + p.refused + p.failed > 0) {
      const errors = [...p.errors].map(([code, n]) => `${code} ×${n}`).join(', ');
      console.log(`  operations: ${p.ops} ok (${(p.ops / secs).toFixed(1)}/s), ${p.refused} refused, ${p.failed} failed${errors ? ` [${errors}]` : ''}`);
      for (const [code, message] of p.firstErrors) console.log(`    first ${code}: ${message}`);
    }
    // CPU time: what load inflates least, unlike the wall-clock figures above.
    const cpu = cpuMs(serve.pid) - p.cpuStartMs;
    console.log(`  service CPU: ${Math.round(cpu)} ms (${((100 * cpu) / (p.end - p.start)).toFixed(0)}% of one core)${p.ops > 0 ? `, ${(cpu / p.ops).toFixed(2)} ms per operation` : ''}`);
    console.log(`    by thread, ms: ${threadCpuDelta(p.threadsStartMs, threadCpuMs(serve.pid))}`);
    // The main thread's time runnable but without a core: what the machine's load adds to the loop's delay.
    const sched = threadSchedMs(serve.pid);
    if (sched && p.mainSchedStart) {
      const run = sched.runMs - p.mainSchedStart.runMs;
      const wait = sched.waitMs - p.mainSchedStart.waitMs;
      const slices = sched.slices - p.mainSchedStart.slices;
      console.log(
        `    main thread (schedstat): ${Math.round(run)} ms on a core, ${Math.round(wait)} ms runnable waiting for one (${slices > 0 ? (wait / slices).toFixed(2) : '0'} ms per turn, ${slices} turns on a core)`,
      );
    }
    const { rssMib, fds } = usage(serve.pid!);
    console.log(`  service: RSS ${rssMib.toFixed(0)} MiB (peak in phase ${Math.max(p.peakRssMib, rssMib).toFixed(0)}), open fds ${fds} (peak ${Math.max(p.peakFds, fds)})`);
    if (p.peakKinds) console.log(`    at the peak (${p.peakRssMib.toFixed(0)} MiB): ${formatRssKinds(p.peakKinds)}`);
    const t = performance.now();
    const metrics = await getText(httpPort, '/metrics').catch((err: Error) => ({ status: 0, body: err.message }));
    const scrapeMs = performance.now() - t;
    console.log(
      metrics.status === 200
        ? `  /metrics at the phase's end, from the benchmark's own loop: ${fmt(scrapeMs)}, ${(Buffer.byteLength(metrics.body) / 1024).toFixed(0)} KiB`
        : `  /metrics: ${metrics.status} ${metrics.body.trim().slice(0, 80)} (${fmt(scrapeMs)})`,
    );
    // Rebuilds the churn's member adds queued keep the service busy after it: an idle phase is idle for the API only.
    const rebuilds = (state: string): string => new RegExp(`^spdk_conductor_rebuilds\\{state="${state}"\\} (\\d+)$`, 'm').exec(metrics.body)?.[1] ?? '?';
    if (metrics.status === 200) console.log(`  rebuilds at the phase's end: ${rebuilds('queued')} queued, ${rebuilds('rebuilding')} rebuilding`);
  };

  console.log(`bench:scale: ${replicas} replicas (${exported} exported), ${engines} engines of 2 local members, ${inFlight} in flight`);
  console.log(`probers in their own session (kubelet's own cgroup), one (/shared) in the benchmark's; sched_autogroup ${autogroup()}`);
  console.log(`first /livez answer ${firstAnswerMs} ms after spawning serve (from outside: includes node's own start)`);
  // The start's loop delay is not the build's: serve ends its window when it is first ready.
  console.log(
    `start: ready ${readyMs} ms after spawning serve; main loop until then (${fmt(start.windowMs)}): delay p99 ${fmt(start.p99Ms)}, max ${fmt(start.maxMs)} (loading the service's modules and starting the API, before it listens)`,
  );

  // Build.
  const build = begin('build');
  await unaryCall((md, opts, cb) => api.disks.DiskCreate({ name: 'bench', path: disk }, md, opts, cb), {});
  const buildStart = performance.now();
  await inLanes(replicas, inFlight, (i) =>
    call(build, () => unaryCall((md, opts, cb) => api.replicas.ReplicaCreate({ name: `r${i}`, diskName: 'bench', sizeBytes: REPLICA_BYTES, hostNqns: i < exported ? [HOST] : [] }, md, opts, cb), {})),
  );
  const replicaSecs = (performance.now() - buildStart) / 1000;
  const engineStart = performance.now();
  const member = (i: number) => ({ local: { name: `r${i}` } });
  await inLanes(engines, inFlight, (k) =>
    call(build, () =>
      unaryCall(
        (md, opts, cb) =>
          api.engines.EngineCreate(
            { name: `e${k}`, sizeBytes: REPLICA_BYTES, replicas: [member(exported + 2 * k), member(exported + 2 * k + 1)], frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] },
            md,
            opts,
            cb,
          ),
        {},
      ),
    ),
  );
  const engineSecs = (performance.now() - engineStart) / 1000;
  console.log(
    `build: ${replicas} ReplicaCreate in ${replicaSecs.toFixed(1)} s (${(replicas / replicaSecs).toFixed(0)}/s), ${engines} EngineCreate in ${engineSecs.toFixed(1)} s (${(engines / engineSecs).toFixed(0)}/s)`,
  );
  await end(build);

  const idle = async (name: string): Promise<void> => {
    const p = begin(name);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    await end(p);
  };
  await idle('idle after build');

  // Churn: each lane owns its objects (lane L: exported replicas i ≡ L, engines k ≡ L mod inFlight), so no two lanes touch one.
  const churn = begin('churn');
  const stopAt = Date.now() + churnMs;
  let serial = 0;
  const members = new Map<number, string[]>();
  for (let k = 0; k < engines; k++) members.set(k, [`r${exported + 2 * k}`, `r${exported + 2 * k + 1}`]);
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      let turn = 0;
      while (Date.now() < stopAt) {
        const n = ++serial;
        const kind = turn++ % 4;
        const mine = <T>(count: number, of: (i: number) => T): T | undefined => {
          const slots = Math.floor((count - 1 - lane) / inFlight) + 1;
          return slots > 0 ? of(lane + inFlight * (n % slots)) : undefined;
        };
        if (kind === 0) {
          const name = `c${n}`;
          if (await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaCreate({ name, diskName: 'bench', sizeBytes: REPLICA_BYTES, hostNqns: [HOST] }, md, opts, cb), {}))) {
            await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaDelete({ name }, md, opts, cb), {}));
          }
        } else if (kind === 1) {
          const name = mine(exported, (i) => `r${i}`);
          if (!name) continue;
          await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaUnexpose({ name }, md, opts, cb), {}));
          await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaExpose({ name, hostNqns: [HOST] }, md, opts, cb), {}));
        } else if (kind === 2) {
          const replicaName = mine(exported, (i) => `r${i}`);
          if (!replicaName) continue;
          const name = `s${n}`;
          if (await call(churn, () => unaryCall((md, opts, cb) => api.snapshots.SnapshotCreate({ replicaName, name }, md, opts, cb), {}))) {
            await call(churn, () => unaryCall((md, opts, cb) => api.snapshots.SnapshotDelete({ replicaName, name }, md, opts, cb), {}));
          }
        } else {
          const k = mine(engines, (i) => i);
          if (k === undefined) continue;
          // The first member stays (the healthy source); the second, the last one added, goes.
          // A member already out (its remove answered, a later step failed) is not removed again.
          const [keep, old] = members.get(k)!;
          const fresh = `m${n}`;
          if (old !== undefined) {
            if (!(await call(churn, () => unaryCall((md, opts, cb) => api.engines.EngineReplicaRemove({ name: `e${k}`, replicaName: old }, md, opts, cb), {})))) continue;
            members.set(k, [keep!]);
            await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaDelete({ name: old, force: true }, md, opts, cb), {}));
          }
          if (!(await call(churn, () => unaryCall((md, opts, cb) => api.replicas.ReplicaCreate({ name: fresh, diskName: 'bench', sizeBytes: REPLICA_BYTES }, md, opts, cb), {})))) continue;
          if (await call(churn, () => unaryCall((md, opts, cb) => api.engines.EngineReplicaAdd({ name: `e${k}`, replica: { local: { name: fresh } } }, md, opts, cb), {}))) {
            members.set(k, [keep!, fresh]);
          }
        }
      }
    }),
  );
  await end(churn);
  await idle('idle after churn');

  // Cycles: exported replicas created and deleted, memory at rest (after a full GC) before and after.
  const atRest = async (label: string): Promise<MemoryAtRest> => {
    const seen = fs.existsSync(gcReport) ? fs.readFileSync(gcReport, 'utf8').split('\n').filter(Boolean).length : 0;
    process.kill(serve.pid!, 'SIGWINCH');
    let line: string | undefined;
    await until(
      'the service to report its memory after a GC',
      () => (line = fs.existsSync(gcReport) ? fs.readFileSync(gcReport, 'utf8').split('\n').filter(Boolean)[seen] : undefined) !== undefined,
      120_000,
    );
    const m = JSON.parse(line!) as MemoryAtRest;
    // V8 and malloc give pages back after the collection, not in it: the RSS that stays is read later.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    m.rss = usage(serve.pid!).rssMib * MIB;
    console.log(
      `\nmemory at rest ${label} (3 s after a full GC): RSS ${mib(m.rss)}, heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)} (array buffers ${mib(m.arrayBuffers)}), open fds ${usage(serve.pid!).fds}${m.snapshot ? `; heap snapshot ${m.snapshot}` : ''}`,
    );
    console.log(
      `  V8 spaces (committed): ${Object.entries(m.spaces)
        .map(([space, bytes]) => `${space} ${mib(bytes)}`)
        .join(', ')}`,
    );
    console.log(`  RSS by kind: ${formatRssKinds(rssKinds(serve.pid!))}`);
    return m;
  };
  if (cycles > 0) {
    const before = await atRest('before the cycles');
    const cyc = begin(`cycles (${cycles} exported replicas created and deleted)`);
    await inLanes(cycles, inFlight, async (i) => {
      const name = `y${i}`;
      if (await call(cyc, () => unaryCall((md, opts, cb) => api.replicas.ReplicaCreate({ name, diskName: 'bench', sizeBytes: REPLICA_BYTES, hostNqns: [HOST] }, md, opts, cb), {}))) {
        await call(cyc, () => unaryCall((md, opts, cb) => api.replicas.ReplicaDelete({ name }, md, opts, cb), {}));
      }
    });
    await end(cyc);
    await idle('idle after cycles');
    const after = await atRest('after the cycles');
    const growth = (a: number, b: number): string => `${(((b - a) / a) * 100).toFixed(1)}%`;
    console.log(
      `growth at rest over ${cycles} cycles: RSS ${growth(before.rss, after.rss)} (${mib(after.rss - before.rss)}), heap used ${growth(before.heapUsed, after.heapUsed)} (${mib(after.heapUsed - before.heapUsed)})`,
    );
  }

  clearInterval(sampler);
  api.close();
  // Wait for each child to end before removing their directory: serve writes its state (and a
  // --cpu-prof profile) as it stops, and the exit hook's SIGKILL would cut that short.
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve).kill('SIGTERM')))));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

/** process.memoryUsage() of the service after a full GC (scripts/lib/gc-on-signal.ts). */
interface MemoryAtRest extends NodeJS.MemoryUsage {
  spaces: Record<string, number>;
  snapshot?: string;
}

/** Whether the kernel groups each session's threads for the scheduler (a new session then competes as one group). */
function autogroup(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1' ? 'on' : 'off (own sessions then share the CPU thread for thread)';
  } catch {
    return 'unknown';
  }
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

function pct(sorted: number[], p: number): number | undefined {
  return sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms.toFixed(1)} ms`;
}

function usage(pid: number): { rssMib: number; fds: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMib: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssMib: 0, fds: 0 };
  }
}

function getText(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
}

interface LoopWindow {
  p99Ms: number;
  maxMs: number;
  windowMs: number;
  windowEnd: string;
}

/** The main loop's delay over serve's start: the window serve ends when it is first ready (the same one read twice: closed). */
async function startWindow(port: number): Promise<LoopWindow> {
  const read = async (): Promise<LoopWindow | undefined> => {
    const { status, body } = await getText(port, '/readyz?verbose');
    return status === 200 ? ((JSON.parse(body) as { eventLoopDelay?: LoopWindow | null }).eventLoopDelay ?? undefined) : undefined;
  };
  let window: LoopWindow | undefined;
  await until(
    'the start window',
    async () => {
      const [first, second] = [await read(), await new Promise((resolve) => setTimeout(resolve, 50)).then(read)];
      window = second;
      return first !== undefined && first.windowEnd === second?.windowEnd;
    },
    30_000,
  );
  return window!;
}

async function firstAnswer(port: number, since: number, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    if (
      await getText(port, '/livez').then(
        () => true,
        () => false,
      )
    )
      return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function waitForFile(file: string, child: ChildProcess): Promise<void> {
  await until(
    file,
    () => {
      if (child.exitCode !== null) throw new Error(`${file}: process exited ${child.exitCode}`);
      return fs.existsSync(file);
    },
    60_000,
  );
}

async function until(what: string, condition: () => boolean | Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
