/**
 * The rebuild commands and `engine replica-add --wait` as a user runs them: the built CLI as a
 * process, over a temp Unix socket, to a fake Engines service in this process whose rebuild
 * moves one step per RebuildGet (so the tests wait for the CLI's exit, never for time). Tables
 * and --json, the progress the CLI prints without a terminal, and the exit codes of each end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Rebuild, Rebuild__Output } from '../../src/api/generated/spdk/conductor/v1/Rebuild.js';
import { loadProtos } from '../../src/api/proto.js';
import { followRebuild } from '../../src/cli/commands/rebuild.js';
import { waitFor } from '../api/helpers/api-server.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const R3_NQN = 'nqn.2024-11.io.spdk-conductor:replica:r3';
const R3 = `name=r3,address=10.0.0.6,port=20003,nqn=${R3_NQN}`;
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

function rebuild(fields: Partial<Rebuild__Output> = {}): Rebuild__Output {
  return {
    engine: 'vol1',
    replica: 'r3',
    state: 'REBUILD_STATE_QUEUED',
    reason: '',
    path: 'REBUILD_PATH_UNSPECIFIED',
    pathReason: '',
    sourceReplica: '',
    percent: 0,
    bytesDone: 0,
    bytesTotal: 10 * GiB,
    rateBytesPerSec: 0,
    etaSec: -1,
    queuePosition: 0,
    snapshots: [],
    raid: null,
    throttle: null,
    createdAtMs: T0,
    startedAtMs: 0,
    processStartedAtMs: 0,
    finishedAtMs: 0,
    stale: false,
    staleReason: '',
    ...fields,
  };
}

const COPYING = { state: 'REBUILD_STATE_COPYING_SNAPSHOTS', path: 'REBUILD_PATH_SNAPSHOT_PRESERVING', sourceReplica: 'r1', startedAtMs: T0 + 2000 } as const;

/** QUEUED (2nd, then next) → COPYING_SNAPSHOTS (s1, then s2) → REBUILDING → DONE, one step per poll. */
const WALK_TO_DONE: Rebuild__Output[] = [
  rebuild({ queuePosition: 2 }),
  rebuild({ queuePosition: 1 }),
  rebuild({
    ...COPYING,
    pathReason: 'both nodes can shallow-copy',
    percent: 10,
    bytesDone: GiB,
    rateBytesPerSec: 100 * MiB,
    etaSec: 92,
    snapshots: [
      { name: 's1', state: 'copying', copiedClusters: 2, totalClusters: 8 },
      { name: 's2', state: 'pending', copiedClusters: 0, totalClusters: 4 },
    ],
    throttle: { engaged: true, limitMbSec: 100, reason: 'DMA memory 91% > 90%' },
  }),
  rebuild({
    ...COPYING,
    pathReason: 'both nodes can shallow-copy',
    percent: 30,
    bytesDone: 3 * GiB,
    rateBytesPerSec: 100 * MiB,
    etaSec: 72,
    snapshots: [
      { name: 's1', state: 'copied', copiedClusters: 8, totalClusters: 8 },
      { name: 's2', state: 'copying', copiedClusters: 1, totalClusters: 4 },
    ],
  }),
  rebuild({
    ...COPYING,
    state: 'REBUILD_STATE_REBUILDING',
    pathReason: 'both nodes can shallow-copy',
    percent: 80,
    bytesDone: 8 * GiB,
    rateBytesPerSec: 200 * MiB,
    etaSec: 10,
    raid: { member: 'ec.vol1.r3n1', percent: 60, blocks: 123456 },
  }),
  rebuild({ ...COPYING, state: 'REBUILD_STATE_DONE', reason: 'r3 is a healthy member', pathReason: 'both nodes can shallow-copy', percent: 100, bytesDone: 10 * GiB, finishedAtMs: T0 + 62_000 }),
];

const WALK_TO_FAILED: Rebuild__Output[] = [
  rebuild({ queuePosition: 1 }),
  rebuild({ state: 'REBUILD_STATE_REBUILDING', path: 'REBUILD_PATH_RAID', pathReason: 'r1 has no api address', percent: 40, bytesDone: 4 * GiB }),
  rebuild({ state: 'REBUILD_STATE_FAILED', path: 'REBUILD_PATH_RAID', reason: 'the raid dropped ec.vol1.r3n1: I/O error', percent: 40, bytesDone: 4 * GiB, finishedAtMs: T0 + 9000 }),
];

