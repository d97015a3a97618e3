/**
 * engine snapshot-create|snapshot-list|snapshot-delete|snapshot-revert and replica clone as a user runs them: the
 * built CLI as a process, over a temp Unix socket to an API server backed by the fake domain.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../api/helpers/api-server.js';
import type { FakeDomain } from '../api/helpers/fake-domain.js';
import { ConductorError } from '../../src/errors.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;
let domain: FakeDomain;

function run(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { CONDUCTOR_API_SOCKET: api.socketPath, CONDUCTOR_LOG_LEVEL: 'warn' }, extendEnv: false, timeout: 30_000 });
}

beforeEach(async () => {
  api = await startTestApi();
  domain = api.domain;
  await domain.diskCreate({ name: 'd1', path: '/dev/sda' });
  for (const r of ['r1', 'r2']) await domain.replicaCreate(r, 'd1', GiB);
  await domain.engineCreate({
    name: 'vol1',
    sizeBytes: GiB,
    replicas: [
      { name: 'r1', kind: 'local' },
      { name: 'r2', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: [HOST],
  });
  domain.calls.length = 0;
});
afterEach(async () => {
  await api.close();
});

describe('engine snapshot commands', () => {
  it('creates with labels, lists, and deletes', async () => {
    const made = await run(['engine', 'snapshot-create', 'vol1', 's1', '--label', 'app=db']);
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/consistency\s+unverified/);
    expect(domain.calls.find((c) => c.method === 'engineSnapshotCreate')?.args).toEqual([{ engine: 'vol1', name: 's1', labels: { app: 'db' } }]);

    const list = await run(['engine', 'snapshot-list', 'vol1']);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+CREATED\s+STATE\s+CONSISTENCY\s+MEMBERS\s+LABELS/);
    expect(list.stdout).toMatch(/s1\s+\S+\s+ready\s+unverified\s+r1,r2\s+app=db/);
    const asJson = JSON.parse((await run(['engine', 'snapshot-list', 'vol1', '--json'])).stdout) as { name: string; createdAt: string }[];
    expect(asJson.map((s) => s.name)).toEqual(['s1']);
    expect(asJson[0]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    expect((await run(['engine', 'snapshot-delete', 'vol1', 's1'])).stdout).toBe('deleted volume snapshot s1 of engine vol1');
    expect((await run(['engine', 'snapshot-list', 'vol1', '--json'])).stdout.trim()).toBe('[]');
  });

  it('refuses a bad label and a missing engine with their exit codes', async () => {
    const badLabel = await run(['engine', 'snapshot-create', 'vol1', 's1', '--label', 'nokey']);
    expect(badLabel.exitCode).toBe(2);
    expect(badLabel.stderr).toContain('KEY=VALUE');
    const missing = await run(['engine', 'snapshot-list', 'nope']);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('[ENGINE_NOT_FOUND]');
  });
});

describe('engine snapshot-revert', () => {
  it('sends the engine, the snapshot and the source, and says the members rebuild', async () => {
    const chosen = await run(['engine', 'snapshot-revert', 'vol1', 's1']);
    expect(chosen.exitCode, chosen.stderr).toBe(0);
    expect(chosen.stdout).toMatch(/reverted to\s+s1/);
    expect(chosen.stdout).toContain('rebuild list --engine vol1');
    const named = await run(['engine', 'snapshot-revert', 'vol1', 's1', '--source', 'r2', '--json']);
    expect(named.exitCode, named.stderr).toBe(0);
    expect((JSON.parse(named.stdout) as { name: string }).name).toBe('vol1');
    expect(domain.calls.filter((c) => c.method === 'engineSnapshotRevert').map((c) => c.args[0])).toEqual([
      { engine: 'vol1', snapshot: 's1' },
      { engine: 'vol1', snapshot: 's1', source: 'r2' },
    ]);
  });

  it('a refusal exits with its status and code; a bad source name never reaches the domain', async () => {
    domain.failNext('engineSnapshotRevert', new ConductorError('ENGINE_HOSTS_CONNECTED', "host nqn.2014-08.org.nvmexpress:uuid:x is connected to engine vol1's export"));
    const connected = await run(['engine', 'snapshot-revert', 'vol1', 's1']);
    expect(connected.exitCode).not.toBe(0);
    expect(connected.stderr).toContain('[ENGINE_HOSTS_CONNECTED]');
    const bad = await run(['engine', 'snapshot-revert', 'vol1', 's1', '--source', 'Bad Name']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('[INVALID_NAME]');
    expect(domain.calls.filter((c) => c.method === 'engineSnapshotRevert')).toHaveLength(1);
  });
});

describe('replica clone', () => {
  it('sends linked by default and full with --full, from another node only with --disk', async () => {
    await domain.snapshotCreate({ replicaName: 'r1', name: 's1' });
    const linked = await run(['replica', 'clone', 'c1', 'r1', 's1']);
    expect(linked.exitCode, linked.stderr).toBe(0);
    expect(linked.stdout).toContain('c1');
    const full = await run(['replica', 'clone', 'c2', 'r1', 's1', '--full', '--disk', 'd1', '--source-node', '10.0.0.9:50051']);
    expect(full.exitCode, full.stderr).toBe(0);
    expect(domain.calls.filter((c) => c.method === 'replicaClone').map((c) => c.args[0])).toEqual([
      { name: 'c1', sourceReplica: 'r1', snapshot: 's1', mode: 'linked' },
      { name: 'c2', sourceReplica: 'r1', snapshot: 's1', mode: 'full', diskName: 'd1', sourceApiAddress: '10.0.0.9:50051' },
    ]);
    const notFull = await run(['replica', 'clone', 'c3', 'r1', 's1', '--source-node', '10.0.0.9:50051', '--disk', 'd1']);
    expect(notFull.exitCode).toBe(2);
    expect(notFull.stderr).toContain('--full');
  });
});
