/**
 * The server as a whole: health follows the domain's cached readiness and answers while domain
 * work hangs, reflection lists the services, both transports serve, and close() releases the
 * socket so the next start can bind it. Stale and foreign socket paths are handled safely.
 */
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { execa } from 'execa';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClients, invoke } from '../../src/api/client.js';
import { Health } from '../../src/api/health.js';
import { startApiServer } from '../../src/api/server.js';
import { FakeDomain } from './helpers/fake-domain.js';
import { quietLogger, startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const SERVICES = ['spdk.conductor.v1.Disks', 'spdk.conductor.v1.Replicas', 'spdk.conductor.v1.Snapshots', 'spdk.conductor.v1.Engines'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-srv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('health', () => {
  let api: TestApi;
  afterEach(async () => {
    await api.close();
  });

  it('answers NOT_SERVING at once while the domain recovers, SERVING when it is ready, for "" and every service', async () => {
    const domain = new FakeDomain();
    domain.ready = { ready: false, reason: 'recovering: reading spdk_tgt' };
    api = await startTestApi({ domain });
    for (const name of ['', ...SERVICES]) expect(await api.clients.healthCheck(name)).toBe('NOT_SERVING');
    domain.ready = { ready: true, reason: 'ready' };
    await waitFor('health to turn SERVING', async () => (await api.clients.healthCheck('')) === 'SERVING');
    for (const name of SERVICES) expect(await api.clients.healthCheck(name)).toBe('SERVING');
    domain.ready = { ready: false, reason: 'spdk_tgt lost' };
    await waitFor('health to turn NOT_SERVING', async () => (await api.clients.healthCheck('')) === 'NOT_SERVING');
    expect(domain.calls).toEqual([]);
  });

  it('answers while every domain operation hangs', async () => {
    api = await startTestApi();
    api.domain.hang('diskList');
    const controller = new AbortController();
    const hanging = invoke(api.clients.disks, 'DiskList', {}, { signal: controller.signal }).catch(() => undefined);
    await waitFor('the call to reach the domain', () => api.domain.calls.length === 1);
    expect(await api.clients.healthCheck('', { deadlineMs: 1000 })).toBe('SERVING');
    controller.abort();
    await hanging;
  });

  it('is NOT_SERVING when reading readiness throws, and says NOT_FOUND for services it does not know', async () => {
    const domain = new FakeDomain();
    domain.readiness = () => {
      throw new Error('boom');
    };
    api = await startTestApi({ domain });
    expect(await api.clients.healthCheck('')).toBe('NOT_SERVING');
    await expect(api.clients.healthCheck('no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});

describe('reflection', () => {
  it('lists the node API and health services and describes their files', async () => {
    const api = await startTestApi();
    const require = createRequire(import.meta.url);
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto');
    const definition = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionProto], keepCase: true, defaults: true });
    const { ServerReflection } = (grpc.loadPackageDefinition(definition) as any).grpc.reflection.v1;
    const client = new ServerReflection(`unix://${api.socketPath}`, grpc.credentials.createInsecure()) as grpc.Client & {
      ServerReflectionInfo(): grpc.ClientDuplexStream<object, any>;
    };
    try {
      const stream = client.ServerReflectionInfo();
      const answers: any[] = [];
      stream.on('data', (answer: unknown) => answers.push(answer));
      stream.write({ list_services: '*' });
      stream.write({ file_containing_symbol: 'spdk.conductor.v1.Replicas' });
      await waitFor('two answers', () => answers.length === 2);
      stream.end();
      const names = (answers[0].list_services_response.service as { name: string }[]).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([...SERVICES, 'grpc.health.v1.Health']));
      expect(answers[1].file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      client.close();
      await api.close();
    }
  });
});

describe('listening and closing', () => {
  it('serves on TCP too (port 0 picks one) and reports the bound ports', async () => {
    const api = await startTestApi({ tcpAddress: '127.0.0.1:0' });
    try {
      expect(api.server.ports.unixSocket).toBe(api.socketPath);
      const tcp = api.server.ports.tcp!;
      expect(tcp.host).toBe('127.0.0.1');
      expect(tcp.port).toBeGreaterThan(0);
      const overTcp = createApiClients({ tcpAddress: `127.0.0.1:${tcp.port}` });
      try {
        expect(await invoke(overTcp.disks, 'DiskList', {})).toEqual({ disks: [], nextPageToken: '', stale: false, staleReason: '' });
      } finally {
        overTcp.close();
      }
    } finally {
      await api.close();
    }
  });

  it('a starting API keeps liveness SERVING and readiness waits for its listen; a closed one fails liveness', async () => {
    const health = new Health({ logger: quietLogger(), refreshMs: 60_000, stallMs: 10_000 });
    const seen: string[] = [];
    health.onChange((probe, report) => seen.push(`${probe} ${report.status}: ${report.reason}`));
    try {
      const started = startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: join(dir, 'api.sock'), health });
      // The checks are added before the listen's first await: this is the state while it binds.
      expect(health.liveness()).toMatchObject({ status: 'SERVING' });
      expect(health.readiness()).toMatchObject({ status: 'NOT_SERVING', reason: 'the API is not listening yet' });
      const api = await started;
      expect(health.readiness()).toMatchObject({ status: 'SERVING' });
      await api.close();
      health.refresh();
      expect(health.liveness()).toMatchObject({ status: 'NOT_SERVING', reason: 'the API is not listening' });
      expect(seen).toEqual([
        'readiness NOT_SERVING: the API is not listening yet',
        'readiness SERVING: ok',
        'liveness NOT_SERVING: the API is not listening',
        'readiness NOT_SERVING: the API is not listening',
      ]);
    } finally {
      health.close();
    }
  });

  it('close() removes the socket, refuses new connections, and the next server binds the same path', async () => {
    const socket = join(dir, 'api.sock');
    const first = await startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: socket });
    expect((await lstat(socket)).isSocket()).toBe(true);
    expect((await lstat(socket)).mode & 0o777).toBe(0o660);
    await first.close();
    await expect(lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    const before = createApiClients({ unixSocket: socket });
    try {
      await expect(invoke(before.disks, 'DiskList', {}, { deadlineMs: 2000 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      before.close();
    }
    const second = await startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: socket });
    const after = createApiClients({ unixSocket: socket });
    try {
      await expect(invoke(after.disks, 'DiskList', {})).resolves.toEqual({ disks: [], nextPageToken: '', stale: false, staleReason: '' });
    } finally {
      after.close();
      await second.close();
    }
  });

  it('replaces a stale socket file left by a crash', async () => {
    const socket = join(dir, 'api.sock');
    // A listener that is SIGKILLed leaves its socket file behind, as a crashed service would.
    const child = execa(process.execPath, ['-e', `require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))`, socket], {
      reject: false,
      timeout: 30_000,
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the child to listen', () => out.includes('listening'), 15_000);
    child.kill('SIGKILL');
    await child;
    expect((await lstat(socket)).isSocket()).toBe(true);
    const server = await startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: socket });
    await server.close();
  });

  it('refuses a socket another process is serving on, and a path that is not a socket', async () => {
    const socket = join(dir, 'busy.sock');
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(socket, resolve));
    try {
      await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: socket })).rejects.toThrow(/is in use by another process/);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
    const file = join(dir, 'file');
    await writeFile(file, 'not a socket');
    await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: file })).rejects.toThrow(/exists and is not a socket/);
  });

  it('refuses to start with no address or a malformed TCP address', async () => {
    await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger() })).rejects.toThrow(/neither api.socket nor api.tcp is set/);
    await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger(), tcpAddress: 'localhost' })).rejects.toThrow(/api.tcp: "localhost" is not host:port/);
    await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger(), tcpAddress: '127.0.0.1:70000' })).rejects.toThrow(/is not host:port/);
  });

  it('a failed TCP bind leaves no socket file behind', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const socket = join(dir, 'api.sock');
    try {
      await expect(startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: socket, tcpAddress: `127.0.0.1:${port}`, tcpSecurity: { kind: 'insecure' } })).rejects.toThrow(
        /cannot serve the API on 127.0.0.1:\d+/,
      );
      await expect(lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});

describe('socket paths', () => {
  it('takes a path relative to the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const server = await startApiServer({ domain: new FakeDomain(), logger: quietLogger(), unixSocket: 'rel.sock' });
      const clients = createApiClients({ unixSocket: 'rel.sock' });
      try {
        expect(server.ports.unixSocket).toBe('rel.sock');
        expect((await lstat(join(dir, 'rel.sock'))).isSocket()).toBe(true);
        await expect(invoke(clients.disks, 'DiskList', {})).resolves.toEqual({ disks: [], nextPageToken: '', stale: false, staleReason: '' });
      } finally {
        clients.close();
        await server.close();
      }
      await expect(lstat(join(dir, 'rel.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      process.chdir(cwd);
    }
  });
});
