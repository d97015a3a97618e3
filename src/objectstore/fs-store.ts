/**
 * The filesystem target: a directory (a local disk or an NFS mount). A put writes a temp file
 * beside the object, fsyncs it, renames it over the key and fsyncs the directory, so an object is
 * whole or absent after a crash; temp files a killed process left are removed by
 * abortOrphanUploads. Everything is under `root`, keys are checked (object-store.ts checkKey).
 *
 * A put whose name may be made durable later (nameDurable `later`: a backup's blocks) skips the
 * directory fsync; syncNames then fsyncs each directory of the keys once, several at a time, so
 * that the filesystem commits them together. The file is fsync'd before its rename either way: a
 * name that exists after a crash never holds a torn object.
 *
 * Every filesystem call goes through the target's lanes (blocking-calls.ts): on a hung mount a
 * call never returns, and holds a thread of the pool the state file's writes need too.
 */
import { randomBytes } from 'node:crypto';
import type { StatsFs } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import { targetLanes } from '../threadpool.js';
import { BlockingCalls, SharedThreads } from './blocking-calls.js';
import { checkKey, type ObjectStore, type PutOptions, type StoredObject } from './object-store.js';

const TEMP_MARK = '.part-';
/** The largest write of a put (see put). */
const WRITE_BYTES = 1024 * 1024;
/** Directory fsyncs syncNames runs at once (the target's lanes bound the threads they hold). */
const DIR_SYNCS_IN_FLIGHT = 16;

/** How long a caller waits for a target's call (and for a lane to run it in) when nothing else is said, ms: backup.requestTimeoutMs's default. */
export const TARGET_CALL_TIMEOUT_MS = 30_000;

/**
 * The lanes of each target directory, one set per path for the process: every store of a path and
 * every check of it (checkFsTargetStorage's statfs) share them, so setting a hung path again and
 * again holds no more threads than once. Each caller brings its own bound. All paths draw on one
 * budget of threads, so trying one path after another on a dead mount holds no more either.
 */
const lanesByRoot = new Map<string, BlockingCalls>();
let fsTargetThreads: SharedThreads | undefined;

function targetCalls(root: string): BlockingCalls {
  let calls = lanesByRoot.get(root);
  if (!calls) {
    fsTargetThreads ??= new SharedThreads(targetLanes(), 'filesystem targets');
    calls = new BlockingCalls(`file://${root}`, targetLanes(), TARGET_CALL_TIMEOUT_MS, undefined, fsTargetThreads);
    lanesByRoot.set(root, calls);
  }
  return calls;
}

/** statfs of a path on the target at `root`, in the target's lanes. */
export function targetStatfs(root: string, at: string, timeoutMs = TARGET_CALL_TIMEOUT_MS): Promise<StatsFs> {
  return targetCalls(root).run(`statfs ${at}`, () => statfs(at), { timeoutMs });
}

const closeLate = (handle: FileHandle): Promise<void> => handle.close();

export class FsStore implements ObjectStore {
  readonly description: string;
  /** Temp names: random per store (other processes may write the same directory), then a count. */
  private readonly tempPrefix = randomBytes(6).toString('hex');
  private tempCount = 0;

  private readonly calls: BlockingCalls;
  /** How long a caller waits for one of its calls (backup.requestTimeoutMs). */
  private readonly timeoutMs: number;

  constructor(
    private readonly root: string,
    options: { callTimeoutMs?: number } = {},
  ) {
    this.description = `file://${root}`;
    this.calls = targetCalls(root);
    this.timeoutMs = options.callTimeoutMs ?? TARGET_CALL_TIMEOUT_MS;
  }

  /** One filesystem call, in a lane. */
  private io<T>(what: string, call: () => Promise<T>): Promise<T> {
    return this.calls.run(what, call, { timeoutMs: this.timeoutMs });
  }

  private openIn(file: string, flags: string, mode?: number): Promise<FileHandle> {
    return this.calls.run(`open ${file}`, () => open(file, flags, mode), { timeoutMs: this.timeoutMs, late: closeLate });
  }

