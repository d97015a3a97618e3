/**
 * The API fuzzer (issue 11): every RPC of the node API, enumerated from the loaded protos so that
 * new RPCs are covered without a change here, gets hostile values and malformed bytes, and the
 * rules of the trust boundary are checked after each request:
 *
 *   - no crash: the service process stays alive and answers health (checked every 100 cases and
 *     at the end);
 *   - no INTERNAL, UNKNOWN or DATA_LOSS for bad input;
 *   - a refused request changes nothing in spdk_tgt: its objects (read over the simulator's
 *     JSON-RPC socket) and the fuzzer's files are snapshotted before and after every refusal.
 *
 *   npm run fuzz:api -- [--count 2000] [--seconds 60] [--seed N] [--case I [--count N]]
 *                       [--export-ports MIN-MAX] [--api-socket PATH --spdk-socket PATH]
 *
 * By default it starts the simulator and a real `serve` on it (the simulator is started here, not
 * embedded by serve, so that the fuzzer holds spdk_tgt's socket for its snapshots), in a temporary
 * directory, and builds a disk, two exposed replicas, a snapshot and an engine for requests to
 * hit. With --api-socket it attacks a running service instead (--spdk-socket adds the state check).
 * Each case draws from its own stream of the seed: `--seed S --case I` replays case I alone (with
 * --count N, cases I to I+N-1).
 * Prints counts per RPC and per status and every violation with its request; exits 1 on any.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { createApiClients, unaryCall, type ApiClients } from '../src/api/client.js';
import { loadProtos, PACKAGE } from '../src/api/proto.js';
import { carriesUnsafeFields, caseRandom, HostileMessages, prng, type FuzzWorld } from './lib/hostile-values.js';
import { Descriptors, type MessageDescriptor } from './lib/proto-wire.js';
import { FRAME_CASES, sendFrameCase } from './lib/raw-grpc-frames.js';
import { connectRaw } from './lib/raw-rpc.js';
import { differences, objectCounts, SpdkState, type Snapshot } from './lib/spdk-state.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:6f1d9b0e-3c2a-4b8e-9d7f-0a1b2c3d4e5f';
const MIB = 1024 * 1024;
/** Statuses that say the service failed, never that the input was bad. */
const FORBIDDEN = new Set(['INTERNAL', 'UNKNOWN', 'DATA_LOSS']);
/** Outcomes after which the work may still be going on: the state is left to settle, not compared. */
const UNSETTLED = new Set(['OK', 'DEADLINE_EXCEEDED', 'CANCELLED', 'NO_ANSWER']);

const { values: args } = parseArgs({
  options: {
    count: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    case: { type: 'string' },
    'export-ports': { type: 'string' },
    'api-socket': { type: 'string' },
    'spdk-socket': { type: 'string' },
    'call-timeout-ms': { type: 'string', default: '5000' },
  },
});
const seed = args.seed === undefined ? randomBytes(4).readUInt32LE() : Number(args.seed) >>> 0;
const onlyCase = args.case === undefined ? undefined : Number(args.case);
const count = Number(args.count ?? (onlyCase === undefined ? 2000 : 1));
const deadlineAt = Date.now() + Number(args.seconds) * 1000;
const callTimeoutMs = Number(args['call-timeout-ms']);

interface Method {
  /** Service/Method, as printed. */
  name: string;
  path: string;
  serverStream: boolean;
  request: MessageDescriptor;
  /** Carries an address or a path: only well-formed hostile values, never mangled bytes. */
  unsafe: boolean;
}

