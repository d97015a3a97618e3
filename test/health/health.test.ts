/**
 * Liveness and readiness with real processes: the service in-process on an external simulator, the
 * simulator killed (readiness NOT_SERVING with the reason on grpc.health.v1 and /readyz, liveness
 * still SERVING, List answers marked stale) and started again on the same socket (ready again).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Metadata } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { HEALTH_REASON_TRAILER } from '../../src/api/server.js';
import { STALE_TRAILER } from '../../src/api/services/call.js';
import { loadConfig } from '../../src/config/load.js';
import { startService, type ServiceHandle } from '../../src/service.js';
import { waitFor } from '../api/helpers/api-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { portBlock } from '../helpers/ports.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);

interface HttpAnswer {
  status: number;
  type: string | null;
  body: string;
}

async function get(service: ServiceHandle, target: string, method = 'GET'): Promise<HttpAnswer> {
  const { host, port } = service.http!;
  const res = await fetch(`http://${host}:${port}${target}`, { method, signal: AbortSignal.timeout(2000) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

async function check(api: ApiClients, service: string): Promise<{ status: string; reason: string }> {
  let reason = '';
  const status = await api.healthCheck(service, {
    deadlineMs: 2000,
    onTrailers: (trailers: Metadata) => {
      reason = String(trailers.get(HEALTH_REASON_TRAILER)[0] ?? '');
    },
  });
  return { status, reason };
}

async function cli(apiSocket: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, 'health', '--api-socket', apiSocket, ...args], { timeout: 15_000 });
    return { code: 0, stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('health: liveness and readiness while spdk_tgt goes away and comes back', () => {
  let dir: string;
  let sim: RunningSim;
  let service: ServiceHandle;
  let api: ApiClients;

  beforeAll(async () => {
    dir = tempDir('health-');
    const socket = path.join(dir, 'spdk.sock');
    sim = await startSim({ name: 'node', socket });
    const portMin = portBlock();
    const config = loadConfig({
      env: {
        CONDUCTOR_SPDK_SOCKET: socket,
        CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
        CONDUCTOR_API_TCP: 'off',
        CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
        CONDUCTOR_EXPORT_PORT_MIN: String(portMin),
        CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99),
        CONDUCTOR_HTTP_ADDRESS: '127.0.0.1:0',
        CONDUCTOR_HEALTH_SPDK_PROBE_MS: '200',
        CONDUCTOR_HEALTH_SPDK_PROBE_DEADLINE_MS: '500',
      },
    });
    service = await startService(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), sysfsRoot: dir, api: { shutdownGraceMs: 100, readinessPollMs: 50 } });
    api = createApiClients({ unixSocket: service.api.unixSocket! });
  }, 30_000);

  afterAll(async () => {
    api?.close();
    await service?.close();
    await sim?.stop();
  });

  it('is ready on a reachable spdk_tgt, on every name and on /readyz', async () => {
    await waitFor('readiness SERVING', async () => (await check(api, 'readiness')).status === 'SERVING', 15_000);
    for (const name of ['', 'liveness', 'spdk.conductor.v1.Node']) expect((await check(api, name)).status).toBe('SERVING');
    expect(await get(service, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(service, '/livez')).toMatchObject({ status: 200, body: 'ok\n' });
    const verbose = JSON.parse((await get(service, '/readyz?verbose')).body);
    expect(verbose).toMatchObject({ status: 'SERVING', reason: 'ok' });
    expect(verbose.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['spdk', true],
      ['domain', true],
      ['api', true],
    ]);
    const list = await listTrailers(api);
    expect(list.get(STALE_TRAILER)).toEqual([]);
    expect(await cli(service.api.unixSocket!)).toEqual({ code: 0, stdout: 'readiness SERVING\n' });
  }, 30_000);

  it('turns readiness NOT_SERVING with the reason when spdk_tgt dies, keeps liveness, marks lists stale; back when it returns', async () => {
    await sim.kill();
    const killedAt = Date.now();
    const down = await waitFor(
      'readiness NOT_SERVING',
      async () => {
        const answer = await check(api, 'readiness');
        return answer.status === 'NOT_SERVING' && answer;
      },
      5_000,
    );
    // The probe runs every 200 ms with a 500 ms deadline; a lost socket is seen at once.
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    expect(down.reason).toMatch(/spdk_tgt/);
    expect((await check(api, '')).status).toBe('NOT_SERVING');
    expect((await check(api, 'spdk.conductor.v1.Disks')).status).toBe('NOT_SERVING');
    expect(await check(api, 'liveness')).toEqual({ status: 'SERVING', reason: 'ok' });

    const readyz = await get(service, '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.type).toMatch(/^text\/plain/);
    expect(readyz.body).toMatch(/spdk_tgt/);
    const verbose = JSON.parse((await get(service, '/readyz?verbose')).body);
    expect(verbose.status).toBe('NOT_SERVING');
    expect(Date.parse(verbose.since)).toBeGreaterThanOrEqual(killedAt - 1000);
    const spdk = verbose.checks.find((c: { name: string }) => c.name === 'spdk');
    expect(spdk).toMatchObject({ ok: false });
    expect(spdk.reason).toMatch(/spdk_tgt/);
    expect(await get(service, '/livez')).toMatchObject({ status: 200, body: 'ok\n' });

    const stale = (await listTrailers(api)).get(STALE_TRAILER);
    expect(String(stale[0])).toMatch(/^spdk_tgt unreachable since \d{4}-/);

    const list = await run(process.execPath, [CLI, 'disk', 'list', '--api-socket', service.api.unixSocket!], { timeout: 15_000 });
    expect(list.stderr).toMatch(/^spdk-conductor: warning: this answer may be stale: spdk_tgt unreachable since /);

    const probe = await cli(service.api.unixSocket!);
    expect(probe.code).toBe(3);
    expect(probe.stdout).toMatch(/^readiness NOT_SERVING: .*spdk_tgt/);
    expect(await cli(service.api.unixSocket!, '--liveness')).toEqual({ code: 0, stdout: 'liveness SERVING\n' });

    sim = await startSim({ name: 'node', socket: sim.socket });
    await waitFor('readiness SERVING again', async () => (await check(api, 'readiness')).status === 'SERVING', 10_000);
    expect(await get(service, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await listTrailers(api)).get(STALE_TRAILER)).toEqual([]);
  }, 60_000);

  it('health exits 3 naming the service it cannot reach', async () => {
    const probe = await cli(path.join(dir, 'no-such-api.sock'));
    expect(probe.code).toBe(3);
    expect(probe.stdout).toMatch(/^readiness UNREACHABLE: cannot reach the spdk-conductor service at unix:.*no-such-api\.sock/);
  });

  it('answers only GET and HEAD on /livez and /readyz', async () => {
    expect((await get(service, '/nope')).status).toBe(404);
    expect((await get(service, '/readyz', 'POST')).status).toBe(405);
    expect(await get(service, '/livez', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });
});

async function listTrailers(api: ApiClients): Promise<Metadata> {
  let trailers = new Metadata();
  await invoke(
    api.disks,
    'DiskList',
    {},
    {
      deadlineMs: 2000,
      onTrailers: (t) => {
        trailers = t;
      },
    },
  );
  return trailers;
}
