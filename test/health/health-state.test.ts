/**
 * The health module on its own: the liveness verdict from a heartbeat stamp, readiness as the sum
 * of its checks (liveness included), status changes logged with their reason, the configuration
 * keys checked at load, and the HTTP listener's bounds.
 */
import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Health, livenessAt, type CheckResult, type HealthReport } from '../../src/api/health.js';
import { healthGrpcAddress } from '../../src/api/health-addresses.js';
import { startHealthHttp, type HealthHttp } from '../../src/api/health-http.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

function recordingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0)) await item.close();
});

describe('livenessAt', () => {
  const cached: HealthReport = { status: 'SERVING', reason: 'ok', since: '2026-01-01T00:00:00.000Z', checks: [] };

  it('keeps the cached report while the heartbeat is within the bound', () => {
    expect(livenessAt(cached, 1_000, 11_000, 10_000)).toBe(cached);
  });

  it('fails with the stall in the reason once the heartbeat is older than the bound', () => {
    const report = livenessAt(cached, 1_000, 16_000, 10_000);
    expect(report.status).toBe('NOT_SERVING');
    expect(report.reason).toBe('the event loop has not turned for 15 s (bound 10 s)');
    expect(report.since).toBe(new Date(11_000).toISOString());
    expect(report.checks).toEqual([{ name: 'event-loop', ok: false, reason: report.reason, since: report.since }]);
  });
});

describe('Health', () => {
  it('is ready only when every readiness check and liveness hold, and names every failing reason', () => {
    const { logger, lines } = recordingLogger();
    let spdk: CheckResult = { ok: true, reason: 'ok' };
    let domain: CheckResult = { ok: true, reason: 'ok' };
    let api: CheckResult = { ok: true, reason: 'ok' };
    const health = new Health({
      logger,
      refreshMs: 60_000,
      stallMs: 10_000,
      liveness: [{ name: 'api', read: () => api }],
      readiness: [
        { name: 'spdk', read: () => spdk },
        { name: 'domain', read: () => domain },
      ],
    });
    opened.push(health);
    const changes: string[] = [];
    health.onChange((probe, report) => changes.push(`${probe} ${report.status}`));
    expect(health.readiness()).toMatchObject({ status: 'SERVING', reason: 'ok' });

    spdk = { ok: false, reason: 'spdk_tgt unreachable: refused' };
    domain = { ok: false, reason: 'reconciling: re-exported 3 of 9 replicas' };
    health.refresh();
    const down = health.readiness();
    expect(down).toMatchObject({ status: 'NOT_SERVING', reason: 'spdk_tgt unreachable: refused; reconciling: re-exported 3 of 9 replicas' });
    expect(down.checks.map((c) => [c.name, c.ok])).toEqual([
      ['spdk', false],
      ['domain', false],
    ]);
    expect(health.liveness().status).toBe('SERVING');
    expect(lines.find((l) => l['msg'] === 'readiness NOT_SERVING')).toMatchObject({ level: 40, probe: 'readiness', reason: down.reason });

    // Progress moves on: the same status, a new reason, no new change.
    domain = { ok: false, reason: 'reconciling: re-exported 6 of 9 replicas' };
    spdk = { ok: true, reason: 'ok' };
    health.refresh();
    expect(health.readiness()).toMatchObject({ status: 'NOT_SERVING', reason: 'reconciling: re-exported 6 of 9 replicas', since: down.since });

    api = { ok: false, reason: 'the API is not listening' };
    domain = { ok: true, reason: 'ok' };
    health.refresh();
    expect(health.liveness()).toMatchObject({ status: 'NOT_SERVING', reason: 'the API is not listening' });
    expect(health.readiness()).toMatchObject({ status: 'NOT_SERVING', reason: 'the API is not listening' });

    api = { ok: true, reason: 'ok' };
    health.refresh();
    expect(health.readiness().status).toBe('SERVING');
    expect(changes).toEqual(['readiness NOT_SERVING', 'liveness NOT_SERVING', 'liveness SERVING', 'readiness SERVING']);
  });

  it('reports a check that throws as failing, with why', () => {
    const health = new Health({
      logger: pino({ level: 'silent' }),
      refreshMs: 60_000,
      stallMs: 10_000,
      readiness: [
        {
          name: 'domain',
          read: () => {
            throw new Error('boom');
          },
        },
      ],
    });
    opened.push(health);
    expect(health.readiness()).toMatchObject({ status: 'NOT_SERVING', reason: 'domain could not be read: boom' });
  });
});

