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
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { EngineReplicaSpec, FrontendKind, TimeoutOverride } from '../model.js';

export interface SnapshotMeta {
  createdAt: string;
  labels: Record<string, string>;
  userCreated: boolean;
}

/** The keyring names one user holds, by role (dhchapKey, dhchapCtrlrKey, psk). */
export type KeyHolding = Readonly<Record<string, string>>;

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
  /**
   * The keyring names each user of NVMe in-band authentication holds (an export's host, an
   * engine's member; see domain/node/keys.ts): never the secrets, which live only in key files.
   */
  keyUsers?: Record<string, KeyHolding>;
}

const EMPTY: StateData = { version: 1, engines: {}, snapshots: {}, intents: {} };

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
    let data: StateData = structuredClone(EMPTY);
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
        data = { version: 1, engines: parsed.engines ?? {}, snapshots: parsed.snapshots ?? {}, intents: parsed.intents ?? {} };
        if (parsed.keyUsers) data.keyUsers = parsed.keyUsers;
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
   */
  async putEngine(name: string, spec: EngineSpec | undefined): Promise<void> {
    const before = this.data.engines[name];
    if (spec === undefined && before === undefined) return;
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
    this.data.snapshots[`${replica}/${snapshot}`] = meta;
    await this.flush();
  }

  async dropSnapshotMeta(replica: string, snapshots: readonly string[]): Promise<void> {
    let changed = false;
    for (const snapshot of snapshots) changed = delete this.data.snapshots[`${replica}/${snapshot}`] || changed;
    if (changed) await this.flush();
  }

  async dropReplica(replica: string): Promise<void> {
    const prefix = `${replica}/`;
    for (const key of Object.keys(this.data.snapshots)) if (key.startsWith(prefix)) delete this.data.snapshots[key];
    delete this.data.intents[replica];
    await this.flush();
  }

  async setIntent(intent: Intent): Promise<void> {
    this.data.intents[intent.replica] = intent;
    await this.flush();
  }

  async clearIntent(replica: string): Promise<void> {
    if (!(replica in this.data.intents)) return;
    delete this.data.intents[replica];
    await this.flush();
  }

  /** User → the key names it holds. */
  keyUsers(): ReadonlyMap<string, KeyHolding> {
    return new Map(Object.entries(this.data.keyUsers ?? {}));
  }

  /** The keys one user holds (a lookup: replica lists ask this per host). */
  keyUser(user: string): KeyHolding | undefined {
    const users = this.data.keyUsers;
    return users && Object.hasOwn(users, user) ? users[user] : undefined;
  }

  /** Records the keys a user holds (none: forgets the user) and waits until that is on disk. */
  async setKeyUser(user: string, names: KeyHolding): Promise<void> {
    const users = (this.data.keyUsers ??= {});
    if (Object.keys(names).length > 0) users[user] = { ...names };
    else if (Object.hasOwn(users, user)) delete users[user];
    else return;
    await this.flush();
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
          const failure = new ConductorError('STATE_FILE_UNWRITABLE', `cannot write the state file ${this.file}: ${(err as Error).message}`);
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
