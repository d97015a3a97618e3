/**
 * The few facts spdk_tgt cannot hold (snapshot creation times and labels, which snapshots a user
 * asked for) and the intents of multi-step operations in flight, in one small JSON file written
 * atomically: a temp file, fsync, rename over the old one, fsync of the directory. A crash at any
 * point leaves either the old file or the new one, never a torn one.
 *
 * Everything else is derived from spdk_tgt at start; this file never says that an object exists.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConductorError, type ErrorCode } from '../../errors.js';
import type { EngineReplicaSpec, FrontendKind, TimeoutOverride } from '../model.js';
import { injectedWriteFault } from './write-faults.js';

/**
 * A record of work already done in spdk_tgt (an object deleted) is written this many times
 * before the operation reports success anyway: its outcome must not be reported as a failure.
 */
const SETTLE_ATTEMPTS = 3;
const SETTLE_BACKOFF_MS = 100;

/**
 * What a failed write means to the caller, by errno: a full or read-only filesystem is a state of
 * the node someone can change (RESOURCE_EXHAUSTED, FAILED_PRECONDITION); anything else is a fault.
 */
const WRITE_ERRORS: ReadonlyMap<string, { code: ErrorCode; advice: string }> = new Map([
  ['ENOSPC', { code: 'STATE_FILE_NO_SPACE', advice: 'its filesystem is full; free space there, then retry' }],
  ['EDQUOT', { code: 'STATE_FILE_NO_SPACE', advice: "its filesystem's quota is used up; free space or raise the quota, then retry" }],
  ['EROFS', { code: 'STATE_FILE_READ_ONLY', advice: 'its filesystem is read-only; remount it writable or move state.file, then retry' }],
]);

export interface SnapshotMeta {
  createdAt: string;
  labels: Record<string, string>;
  userCreated: boolean;
}

/** A multi-step operation that recovery must finish or undo if the service dies in it. */
export type Intent =
  | { op: 'replica-delete'; replica: string; disk: string }
  | { op: 'snapshot-revert'; replica: string; disk: string; snapshot: string }
  | { op: 'replica-expose'; replica: string; hostNqns: string[]; port: number };

/**
 * What an engine was asked to be: spdk_tgt forgets a member's address once its controller is gone.
 * Read-only: engine-records.ts makes each new version of a record, and is the only code that does.
 */
export interface EngineSpec {
  readonly name: string;
  readonly sizeBytes: number;
  readonly replicas: ReadonlyArray<Readonly<EngineReplicaSpec>>;
  readonly frontend: FrontendKind;
  readonly hostNqns: readonly string[];
  readonly port: number;
  readonly timeouts?: Readonly<TimeoutOverride>;
  /** Set until the create returned: recovery rolls back an engine still marked creating. */
  readonly creating?: boolean;
  /** Members being rebuilt, by replica name: after a restart recovery re-adopts or restarts them. */
  readonly rebuilding?: Readonly<Record<string, Readonly<RebuildRecord>>>;
}

export interface RebuildRecord {
  createdAtMs: number;
  /** queued / copying-snapshots: not in the raid yet (restarted from the queue); rebuilding: in it. */
  phase: 'queued' | 'copying-snapshots' | 'rebuilding';
}

export interface StateData {
  version: 1;
  engines: Record<string, EngineSpec>;
  /** Keyed by `${replica}/${snapshot}`. */
  snapshots: Record<string, SnapshotMeta>;
  /** Keyed by replica name: at most one multi-step operation per replica at a time. */
  intents: Record<string, Intent>;
}

/**
 * The records keyed by names callers chose: without a prototype, so `constructor` or `__proto__`
 * is a key like any other and never finds (or replaces) something of Object's.
 */
function dictionary<T>(from: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, from);
}

export class StateFile {
  private data: StateData;
  /** Writes are serialized: each waits for the previous rename, and batches what came meanwhile. */
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  /** Undo steps of the engine changes no write has carried yet (see putEngine). */
  private unwritten: Array<(error: Error) => void> = [];

