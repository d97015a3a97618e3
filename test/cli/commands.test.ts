/**
 * The disk, replica and snapshot commands as a user runs them: the built CLI as a process,
 * talking over a temp Unix socket to an API server in this process backed by the fake domain.
 * Tables for people, --json for scripts, and exit codes that say what happened.
 */
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClients } from '../../src/api/client.js';
import { ConductorError } from '../../src/errors.js';
import { FakeDomain } from '../api/helpers/fake-domain.js';
import { startTestApi, waitFor, type TestApi } from '../api/helpers/api-server.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const GiB = 1024 ** 3;
const HOST_A = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const HOST_B = 'nqn.2014-08.org.nvmexpress:uuid:1a2b3c4d-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;
let domain: FakeDomain;

function env(): Record<string, string> {
  return { CONDUCTOR_API_SOCKET: api.socketPath, CONDUCTOR_LOG_LEVEL: 'warn' };
}

function run(args: string[], extraEnv: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { ...env(), ...extraEnv }, extendEnv: false, timeout: 30_000 });
}

/** The CLI as a long-running child; waits fail at once, with its output, if it exits early. */
function start(args: string[]) {
  const child = execa(process.execPath, [CLI, ...args], { reject: false, env: env(), extendEnv: false, timeout: 30_000 });
  let out = '';
  let exit: string | undefined;
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  void child.then((r) => (exit = `exit ${r.exitCode}: ${r.stderr}`));
  return {
    child,
    output: () => out,
    until: (what: string, condition: () => unknown, deadlineMs = 15_000) =>
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

beforeEach(async () => {
  domain = new FakeDomain();
  api = await startTestApi({ domain, tcpAddress: '127.0.0.1:0' });
});
afterEach(async () => {
  await api.close();
});

async function seed(): Promise<void> {
  await domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
  await domain.replicaCreate('r1', 'd1', GiB);
  domain.calls.length = 0;
}

describe('disk commands', () => {
  it('disk create prints the disk; --json prints the API message', async () => {
    const text = await run(['disk', 'create', 'd1', '--path', '/dev/sda', '--cluster-size', '4MiB']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^name\s+d1$/m);
    expect(text.stdout).toMatch(/^cluster size\s+4 MiB$/m);
    expect(text.stdout).toMatch(/^total\s+4 GiB$/m);
    expect(domain.calls[0]!.args[0]).toEqual({ name: 'd1', path: '/dev/sda', kind: 'aio', clusterSizeBytes: 4 * 1024 * 1024 });

    const asJson = await run(['disk', 'get', 'd1', '--json']);
    expect(asJson.exitCode).toBe(0);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ name: 'd1', kind: 'DISK_KIND_AIO', totalBytes: 4 * GiB, clusterSizeBytes: 4 * 1024 * 1024 });
  });

  it('disk list is a table with a header; --json an array', async () => {
    await domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
    await domain.diskCreate({ name: 'fast', path: '0000:5e:00.0', kind: 'nvme' });
    const text = await run(['disk', 'list']);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+PATH\s+SIZE\s+FREE\s+CLUSTER\s+REPLICAS$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['d1', 'aio', '/dev/sda', '1 GiB', '1 GiB', '1 MiB', '0'],
      ['fast', 'nvme', '0000:5e:00.0', '1 GiB', '1 GiB', '1 MiB', '0'],
    ]);
    const asJson = await run(['disk', 'list', '--json']);
    expect((JSON.parse(asJson.stdout) as { name: string }[]).map((d) => d.name)).toEqual(['d1', 'fast']);
  });

  it('disk delete passes --wipe, and exits 7 when the disk still holds replicas', async () => {
    await seed();
    const refused = await run(['disk', 'delete', 'd1']);
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toBe('spdk-conductor: disk d1 holds 1 replicas; delete them first or pass wipe [DISK_IN_USE]');
    const wiped = await run(['disk', 'delete', 'd1', '--wipe']);
    expect(wiped.exitCode).toBe(0);
    expect(wiped.stdout).toBe('deleted disk d1 and everything on it');
    expect(domain.calls.map((c) => c.args)).toEqual([
      ['d1', false],
      ['d1', true],
    ]);
  });
});

