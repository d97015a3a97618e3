/**
 * What a backup target offers: whole objects under string keys, relative to the target's prefix.
 * Two kinds implement it (fs-store.ts, s3-store.ts). Nothing here knows volumes or SPDK: the
 * backup format (format.ts, repository.ts) is built on these few calls.
 *
 * A put is all or nothing (a reader sees the old object, none, or the whole new one), so an
 * interrupted upload never leaves a half block that a later backup would take for a whole one.
 */
export interface StoredObject {
  readonly key: string;
  readonly sizeBytes: number;
  readonly modifiedMs: number;
}

export interface PutOptions {
  /**
   * `later`: the object is whole under its name once put resolves, but the name may not survive a
   * crash until syncNames has covered its key (a filesystem target then syncs a directory once for
   * many puts, not once per put). Default `now`: durable when put resolves.
   */
  readonly nameDurable?: 'now' | 'later';
}

export interface ObjectStore {
  /** Where it stores, for logs and answers: never a credential. */
  readonly description: string;
  put(key: string, body: Buffer, signal?: AbortSignal, options?: PutOptions): Promise<void>;
  /**
   * Makes the names of these objects (put with nameDurable `later`, by this or any process)
   * durable; resolves once they are. A no-op where every put is durable when it resolves (S3).
   */
  syncNames(keys: Iterable<string>, signal?: AbortSignal): Promise<void>;
  /** undefined when there is no such object. */
  get(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /**
   * Reads an object into `into`, streamed (no buffer of its own): its size, undefined when there is
   * no such object. Bytes past into.length are not read (the caller sees the size is larger).
   */
  getInto(key: string, into: Buffer, signal?: AbortSignal): Promise<number | undefined>;
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  /** A missing object is not an error. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** Every object whose key starts with `prefix`, in no promised order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject>;
  /**
   * Aborts the multipart uploads a killed process left under the target's prefix (S3; the
   * filesystem target removes its temp files instead), of the keys `own` accepts (relative to the
   * prefix) only: the bucket or the prefix may hold other writers' uploads. Returns how many.
   */
  abortOrphanUploads(own: (key: string) => boolean, signal?: AbortSignal): Promise<number>;
  /** Releases the client (sockets, agents); idempotent. */
  close(): Promise<void>;
}

/** Object keys are relative paths of safe segments: no `..`, no leading slash, nothing a filesystem would read differently. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._@=+-]+$/.test(s))) {
    throw new Error(`object key ${JSON.stringify(key.slice(0, 80))} is not a relative path of safe segments`);
  }
  return key;
}
