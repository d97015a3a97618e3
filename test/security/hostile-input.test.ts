/**
 * Issue 11, items 6, 7 and 9, through the real API of a real service on the simulator: names that
 * are Object's own properties, strings of hostile size (the caller refused in a short message,
 * other callers unaffected), truncated NQNs and control characters in every kind of field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { execa } from 'execa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { StateFile } from '../../src/domain/node/state-file.js';
import { REQUEST_MAX_BYTES } from '../../src/validation/limits.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { refusal, type Refusal } from '../helpers/refusal.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const MiB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
/** Object.prototype's own names: `constructor` is a valid name, the others break the name rule. */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const;

let node: NodeFixture;
let api: ApiClients;

beforeAll(async () => {
  node = await startNode();
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
});
afterAll(async () => {
  api?.close();
  await node?.close();
});

const DEADLINE = { deadlineMs: 15_000 };

describe("names that are Object's own properties (item 6)", () => {
  it('constructor is a disk, a replica, a snapshot and an engine like any other: create, get, list, delete', async () => {
    const disk = await invoke(api.disks, 'DiskCreate', { name: 'constructor', path: node.diskFile('constructor', 256), kind: 'DISK_KIND_AIO' }, DEADLINE);
    expect(disk.name).toBe('constructor');
    expect((await invoke(api.disks, 'DiskGet', { name: 'constructor' }, DEADLINE)).name).toBe('constructor');
    expect((await invoke(api.disks, 'DiskList', {}, DEADLINE)).disks.map((d) => d.name)).toEqual(['constructor']);

    for (const name of ['constructor', 'constructor-b']) await invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'constructor', sizeBytes: 16 * MiB }, DEADLINE);
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'constructor' }, DEADLINE)).diskName).toBe('constructor');
    expect((await invoke(api.replicas, 'ReplicaList', { diskName: 'constructor' }, DEADLINE)).replicas.map((r) => r.name).sort()).toEqual(['constructor', 'constructor-b']);

    const snapshot = await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'constructor', name: 'constructor', labels: { constructor: 'x', valueOf: 'y' }, userCreated: true }, DEADLINE);
    expect(snapshot.labels).toEqual({ constructor: 'x', valueOf: 'y' });
    expect((await invoke(api.snapshots, 'SnapshotList', { replicaName: 'constructor' }, DEADLINE)).snapshots.map((s) => s.name)).toEqual(['constructor']);

    const engineRequest = {
      name: 'constructor',
      sizeBytes: 16 * MiB,
      replicas: [{ local: { name: 'constructor' } }, { local: { name: 'constructor-b' } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY' as const,
      hostNqns: [HOST],
    };
    expect(await invoke(api.engines, 'EngineGet', { name: 'constructor' }, DEADLINE).catch((e: unknown) => (e as { code: number }).code)).toBe(status.NOT_FOUND);
    const engine = await invoke(api.engines, 'EngineCreate', engineRequest, DEADLINE);
    expect(engine.name).toBe('constructor');
    // Idempotent: the same request again finds the record it made, not Object's constructor.
    expect((await invoke(api.engines, 'EngineCreate', engineRequest, DEADLINE)).name).toBe('constructor');
    expect((await invoke(api.engines, 'EngineGet', { name: 'constructor' }, DEADLINE)).members.map((m) => m.name).sort()).toEqual(['constructor', 'constructor-b']);
    expect((await invoke(api.engines, 'EngineList', {}, DEADLINE)).engines.map((e) => e.name)).toEqual(['constructor']);

    await invoke(api.engines, 'EngineDelete', { name: 'constructor' }, DEADLINE);
    expect((await refusal(invoke(api.engines, 'EngineGet', { name: 'constructor' }, DEADLINE))).conductorCode).toBe('ENGINE_NOT_FOUND');
    expect((await invoke(api.engines, 'EngineList', {}, DEADLINE)).engines).toEqual([]);
    await invoke(api.snapshots, 'SnapshotDelete', { replicaName: 'constructor', name: 'constructor' }, DEADLINE);
    for (const name of ['constructor', 'constructor-b']) await invoke(api.replicas, 'ReplicaDelete', { name }, DEADLINE);
    expect((await refusal(invoke(api.replicas, 'ReplicaGet', { name: 'constructor' }, DEADLINE))).conductorCode).toBe('REPLICA_NOT_FOUND');
    await invoke(api.disks, 'DiskDelete', { name: 'constructor' }, DEADLINE);
    expect((await refusal(invoke(api.disks, 'DiskGet', { name: 'constructor' }, DEADLINE))).conductorCode).toBe('DISK_NOT_FOUND');
  });

  it.each(PROTOTYPE_NAMES.filter((n) => n !== 'constructor'))('%s is refused as a name of every kind, and nothing is made', async (name) => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['DiskCreate', () => invoke(api.disks, 'DiskCreate', { name, path: '/dev/null' }, DEADLINE)],
      ['DiskGet', () => invoke(api.disks, 'DiskGet', { name }, DEADLINE)],
      ['DiskDelete', () => invoke(api.disks, 'DiskDelete', { name }, DEADLINE)],
      ['ReplicaCreate', () => invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: MiB }, DEADLINE)],
      ['ReplicaGet', () => invoke(api.replicas, 'ReplicaGet', { name }, DEADLINE)],
      ['ReplicaList', () => invoke(api.replicas, 'ReplicaList', { diskName: name }, DEADLINE)],
      ['ReplicaDelete', () => invoke(api.replicas, 'ReplicaDelete', { name }, DEADLINE)],
      ['SnapshotCreate', () => invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r', name }, DEADLINE)],
      ['SnapshotList', () => invoke(api.snapshots, 'SnapshotList', { replicaName: name }, DEADLINE)],
      ['SnapshotDelete', () => invoke(api.snapshots, 'SnapshotDelete', { replicaName: 'r', name }, DEADLINE)],
      [
        'EngineCreate',
        () =>
          invoke(
            api.engines,
            'EngineCreate',
            { name, sizeBytes: MiB, replicas: [{ local: { name: 'a' } }, { local: { name: 'b' } }], frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] },
            DEADLINE,
          ),
      ],
      ['EngineGet', () => invoke(api.engines, 'EngineGet', { name }, DEADLINE)],
      ['EngineDelete', () => invoke(api.engines, 'EngineDelete', { name }, DEADLINE)],
    ];
    for (const [method, call] of calls) {
      const refused = await refusal(call());
      expect({ method, code: refused.code, conductorCode: refused.conductorCode }).toEqual({ method, code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_NAME' });
    }
    expect((await invoke(api.disks, 'DiskList', {}, DEADLINE)).disks).toEqual([]);
    expect((await invoke(api.engines, 'EngineList', {}, DEADLINE)).engines).toEqual([]);
  });

  it.each([
    [['disk', 'create', 'd', '--path', '/dev/null', '--kind', 'constructor'], /--kind "constructor" is not a disk kind/],
    [['engine', 'create', 'v', '--size', '1GiB', '--replica', 'local,name=a', '--replica', 'local,name=b', '--frontend', 'constructor'], /--frontend "constructor" is not a frontend/],
    [['replica', 'create', 'r', '--disk', 'd', '--size', '1constructor'], /--size "1constructor" is not a size/],
  ])('the CLI refuses constructor as an option value it looks up: %j', async (args, message) => {
    const result = await execa(process.execPath, [CLI, ...args], { reject: false, env: { CONDUCTOR_API_SOCKET: path.join(node.dir, 'api.sock') }, extendEnv: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('a label keyed __proto__ is refused as a label key, not taken for a prototype', async () => {
    await invoke(api.disks, 'DiskCreate', { name: 'dl', path: node.diskFile('dl', 64) }, DEADLINE);
    await invoke(api.replicas, 'ReplicaCreate', { name: 'rl', diskName: 'dl', sizeBytes: 16 * MiB }, DEADLINE);
    const labels = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const refused = await refusal(invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'rl', name: 's1', labels }, DEADLINE));
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_LABELS' });
    expect(refused.details).toContain('label key "__proto__" is not allowed');
    expect((await invoke(api.snapshots, 'SnapshotList', { replicaName: 'rl' }, DEADLINE)).snapshots).toEqual([]);
    await invoke(api.replicas, 'ReplicaDelete', { name: 'rl' }, DEADLINE);
    await invoke(api.disks, 'DiskDelete', { name: 'dl' }, DEADLINE);
  });

  it('a state file keyed by __proto__ and constructor loads them as data', () => {
    const dir = tempDir('state-proto-');
    const file = path.join(dir, 'state.json');
    const spec = (name: string) => ({ name, sizeBytes: MiB, replicas: [], frontend: 'export-only', hostNqns: [], port: 4420 });
    const meta = { createdAt: '2026-01-01T00:00:00.000Z', labels: { constructor: 'c' }, userCreated: true };
    const text = `{"version":1,"engines":{"__proto__":${JSON.stringify(spec('__proto__'))},"constructor":${JSON.stringify(spec('constructor'))}},"snapshots":{"constructor/s1":${JSON.stringify(meta)}},"intents":{"__proto__":{"op":"replica-delete","replica":"__proto__","disk":"d"}}}`;
    fs.writeFileSync(file, text);
    const state = StateFile.open(file, pino({ level: 'silent' }));
    expect(state.engine('constructor')?.name).toBe('constructor');
    expect(state.engine('__proto__')?.name).toBe('__proto__');
    expect(state.engine('toString')).toBeUndefined();
    expect(
      state
        .engines()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['__proto__', 'constructor']);
    expect(state.snapshotMeta('constructor', 's1')).toEqual(meta);
    expect(state.intentOf('__proto__')).toMatchObject({ op: 'replica-delete' });
    expect(state.intentOf('hasOwnProperty')).toBeUndefined();
    expect(state.intents()).toHaveLength(1);
  });
});