describe('replica commands', () => {
  it.each([
    ['1GiB', GiB],
    ['512MiB', 512 * 1024 * 1024],
    ['1048576', 1048576],
    ['0.5GiB', 0.5 * GiB],
  ])('replica create --size %s sends %i bytes', async (size, bytes) => {
    await domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
    domain.calls.length = 0;
    const result = await run(['replica', 'create', 'r1', '--disk', 'd1', '--size', size]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(domain.calls[0]!.args).toEqual(['r1', 'd1', bytes]);
  });

  it('exits 8 when the disk has no room (RESOURCE_EXHAUSTED)', async () => {
    await domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
    const result = await run(['replica', 'create', 'r1', '--disk', 'd1', '--size', '10GiB']);
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toBe('spdk-conductor: disk d1 has 1073741824 bytes free [DISK_FULL]');
  });

  it('refuses sizes it cannot read with exit 2 before contacting the service', async () => {
    for (const size of ['10GB', 'lots', '0', '1.5B', '-1GiB']) {
      const result = await run(['replica', 'create', 'r1', '--disk', 'd1', `--size=${size}`]);
      expect(result.exitCode, size).toBe(2);
      expect(result.stderr).toMatch(/^spdk-conductor: --size /);
    }
    expect((await run(['replica', 'create', 'r1', '--disk', 'd1', '--size', '10GB'])).stderr).toMatch(/units are binary: write GiB/);
    expect(domain.calls).toEqual([]);
  });

  it('replica get shows the export; list is a table; expand and unexpose print the replica', async () => {
    await seed();
    await domain.replicaExpose('r1', [HOST_A], undefined);
    const got = await run(['replica', 'get', 'r1']);
    expect(got.stdout).toMatch(/^export\s+nqn\.2024-11\.io\.spdk-conductor:replica:r1 at 10\.0\.0\.5:4420$/m);
    expect(got.stdout).toMatch(new RegExp(`^hosts\\s+${HOST_A.replace(/\./g, '\\.')}$`, 'm'));
    const list = await run(['replica', 'list', '--disk', 'd1']);
    expect(list.stdout.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAME', 'DISK', 'SIZE', 'ALLOCATED', 'SNAPSHOTS', 'EXPORT'],
      ['r1', 'd1', '1 GiB', '0 B', '0', '10.0.0.5:4420'],
    ]);
    expect((await run(['replica', 'expand', 'r1', '--size', '2GiB'])).stdout).toMatch(/^size\s+2 GiB \(2147483648 bytes\)$/m);
    expect((await run(['replica', 'unexpose', 'r1'])).stdout).toMatch(/^export\s+not exposed$/m);
  });

  it('replica expose sends every --host', async () => {
    await seed();
    const result = await run(['replica', 'expose', 'r1', '--host', HOST_A, '--host', HOST_B, '--json']);
    expect(result.exitCode).toBe(0);
    expect((JSON.parse(result.stdout) as { export: { hostNqns: string[] } }).export.hostNqns).toEqual([HOST_A, HOST_B]);
    expect(domain.calls[0]!.args).toEqual(['r1', [HOST_A, HOST_B]]);
  });

  it('replica watch prints the list, SYNCED and changes, and exits 0 on SIGINT leaving no subscription', async () => {
    await seed();
    const { child, output, until } = start(['replica', 'watch', '--json']);
    await until('the initial list', () => output().includes('"SYNCED"'));
    await domain.replicaCreate('r2', 'd1', GiB);
    await until('the change', () => output().split('\n').length >= 4);
    const events = output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; replica: { name: string } | null; reason: string });
    expect(events.map((e) => [e.type, e.replica?.name ?? null])).toEqual([
      ['ADDED', 'r1'],
      ['SYNCED', null],
      ['ADDED', 'r2'],
    ]);
    expect(domain.listenerCount).toBe(1);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    await waitFor('the subscription to end', () => domain.listenerCount === 0);
  });

  it('replica watch exits 3 when the service shuts down under it', async () => {
    const { child, output, until } = start(['replica', 'watch']);
    await until('SYNCED', () => output().includes('SYNCED'));
    await api.server.close();
    const result = await child;
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('spdk-conductor: the service is shutting down; watch again once it is back [SERVICE_STOPPING]');
  });
});

