/**
 * Runs work on one key strictly one after another, while different keys run freely: the client
 * uses it so that two calls on one SPDK object never share a poll of spdk_tgt.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  /** Number of keys with work running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  /**
   * Resolves when every earlier holder of `key` has released it; the returned function releases
   * it in turn (call it exactly once, on every path).
   */
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(key, mine);
    if (previous) await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Only the last holder in line removes the key, so the map never outgrows the work.
      if (this.tails.get(key) === mine) this.tails.delete(key);
      release();
    };
  }
}