interface Violation {
  index: number;
  method: string;
  mutation: string;
  what: string;
  request: string;
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
// Interrupted, the fuzzer still takes serve and the simulator with it (through the exit handler).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function methods(descriptors: Descriptors): Method[] {
  const { definition } = loadProtos();
  const out: Method[] = [];
  for (const [name, def] of Object.entries(definition)) {
    if (!name.startsWith(`${PACKAGE}.`) || 'format' in def) continue;
    for (const [methodName, m] of Object.entries(def as grpc.ServiceDefinition)) {
      const request = (m as unknown as { requestType: { type: MessageDescriptor } }).requestType.type;
      out.push({ name: `${name.slice(PACKAGE.length + 1)}/${methodName}`, path: m.path, serverStream: m.responseStream, request, unsafe: carriesUnsafeFields(request, descriptors) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The files DiskCreate may be pointed at: all in `dir`, or paths that do not exist. */
function makeFiles(dir: string): { world: Pick<FuzzWorld, 'paths'>; blank: string; victim: string; cwd: string } {
  const blank = path.join(dir, 'blank.img');
  const spare = path.join(dir, 'spare.img');
  const victim = path.join(dir, 'victim.img');
  for (const file of [blank, spare]) {
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 256 * MIB);
  }
  // A file of someone else's data: 64 MiB, its first and last MiB written (where a disk would land).
  const random = prng(seed);
  const data = Buffer.alloc(MIB);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  fs.writeFileSync(victim, data);
  fs.truncateSync(victim, 64 * MIB);
  const fd = fs.openSync(victim, 'r+');
  fs.writeSync(fd, data, 0, data.length, 63 * MIB);
  fs.closeSync(fd);
  fs.symlinkSync(victim, path.join(dir, 'link.img'));
  const cwd = path.join(dir, 'a', 'b');
  fs.mkdirSync(cwd, { recursive: true });
  const base = path.basename(dir);
  const paths = [
    spare,
    victim,
    path.join(dir, 'link.img'),
    `${dir}/../${base}/spare.img`,
    `${dir}/a/../victim.img`,
    path.join(dir, 'absent.img'),
    dir,
    'relative.img',
    '../../etc/passwd',
    '',
    `${dir}/${'p'.repeat(5000)}`,
    `${dir}/nul\u0000.img`,
    `${dir}/new\nline.img`,
    '0000:5e:00.0',
    '0000:zz:00.0',
    '/nonexistent-fuzz-api/disk.img',
  ];
  return { world: { paths }, blank, victim, cwd };
}

async function startNode(dir: string, cwd: string): Promise<{ apiSocket: string; spdkSocket: string; serve: ChildProcess; log: string }> {
  const spdkSocket = path.join(dir, 'spdk.sock');
  const apiSocket = path.join(dir, 'api.sock');
  const sim = spawn(process.execPath, [SIM, '--socket', spdkSocket, '--name', 'fuzz', '--quiet', '--lifeline', '--mem-dump', path.join(dir, 'mem-dump.txt')], {
    cwd,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  children.push(sim);
  await waitFor('the simulator opens its socket', () => fs.existsSync(spdkSocket), 20_000);
  const log = path.join(dir, 'serve.log');
  const out = fs.openSync(log, 'a');
  const [portMin, portMax] = (args['export-ports'] ?? '20000-20999').split('-');
  const serve = spawn(process.execPath, [CLI, 'serve'], {
    cwd,
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env.PATH ?? '',
      CONDUCTOR_SPDK_SOCKET: spdkSocket,
      CONDUCTOR_API_SOCKET: apiSocket,
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
      CONDUCTOR_LOG_LEVEL: 'warn',
      CONDUCTOR_EXPORT_PORT_MIN: portMin!,
      CONDUCTOR_EXPORT_PORT_MAX: portMax!,
      CONDUCTOR_ENGINE_HOST_NQN: 'nqn.2024-11.io.spdk-conductor:fuzz-engine',
    },
  });
  fs.closeSync(out);
  children.push(serve);
  await waitFor(
    'serve opens its API socket',
    () => {
      if (serve.exitCode !== null) throw new Error(`serve exited ${serve.exitCode}:\n${fs.readFileSync(log, 'utf8')}`);
      return fs.existsSync(apiSocket);
    },
    30_000,
  );
  return { apiSocket, spdkSocket, serve, log };
}

/** Objects for requests to hit; what cannot be made is left out and said so. */
async function buildFixture(api: ApiClients, blank: string): Promise<Pick<FuzzWorld, 'names' | 'nqns'>> {
  const call = <T>(start: Parameters<typeof unaryCall<T>>[0]) => unaryCall<T>(start, { deadlineMs: 30_000 });
  const names = ['d0', 'r0', 'r1', 'r2', 's0', 'e0', 'fz-new', 'fz-other'];
  const nqns = [HOST_NQN];
  await call((md, o, cb) => api.disks.DiskCreate({ name: 'd0', path: blank, kind: 'DISK_KIND_AIO' }, md, o, cb));
  const exported: { nqn: string; port: number }[] = [];
  // r0 is the engine's local member (unexported: an export would hold its bdev), r1 its remote one, r2 a spare.
  for (const name of ['r0', 'r1', 'r2']) {
    const hostNqns = name === 'r0' ? [] : [HOST_NQN, 'nqn.2024-11.io.spdk-conductor:fuzz-engine'];
    const replica = await call<{ export: { nqn: string; port: number } | null }>((md, o, cb) =>
      api.replicas.ReplicaCreate({ name, diskName: 'd0', sizeBytes: 16 * MIB, hostNqns }, md, o, cb as never),
    );
    if (replica.export) {
      exported.push(replica.export);
      nqns.push(replica.export.nqn);
    }
  }
  await call((md, o, cb) => api.snapshots.SnapshotCreate({ replicaName: 'r0', name: 's0' }, md, o, cb));
  try {
    const remote = exported[0]!;
    await call((md, o, cb) =>
      api.engines.EngineCreate(
        {
          name: 'e0',
          sizeBytes: 16 * MIB,
          frontend: 'FRONTEND_KIND_EXPORT_ONLY',
          hostNqns: [HOST_NQN],
          replicas: [{ local: { name: 'r0' } }, { remote: { name: 'r1', address: '127.0.0.1', port: remote.port, nqn: remote.nqn } }],
        },
        md,
        o,
        cb,
      ),
    );
  } catch (err) {
    process.stdout.write(`fuzz-api: no engine in the fixture (${(err as Error).message})\n`);
  }
  return { names, nqns };
}

/** Big values printed as their beginning and length, Buffers as hex: a request fits a line. */
function shown(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'string' && v.length > 48) return `${v.slice(0, 24)}…(${v.length} chars)`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')
      return `bytes:${Buffer.from((v as { data: number[] }).data)
        .toString('hex')
        .slice(0, 48)}`;
    if (Array.isArray(v) && v.length > 4) return [...v.slice(0, 2), `…(${v.length} items)`];
    return v;
  });
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

const STATUS_NAMES = Object.fromEntries(
  Object.entries(grpc.status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [String(v), k]),
) as Record<string, string>;

function statusName(code: number | undefined): string {
  return code === undefined ? 'NO_STATUS' : (STATUS_NAMES[String(code)] ?? `CODE_${code}`);
}

/** One request with arbitrary bytes as its message; resolves with the status's name. */
function sendBytes(client: grpc.Client, method: Method, bytes: Buffer): Promise<{ status: string; details: string }> {
  const identity = (b: Buffer): Buffer => b;
  const deadline = Date.now() + callTimeoutMs;
  return new Promise((resolve) => {
    if (!method.serverStream) {
      client.makeUnaryRequest(method.path, identity, identity, bytes, new grpc.Metadata(), { deadline }, (err) => {
        resolve(err ? { status: statusName(err.code), details: err.details } : { status: 'OK', details: '' });
      });
      return;
    }
    // A stream that stays open has been accepted: one message, or 150 ms without an error, is enough.
    const call = client.makeServerStreamRequest(method.path, identity, identity, bytes, new grpc.Metadata(), { deadline });
    let done = false;
    const accept = (): void => {
      if (done) return;
      done = true;
      call.cancel();
      resolve({ status: 'OK', details: '' });
    };
    const timer = setTimeout(accept, 150);
    call.on('data', accept);
    call.on('error', (err: grpc.ServiceError) => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      resolve({ status: statusName(err.code), details: err.details });
    });
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      resolve({ status: statusName(s.code), details: s.details });
    });
  });
}