describe('snapshot commands', () => {
  it('create sends labels and --system; list shows the chain; --json has RFC 3339 times', async () => {
    await seed();
    expect((await run(['snapshot', 'create', 'r1', 's1', '--label', 'backup=b-1', '--label', 'by=me'])).exitCode).toBe(0);
    expect((await run(['snapshot', 'create', 'r1', 'rebuild-1', '--system'])).exitCode).toBe(0);
    expect(domain.calls.map((c) => c.args[0])).toEqual([
      { replicaName: 'r1', name: 's1', labels: { backup: 'b-1', by: 'me' }, userCreated: true },
      { replicaName: 'r1', name: 'rebuild-1', labels: {}, userCreated: false },
    ]);
    const list = await run(['snapshot', 'list', 'r1']);
    expect(list.stdout.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAME', 'PARENT', 'CHILDREN', 'CREATED', 'SIZE', 'ALLOCATED', 'BY', 'LABELS'],
      ['s1', '-', 'rebuild-1', '2025-01-02T03:04:05.678Z', '1 GiB', '0 B', 'user', 'backup=b-1,by=me'],
      ['rebuild-1', 's1', '(head)', '2025-01-02T03:04:05.678Z', '1 GiB', '0 B', 'system', '-'],
    ]);
    const asJson = JSON.parse((await run(['snapshot', 'list', 'r1', '--json'])).stdout) as { name: string; createdAt: string }[];
    expect(asJson[0]).toMatchObject({ name: 's1', createdAt: '2025-01-02T03:04:05.678Z' });
  });

  it('revert, purge and delete', async () => {
    await seed();
    await domain.snapshotCreate({ replicaName: 'r1', name: 's1' });
    await domain.snapshotCreate({ replicaName: 'r1', name: 'tmp', userCreated: false });
    expect((await run(['snapshot', 'revert', 'r1', 's1'])).stdout).toBe('replica r1 now starts from snapshot s1');
    expect(JSON.parse((await run(['snapshot', 'purge', 'r1', '--json'])).stdout)).toEqual({ deleted: ['tmp'] });
    expect((await run(['snapshot', 'purge', 'r1'])).stdout).toBe('nothing to purge');
    expect((await run(['snapshot', 'delete', 'r1', 's1'])).stdout).toBe('deleted snapshot s1 of replica r1');
  });
});

describe('exit codes and messages', () => {
  it('5 for NOT_FOUND, 6 for ALREADY_EXISTS, 2 for a request the service refuses as invalid', async () => {
    await seed();
    const missing = await run(['replica', 'get', 'nope']);
    expect(missing.exitCode).toBe(5);
    expect(missing.stderr).toBe('spdk-conductor: replica nope not found; list replicas to see what exists [REPLICA_NOT_FOUND]');
    expect((await run(['replica', 'create', 'r1', '--disk', 'd1', '--size', '2GiB'])).exitCode).toBe(6);
    const invalid = await run(['replica', 'get', 'Bad_Name']);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toMatch(/^spdk-conductor: name: replica name "Bad_Name" is not allowed/);
  });

  it('8 for RESOURCE_EXHAUSTED, 1 for other failures, and --json errors as an object on stderr', async () => {
    await seed();
    domain.failNext('replicaExpand', new ConductorError('DISK_FULL', 'expand r1: the disk has no space left (No space left on device); free space or use another disk'));
    expect((await run(['replica', 'expand', 'r1', '--size', '2GiB'])).exitCode).toBe(8);
    domain.failNext('replicaGet', new ConductorError('CANCELLED', 'another operation on r1 won'));
    const failed = await run(['replica', 'get', 'r1', '--json']);
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stderr)).toEqual({ error: { status: 'ABORTED', code: 'CANCELLED', message: 'another operation on r1 won' } });
  });

  it('3 with advice when no service listens on the socket', async () => {
    const result = await run(['disk', 'list'], { CONDUCTOR_API_SOCKET: path.join(api.dir, 'nobody.sock') });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the spdk-conductor service at unix:\/.*nobody\.sock .*is "spdk-conductor serve" running\?/);
  });

  it('4 when --timeout passes, and the service stops the work', async () => {
    domain.hang('diskList');
    // Long enough for the call to reach the service on a loaded machine (the deadline counts the connect too).
    const result = await run(['disk', 'list', '--timeout', '2s']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/DEADLINE_EXCEEDED/);
    await waitFor('the domain call to be aborted', () => domain.calls[0]?.options?.signal?.aborted);
  });

  it('130 when interrupted mid-call, cancelling the call in the service', async () => {
    domain.hang('replicaDelete');
    const { child, until } = start(['replica', 'delete', 'r1']);
    await until('the call to reach the domain', () => domain.calls.length === 1);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/interrupted; the service may still finish "replica delete"/);
    await waitFor('the domain call to be aborted', () => domain.calls[0]!.options?.signal?.aborted);
  });

  it('talks TCP with --address', async () => {
    await seed();
    const { port } = api.server.ports.tcp!;
    const result = await run(['replica', 'list', '--json', '--address', `127.0.0.1:${port}`], { CONDUCTOR_API_SOCKET: '/nonexistent/api.sock' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((r) => r.name)).toEqual(['r1']);
  });
});