/** Latencies of a loop of cheap calls (ReplicaList, health) on its own channel, for `ms`. */
async function latencies(target: { unixSocket: string }, ms: number): Promise<number[]> {
  const clients = createApiClients(target);
  const samples: number[] = [];
  try {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const started = performance.now();
      // A call that fails or times out fails the test: the channel must keep working.
      await invoke(clients.replicas, 'ReplicaList', { diskName: '' }, { deadlineMs: 5000 });
      expect(await clients.healthCheck('', { deadlineMs: 5000 })).toBe('SERVING');
      samples.push(performance.now() - started);
    }
  } finally {
    clients.close();
  }
  return samples;
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

describe('strings of hostile size (item 7)', () => {
  it('paths of 512 KiB, 1 MiB and 4 MiB are refused with a short message while another client sees no difference', async () => {
    const target = { unixSocket: path.join(node.dir, 'api.sock') };
    const baseline = await latencies(target, 2000);

    const hostile = createApiClients(target);
    const refusals: Refusal[] = [];
    const attack = (async () => {
      try {
        for (let round = 0; round < 4; round++) {
          for (const size of [512 * 1024, MiB, 4 * MiB]) {
            refusals.push(await refusal(invoke(hostile.disks, 'DiskCreate', { name: 'big', path: 'a'.repeat(size) }, { deadlineMs: 15_000 })));
            refusals.push(await refusal(invoke(hostile.disks, 'DiskCreate', { name: 'big', path: `/${'a'.repeat(size)}` }, { deadlineMs: 15_000 })));
          }
        }
        // The hostile caller's own channel still works: it was refused, not cut off.
        expect((await invoke(hostile.disks, 'DiskList', {}, DEADLINE)).disks).toEqual([]);
      } finally {
        hostile.close();
      }
    })();
    const during = await latencies(target, 2000);
    await attack;

    expect(refusals).toHaveLength(24);
    for (const r of refusals) {
      expect([status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED]).toContain(r.code);
      expect(r.details.length).toBeLessThan(200);
      expect(r.details).not.toMatch(/a{65}/);
    }
    // Under the receive cap the edge refuses it; over it grpc-js does, before decoding.
    expect(refusals.filter((r) => r.code === status.INVALID_ARGUMENT).map((r) => r.conductorCode)).toEqual(Array(8).fill('INVALID_PATH'));
    expect(refusals.filter((r) => r.code === status.RESOURCE_EXHAUSTED)).toHaveLength(16);
    expect(REQUEST_MAX_BYTES).toBeLessThan(MiB + 1);

    // Generous: a busy 2-core machine moves p99 a lot; a broken channel or seconds of
    // DEADLINE_EXCEEDED (what the issue saw) fails the loop itself or lands far above this.
    const limit = Math.max(20 * p99(baseline), 750);
    // The figures for the record (issue 11 asks for the other client's p99 before and during).
    console.info(`other client: p99 ${p99(baseline).toFixed(1)} ms before (${baseline.length} calls), ${p99(during).toFixed(1)} ms during the attack (${during.length} calls)`);
    expect(during.length).toBeGreaterThan(5);
    expect(p99(during), `p99 ${p99(during).toFixed(1)} ms under attack, ${p99(baseline).toFixed(1)} ms before`).toBeLessThan(limit);
  });

  it('every string field of every request is bounded, whatever its method: a 64 KiB name, NQN, label or address', async () => {
    const long = 'x'.repeat(64 * 1024);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => invoke(api.replicas, 'ReplicaGet', { name: long }, DEADLINE), 'INVALID_NAME'],
      [() => invoke(api.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [long] }, DEADLINE), 'INVALID_NQN'],
      [() => invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1', labels: { k: long } }, DEADLINE), 'INVALID_LABELS'],
      [() => invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1', labels: { [long]: 'v' } }, DEADLINE), 'INVALID_LABELS'],
      [
        () =>
          invoke(
            api.engines,
            'EngineCreate',
            {
              name: 'v1',
              sizeBytes: MiB,
              replicas: [{ remote: { name: 'r1', address: long, port: 4420, nqn: HOST } }, { local: { name: 'r2' } }],
              frontend: 'FRONTEND_KIND_EXPORT_ONLY',
              hostNqns: [HOST],
            },
            DEADLINE,
          ),
        'INVALID_ADDRESS',
      ],
      [() => invoke(api.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: Array(1000).fill(HOST) }, DEADLINE), 'INVALID_NQN'],
    ];
    for (const [call, code] of cases) {
      const refused = await refusal(call());
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.conductorCode).toBe(code);
      expect(refused.details.length).toBeLessThan(200);
    }
  });
});

