/**
 * mapSliced / forEachSliced give the event loop back between slices of a long pass: an immediate
 * and a timer queued before the pass run while it is still going, and the pass's result is still
 * complete and in order. Each item here takes about 1 ms of synchronous work, so a pass of 40 is
 * several SLICE_MS slices on any machine (a loaded one only makes each item longer).
 */
import { describe, expect, it } from 'vitest';
import { forEachSliced, mapSliced, SLICE_MS } from '../../../src/domain/node/slices.js';

const ITEMS = Array.from({ length: 40 }, (_, i) => i);

/** About `ms` of synchronous work, as a long pass over thousands of objects would be. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spinning
  }
}

/** Queues an immediate, a timer and a repeating immediate; records how many items were done when each ran. */
function watchLoop(done: () => number): { immediate?: number; timer?: number; turns: number[]; stop: () => void } {
  const seen: { immediate?: number; timer?: number; turns: number[]; stop: () => void } = { turns: [], stop: () => {} };
  setImmediate(() => (seen.immediate = done()));
  setTimeout(() => (seen.timer = done()), 0);
  let stopped = false;
  const turn = (): void => {
    if (stopped) return;
    seen.turns.push(done());
    setImmediate(turn);
  };
  setImmediate(turn);
  seen.stop = () => (stopped = true);
  return seen;
}

describe('sliced passes', () => {
  it('forEachSliced lets an immediate and a timer run between slices, and visits every item once, in order', async () => {
    // About 1 ms per item: the pass is several slices long.
    expect(ITEMS.length).toBeGreaterThan(3 * SLICE_MS);
    const visited: number[] = [];
    const seen = watchLoop(() => visited.length);
    await forEachSliced(ITEMS, (i) => {
      busy(1);
      visited.push(i);
    });
    seen.stop();
    expect(visited).toEqual(ITEMS);
    // Both ran before the pass ended, with work still to do.
    expect(seen.immediate).toBeGreaterThan(0);
    expect(seen.immediate).toBeLessThan(ITEMS.length);
    expect(seen.timer).toBeGreaterThan(0);
    expect(seen.timer).toBeLessThan(ITEMS.length);
    // The loop came back several times during the pass, not once at its end.
    expect(seen.turns.filter((n) => n > 0 && n < ITEMS.length).length).toBeGreaterThanOrEqual(2);
  });

  it('mapSliced yields the same way and answers what a synchronous map would, in order', async () => {
    let mapped = 0;
    const seen = watchLoop(() => mapped);
    const out = await mapSliced(ITEMS, (i) => {
      busy(1);
      mapped++;
      return `item-${i}`;
    });
    seen.stop();
    expect(out).toEqual(ITEMS.map((i) => `item-${i}`));
    expect(seen.immediate).toBeGreaterThan(0);
    expect(seen.immediate).toBeLessThan(ITEMS.length);
    expect(seen.timer).toBeGreaterThan(0);
    expect(seen.timer).toBeLessThan(ITEMS.length);
    expect(seen.turns.filter((n) => n > 0 && n < ITEMS.length).length).toBeGreaterThanOrEqual(2);
  });

  it('forEachSliced stops before the next item once stopped turns true; an empty pass answers nothing', async () => {
    const visited: number[] = [];
    await forEachSliced(
      ITEMS,
      (i) => visited.push(i),
      () => visited.length >= 5,
    );
    expect(visited).toEqual([0, 1, 2, 3, 4]);
    expect(await mapSliced([], () => 1)).toEqual([]);
  });
});