describe('serve', () => {
  /** serve as a process with its API on a temp socket; stopped with SIGTERM by the test. */
  async function serve(extraEnv: Record<string, string>) {
    const dir = await mkdtemp(path.join(tmpdir(), 'serve-'));
    const socket = path.join(dir, 'api.sock');
    const child = execa(process.execPath, [CLI, 'serve'], {
      reject: false,
      extendEnv: false,
      timeout: 60_000,
      env: { CONDUCTOR_API_SOCKET: socket, CONDUCTOR_API_TCP: 'off', CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'), CONDUCTOR_LOG_LEVEL: 'warn', ...extraEnv },
    });
    let exited = false;
    void child.then(() => (exited = true));
    await waitFor(
      'the API socket',
      async () => {
        if (exited) throw new Error(`serve exited early: ${(await child).stderr}`);
        return lstat(socket).then(
          (st) => st.isSocket(),
          () => false,
        );
      },
      20_000,
    );
    const clients = createApiClients({ unixSocket: socket });
    return {
      socket,
      clients,
      cli: (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, extendEnv: false, timeout: 30_000, env: { CONDUCTOR_API_SOCKET: socket } }),
      stop: async () => {
        clients.close();
        child.kill('SIGTERM');
        const result = await child;
        await rm(dir, { recursive: true, force: true });
        return result;
      },
    };
  }

  it('answers health at once while spdk_tgt is unreachable: NOT_SERVING, and calls exit 3 saying why', async () => {
    const node = await serve({ CONDUCTOR_SPDK_SOCKET: '/nonexistent/spdk.sock' });
    try {
      expect(await node.clients.healthCheck('', { deadlineMs: 2000 })).toBe('NOT_SERVING');
      const result = await node.cli(['disk', 'list']);
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/^spdk-conductor: .*not ready.* \[SERVICE_NOT_READY\]$/);
    } finally {
      const result = await node.stop();
      expect(result.exitCode).toBe(0);
    }
    await expect(lstat(node.socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('turns SERVING once recovered on the embedded simulator, and serves the commands', async () => {
    const node = await serve({});
    try {
      await waitFor('health SERVING', async () => (await node.clients.healthCheck('spdk.conductor.v1.Replicas')) === 'SERVING', 20_000);
      const result = await node.cli(['disk', 'list', '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([]);
    } finally {
      expect((await node.stop()).exitCode).toBe(0);
    }
  });
});

describe('command line errors exit 2 and contact nothing', () => {
  it.each([
    [['disk', 'create', 'd1'], /disk create needs --path/],
    [['disk', 'create', 'd1', '--path', '/dev/sda', '--kind', 'ssd'], /--kind "ssd" is not a disk kind; use aio or nvme/],
    [['disk', 'frob'], /unknown command "disk frob"; disk commands: create, get, list, delete/],
    [['snapshot'], /"snapshot" needs a command; snapshot commands: create, list, delete, revert, purge/],
    [['replica', 'get'], /usage: spdk-conductor replica get NAME/],
    [['replica', 'get', 'r1', 'r2'], /usage: spdk-conductor replica get NAME/],
    [['replica', 'get', 'r1', '--wipe'], /--wipe does not apply to "replica get"/],
    [['replica', 'expose', 'r1'], /needs at least one --host/],
    [['replica', 'create', 'r1', '--size', '1GiB'], /replica create needs --disk/],
    [['snapshot', 'create', 'r1', 's1', '--label', 'novalue'], /--label "novalue" is not KEY=VALUE/],
    [['disk', 'list', '--timeout', 'soon'], /--timeout "soon" is not a duration/],
    [['disk', 'list', '--address', 'nowhere'], /--address "nowhere" is not HOST:PORT/],
    [['disk', 'list', '--address', '127.0.0.1:70000'], /--address "127\.0\.0\.1:70000" is not HOST:PORT \(a port from 1 to 65535\)/],
    [['disk', 'list', '--address', '127.0.0.1:0'], /--address "127\.0\.0\.1:0" is not HOST:PORT/],
    [['config', 'show', '--wipe'], /--wipe does not apply to "config show"/],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(domain.calls).toEqual([]);
  });

  it('help lists the API commands and the exit codes', async () => {
    const result = await run(['help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('replica expose NAME --host NQN[,dhchap-key-file=FILE][,dhchap-ctrlr-key-file=FILE][,psk-file=FILE] [--host ...]');
    expect(result.stdout).toContain('snapshot purge REPLICA');
    expect(result.stdout).toMatch(/5 not found, 6 exists and differs/);
  });
});