  private constructor(
    readonly file: string,
    data: StateData,
    private readonly log: Logger,
  ) {
    this.data = data;
  }

  static open(file: string, log: Logger): StateFile {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let data: StateData = { version: 1, engines: dictionary<EngineSpec>(undefined), snapshots: dictionary<SnapshotMeta>(undefined), intents: dictionary<Intent>(undefined) };
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConductorError('STATE_FILE_UNREADABLE', `cannot read the state file ${file}: ${(err as Error).message}`);
      }
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as Partial<StateData>;
        if (parsed.version !== 1) throw new Error(`unknown version ${String(parsed.version)}`);
        data = { version: 1, engines: dictionary(parsed.engines), snapshots: dictionary(parsed.snapshots), intents: dictionary(parsed.intents) };
      } catch (err) {
        // A damaged file must not be silently replaced: it may hold the only record of labels.
        throw new ConductorError('STATE_FILE_UNREADABLE', `the state file ${file} is damaged (${(err as Error).message}); move it aside to start without it`);
      }
    }
    // Leftovers of a write that died before its rename.
    fs.rmSync(`${file}.tmp`, { force: true });
    return new StateFile(file, data, log);
  }

  snapshotMeta(replica: string, snapshot: string): SnapshotMeta | undefined {
    return this.data.snapshots[`${replica}/${snapshot}`];
  }

  allSnapshotMeta(): ReadonlyArray<[replica: string, snapshot: string, meta: SnapshotMeta]> {
    return Object.entries(this.data.snapshots).map(([key, meta]) => {
      const slash = key.indexOf('/');
      return [key.slice(0, slash), key.slice(slash + 1), meta];
    });
  }

  engine(name: string): EngineSpec | undefined {
    return this.data.engines[name];
  }

  engines(): EngineSpec[] {
    return Object.values(this.data.engines);
  }

  /**
   * Records an engine (undefined: forgets it) and resolves once that is on disk. If the write that
   * carries it fails, the record is put back as it was before any later write can carry it, and
   * this throws: memory never keeps a change the file refused. Only EngineRecords calls this, under
   * the engine's lock, so no other change to the same record can sit on top of an undone one.
   *
   * Forgetting is the exception: it follows a teardown already done in spdk_tgt, so it settles
   * (see settle) instead of undoing; a record the file still holds is then one whose engine is gone.
   */
  async putEngine(name: string, spec: EngineSpec | undefined): Promise<void> {
    const before = this.data.engines[name];
    if (spec === undefined && before === undefined) return;
    if (spec === undefined) {
      delete this.data.engines[name];
      await this.settle(`engine ${name} forgotten`);
      return;
    }
    const put = (value: EngineSpec | undefined): void => {
      if (value) this.data.engines[name] = value;
      else delete this.data.engines[name];
    };
    put(spec);
    let failure: unknown;
    this.unwritten.push((error) => {
      failure = error;
      put(before);
    });
    // The change may be carried by an earlier queued write that fails while this call's own write
    // (of what is left) succeeds: the undo, not this promise, says whether it was written.
    await this.flush().catch(() => undefined);
    if (failure !== undefined) throw failure;
  }

  intents(): Intent[] {
    return Object.values(this.data.intents);
  }

  intentOf(replica: string): Intent | undefined {
    return this.data.intents[replica];
  }

  /** Records metadata and waits until it is on disk. */
  async setSnapshotMeta(replica: string, snapshot: string, meta: SnapshotMeta): Promise<void> {
    await this.putUndoable(this.data.snapshots, `${replica}/${snapshot}`, meta);
  }

  /** Metadata of snapshots that are gone (or were never made); settles, never throws (see settle). */
  async dropSnapshotMeta(replica: string, snapshots: readonly string[]): Promise<void> {
    let changed = false;
    for (const snapshot of snapshots) changed = delete this.data.snapshots[`${replica}/${snapshot}`] || changed;
    if (changed) await this.settle(`metadata of snapshots ${snapshots.join(', ')} of ${replica} dropped`);
  }

  /** Everything of a replica that was deleted in spdk_tgt; settles, never throws (see settle). */
  async dropReplica(replica: string): Promise<void> {
    const prefix = `${replica}/`;
    for (const key of Object.keys(this.data.snapshots)) if (key.startsWith(prefix)) delete this.data.snapshots[key];
    delete this.data.intents[replica];
    await this.settle(`replica ${replica} dropped`);
  }

  /**
   * Writes a change that records work spdk_tgt has already done (an object deleted), so its
   * caller must not report a failure: the write is retried a few times, and if it still fails the
   * change stays in memory with a warning. The file then holds a stale record, which is harmless
   * by construction: the next successful write carries the change, and a restart first finishes
   * the intent again (deletes of what is gone succeed) and drops metadata whose snapshot is gone.
   */
  private async settle(what: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush();
        return;
      } catch (err) {
        if (attempt >= SETTLE_ATTEMPTS) {
          this.log.warn(
            { err: (err as Error).message, code: (err as ConductorError).code, what, attempts: attempt, file: this.file },
            'done in spdk_tgt but not recorded in the state file; the next successful write (or the recovery at start) records it',
          );
          return;
        }
        await sleep(SETTLE_BACKOFF_MS * attempt);
      }
    }
  }

  /**
   * Written before the operation's first step; if the write fails it throws and memory forgets the
   * intent, so no later write can record an operation that never started (recovery would finish it).
   */
  async setIntent(intent: Intent): Promise<void> {
    await this.putUndoable(this.data.intents, intent.replica, intent);
  }

  /** Sets `records[key]` and waits until it is on disk; if the write carrying it fails, puts it back and throws. */
  private async putUndoable<T>(records: Record<string, T>, key: string, value: T): Promise<void> {
    const had = Object.hasOwn(records, key);
    const before = records[key];
    records[key] = value;
    let failure: unknown;
    this.unwritten.push((error) => {
      failure = error;
      if (had) records[key] = before as T;
      else delete records[key];
    });
    await this.flush().catch(() => undefined);
    if (failure !== undefined) throw failure;
  }

  /** The operation is over (done, or undone); settles, never throws: recovery repeats an intent safely. */
  async clearIntent(replica: string): Promise<void> {
    if (!Object.hasOwn(this.data.intents, replica)) return;
    delete this.data.intents[replica];
    await this.settle(`intent of ${replica} cleared`);
  }

  /** Resolves once the current data (and anything changed before this call) is durable. */
  flush(): Promise<void> {
    this.dirty = true;
    const next = this.writing
      .catch(() => undefined)
      .then(async () => {
        if (!this.dirty) return;
        this.dirty = false;
        // Taken in the same tick as writeNow serializes the data: exactly the changes it carries.
        const carried = this.unwritten.splice(0);
        try {
          await this.writeNow();
        } catch (err) {
          this.dirty = true;
          this.log.error({ err: (err as Error).message, file: this.file }, 'state file write failed');
          const failure = writeFailure(this.file, err);
          for (const undo of carried.reverse()) undo(failure);
          throw failure;
        }
      });
    this.writing = next;
    return next;
  }

  /** Asynchronous I/O throughout: an fsync must never stall the event loop (and so liveness). */
  private async writeNow(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const text = JSON.stringify(this.data, null, 1);
    await injectedWriteFault();
    const file = await fsp.open(tmp, 'w', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsp.rename(tmp, this.file);
    const dir = await fsp.open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.log.debug({ bytes: text.length }, 'state file written');
  }
}

function writeFailure(file: string, err: unknown): ConductorError {
  const errno = (err as NodeJS.ErrnoException).code;
  const known = errno === undefined ? undefined : WRITE_ERRORS.get(errno);
  if (known) return new ConductorError(known.code, `cannot write the state file ${file} (${errno}): ${known.advice}`, { errno });
  return new ConductorError('STATE_FILE_UNWRITABLE', `cannot write the state file ${file}: ${(err as Error).message}`, { errno });
}
