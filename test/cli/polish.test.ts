/**
 * What makes the CLI pleasant to operate: help for one command, the version, deletes that say
 * when there was nothing to delete, raw spdk_tgt calls through the service, and `config show`
 * saying where each value came from. The built CLI as a process, over a temp Unix socket to an
 * API server in this process backed by the fake domain.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONDUCTOR_VERSION } from '../../src/version.js';
import { FakeDomain } from '../api/helpers/fake-domain.js';
import { startTestApi, type TestApi } from '../api/helpers/api-server.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;
let domain: FakeDomain;

function run(args: string[], extraEnv: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { CONDUCTOR_API_SOCKET: api.socketPath, CONDUCTOR_LOG_LEVEL: 'warn', ...extraEnv }, extendEnv: false, timeout: 30_000 });
}

beforeEach(async () => {
  domain = new FakeDomain();
  api = await startTestApi({ domain });
});
afterEach(async () => {
  await api.close();
});

describe('help', () => {
  it('engine --help, help engine and engine create --help give that group or command, not the whole help', async () => {
    for (const args of [
      ['engine', '--help'],
      ['help', 'engine'],
      ['engine', '-h'],
    ]) {
      const result = await run(args);
      expect(result.exitCode, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^ {2}spdk-conductor engine create NAME/m);
      expect(result.stdout).toMatch(/^ {2}spdk-conductor engine delete NAME/m);
      expect(result.stdout, 'no other group').not.toMatch(/replica create/);
      expect(result.stdout, 'no configuration flags').not.toMatch(/--spdk-socket/);
      expect(result.stdout).toMatch(/--timeout DURATION/);
      expect(result.stdout).toMatch(/^exit codes:/m);
    }
    const one = await run(['engine', 'create', '--help']);
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(/engine create NAME --size SIZE/);
    expect(one.stdout).not.toMatch(/engine delete/);
  });

  it('serve --help lists the configuration flags; help with no such command exits 2', async () => {
    const serve = await run(['help', 'serve']);
    expect(serve.exitCode).toBe(0);
    expect(serve.stdout).toMatch(/--spdk-socket \(CONDUCTOR_SPDK_SOCKET\)/);
    expect(serve.stdout).not.toMatch(/engine create/);
    const none = await run(['help', 'frobnicate']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/no command "frobnicate"/);
    // The whole help still comes from help, --help, and nothing at all (that one exits 2).
    expect((await run(['help'])).stdout).toMatch(/node API commands/);
    expect((await run(['--help'])).exitCode).toBe(0);
    expect((await run([])).exitCode).toBe(2);
  });

  it('--version prints the version', async () => {
    const result = await run(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`spdk-conductor ${CONDUCTOR_VERSION}`);
  });
});

describe('idempotent deletes', () => {
  it('say "already absent" when there was nothing to delete, and exit 0; --json carries already_absent', async () => {
    await domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
    await domain.replicaCreate('r1', 'd1', GiB);
    await domain.replicaCreate('r2', 'd1', GiB);
    await domain.snapshotCreate({ replicaName: 'r1', name: 's1', labels: {} });
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

    const cases: [string[], RegExp, RegExp][] = [
      [['snapshot', 'delete', 'r1', 's1'], /^deleted snapshot s1 of replica r1$/, /^snapshot s1 of replica r1 already absent: nothing deleted$/],
      [['engine', 'delete', 'vol1'], /^deleted engine vol1$/, /^engine vol1 already absent: nothing deleted$/],
      [['replica', 'delete', 'r1'], /^deleted replica r1$/, /^replica r1 already absent: nothing deleted$/],
      [['disk', 'delete', 'd1', '--wipe'], /^deleted disk d1 and everything on it$/, /^disk d1 already absent: nothing deleted$/],
    ];
    for (const [args, first, again] of cases) {
      const done = await run(args);
      expect(done.exitCode, `${args.join(' ')}: ${done.stderr}`).toBe(0);
      expect(done.stdout.trim()).toMatch(first);
      const twice = await run(args);
      expect(twice.exitCode, args.join(' ')).toBe(0);
      expect(twice.stdout.trim()).toMatch(again);
      expect(JSON.parse((await run([...args, '--json'])).stdout)).toEqual({ alreadyAbsent: true });
    }
  });
});

describe('spdk call', () => {
  it('sends a reading method with its params; one that changes state only with --allow-mutating', async () => {
    const read = await run(['spdk', 'call', 'bdev_get_bdevs', '{"name": "Malloc0"}']);
    expect(read.exitCode, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toEqual({ method: 'bdev_get_bdevs', params: { name: 'Malloc0' } });

    const refused = await run(['spdk', 'call', 'bdev_malloc_create', '{"num_blocks": 8, "block_size": 512}']);
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toMatch(/\[SPDK_CALL_MUTATING\]/);
    const allowed = await run(['spdk', 'call', 'bdev_malloc_create', '{"num_blocks": 8, "block_size": 512}', '--allow-mutating']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(domain.spdkCalls.map((c) => [c.method, c.allowMutating])).toEqual([
      ['bdev_get_bdevs', false],
      ['bdev_malloc_create', true],
    ]);
  });

  it('refuses what is not a method name or a JSON object before anything is sent', async () => {
    for (const [args, message] of [
      [['spdk', 'call', 'bdev_get_bdevs', '[1]'], /must be a JSON object/],
      [['spdk', 'call', 'bdev_get_bdevs', 'nope'], /are not JSON/],
      [['spdk', 'call', 'Bdev-Get', '{}'], /is not an SPDK method name/],
      [['spdk', 'call'], /usage: spdk-conductor spdk call METHOD/],
    ] as const) {
      const result = await run([...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(domain.spdkCalls).toEqual([]);
  });
});

describe('config show', () => {
  it('aligns every key with its value and where the value came from', async () => {
    const result = await run(['config', 'show', '--log-level', 'debug'], { CONDUCTOR_EXPORT_PORT_MIN: '20100' });
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.find((l) => l.startsWith('log.level '))).toMatch(/^log\.level\s+debug\s+flag --log-level$/);
    expect(lines.find((l) => l.startsWith('export.portMin '))).toMatch(/^export\.portMin\s+20100\s+environment CONDUCTOR_EXPORT_PORT_MIN$/);
    expect(lines.find((l) => l.startsWith('export.portMax '))).toMatch(/\s+default$/);
    // Values start in one column.
    const column = (l: string) => l.search(/ {2}\S/);
    expect(new Set(lines.map(column)).size).toBe(1);
  });
});
