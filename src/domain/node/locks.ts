import { KeyedSerializer } from '../../spdk/keyed-serializer.js';

/**
 * Per-object locks: operations on one replica (or disk) run one at a time, different objects run
 * in parallel. Held only across spdk_tgt calls, which all carry deadlines: never across anything
 * that can hang. A free object's lock is taken at once (the work starts in this call); a held
 * one's waiter is queued.
 */
export class ObjectLocks {
  private readonly serializer = new KeyedSerializer();

  with<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.serializer.tryEnter(key)) return this.holding(key, work);
    return new Promise<void>((onTurn) => this.serializer.wait(key, { onTurn })).then(() => this.holding(key, work));
  }

  get held(): number {
    return this.serializer.size;
  }

  private async holding<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.serializer.leave(key);
    }
  }
}
