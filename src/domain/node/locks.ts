import { KeyedSerializer } from '../../spdk/keyed-serializer.js';

/**
 * Per-object locks: operations on one replica (or disk) run one at a time, different objects run
 * in parallel. Held only across spdk_tgt calls, which all carry deadlines: never across anything
 * that can hang.
 */
export class ObjectLocks {
  private readonly serializer = new KeyedSerializer();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const release = await this.serializer.acquire(key);
    try {
      return await work();
    } finally {
      release();
    }
  }

  get held(): number {
    return this.serializer.size;
  }
}