describe('truncated NQNs and control characters (item 9)', () => {
  beforeAll(async () => {
    await invoke(api.disks, 'DiskCreate', { name: 'd9', path: node.diskFile('d9', 256) }, DEADLINE);
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r9', diskName: 'd9', sizeBytes: 16 * MiB, hostNqns: [HOST] }, DEADLINE);
  });

  it.each([
    ['the UUID form cut before its colon', 'nqn.2014-08.org.nvmexpress:uuid'],
    ['the UUID form cut after its colon', 'nqn.2014-08.org.nvmexpress:uuid:'],
    ['the UUID form cut inside the UUID', HOST.slice(0, -1)],
    ['another name in the specification domain', 'nqn.2014-08.org.nvmexpress:host1'],
    ['a NUL inside', 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43\u00005b2a1e7c9a10'],
    ['a NUL at the end', `${HOST}\u0000`],
    ['a C1 control character', 'nqn.2024-11.io.example:host\u0085a'],
    ['a year before DNS', 'nqn.1970-01.io.example:host'],
    ['an all-digit top-level domain', 'nqn.2024-11.123.example:host'],
  ])('refuses %s, and the export keeps its hosts', async (_what, nqn) => {
    const refused = await refusal(invoke(api.replicas, 'ReplicaExpose', { name: 'r9', hostNqns: [nqn] }, DEADLINE));
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_NQN' });
    expect(refused.details).toMatch(/^host_nqns\[0\]: /);
    expect(refused.details).not.toContain('\u0000');
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'r9' }, DEADLINE)).export?.hostNqns).toEqual([HOST]);
  });

  it.each([
    ['a name', () => invoke(api.replicas, 'ReplicaGet', { name: 'r9\n' }, DEADLINE), 'INVALID_NAME'],
    ['a label value', () => invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r9', name: 's1', labels: { k: 'a\u009bb' } }, DEADLINE), 'INVALID_LABELS'],
    ['a label key', () => invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r9', name: 's1', labels: { 'k\u0000': 'v' } }, DEADLINE), 'INVALID_LABELS'],
    ['a path', () => invoke(api.disks, 'DiskCreate', { name: 'd10', path: '/tmp/a\u0000b' }, DEADLINE), 'INVALID_PATH'],
    [
      'an address',
      () =>
        invoke(
          api.engines,
          'EngineCreate',
          {
            name: 'v1',
            sizeBytes: MiB,
            replicas: [{ remote: { name: 'r1', address: '10.0.0.1\u007f', port: 4420, nqn: HOST } }, { local: { name: 'r9' } }],
            frontend: 'FRONTEND_KIND_EXPORT_ONLY',
            hostNqns: [HOST],
          },
          DEADLINE,
        ),
      'INVALID_ADDRESS',
    ],
    ['an engine name', () => invoke(api.engines, 'EngineGet', { name: 'v\u0007' }, DEADLINE), 'INVALID_NAME'],
  ] as const)('refuses a control character in %s', async (_what, call, code) => {
    const refused = await refusal(call());
    expect(refused).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: code });
    expect(refused.details).toMatch(/control character/);
    expect((await invoke(api.snapshots, 'SnapshotList', { replicaName: 'r9' }, DEADLINE)).snapshots).toEqual([]);
    expect((await invoke(api.engines, 'EngineList', {}, DEADLINE)).engines).toEqual([]);
  });
});