/** The state once two snapshots 50 ms apart agree (at most 3 s): what an accepted request started has finished. */
async function settle(state: SpdkState): Promise<Snapshot> {
  let last = await state.snapshot();
  const until = Date.now() + 3000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await state.snapshot();
    if (JSON.stringify(next) === JSON.stringify(last) || Date.now() > until) return next;
    last = next;
  }
}

async function main(): Promise<number> {
  const { definition } = loadProtos();
  const descriptors = new Descriptors(definition, PACKAGE);
  const all = methods(descriptors);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-api-'));
  const started = Date.now();
  let serve: ChildProcess | undefined;
  let log: string | undefined;
  let apiSocket = args['api-socket'];
  let spdkSocket = args['spdk-socket'];
  const files = makeFiles(dir);
  let world: FuzzWorld = { names: ['d0', 'r0', 'constructor'], nqns: [HOST_NQN], paths: files.world.paths };
  let api: ApiClients | undefined;
  // The directory, with serve's log, stays when something was found.
  let keep = true;
  try {
    if (apiSocket === undefined) {
      const node = await startNode(dir, files.cwd);
      ({ apiSocket, spdkSocket, serve, log } = node);
    }
    api = createApiClients({ unixSocket: apiSocket });
    await waitFor('the service is SERVING', async () => (await api!.healthCheck('', { deadlineMs: 2000 }).catch(() => 'DOWN')) === 'SERVING', 60_000);
    if (serve) world = { ...(await buildFixture(api, files.blank)), paths: files.world.paths };
    process.stdout.write(`fuzz-api: seed ${seed}; the node is ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const rpc = spdkSocket === undefined ? undefined : await connectRaw(spdkSocket);
    const state = rpc ? await SpdkState.open(rpc, [files.victim]) : undefined;
    const hostile = new HostileMessages(descriptors, world);
    const client = new grpc.Client(`unix:${apiSocket}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MIB });

    const perMethod = new Map<string, Map<string, number>>();
    const perStatus = new Map<string, number>();
    const perMutation = new Map<string, Map<string, number>>();
    const violations: Violation[] = [];
    /** Frame cases whose forbidden status comes from grpc-js's transport (see FrameCase.grpcJsAnswers). */
    const acceptedFromGrpcJs = new Map<string, string>();
    let compared = 0;
    let drifted = 0;
    let ran = 0;
    if (state && serve) await probeStateCheck(api, state);
    let before = state ? await settle(state) : undefined;
    if (before) process.stdout.write(`fuzz-api: spdk_tgt holds ${objectCounts(before)}\n`);
    const first = onlyCase ?? 0;
    for (let index = first; index < first + count && Date.now() < deadlineAt; index++) {
      const random = caseRandom(seed, index);
      // Round robin: every RPC is hit once in each run of all.length cases, however short the run.
      const method = all[index % all.length]!;
      const raw = random() < 0.05 ? FRAME_CASES[Math.floor(random() * FRAME_CASES.length)] : undefined;
      const { bytes, shown: request, mutation } = hostile.bytes(random, method.request, !method.unsafe && !raw && random() < 0.35);
      let status: string;
      let details = '';
      if (raw) {
        const outcome = await sendFrameCase(apiSocket, method.path, raw, bytes, callTimeoutMs);
        status = /^\d+$/.test(outcome) ? statusName(Number(outcome)) : outcome;
      } else ({ status, details } = await sendBytes(client, method, bytes));
      ran++;
      const label = raw ? `frame: ${raw.name}` : mutation;
      perStatus.set(status, (perStatus.get(status) ?? 0) + 1);
      const counts = perMethod.get(method.name) ?? new Map<string, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      perMethod.set(method.name, counts);
      const byMutation = perMutation.get(label) ?? new Map<string, number>();
      byMutation.set(status, (byMutation.get(status) ?? 0) + 1);
      perMutation.set(label, byMutation);
      const violation = (what: string): void => {
        violations.push({ index, method: method.name, mutation: label, what, request: shown(request) });
      };
      if (FORBIDDEN.has(status) && raw?.grpcJsAnswers?.status === status) acceptedFromGrpcJs.set(raw.name, raw.grpcJsAnswers.why);
      else if (FORBIDDEN.has(status)) violation(`${status}: ${details.slice(0, 200)}`);
      // A crash shows first as a broken call: give the process a moment to be seen gone, and name this case.
      if (serve && (status === 'UNAVAILABLE' || status.startsWith('STREAM_ERROR') || status.startsWith('SESSION_ERROR'))) {
        await waitFor('serve exits', () => serve!.exitCode !== null || serve!.signalCode !== null, 500).catch(() => undefined);
      }
      if (serve && (serve.exitCode !== null || serve.signalCode !== null)) {
        violation(`the service crashed (serve exited ${serve.exitCode ?? serve.signalCode}) on this request`);
        break;
      }

      if (state && before) {
        if (UNSETTLED.has(status)) before = await settle(state);
        else {
          const after = await state.snapshot();
          compared++;
          const diff = differences(before, after);
          if (diff.length > 0) {
            // Changing still, 300 ms later: something else is at work (a monitor, a rebuild), not this refusal.
            await new Promise((resolve) => setTimeout(resolve, 300));
            const later = await state.snapshot();
            if (differences(after, later).length > 0) drifted++;
            else violation(`${status}, yet spdk_tgt changed: ${diff.join('; ')}`);
            before = await settle(state);
          } else before = after;
        }
      }
      if ((index + 1) % 100 === 0 || index + 1 === first + count) {
        const alive = await checkAlive(api, serve);
        if (alive) {
          violations.push({ index, method: method.name, mutation: label, what: `the service stopped answering: ${alive}`, request: shown(request) });
          break;
        }
      }
    }
    const finalProblem = await checkAlive(api, serve);
    if (finalProblem && !violations.some((v) => v.what.startsWith('the service'))) {
      violations.push({ index: -1, method: '-', mutation: '-', what: `the service stopped answering: ${finalProblem}`, request: '-' });
    }
    client.close();
    rpc?.close();
    report({ ran, perMethod, perMutation, perStatus, violations, compared, drifted, elapsedMs: Date.now() - started, stateChecked: state !== undefined, methods: all.length });
    for (const [name, why] of acceptedFromGrpcJs) process.stdout.write(`accepted, not a violation: "frame: ${name}": ${why}\n`);
    if (violations.length > 0 && log) process.stdout.write(`service log: ${log} (kept)\n`);
    keep = violations.length > 0;
    return keep ? 1 : 0;
  } finally {
    api?.close();
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await waitFor('serve stops', () => serve!.exitCode !== null || serve!.signalCode !== null, 20_000).catch(() => serve!.kill('SIGKILL'));
    }
    for (const child of children) child.kill('SIGKILL');
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The state check must see what a request does: a replica made and deleted shows in the snapshots, or the run stops. */
async function probeStateCheck(api: ApiClients, state: SpdkState): Promise<void> {
  const call = <T>(start: Parameters<typeof unaryCall<T>>[0]) => unaryCall<T>(start, { deadlineMs: 30_000 });
  const before = await settle(state);
  await call((md, o, cb) => api.replicas.ReplicaCreate({ name: 'fz-probe', diskName: 'd0', sizeBytes: 4 * MIB, hostNqns: [HOST_NQN] }, md, o, cb));
  const made = await settle(state);
  await call((md, o, cb) => api.replicas.ReplicaDelete({ name: 'fz-probe' }, md, o, cb));
  const gone = await settle(state);
  if (differences(before, made).length === 0 || differences(before, gone).length > 0) {
    throw new Error('the state check is blind: a replica made and deleted did not show in (or left a trace on) the snapshots');
  }
}

