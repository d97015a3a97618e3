/**
 * Long passes over thousands of objects in slices: each slice runs at most SLICE_MS, then the
 * event loop is given back (setImmediate lets pending I/O, a health probe among it, run first).
 * A pass of 3,000 replicas thus never holds the loop for tens of milliseconds at once.
 */
export const SLICE_MS = 4;

/** Maps `items` in order; the result is what a synchronous map would give. */
export async function mapSliced<T, R>(items: readonly T[], work: (item: T) => R): Promise<R[]> {
  const out: R[] = [];
  await forEachSliced(items, (item) => {
    out.push(work(item));
  });
  return out;
}

/** Calls `work` on each item in order; stops early when `stopped` turns true. */
export async function forEachSliced<T>(items: readonly T[], work: (item: T) => void, stopped?: () => boolean): Promise<void> {
  let until = performance.now() + SLICE_MS;
  for (const item of items) {
    if (stopped?.()) return;
    work(item);
    if (performance.now() >= until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      until = performance.now() + SLICE_MS;
    }
  }
}
