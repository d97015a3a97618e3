/**
 * The state file's validators generated ahead of time (ajv standalone, as `npm run build` makes
 * them) refuse and accept exactly what the schemas compiled at start do, with the same words; a
 * set made from other schemas is not used.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type StateCheck, stateCheck, stateValidatorSet } from '../../../src/domain/node/state-schema.js';
import { INDEX_FILE } from '../../../src/validation/generated-validators.js';
import { writeGenerated } from '../../../src/validation/standalone-build.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Generated code requires ajv's runtime helpers by package name, so it must sit below this
// checkout's node_modules, as dist/ does.
const cacheRoot = path.join(repoRoot, 'node_modules', '.cache');
mkdirSync(cacheRoot, { recursive: true });
const work = mkdtempSync(path.join(cacheRoot, 'conductor-state-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const generatedDir = path.join(work, 'state-validators');
writeGenerated(generatedDir, stateValidatorSet());

function capture(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-1111-4c5e-9c66-5a1b2c3d4e5f';

/** Every table and optional record the current version has, filled. */
const FULL_V2 = {
  version: 2,
  disks: { d1: { name: 'd1', kind: 'aio', path: '/dev/sdb', lvstoreUuid: 'u-1', clusterSize: 4_194_304, blockSize: 512 } },
  exports: {
    'r-1': { replica: 'r-1', hostNqns: [HOST], address: '10.0.0.7', port: 4420, security: { hosts: { [HOST]: { dhchapKey: 'k.1', psk: 'p_1' } } } },
  },
  engines: {
    'vol-a': {
      name: 'vol-a',
      sizeBytes: 1_073_741_824,
      replicas: [
        { kind: 'local', name: 'r-1' },
        { kind: 'remote', name: 'r-2', address: '10.0.0.12', port: 4420, nqn: 'nqn.2024-01.io.x:r-2', apiAddress: '10.0.0.12:50051', keys: { dhchapKey: 'k2' } },
      ],
      frontend: 'nvme-host',
      hostNqns: [HOST],
      port: 4521,
      timeouts: { host: { ctrlLossTmoSec: 30 }, replica: { ctrlrLossTimeoutSec: 20 } },
      creating: false,
      superblock: true,
      out: ['r-2'],
      salvage: { source: 'r-1', rule: 'written', reason: 'why', decidedAtMs: 1, members: [{ replica: 'r-2', verdict: 'rebuilt', reason: 'older' }] },
      rebuilding: {
        'r-2': {
          createdAtMs: 1,
          phase: 'rebuilding',
          view: {
            path: 'raid',
            pathReason: 'r',
            source: 'r-1',
            snapshots: [{ name: 's', state: 'copied', copiedClusters: 1, totalClusters: 1 }],
            raidBaseBytes: 0,
            bytesDone: 1,
            bytesTotal: 2,
            percent: 50,
          },
        },
      },
      volumeSnapshots: { s1: { createdAt: 't', labels: { a: 'b' }, members: ['r-1'], state: 'ready', identical: [] } },
      qos: { rwIosPerSec: 0, rwMbytesPerSec: 1, rMbytesPerSec: 0, wMbytesPerSec: 0 },
      expanding: { sizeBytes: 2, startedAtMs: 1, grown: { 'r-1': 2 } },
      reverting: { snapshot: 's1', source: 'r-1', startedAtMs: 1, phase: 'down' },
    },
  },
  snapshots: { 'r-1/s1': { createdAt: 't', labels: {}, userCreated: true } },
  intents: {
    'r-3': { op: 'replica-delete', replica: 'r-3', disk: 'd1' },
    'r-4': { op: 'snapshot-revert', replica: 'r-4', disk: 'd1', snapshot: 's' },
    'r-5': { op: 'replica-expose', replica: 'r-5', hostNqns: [HOST], port: 4430 },
  },
  keyUsers: { 'engine/vol-a': { dhchap: 'k.1' } },
  backupJobs: { j1: { kind: 'backup', volume: 'vol-a', replica: 'r-1', snapshot: 's1', backupId: 'b', disk: 'd1', labels: {}, state: 'uploading', createdAtMs: 1 } },
  backupTarget: { kind: 's3', endpoint: 'http://x', region: 'r', bucket: 'b', prefix: '', forcePathStyle: true, accessKeyIdEnv: 'A', secretAccessKeyFile: '/f' },
  backupSweeps: { 'vol-a': { reason: 'deferred', sinceMs: 1 } },
  keptPorts: { 'engine/old': 4600 },
};