describe('configuration', () => {
  it('checks the health and http keys at load, naming the key', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => loadConfig({ env: { CONDUCTOR_HTTP_ADDRESS: '999.1.1.1:9464' } }), /http\.address: environment CONDUCTOR_HTTP_ADDRESS: .*is not an IP address or host name/],
      [() => loadConfig({ flags: { 'http-address': '9464' } }), /http\.address: flag --http-address: .*is not host:port/],
      [() => loadConfig({ flags: { 'health-liveness-stall-sec': '0' } }), /health\.livenessStallSec: flag --health-liveness-stall-sec: expected an integer from 1 to 3600/],
      [() => loadConfig({ env: { CONDUCTOR_HEALTH_SPDK_PROBE_MS: '10' } }), /health\.spdkProbeMs: .*expected an integer from 100 to 60000/],
      [() => loadConfig({ env: { CONDUCTOR_HEALTH_SPDK_PROBE_DEADLINE_MS: 'fast' } }), /health\.spdkProbeDeadlineMs: .*expected an integer/],
    ];
    for (const [load, message] of cases) {
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(message);
    }
    expect(() => loadConfig({ flags: { 'health-grpc-address': 'health.sock' } })).toThrow(/health\.grpcAddress: flag --health-grpc-address: .*is not host:port/);
    expect(() => loadConfig({ env: { CONDUCTOR_HEALTH_GRPC_ADDRESS: `/${'x'.repeat(120)}` } })).toThrow(/health\.grpcAddress: .*a Unix socket path is at most 107/);
    expect(loadConfig({})['health.grpcAddress']).toBe('auto');
    expect(healthGrpcAddress('auto', '/run/conductor/api.sock')).toEqual({ unixSocket: '/run/conductor/api-health.sock' });
    expect(healthGrpcAddress('auto', '/run/conductor/api')).toEqual({ unixSocket: '/run/conductor/api-health.sock' });
    expect(healthGrpcAddress('/run/health.sock', '/run/conductor/api.sock')).toEqual({ unixSocket: '/run/health.sock' });
    expect(healthGrpcAddress('[::1]:9465', '/run/conductor/api.sock')).toEqual({ tcp: { host: '::1', port: 9465 } });
    expect(healthGrpcAddress('off', '/run/conductor/api.sock')).toBeUndefined();
    // No room for the suffix within sockaddr_un: none rather than a start that fails.
    expect(healthGrpcAddress('auto', `/${'a'.repeat(100)}.sock`)).toBeUndefined();
    expect(loadConfig({})['http.address']).toBe('off');
    expect(loadConfig({ flags: { 'http-address': '[::1]:0' } })['http.address']).toBe('[::1]:0');
  });
});

describe('HTTP listener', () => {
  async function listener(): Promise<HealthHttp> {
    const health = new Health({
      logger: pino({ level: 'silent' }),
      refreshMs: 60_000,
      stallMs: 10_000,
      readiness: [{ name: 'domain', read: () => ({ ok: false, reason: 'recovering: reading spdk_tgt' }) }],
    });
    opened.push(health);
    const http = await startHealthHttp({ host: '127.0.0.1', port: 0, view: health, logger: pino({ level: 'silent' }) });
    opened.push(http);
    return http;
  }

  /** One raw exchange, for what fetch would not send. */
  function raw(port: number, request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        answer += d;
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(5_000, () => reject(new Error('no answer in 5 s')));
    });
  }

  it('answers 503 with the reason, ignores a body, and refuses a bad target', async () => {
    const http = await listener();
    const readyz = await raw(http.address.port, 'POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(readyz).toMatch(/^HTTP\/1\.1 405 /);
    expect(readyz).toMatch(/Allow: GET, HEAD/);
    const get = await raw(http.address.port, 'GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(get).toMatch(/^HTTP\/1\.1 503 /);
    expect(get.endsWith('\r\n\r\nrecovering: reading spdk_tgt\n')).toBe(true);
    expect(await raw(http.address.port, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('closes with its connections, and refuses to start on a port in use with the address', async () => {
    const http = await listener();
    const held = net.connect(http.address.port, '127.0.0.1');
    await new Promise((resolve) => held.once('connect', resolve));
    const health = new Health({ logger: pino({ level: 'silent' }), refreshMs: 60_000, stallMs: 10_000 });
    opened.push(health);
    await expect(startHealthHttp({ host: '127.0.0.1', port: http.address.port, view: health, logger: pino({ level: 'silent' }) })).rejects.toMatchObject({
      code: 'API_LISTEN_FAILED',
      message: expect.stringMatching(/http\.address on 127\.0\.0\.1:\d+: .*EADDRINUSE/),
    });
    const closedHeld = new Promise((resolve) => held.once('close', resolve));
    await http.close();
    await closedHeld;
  });
});