  private file(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  async put(key: string, body: Buffer, signal?: AbortSignal, options?: PutOptions): Promise<void> {
    signal?.throwIfAborted();
    const target = this.file(key);
    const dir = path.dirname(target);
    const temp = `${target}${TEMP_MARK}${this.tempPrefix}${(this.tempCount++).toString(36)}`;
    // Each call is a job on libuv's pool (half of it at most for a target: its lanes), where fsyncs
    // hold threads for milliseconds: the directory is made only when the open finds it missing.
    const handle = await this.openIn(temp, 'wx', 0o640).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await this.io(`mkdir ${dir}`, () => mkdir(dir, { recursive: true }));
      return this.openIn(temp, 'wx', 0o640);
    });
    try {
      // In writes of WRITE_BYTES: a 2 MiB block written in one call cost ~4 ms of kernel time, in
      // 1 MiB writes under 1 ms (measured on this machine's ext4; Node's writeFile takes 512 KiB).
      for (let at = 0; at < body.length; ) {
        const length = Math.min(WRITE_BYTES, body.length - at);
        at += (await this.io(`write ${temp}`, () => handle.write(body, at, length, at))).bytesWritten;
      }
      await this.io(`fsync ${temp}`, () => handle.sync());
    } catch (err) {
      this.closeUnwaited(handle, temp);
      this.unlinkUnwaited(temp);
      throw err;
    }
    await this.closeFile(handle, temp);
    try {
      await this.io(`rename ${temp}`, () => rename(temp, target));
    } catch (err) {
      this.unlinkUnwaited(temp);
      throw err;
    }
    if (options?.nameDurable !== 'later') await this.syncDir(dir);
  }

  async syncNames(keys: Iterable<string>, signal?: AbortSignal): Promise<void> {
    const dirs = [...new Set(Array.from(keys, (key) => path.dirname(this.file(key))))];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < dirs.length) {
        signal?.throwIfAborted();
        await this.syncDir(dirs[next++]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DIR_SYNCS_IN_FLIGHT, dirs.length) }, lane));
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const file = this.file(key);
    return this.io(`read ${file}`, () => readFile(file, { signal })).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  async getInto(key: string, into: Buffer, signal?: AbortSignal): Promise<number | undefined> {
    signal?.throwIfAborted();
    const file = this.file(key);
    const handle = await this.openIn(file, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return undefined;
    let size: number;
    try {
      size = (await this.io(`stat ${file}`, () => handle.stat())).size;
      const want = Math.min(size, into.length);
      for (let got = 0; got < want; ) {
        const from = got;
        const { bytesRead } = await this.io(`read ${file}`, () => handle.read(into, from, want - from, from));
        if (bytesRead === 0) throw new Error(`object ${key} ended at ${got} of its ${size} bytes`);
        got += bytesRead;
      }
    } catch (err) {
      this.closeUnwaited(handle, file);
      throw err;
    }
    await this.closeFile(handle, file);
    return size;
  }

  async exists(key: string): Promise<boolean> {
    const file = this.file(key);
    return this.io(`stat ${file}`, () => stat(file)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await this.io(`unlink ${file}`, () => unlink(file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject> {
    // Keys are paths: walk only the directory the prefix names, then filter by the rest.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    for await (const object of this.walk(base, signal)) if (object.key.startsWith(prefix) && !object.key.includes(TEMP_MARK)) yield object;
  }

  private async *walk(dirKey: string, signal?: AbortSignal): AsyncIterable<StoredObject> {
    signal?.throwIfAborted();
    const dir = dirKey === '' ? this.root : this.file(dirKey);
    const entries = await this.io(`readdir ${dir}`, () => readdir(dir, { withFileTypes: true })).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
      throw err;
    });
    for (const entry of entries) {
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(key, signal);
      else if (entry.isFile()) {
        const file = path.join(dir, entry.name);
        const info = await this.io(`stat ${file}`, () => stat(file)).catch(() => undefined);
        if (info) yield { key, sizeBytes: info.size, modifiedMs: info.mtimeMs };
      }
    }
  }

  async abortOrphanUploads(own: (key: string) => boolean, signal?: AbortSignal): Promise<number> {
    let removed = 0;
    const sweep = async (dir: string): Promise<void> => {
      signal?.throwIfAborted();
      const entries = await this.io(`readdir ${dir}`, () => readdir(dir, { withFileTypes: true })).catch(() => []);
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await sweep(full);
        else if (entry.name.includes(TEMP_MARK) && own(path.relative(this.root, full).slice(0, -(entry.name.length - entry.name.lastIndexOf(TEMP_MARK))))) {
          await this.io(`remove ${full}`, () => rm(full, { force: true }));
          removed++;
        }
      }
    };
    await sweep(this.root);
    return removed;
  }

  async close(): Promise<void> {}

  private async syncDir(dir: string): Promise<void> {
    const handle = await this.openIn(dir, 'r');
    try {
      await this.io(`fsync ${dir}`, () => handle.sync());
    } catch (err) {
      this.closeUnwaited(handle, dir);
      throw err;
    }
    await this.closeFile(handle, dir);
  }

  private closeFile(handle: FileHandle, file: string): Promise<void> {
    return this.io(`close ${file}`, () => handle.close());
  }

  /**
   * After a failed call: the caller does not wait for the close. A FileHandle's close waits for the
   * calls still running on it, and after a call that did not return that would be the caller's
   * wait again; the close happens when they return.
   */
  private closeUnwaited(handle: FileHandle, file: string): void {
    this.calls.run(`close ${file}`, () => handle.close(), { patient: true }).catch(() => undefined);
  }

  /** A failed put's temp file, removed when a lane is free (or at the next start: abortOrphanUploads). */
  private unlinkUnwaited(temp: string): void {
    this.calls.run(`unlink ${temp}`, () => unlink(temp), { patient: true }).catch(() => undefined);
  }
}