interface Call {
  method: string;
  request: Record<string, unknown>;
}

/** The Engines service with just what these commands call; a rebuild that moves one step per RebuildGet. */
class FakeEngines {
  calls: Call[] = [];
  walk: Rebuild__Output[] = WALK_TO_DONE;
  step = 0;
  list: Rebuild__Output[] = [];
  /** EngineReplicaAdd's answer: by default a degraded engine whose new member is rebuilding. */
  addAnswer: Record<string, unknown> = {
    name: 'vol1',
    state: 'ENGINE_STATE_DEGRADED',
    members: [{ name: 'r3', state: 'MEMBER_STATE_REBUILDING' }],
    rebuilds: [rebuild({ queuePosition: 2 })],
  };
  /** Answers of RebuildGet that are errors instead, by call number (1 = the first). */
  fail = new Map<number, grpc.StatusObject>();

  get gets(): number {
    return this.calls.filter((c) => c.method === 'RebuildGet').length;
  }

  handlers(): grpc.UntypedServiceImplementation {
    const unary =
      (method: string, answer: (request: Record<string, unknown>) => Rebuild | Record<string, unknown> | grpc.StatusObject) =>
      (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
        this.calls.push({ method, request: call.request });
        const reply = answer(call.request);
        if ('code' in reply && 'details' in reply) callback(reply as grpc.StatusObject);
        else callback(null, reply);
      };
    const notFound = (r: Record<string, unknown>): grpc.StatusObject => ({
      code: grpc.status.NOT_FOUND,
      details: `no rebuild of ${String(r['replica'])} into engine ${String(r['engine'])}`,
      metadata: new grpc.Metadata(),
    });
    return {
      EngineCreate: unary('EngineCreate', (r) => ({ name: r['name'], sizeBytes: r['sizeBytes'], state: 'ENGINE_STATE_HEALTHY' })),
      EngineReplicaAdd: unary('EngineReplicaAdd', () => this.addAnswer),
      RebuildList: unary('RebuildList', (r) => ({ rebuilds: this.list.filter((b) => !r['engine'] || b.engine === r['engine']) })),
      RebuildGet: unary('RebuildGet', (r) => {
        const failure = this.fail.get(this.gets);
        if (failure) return failure;
        if (r['engine'] !== 'vol1' || r['replica'] !== 'r3') return notFound(r);
        const answer = this.walk[Math.min(this.step, this.walk.length - 1)]!;
        this.step++;
        return answer;
      }),
      RebuildCancel: unary('RebuildCancel', (r) => {
        const found = this.list.find((b) => b.engine === r['engine'] && b.replica === r['replica']);
        if (!found) return notFound(r);
        return TERMINAL.includes(found.state) ? found : { ...found, state: 'REBUILD_STATE_CANCELLED', reason: 'cancelled by request', finishedAtMs: T0 + 5000 };
      }),
    };
  }
}

const TERMINAL = ['REBUILD_STATE_DONE', 'REBUILD_STATE_FAILED', 'REBUILD_STATE_CANCELLED'];

async function startServer(socketPath: string, fake: FakeEngines): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(loadProtos().grpcObject.spdk.conductor.v1.Engines.service, fake.handlers());
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return server;
}

let dir: string;
let socketPath: string;
let fake: FakeEngines;
let server: grpc.Server;

beforeEach(async () => {
  // Short: Unix socket paths are limited to about 107 bytes.
  dir = await mkdtemp(path.join(tmpdir(), 'rb-'));
  socketPath = path.join(dir, 'api.sock');
  fake = new FakeEngines();
  server = await startServer(socketPath, fake);
});
afterEach(async () => {
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

function env(): Record<string, string> {
  return { CONDUCTOR_API_SOCKET: socketPath, CONDUCTOR_LOG_LEVEL: 'warn' };
}

function run(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: env(), extendEnv: false, timeout: 30_000 });
}