/** Why the service is not alive and answering health, or undefined. */
async function checkAlive(api: ApiClients, serve: ChildProcess | undefined): Promise<string | undefined> {
  if (serve && (serve.exitCode !== null || serve.signalCode !== null)) return `serve exited (${serve.exitCode ?? serve.signalCode})`;
  const health = await api.healthCheck('', { deadlineMs: 10_000 }).catch((err: Error) => `health failed: ${err.message}`);
  return health === 'SERVING' || health === 'NOT_SERVING' ? undefined : health;
}

interface Report {
  ran: number;
  perMethod: Map<string, Map<string, number>>;
  perMutation: Map<string, Map<string, number>>;
  perStatus: Map<string, number>;
  violations: Violation[];
  compared: number;
  drifted: number;
  elapsedMs: number;
  stateChecked: boolean;
  methods: number;
}

function report(r: Report): void {
  const out: string[] = [];
  out.push(`fuzz-api: seed ${seed}, ${r.ran} requests over ${r.methods} RPCs in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  const statuses = [...r.perStatus.keys()].sort();
  const line = (name: string, counts: Map<string, number>): string =>
    `  ${name.padEnd(44)} ${statuses
      .filter((s) => counts.has(s))
      .map((s) => `${s} ${counts.get(s)}`)
      .join(', ')}`;
  out.push('per RPC:');
  for (const [method, counts] of [...r.perMethod].sort(([a], [b]) => a.localeCompare(b))) out.push(line(method, counts));
  out.push('per kind of input:');
  for (const [mutation, counts] of [...r.perMutation].sort(([a], [b]) => a.localeCompare(b))) out.push(line(mutation, counts));
  out.push(`per status: ${statuses.map((s) => `${s} ${r.perStatus.get(s)}`).join(', ')}`);
  out.push(r.stateChecked ? `state: ${r.compared} refused requests compared before/after, ${r.drifted} skipped while spdk_tgt was changing on its own` : 'state: not checked (no --spdk-socket)');
  out.push(`violations: ${r.violations.length}`);
  // Alike violations (the same status and message) are counted, and the first few shown.
  const kinds = new Map<string, Violation[]>();
  for (const v of r.violations) {
    const kind = v.what.includes('spdk_tgt changed') ? `state changed by ${v.method}` : v.what.replace(/\(ref [0-9a-f]+\)/, '(ref …)').slice(0, 100);
    kinds.set(kind, [...(kinds.get(kind) ?? []), v]);
  }
  for (const [kind, list] of kinds) {
    out.push(`  ${list.length} × ${kind}`);
    for (const v of list.slice(0, 3)) {
      out.push(`    [case ${v.index}] ${v.method} (${v.mutation}) ${v.what}\n      request ${v.request}\n      replay: npm run fuzz:api -- --seed ${seed} --case ${v.index}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fuzz-api: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
