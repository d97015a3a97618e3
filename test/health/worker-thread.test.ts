/**
 * The health worker's thread and its supervisor, in this process: /metrics forwarded to the
 * registered source (404 without one, 503 with why when it fails or is late), a crash of the
 * thread logged with its reason and the thread restarted on the same address, and a worker that
 * never keeps a process alive on its own.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Health } from '../../src/api/health.js';
import { HealthWorker } from '../../src/api/health-worker.js';
import { waitFor } from '../api/helpers/api-server.js';
import { parseExposition, value } from '../metrics/helpers/exposition.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);

function recordingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function get(port: number, target: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${target}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

function serving(): Health {
  const health = new Health({ logger: pino({ level: 'silent' }), refreshMs: 50, stallMs: 10_000, readiness: [{ name: 'domain', read: () => ({ ok: true, reason: 'ok' }) }] });
  opened.push(health);
  return health;
}

describe('the health worker', () => {
  it('answers /metrics from the registered source: 404 without one, 503 with why when it fails or is late', async () => {
    const worker = new HealthWorker({ http: { host: '127.0.0.1', port: 0 }, grpc: undefined, stallMs: 10_000, logger: pino({ level: 'silent' }), metricsTimeoutMs: 500 });
    opened.push(worker);
    const { http } = await worker.listening;
    worker.follow(serving());
    await waitFor('readiness SERVING', async () => (await get(http!.port, '/readyz')).status === 200, 10_000);
    expect(await get(http!.port, '/metrics')).toMatchObject({ status: 404, body: 'metrics not enabled\n' });

    let scrapes = 0;
    worker.setMetricsSource(async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: `spdk_conductor_scrapes_total ${++scrapes}\n` }));
    await waitFor('metrics enabled', async () => (await get(http!.port, '/metrics')).status === 200, 5_000);
    const answer = await get(http!.port, '/metrics');
    expect(answer).toMatchObject({ status: 200, type: 'text/plain; version=0.0.4; charset=utf-8' });
    // The source's text, then the worker's own two families (scrapeWaitMs 0 here: always fresh).
    expect(answer.body.startsWith(`spdk_conductor_scrapes_total ${scrapes}\n# HELP spdk_conductor_metrics_render_age_seconds `)).toBe(true);
    expect(answer.body).toMatch(/\nspdk_conductor_metrics_render_age_seconds [\d.e-]+\n/);
    expect(answer.body.endsWith('\nspdk_conductor_metrics_stale_answers_total 0\n')).toBe(true);

    worker.setMetricsSource(() => Promise.reject(new Error('the registry is closed')));
    await waitFor('the failure answered', async () => (await get(http!.port, '/metrics')).status === 503, 5_000);
    expect(await get(http!.port, '/metrics')).toMatchObject({ status: 503, body: 'metrics unavailable: the registry is closed\n' });

    worker.setMetricsSource(() => new Promise(() => undefined));
    await waitFor('the late source answered', async () => (await get(http!.port, '/metrics')).body.includes('did not answer'), 10_000);
    expect(await get(http!.port, '/metrics')).toMatchObject({ status: 503, body: 'metrics unavailable: the main loop did not answer within 500 ms\n' });

    worker.setMetricsSource(undefined);
    await waitFor('metrics off again', async () => (await get(http!.port, '/metrics')).status === 404, 5_000);
    // Probes were never held up by any of it.
    expect(await get(http!.port, '/livez')).toMatchObject({ status: 200, body: 'ok\n' });
  }, 60_000);

  it("logs where each scrape went with CONDUCTOR_SCRAPE_TRACE=1: the wait for the main loop, the source's own stages, the hand-over and the send", async () => {
    const { logger, lines } = recordingLogger();
    // The thread reads its environment, a copy of this one, when it starts.
    process.env.CONDUCTOR_SCRAPE_TRACE = '1';
    let worker: HealthWorker;
    try {
      worker = new HealthWorker({ http: { host: '127.0.0.1', port: 0 }, grpc: undefined, stallMs: 10_000, logger });
    } finally {
      delete process.env.CONDUCTOR_SCRAPE_TRACE;
    }
    opened.push(worker);
    const { http } = await worker.listening;
    worker.follow(serving());
    const body = 'spdk_conductor_scrapes_total 1\n';
    worker.setMetricsSource(async (marks) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      marks.rendered = Number(process.hrtime.bigint()) / 1e6;
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body };
    });
    await waitFor('metrics enabled', async () => (await get(http!.port, '/metrics')).status === 200, 5_000);
    const trace = await waitFor('a scrape trace logged', () => lines.find((l) => l['msg'] === 'scrape trace'), 5_000);
    expect(trace).toMatchObject({ level: 40, bytes: Buffer.byteLength(body) });
    for (const stage of ['queued', 'wait', 'rendered', 'posted', 'toThread', 'send', 'totalMs']) expect(trace[stage], stage).toBeGreaterThanOrEqual(0);
    // The stages follow one another: the source's 20 ms is its own stage, and they add up to the total.
    expect(trace['rendered']).toBeGreaterThanOrEqual(19);
    const sum = ['queued', 'wait', 'rendered', 'posted', 'toThread', 'send'].reduce((total, stage) => total + (trace[stage] as number), 0);
    expect(Math.abs(sum - (trace['totalMs'] as number))).toBeLessThan(0.1);
  }, 30_000);

  it('answers a scrape the main thread does not render within scrapeWaitMs with the last exposition, marked stale, never one older than scrapeMaxAgeMs', async () => {
    const WAIT_MS = 50;
    const MAX_AGE_MS = 3_000;
    const { logger, lines } = recordingLogger();
    const worker = new HealthWorker({ http: { host: '127.0.0.1', port: 0 }, grpc: undefined, stallMs: 10_000, logger, scrapeWaitMs: WAIT_MS, scrapeMaxAgeMs: MAX_AGE_MS });
    opened.push(worker);
    const { http } = await worker.listening;
    worker.follow(serving());
    // The main thread's render, held while `held` is pending: the render a busy loop has not reached.
    let renders = 0;
    let held: Promise<void> = Promise.resolve();
    let release = (): void => undefined;
    const hold = (): void => {
      held = new Promise((resolve) => (release = resolve));
    };
    worker.setMetricsSource(async () => {
      const n = ++renders;
      await held;
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: `spdk_conductor_renders_total ${n}\n` };
    });
    const scrape = async (): Promise<{ render: number; ageSec: number; stale: number }> => {
      const answer = await get(http!.port, '/metrics');
      expect(answer.status).toBe(200);
      const e = parseExposition(answer.body);
      return { render: value(e, 'spdk_conductor_renders_total')!, ageSec: value(e, 'spdk_conductor_metrics_render_age_seconds')!, stale: value(e, 'spdk_conductor_metrics_stale_answers_total')! };
    };

    // The first scrape has nothing to fall back on: it waits for its render, however long past the budget.
    hold();
    const first = scrape();
    await waitFor('the first render asked for', () => renders === 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS * 4));
    release();
    expect(await first).toMatchObject({ render: 1, stale: 0 });

    // The loop does not render: past the budget the last exposition answers, its age and the stale count say so.
    hold();
    const stale = await scrape();
    expect(stale).toMatchObject({ render: 1, stale: 1 });
    expect(stale.ageSec).toBeGreaterThan(0);
    expect(renders).toBe(2);
    await waitFor('the change to stale answers logged', () => lines.some((l) => l['msg']?.toString().startsWith('a /metrics scrape answered with the last exposition')), 5_000);
    // Its render, once done, is the last exposition: a scrape that falls back now gets render 2.
    release();
    await waitFor('render 2 done and answered', async () => (await scrape()).render >= 2, 10_000);
    hold();
    const after = await scrape();
    expect(after.render).toBeGreaterThanOrEqual(2);
    expect(after.stale).toBeGreaterThanOrEqual(2);
    release();
    // Fresh again once the loop renders; the stale count never goes back.
    const fresh = await waitFor(
      'a fresh answer',
      async () => {
        const a = await scrape();
        return a.render === renders && a;
      },
      10_000,
    );
    expect(fresh.stale).toBeGreaterThanOrEqual(after.stale);

    // Past scrapeMaxAgeMs the last exposition is too old: the scrape waits for the render.
    const last = renders;
    await new Promise((resolve) => setTimeout(resolve, MAX_AGE_MS + 200));
    hold();
    let answered = false;
    const waiting = scrape().then((a) => {
      answered = true;
      return a;
    });
    await waitFor('its render asked for', () => renders === last + 1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS * 10));
    expect(answered).toBe(false);
    release();
    expect(await waiting).toMatchObject({ render: last + 1, stale: fresh.stale });
  }, 60_000);

  it('restarts a thread that crashed, with the reason logged, on the same addresses', async () => {
    const dir = tempDir('health-worker-crash-');
    process.env.HEALTH_TEST_CRASH_MARKER = path.join(dir, 'crashed');
    const { logger, lines } = recordingLogger();
    const port = portBlock() + 99;
    const socket = path.join(dir, 'health.sock');
    const worker = new HealthWorker({
      http: { host: '127.0.0.1', port },
      grpc: { unixSocket: socket },
      stallMs: 10_000,
      logger,
      threadMain: new URL('./fixtures/crash-once-thread.mjs', import.meta.url),
    });
    opened.push(worker);
    try {
      expect(await worker.listening).toEqual({ http: { host: '127.0.0.1', port }, grpc: `unix:${socket}` });
      worker.follow(serving());
      const died = await waitFor('the crash logged', () => lines.find((l) => l['msg'] === 'health worker died; restarting it'), 15_000);
      expect(died).toMatchObject({ level: 40, reason: 'injected crash in the health worker' });
      await waitFor('the restart logged', () => lines.some((l) => l['msg'] === 'health worker restarted and listening'), 15_000);
      expect(worker.restarts).toBe(1);
      // The restarted thread gets the reports again, and serves the same addresses.
      await waitFor('/livez SERVING from the new thread', async () => (await get(port, '/livez').catch(() => ({ status: 0 }))).status === 200, 15_000);
    } finally {
      delete process.env.HEALTH_TEST_CRASH_MARKER;
    }
  }, 60_000);

  it('never keeps a process alive on its own', async () => {
    const module = fileURLToPath(new URL('../../dist/src/api/health-worker.js', import.meta.url));
    // The timer stands for the service's own work; once it is done, nothing else may hold the process.
    const script = `const { HealthWorker } = await import(${JSON.stringify(module)});
      const work = setTimeout(() => undefined, 60000);
      const worker = new HealthWorker({ http: { host: '127.0.0.1', port: 0 }, grpc: undefined, stallMs: 10000, logger: { info() {}, warn() {}, error() {} } });
      const { http } = await worker.listening;
      process.stdout.write(String(http.port));
      clearTimeout(work);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(Number(stdout)).toBeGreaterThan(0);
  }, 30_000);
});