/** The CLI as a long-running child; waits fail at once, with its output, if it exits early. */
function start(args: string[]) {
  const child = execa(process.execPath, [CLI, ...args], { reject: false, env: env(), extendEnv: false, timeout: 45_000 });
  let out = '';
  let err = '';
  let exit: string | undefined;
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  void child.then((r) => (exit = `exit ${r.exitCode}: ${r.stderr}`));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    until: (what: string, condition: () => unknown, deadlineMs = 20_000) =>
      waitFor(
        what,
        () => {
          if (exit !== undefined) throw new Error(`the CLI ended first (${exit})`);
          return condition() || undefined;
        },
        deadlineMs,
      ),
  };
}

/** Splits a table into rows of cells (columns are two or more spaces apart). */
function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
}

const CONTROL = /[\r\x1b]/;

describe('engine replica-add --wait', () => {
  it('follows QUEUED → COPYING_SNAPSHOTS → REBUILDING → DONE with plain lines on each change, and exits 0 saying done', async () => {
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(fake.calls.map((c) => c.method)).toEqual(['EngineReplicaAdd', ...WALK_TO_DONE.map(() => 'RebuildGet')]);
    expect(fake.calls.slice(1).every((c) => c.request['engine'] === 'vol1' && c.request['replica'] === 'r3')).toBe(true);
    expect(result.stdout).not.toMatch(CONTROL);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('replica r3 is in engine vol1; waiting for its rebuild (Ctrl-C stops the waiting, not the rebuild)');
    expect(lines[1]).toBe('queued  [--------------------]    0%  0 B / 10 GiB  queue position 2');
    expect(lines[2]).toBe('queued  [--------------------]    0%  0 B / 10 GiB  queue position 1');
    expect(lines[3]).toBe('path: snapshot-preserving (both nodes can shallow-copy)');
    expect(lines[4]).toBe('throttled to 100 MB/s (DMA memory 91% > 90%)');
    expect(lines[5]).toBe('copying-snapshots  snapshot-preserving  snapshot s1 1/2 (2/8 clusters)  [##------------------]   10%  1 GiB / 10 GiB  100 MiB/s  ETA 1m 32s  throttled to 100 MB/s');
    expect(lines[6]).toMatch(/^throttle released$/);
    expect(lines[7]).toMatch(/^copying-snapshots {2}snapshot-preserving {2}snapshot s2 2\/2 \(1\/4 clusters\) {2}\[#+-+\] {3}30% {2}3 GiB \/ 10 GiB {2}100 MiB\/s {2}ETA 1m 12s$/);
    expect(lines[8]).toMatch(/^rebuilding {2}snapshot-preserving {2}\[#{16}-{4}\] {3}80% {2}8 GiB \/ 10 GiB {2}200 MiB\/s {2}ETA 10s$/);
    expect(lines[9]).toBe('done  snapshot-preserving  [####################]  100%  10 GiB / 10 GiB');
    expect(lines[10]).toBe('the rebuild of r3 into engine vol1 is done in 1m 2s: r3 is a healthy member');
  });

  it('a rebuild that ends FAILED prints the reason and exits 7', async () => {
    fake.walk = WALK_TO_FAILED;
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toBe('spdk-conductor: the rebuild of r3 into engine vol1 failed: the raid dropped ec.vol1.r3n1: I/O error');
    expect(result.stdout).not.toMatch(CONTROL);
    expect(result.stdout).toContain('path: raid (r1 has no api address)\n');
    expect(result.stdout.split('\n').at(-1)).toMatch(/^failed {2}raid {2}\[#+-+\] {3}40% {2}4 GiB \/ 10 GiB$/);
    expect(fake.calls.filter((c) => c.method === 'RebuildCancel')).toEqual([]);
  });

  it('a rebuild that ends CANCELLED exits 1, saying so', async () => {
    fake.walk = [rebuild({ state: 'REBUILD_STATE_REBUILDING', percent: 5 }), rebuild({ state: 'REBUILD_STATE_CANCELLED', reason: 'cancelled by request' })];
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('spdk-conductor: the rebuild of r3 into engine vol1 was cancelled: cancelled by request');
  });

  it('--json prints only the final rebuild, as the API message', async () => {
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const final = JSON.parse(result.stdout) as Rebuild__Output;
    expect(final).toMatchObject({ engine: 'vol1', replica: 'r3', state: 'REBUILD_STATE_DONE', percent: 100, bytesDone: 10 * GiB, path: 'REBUILD_PATH_SNAPSHOT_PRESERVING' });
    fake.walk = WALK_TO_FAILED;
    fake.step = 0;
    const failed = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait', '--json']);
    expect(failed.exitCode).toBe(7);
    expect(JSON.parse(failed.stdout)).toMatchObject({ state: 'REBUILD_STATE_FAILED', reason: 'the raid dropped ec.vol1.r3n1: I/O error' });
    expect(failed.stderr).toBe('');
  });

  it('SIGINT stops the waiting, not the rebuild: exit 130, saying how to cancel, and nothing cancelled', async () => {
    fake.walk = [rebuild({ state: 'REBUILD_STATE_REBUILDING', path: 'REBUILD_PATH_RAID', percent: 5, bytesDone: GiB / 2 })];
    const cli = start(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    await cli.until('two polls', () => fake.gets >= 2);
    cli.child.kill('SIGINT');
    const result = await cli.child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('stopped waiting; the rebuild of r3 into engine vol1 goes on');
    expect(result.stderr).toContain('spdk-conductor rebuild cancel vol1 r3');
    expect(fake.calls.map((c) => c.method)).not.toContain('RebuildCancel');
  });

  it('keeps asking while the service is unreachable and carries on when it answers again', async () => {
    fake.walk = [rebuild({ state: 'REBUILD_STATE_REBUILDING', percent: 50, bytesDone: 5 * GiB }), rebuild({ state: 'REBUILD_STATE_DONE', percent: 100, bytesDone: 10 * GiB })];
    fake.step = 0;
    const cli = start(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    await cli.until('the first poll', () => fake.gets >= 1);
    server.forceShutdown();
    await cli.until('the CLI to notice', () => cli.stderr().includes('cannot reach the service'));
    expect(cli.stderr()).toContain('asking again for up to 30 s (the rebuild of r3 into engine vol1 goes on regardless)');
    fake.step = 1;
    server = await startServer(socketPath, fake);
    const result = await cli.child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('the service answers again');
    expect(result.stdout).toMatch(/is done: r3 is a healthy member$/);
  });

  it('a RebuildGet the service refuses ends the waiting with its status (NOT_FOUND: 5)', async () => {
    fake.fail.set(2, { code: grpc.status.NOT_FOUND, details: 'no rebuild of r3 into engine vol1', metadata: new grpc.Metadata() });
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toBe('spdk-conductor: no rebuild of r3 into engine vol1 (NOT_FOUND)');
    expect(fake.gets).toBe(2);
  });

  it('a replica that is already a healthy member with no rebuild (a repeated add) has nothing to wait for', async () => {
    fake.addAnswer = {
      name: 'vol1',
      state: 'ENGINE_STATE_HEALTHY',
      members: [{ name: 'r3', state: 'MEMBER_STATE_HEALTHY' }],
      rebuilds: [],
    };
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', R3, '--wait']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('replica r3 is already a healthy member of engine vol1; nothing to rebuild');
    expect(fake.calls.map((c) => c.method)).toEqual(['EngineReplicaAdd']);
  });

  it('without --wait, prints the engine and asks for no rebuild', async () => {
    const result = await run(['engine', 'replica-add', 'vol1', '--replica', 'name=r3,local']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^name\s+vol1$/m);
    expect(fake.calls.map((c) => c.method)).toEqual(['EngineReplicaAdd']);
  });
});

describe('followRebuild', () => {
  const unavailable = (): grpc.ServiceError =>
    Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: grpc.status.UNAVAILABLE, details: 'No connection established', metadata: new grpc.Metadata() });

  it('gives up when the service stays unreachable, saying the rebuild goes on (exit 3)', async () => {
    let err = '';
    let asked = 0;
    const code = await followRebuild({
      engine: 'vol1',
      replica: 'r3',
      get: () => {
        asked++;
        return Promise.reject(unavailable());
      },
      out: () => {},
      err: (text) => (err += text),
      tty: false,
      width: () => 80,
      json: false,
      pollMs: 1,
      lostAfterMs: 40,
    });
    expect(code).toBe(3);
    expect(asked).toBeGreaterThan(2);
    expect(err).toMatch(/no answer from the service for 0 s while following the rebuild of r3 into engine vol1 \(No connection established\); the rebuild continues on the node/);
    expect(err).toContain('"spdk-conductor rebuild cancel vol1 r3"');
  });

  it('without a terminal, repeats an unchanged line every 5 s', async () => {
    let clock = 0;
    const walk = [...Array.from({ length: 12 }, (_, i) => rebuild({ state: 'REBUILD_STATE_REBUILDING', percent: i })), rebuild({ state: 'REBUILD_STATE_DONE' })];
    let out = '';
    const code = await followRebuild({
      engine: 'vol1',
      replica: 'r3',
      get: async () => walk.shift()!,
      out: (text) => (out += text),
      err: () => {},
      tty: false,
      width: () => 80,
      json: false,
      pollMs: 1,
      now: () => (clock += 1000),
    });
    expect(code).toBe(0);
    // One answer a second: lines at 0, 5 and 10 s (0%, 5%, 10%), then the end.
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.slice(0, 3).map((l) => /^rebuilding {2}\[[#-]+\] +(\d+%)/.exec(l)?.[1])).toEqual(['0%', '5%', '10%']);
    expect(lines[3]).toMatch(/^done {2}\[#+\] {2}100%/);
  });

  it('on a terminal, redraws one line in place and ends it before the final words', async () => {
    const throttle = { engaged: true, limitMbSec: 100, reason: 'DMA memory 91% > 90%' };
    const walk = [
      rebuild({ state: 'REBUILD_STATE_REBUILDING', percent: 10 }),
      rebuild({ state: 'REBUILD_STATE_REBUILDING', percent: 60, throttle }),
      rebuild({ state: 'REBUILD_STATE_DONE', percent: 100, bytesDone: 10 * GiB }),
    ];
    let out = '';
    const code = await followRebuild({
      engine: 'vol1',
      replica: 'r3',
      get: async () => walk.shift()!,
      out: (text) => (out += text),
      err: () => {},
      tty: true,
      width: () => 100,
      json: false,
      pollMs: 1,
    });
    expect(code).toBe(0);
    const draws = out.split('\r').slice(1);
    expect(draws).toHaveLength(4);
    expect(draws[0]).toMatch(/^rebuilding {2}\[#+-+\] {3}10%.*\x1b\[K$/);
    // The throttle's note replaces the live line, which is drawn again below it.
    expect(draws[1]).toBe('\x1b[Kthrottled to 100 MB/s (DMA memory 91% > 90%)\n');
    expect(draws[2]).toMatch(/^rebuilding {2}\[#+-+\] {3}60%.*throttled to 100 MB\/s\x1b\[K$/);
    expect(draws[3]).toMatch(/^done {2}\[#+\] {2}100% {2}10 GiB \/ 10 GiB\x1b\[K\nthe rebuild of r3 into engine vol1 is done: r3 is a healthy member\n$/);
  });
});

describe('rebuild list, get, cancel', () => {
  const running = rebuild({
    state: 'REBUILD_STATE_REBUILDING',
    path: 'REBUILD_PATH_RAID',
    pathReason: 'r1 has no api address',
    sourceReplica: 'r1',
    percent: 42,
    bytesDone: Math.round(4.2 * GiB),
    rateBytesPerSec: 200 * MiB,
    etaSec: 29,
    startedAtMs: T0 + 1000,
    processStartedAtMs: T0 + 1500,
    raid: { member: 'ec.vol1.r3n1', percent: 42, blocks: 1101004 },
    throttle: { engaged: true, limitMbSec: 100, reason: 'DMA memory 91% > 90%' },
  });
  const queued = rebuild({ engine: 'vol2', replica: 'r7', queuePosition: 1 });
  const done = rebuild({
    engine: 'vol3',
    replica: 'r9',
    state: 'REBUILD_STATE_DONE',
    path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
    reason: 'r9 is a healthy member',
    percent: 100,
    bytesDone: 10 * GiB,
    finishedAtMs: T0 + 60_000,
  });

  beforeEach(() => {
    fake.list = [running, queued, done];
  });

  it('rebuild list is a table of every rebuild; --engine asks for one engine; --json an array', async () => {
    const all = await run(['rebuild', 'list']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(rows(all.stdout)).toEqual([
      ['ENGINE', 'REPLICA', 'STATE', 'PATH', 'PERCENT', 'BYTES', 'RATE', 'ETA', 'REASON'],
      ['vol1', 'r3', 'rebuilding', 'raid', '42%', '4.2 GiB / 10 GiB', '200 MiB/s', '29s', '-'],
      ['vol2', 'r7', 'queued #1', '-', '0%', '0 B / 10 GiB', '-', '-', '-'],
      ['vol3', 'r9', 'done', 'snapshot-preserving', '100%', '10 GiB / 10 GiB', '-', '-', 'r9 is a healthy member'],
    ]);
    expect(fake.calls[0]).toEqual({ method: 'RebuildList', request: { engine: '', pageSize: 0, pageToken: '' } });

    const one = await run(['rebuild', 'list', '--engine', 'vol2', '--json']);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(fake.calls[1]).toEqual({ method: 'RebuildList', request: { engine: 'vol2', pageSize: 0, pageToken: '' } });
    expect(JSON.parse(one.stdout)).toEqual([queued]);
  });

  it('rebuild get prints every field, the snapshots as a table, and --json the API message', async () => {
    fake.walk = [
      {
        ...running,
        state: 'REBUILD_STATE_COPYING_SNAPSHOTS',
        path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
        pathReason: '',
        snapshots: [
          { name: 's1', state: 'copied', copiedClusters: 8, totalClusters: 8 },
          { name: 's2', state: 'copying', copiedClusters: 1, totalClusters: 4 },
        ],
      },
    ];
    const text = await run(['rebuild', 'get', 'vol1', 'r3']);
    expect(text.exitCode, text.stderr).toBe(0);
    const [fieldText, snapshotTable] = text.stdout.split('\n\n');
    expect(rows(fieldText!)).toEqual([
      ['engine', 'vol1'],
      ['replica', 'r3'],
      ['state', 'copying-snapshots'],
      ['path', 'snapshot-preserving'],
      ['source', 'r1'],
      ['progress', '42% (4.2 GiB of 10 GiB)'],
      ['rate', '200 MiB/s'],
      ['eta', '29s'],
      ['throttle', 'throttled to 100 MB/s (DMA memory 91% > 90%)'],
      ['raid process', 'ec.vol1.r3n1: 42% (1101004 blocks copied)'],
      ['created', '2025-01-02T03:04:05.000Z'],
      ['started', '2025-01-02T03:04:06.000Z'],
      ['raid started', '2025-01-02T03:04:06.500Z'],
      ['finished', '-'],
    ]);
    expect(rows(snapshotTable!)).toEqual([
      ['SNAPSHOT', 'STATE', 'CLUSTERS'],
      ['s1', 'copied', '8/8'],
      ['s2', 'copying', '1/4'],
    ]);
    const asJson = await run(['rebuild', 'get', 'vol1', 'r3', '--json']);
    expect(JSON.parse(asJson.stdout)).toEqual(fake.walk[0]);
  });

  it('rebuild get of a queued rebuild shows its queue position; of a missing one exits 5', async () => {
    fake.walk = [rebuild({ queuePosition: 3, reason: 'waiting: 2 rebuilds run (rebuild.maxConcurrent 2)' })];
    const text = await run(['rebuild', 'get', 'vol1', 'r3']);
    expect(text.stdout).toMatch(/^state\s+queued: waiting: 2 rebuilds run \(rebuild\.maxConcurrent 2\)$/m);
    expect(text.stdout).toMatch(/^queue position\s+3 \(1 = next\)$/m);
    expect(text.stdout).toMatch(/^path\s+not chosen yet$/m);
    const missing = await run(['rebuild', 'get', 'vol1', 'ghost']);
    expect(missing.exitCode).toBe(5);
    expect(missing.stderr).toBe('spdk-conductor: no rebuild of ghost into engine vol1 (NOT_FOUND)');
  });

  it('rebuild cancel says what it did: cancelled, or nothing because it had ended; --json the rebuild', async () => {
    const cancelled = await run(['rebuild', 'cancel', 'vol1', 'r3']);
    expect(cancelled.exitCode, cancelled.stderr).toBe(0);
    expect(cancelled.stdout.split('\n')[0]).toBe('cancelled the rebuild of r3 into engine vol1; r3 is not in the raid');
    expect(cancelled.stdout).toMatch(/^state\s+cancelled: cancelled by request$/m);
    expect(fake.calls.at(-1)).toEqual({ method: 'RebuildCancel', request: { engine: 'vol1', replica: 'r3' } });

    const ended = await run(['rebuild', 'cancel', 'vol3', 'r9']);
    expect(ended.exitCode).toBe(0);
    expect(ended.stdout.split('\n')[0]).toBe('the rebuild of r9 into engine vol3 had already ended (done); nothing was cancelled');

    const asJson = await run(['rebuild', 'cancel', 'vol2', 'r7', '--json']);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ engine: 'vol2', replica: 'r7', state: 'REBUILD_STATE_CANCELLED' });

    const missing = await run(['rebuild', 'cancel', 'vol9', 'r1']);
    expect(missing.exitCode).toBe(5);
  });
});

describe('api=HOST:PORT in a replica SPEC', () => {
  it('reaches the service as RemoteReplica.api_address, from replica-add and from create', async () => {
    const added = await run(['engine', 'replica-add', 'vol1', '--replica', `${R3},api=10.0.0.6:50051`]);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(fake.calls[0]!.request['replica']).toEqual({
      remote: { name: 'r3', address: '10.0.0.6', port: 20003, nqn: R3_NQN, apiAddress: '10.0.0.6:50051', dhchapKey: '', dhchapCtrlrKey: '', psk: '' },
      replica: 'remote',
    });

    const created = await run(['engine', 'create', 'vol2', '--size', '1GiB', '--frontend', 'nvme-host', '--replica', `api=node-b.example:50051,${R3}`, '--replica', 'name=r2,local']);
    expect(created.exitCode, created.stderr).toBe(0);
    const replicas = fake.calls[1]!.request['replicas'] as { remote?: { apiAddress: string } }[];
    expect(replicas.map((r) => r.remote?.apiAddress)).toEqual(['node-b.example:50051', undefined]);
  });

  it('is optional: without it api_address is empty', async () => {
    const added = await run(['engine', 'replica-add', 'vol1', '--replica', R3]);
    expect(added.exitCode, added.stderr).toBe(0);
    expect((fake.calls[0]!.request['replica'] as { remote: { apiAddress: string } }).remote.apiAddress).toBe('');
  });
});

describe('command line errors exit 2 and contact nothing', () => {
  it.each([
    [['engine', 'replica-add', 'vol1', '--replica', 'name=r2,local,api=10.0.0.6:50051'], /--replica "name=r2,local,api=10\.0\.0\.6:50051": a local replica takes only its name, not api/],
    [['engine', 'replica-add', 'vol1', '--replica', `${R3},api=10.0.0.6:1,api=10.0.0.7:1`], /api is given twice/],
    [['engine', 'replica-add', 'vol1', '--replica', `${R3},api=10.0.0.6`], /api "10\.0\.0\.6" is not HOST:PORT/],
    [['engine', 'replica-add', 'vol1', '--replica', `${R3},api=10.0.0.6:70000`], /api "10\.0\.0\.6:70000" is not HOST:PORT/],
    [['engine', 'replica-add', 'vol1', '--replica', `${R3},api`], /api needs a value \(api=...\)/],
    [['engine', 'replica-add', 'vol1', '--replica', 'name=r3,address=10.0.0.6,port=20003,api=h:1'], /--replica "name=r3,address=10\.0\.0\.6,port=20003,api=h:1": a remote replica needs nqn/],
    [['engine', 'get', 'vol1', '--wait'], /--wait does not apply to "engine get"/],
    [['rebuild', 'get', 'vol1'], /usage: spdk-conductor rebuild get ENGINE REPLICA/],
    [['rebuild', 'list', 'vol1'], /usage: spdk-conductor rebuild list \[--engine NAME\]/],
    [['rebuild', 'cancel', 'vol1', 'r3', '--engine', 'vol1'], /--engine does not apply to "rebuild cancel"/],
    [['rebuild', 'frob'], /unknown command "rebuild frob"; rebuild commands: list, get, cancel/],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fake.calls).toEqual([]);
  });

  it('help lists the rebuild commands and --wait with its exit codes', async () => {
    const result = await run(['help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('engine replica-add NAME --replica SPEC [--wait]');
    expect(result.stdout).toContain('7 when it failed (the reason is printed), 1 when it was cancelled, 3 when the service stays unreachable for 30 s');
    expect(result.stdout).toContain("api=HOST:PORT is the spdk-conductor API of the replica's node");
    expect(result.stdout).toContain('rebuild list [--engine NAME]');
    expect(result.stdout).toContain('rebuild get ENGINE REPLICA');
    expect(result.stdout).toContain('rebuild cancel ENGINE REPLICA');
  });
});
