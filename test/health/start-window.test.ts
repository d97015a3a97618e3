/**
 * The main loop's delay over the service's start is a window of its own: the worker ends the
 * running window when readiness is first SERVING, so a stall before that (the start's synchronous
 * work) is reported once, in that window, and not in the first windows of serving.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Health } from '../../src/api/health.js';
import { LoopDelay } from '../../src/api/health-loop-delay.js';
import { HealthWorker } from '../../src/api/health-worker.js';
import { waitFor } from '../api/helpers/api-server.js';

const STALL_MS = 600;

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the start's synchronous work
  }
}

interface Window {
  maxMs: number;
  windowMs: number;
  windowEnd: string;
}

async function verbose(port: number): Promise<{ status: number; eventLoopDelay: Window }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz?verbose`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { eventLoopDelay: Window };
  return { status: res.status, eventLoopDelay: body.eventLoopDelay };
}

describe("the main loop's delay at start", () => {
  it('cut() closes the running window: the stall is in it, the next window starts clean', async () => {
    const delay = new LoopDelay(60_000, 10);
    opened.push(delay);
    // A first sample, then the stall, then the loop turning again so that the histogram records it.
    await waitFor('a first sample', () => delay.stats().windowMs > 50, 5_000);
    block(STALL_MS);
    await waitFor('the stall sampled', () => delay.stats().maxMs >= STALL_MS - 100, 5_000);
    delay.cut();
    const start = delay.stats();
    expect(start.maxMs).toBeGreaterThanOrEqual(STALL_MS - 100);
    // Closed: read again later, the same window.
    await waitFor('the loop turning after the cut', () => Date.now() - Date.parse(start.windowEnd) > 200, 5_000);
    expect(delay.stats()).toEqual(start);
    delay.cut();
    expect(delay.stats().maxMs).toBeLessThan(STALL_MS - 100);
  }, 30_000);

  it('the worker ends the start window when readiness is first SERVING', async () => {
    const worker = new HealthWorker({ http: { host: '127.0.0.1', port: 0 }, grpc: undefined, stallMs: 10_000, logger: pino({ level: 'silent' }) });
    opened.push(worker);
    const { http } = await worker.listening;
    let ready = false;
    const health = new Health({ logger: pino({ level: 'silent' }), refreshMs: 50, stallMs: 10_000, readiness: [{ name: 'start', read: () => ({ ok: ready, reason: ready ? 'ok' : 'starting' }) }] });
    opened.push(health);
    worker.follow(health);
    block(STALL_MS);
    // The loop turns (the histogram records the stall) before readiness comes, as in a start.
    await waitFor('the stall sampled', () => worker.eventLoopDelay().maxMs >= STALL_MS - 100, 5_000);
    ready = true;
    health.refresh();
    const first = await waitFor(
      'the start window on /readyz?verbose',
      async () => {
        const answer = await verbose(http!.port);
        return answer.status === 200 && answer.eventLoopDelay.maxMs >= STALL_MS - 100 ? answer.eventLoopDelay : undefined;
      },
      10_000,
    );
    // Shorter than a full window, and closed: it ended when readiness came, and stays as it was.
    expect(first.windowMs).toBeLessThan(10_000);
    await waitFor('time after the cut', () => Date.now() - Date.parse(first.windowEnd) > 1_500, 5_000);
    expect((await verbose(http!.port)).eventLoopDelay).toEqual(first);
  }, 30_000);
});
