/**
 * Runs work on one key strictly one after another, while different keys run freely: the client
 * uses it so that two calls on one SPDK object never share a poll of spdk_tgt, and the domain's
 * object locks are built on it.
 *
 * A free key is taken at once, with nothing allocated beyond its map entry: every spdk_tgt call
 * that names an object and every locked operation passes here, and a promise chain per acquire
 * (an async function, its promise, the holder's promise, the release closure) was a measurable
 * share of a ReplicaCreate's allocation. Only a key already held queues its waiter.
 */

/** Whoever waits for a held key: told when it is theirs. */
export interface KeyWaiter {
  onTurn(): void;
}

export class KeyedSerializer {
  /** Held keys → the waiters behind the holder, oldest first; null while nobody waits. */
  private readonly lines = new Map<string, KeyWaiter[] | null>();

  /** Number of keys with work running or waiting. */
  get size(): number {
    return this.lines.size;
  }

  /** Takes `key` if it is free and returns true: the caller holds it now and calls `leave` once. */
  tryEnter(key: string): boolean {
    if (this.lines.has(key)) return false;
    this.lines.set(key, null);
    return true;
  }

  /**
   * Queues `waiter` behind the holders of `key` (held: tryEnter said false). Its onTurn runs in a
   * microtask, never inside the holder's leave, once every earlier holder has left; it holds the
   * key from then and calls `leave` once.
   */
  wait(key: string, waiter: KeyWaiter): void {
    const line = this.lines.get(key);
    if (line === undefined) {
      // Freed since tryEnter: the turn is the waiter's, still not inside the caller's call.
      this.lines.set(key, null);
      queueMicrotask(() => waiter.onTurn());
    } else if (line === null) this.lines.set(key, [waiter]);
    else line.push(waiter);
  }

  /** The holder of `key` is done: the next waiter's turn, or the key is free again. */
  leave(key: string): void {
    const line = this.lines.get(key);
    const next = line?.shift();
    if (next === undefined) {
      // Only the last holder in line removes the key, so the map never outgrows the work.
      this.lines.delete(key);
      return;
    }
    queueMicrotask(() => next.onTurn());
  }
}
