/**
 * The health thread's /metrics waiting (api/health-worker-scrapes.ts) on its own, with the main
 * thread played by the test: renders asked one at a time, a scrape arriving during one waits for
 * the next, the last exposition only moves forward (a late answer too), and scrapes past the
 * waiting limit are answered stale where that may be, refused where not.
 */
import { describe, expect, it } from 'vitest';
import type { MetricsText } from '../../src/api/health-http.js';
import { monoMs } from '../../src/api/health-worker-messages.js';
import { Scrapes } from '../../src/api/health-worker-scrapes.js';

const TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Scrapes whose requests the test answers by hand. */
function harness(options: { waitMs: number; maxAgeMs?: number; timeoutMs?: number }) {
  const asked: number[] = [];
  const staleCount = new BigInt64Array(new SharedArrayBuffer(8));
  const scrapes = new Scrapes({
    ask: (id) => asked.push(id),
    waitMs: options.waitMs,
    maxAgeMs: options.maxAgeMs ?? 60_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    staleCount,
    log: () => undefined,
  });
  scrapes.setEnabled(true);
  /** The main thread answers request `id` with render `n`, taken at `got`. */
  const answer = (id: number, n: number, got = monoMs()): void => scrapes.answered(id, { text: { contentType: TYPE, body: Buffer.from(`spdk_conductor_renders_total ${n}\n`) }, marks: { got } });
  return { scrapes, asked, answer, staleCount };
}

function render(text: MetricsText | undefined): number {
  return Number(/^spdk_conductor_renders_total (\d+)$/m.exec(Buffer.from(text!.body).toString())![1]);
}

function stale(text: MetricsText | undefined): number {
  return Number(/^spdk_conductor_metrics_stale_answers_total (\d+)$/m.exec(text!.trailer!)![1]);
}

describe('scrapes in the health thread', () => {
  it('asks one render at a time: a scrape arriving during one waits for the next, which every such scrape shares', async () => {
    const { scrapes, asked, answer } = harness({ waitMs: 0 });
    const a = scrapes.scrape();
    expect(asked).toEqual([1]);
    // Render 1 may have read the state before these arrived: they wait for render 2, asked once 1 lands.
    const b = scrapes.scrape();
    const c = scrapes.scrape();
    expect(asked).toEqual([1]);
    answer(1, 1);
    expect(render(await a)).toBe(1);
    expect(asked).toEqual([1, 2]);
    answer(2, 2);
    expect([render(await b), render(await c)]).toEqual([2, 2]);
    expect(stale(await c)).toBe(0);
  });

  it('keeps the newest exposition: a late answer moves it forward, an older one never back', async () => {
    const { scrapes, asked, answer } = harness({ waitMs: 20, timeoutMs: 200 });
    const first = scrapes.scrape();
    answer(1, 1);
    expect(render(await first)).toBe(1);
    // Request 2 is not answered (the loop is stuck): past the budget render 1 answers, counted stale.
    const during = await scrapes.scrape();
    expect([render(during), stale(during)]).toEqual([1, 1]);
    expect(asked).toEqual([1, 2]);
    // Request 2 is given up after its 200 ms; a scrape then asks request 3.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(render(await scrapes.scrape())).toBe(1);
    expect(asked).toEqual([1, 2, 3]);
    // The loop turns again: request 2's late answer is newer than render 1, so it is held.
    const t2 = monoMs();
    answer(2, 2, t2);
    expect(render(await scrapes.scrape())).toBe(2);
    answer(3, 3, t2 + 1);
    answer(4, 4, t2 + 2);
    // An answer with older readings (a request long given up) does not take its place.
    answer(99, 0, t2 - 1);
    const held = await scrapes.scrape();
    expect(render(held)).toBe(4);
    expect(stale(held)).toBe(4);
  });

  it('past the waiting limit answers stale where the last exposition may be used, and refuses where not', async () => {
    const { scrapes, asked, answer, staleCount } = harness({ waitMs: 0 });
    const waiting = [scrapes.scrape(), scrapes.scrape(), scrapes.scrape(), scrapes.scrape()];
    // Nothing held yet: the fifth is refused rather than queued behind the main loop.
    await expect(scrapes.scrape()).rejects.toThrow('4 scrapes are already waiting for the main loop');
    answer(1, 1);
    answer(2, 2);
    expect((await Promise.all(waiting)).map(render)).toEqual([1, 2, 2, 2]);
    const again = [scrapes.scrape(), scrapes.scrape(), scrapes.scrape(), scrapes.scrape()];
    // Now render 2 is held: the fifth gets it at once, counted stale.
    const fifth = await scrapes.scrape();
    expect([render(fifth), stale(fifth), Number(staleCount[0])]).toEqual([2, 1, 1]);
    expect(asked).toEqual([1, 2, 3]);
    answer(3, 3);
    answer(4, 4);
    expect((await Promise.all(again)).map(render)).toEqual([3, 4, 4, 4]);
  });
});
