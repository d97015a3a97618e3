/**
 * A scrape is not held by a blocked main loop: `serve` with metrics.scrapeWaitMs set, its loop
 * blocked for seconds (CONDUCTOR_TEST_BLOCK_LOOP, SIGUSR2), answers /metrics from the health worker
 * with the last exposition while the block lasts, its age and the stale count saying so; once the
 * loop turns again the fresh render answers, and the count never goes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../api/helpers/api-server.js';
import { parseExposition, value } from './helpers/exposition.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';

const BLOCK_MS = 6_000;

let node: ServeProcess;

interface Answer {
  ageSec: number;
  stale: number;
  replicas: number;
}

async function scrape(): Promise<Answer> {
  const res = await fetch(`${node.httpBase}/metrics`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  const e = parseExposition(await res.text());
  return {
    ageSec: value(e, 'spdk_conductor_metrics_render_age_seconds')!,
    stale: value(e, 'spdk_conductor_metrics_stale_answers_total')!,
    replicas: value(e, 'spdk_conductor_objects', { kind: 'replica' })!,
  };
}

/** The main loop's heartbeat age as the worker reads it, ms. */
async function heartbeatAgeMs(): Promise<number> {
  const res = await fetch(`${node.httpBase}/livez?verbose`, { signal: AbortSignal.timeout(10_000) });
  return (JSON.parse(await res.text()) as { heartbeatAgeMs: number }).heartbeatAgeMs;
}

beforeAll(async () => {
  node = await startServe({
    CONDUCTOR_TEST_BLOCK_LOOP: String(BLOCK_MS),
    CONDUCTOR_METRICS_SCRAPE_WAIT_MS: '100',
    // The block must not make liveness fail for this test's purpose; it is the scrape that is looked at.
    CONDUCTOR_HEALTH_LIVENESS_STALL_SEC: '60',
  });
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

describe('/metrics while the main loop is blocked', () => {
  it('answers with the last exposition, marked stale, within the block; fresh once the loop turns', async () => {
    // The first scrape after start waits for its render: nothing to fall back on yet.
    const first = await scrape();
    expect(first.stale).toBe(0);
    expect(first.replicas).toBe(0);

    node.proc.kill('SIGUSR2');
    const blockedFor = await waitFor(
      'the main loop blocked',
      async () => {
        const age = await heartbeatAgeMs();
        return age > 500 && age;
      },
      10_000,
    );
    const stale = await scrape();
    // Answered while the block still lasted: the heartbeat is older still.
    const ageAfter = await heartbeatAgeMs();
    expect(ageAfter).toBeGreaterThan(blockedFor);
    expect(ageAfter).toBeLessThan(BLOCK_MS + 60_000);
    expect(stale.stale).toBe(1);
    // The exposition is from before the block: older than the time the loop has been blocked.
    expect(stale.ageSec * 1000).toBeGreaterThan(blockedFor);

    await waitFor('the block over', () => node.log().includes('event loop block over'), BLOCK_MS + 30_000);
    // The render the stale scrape asked for lands; a scrape then waits for a fresh one (100 ms is
    // plenty on an idle loop, but a loaded machine may fall back again: retry until fresh).
    const fresh = await waitFor(
      'a fresh answer',
      async () => {
        const a = await scrape();
        return a.ageSec < 1 && a;
      },
      30_000,
    );
    expect(fresh.stale).toBeGreaterThanOrEqual(stale.stale);
  }, 90_000);
});