const V1 = JSON.parse(readFileSync(path.join(repoRoot, 'test/domain/fixtures/state-v1.json'), 'utf8')) as Record<string, unknown>;

const WRONG: readonly unknown[] = [-1, 1.5, 70_000, '', 'x', 'nope', true, null, {}, [], ['x'], [1]];

/** The document, then at every path: the value missing, each wrong value, and an unknown key beside it. */
function variants(doc: unknown): unknown[] {
  const out: unknown[] = [doc];
  const walk = (at: (value: unknown) => unknown, value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    for (const [key, child] of entries) {
      const set = (replacement: unknown, remove = false) =>
        at(
          Array.isArray(value)
            ? value.map((v, i) => (i === key ? replacement : v))
            : Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (k === key ? (remove ? [] : [[k, replacement]]) : [[k, v]]))),
        );
      if (!Array.isArray(value)) out.push(set(undefined, true));
      for (const wrong of WRONG) out.push(set(wrong));
      walk((inner) => set(inner), child);
    }
    if (!Array.isArray(value)) out.push(at({ ...value, unknownKey: 1 }));
  };
  walk((v) => v, doc);
  return out;
}

function outcome(check: StateCheck, doc: unknown): { ok: unknown } | { refused: string } {
  try {
    return { ok: check('/state.json', doc) };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe('generated state file validators', () => {
  const compiled = stateCheck({ generated: false });
  const { log, lines } = capture();
  const generated = stateCheck({ generated: generatedDir, log });

  it.each([
    ['version 2, every table filled', FULL_V2],
    ['version 1', V1],
  ])('%s: the same verdict and words at every path', (_, doc) => {
    const table = variants(doc);
    expect(table.length).toBeGreaterThan(200);
    const expected = table.map((d) => outcome(compiled, d));
    expect(table.map((d) => outcome(generated, d))).toEqual(expected);
    expect(expected[0]).toHaveProperty('ok');
    // Many different refusals, each worded: a check that refused everything alike would not pass.
    expect(new Set(expected.flatMap((o) => ('refused' in o ? [o.refused] : []))).size).toBeGreaterThan(50);
    expect(lines).toEqual([]);
  });

  it('names the first bad key as the compiled schema does', () => {
    const bad = structuredClone(FULL_V2) as { engines: { 'vol-a': { replicas: Array<Record<string, unknown>> } } };
    bad.engines['vol-a'].replicas[1]!.port = 'x';
    expect(outcome(generated, bad)).toEqual({ refused: expect.stringContaining('$.engines["vol-a"].replicas[1].port must be integer') });
  });

  it('compiles, saying why at debug, when the set was made from other schemas', () => {
    const copy = path.join(work, 'other-schemas');
    cpSync(generatedDir, copy, { recursive: true });
    const index = JSON.parse(readFileSync(path.join(copy, INDEX_FILE), 'utf8')) as { digest: string };
    writeFileSync(path.join(copy, INDEX_FILE), JSON.stringify({ ...index, digest: '0'.repeat(64) }));
    const other = capture();
    const check = stateCheck({ generated: copy, log: other.log });
    expect(outcome(check, FULL_V2)).toEqual(outcome(compiled, FULL_V2));
    expect(other.lines).toHaveLength(1);
    expect(other.lines[0]).toMatchObject({ level: 20, msg: 'state file schema: compiling it', version: 2 });
    expect(String(other.lines[0]!.reason)).toMatch(/made from other inputs/);
  });
});
