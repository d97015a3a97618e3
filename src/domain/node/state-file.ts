/**
 * The facts spdk_tgt cannot hold (snapshot creation times and labels, which snapshots a user asked
 * for), what this node was asked to have that spdk_tgt forgets when it restarts (disks, exports,
 * engines), and the intents of multi-step operations in flight, in one JSON file written
 * atomically: a temp file, fsync, rename over the old one, fsync of the directory. A crash at any
 * point leaves either the old file or the new one, never a torn one (the writes, their group
 * commit and that sequence: state-writer.ts).
 *
 * The file is checked against its schema (state-schema.ts) and migrated from older versions when
 * it is opened. Its records are intent, not inventory: what spdk_tgt has is read from spdk_tgt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { makeDirectories } from '../../config/state-dir.js';
import { ConductorError } from '../../errors.js';
import type { DiskRecord, ExportRecord } from './inventory.js';
import type { TargetSpec } from '../../objectstore/target-spec.js';
import { checkAndMigrate, STATE_VERSION } from './state-schema.js';
import { captureState, frozenCopy, frozenRecord, TableText } from './state-serialize.js';
import { StateWriter, tempFileOf } from './state-writer.js';
import type {
  BackupJobRecord,
  BackupSweepRecord,
  CloneRecord,
  CopyRecord,
  DiskIntent,
  EngineSpec,
  ExportIntent,
  ExportSecurity,
  Intent,
  KeyHolding,
  SnapshotMeta,
  StateData,
} from './state-records.js';

// The records' types stay importable from here, where their callers have always found them.
export type {
  SnapshotMeta,
  KeyHolding,
  Intent,
  EngineSpec,
  VolumeSnapshotRecord,
  ExpansionRecord,
  RevertRecord,
  RebuildRecord,
  RebuildView,
  DiskIntent,
  ExportIntent,
  ExportSecurity,
  StateData,
  BackupJobRecord,
  BackupSweepRecord,
  CloneRecord,
  CopyRecord,
} from './state-records.js';

/**
 * A record of work already done in spdk_tgt (an object deleted) is written this many times
 * before the operation reports success anyway: its outcome must not be reported as a failure.
 */
const SETTLE_ATTEMPTS = 3;
const SETTLE_BACKOFF_MS = 100;
/** Ports of deleted objects remembered at most: a delete past it forgets the oldest. */
const KEPT_PORTS_MAX = 1024;

/** The top-level keys that are tables of records (the others are plain values). */
type TableName = 'disks' | 'exports' | 'engines' | 'snapshots' | 'intents' | 'keyUsers' | 'backupJobs' | 'backupSweeps' | 'keptPorts' | 'clones' | 'copies';
const TABLE_NAMES: readonly TableName[] = ['disks', 'exports', 'engines', 'snapshots', 'intents', 'keyUsers', 'backupJobs', 'backupSweeps', 'keptPorts', 'clones', 'copies'];
type Tables = Required<Pick<StateData, TableName>>;
type RecordOf<T extends TableName> = Tables[T][string];

function emptyState(): StateData {
  return withDictionaries({ version: STATE_VERSION, disks: {}, exports: {}, engines: {}, snapshots: {}, intents: {} });
}

/** Every table of `data` as a dictionary (see dictionary). */
function withDictionaries(data: StateData): StateData {
  return {
    version: data.version,
    disks: dictionary(data.disks),
    exports: dictionary(data.exports),
    engines: dictionary(data.engines),
    snapshots: dictionary(data.snapshots),
    intents: dictionary(data.intents),
    ...(data.keyUsers ? { keyUsers: dictionary(data.keyUsers) } : {}),
    ...(data.backupJobs ? { backupJobs: dictionary(data.backupJobs) } : {}),
    ...(data.backupTarget ? { backupTarget: data.backupTarget } : {}),
    ...(data.backupSweeps ? { backupSweeps: dictionary(data.backupSweeps) } : {}),
    ...(data.keptPorts ? { keptPorts: dictionary(data.keptPorts) } : {}),
    ...(data.clones ? { clones: dictionary(data.clones) } : {}),
    ...(data.copies ? { copies: dictionary(data.copies) } : {}),
  };
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
  private readonly writer: StateWriter;
  /** Each table's text, changed with its records (see store and remove): a write takes it as it is. */
  private readonly texts = new Map<string, TableText>();
  /**
   * Replica → the keys (`replica/snapshot`) of its snapshot metadata, changed with the records
   * (see store and remove): a replica's delete drops its own keys without a pass over every key
   * of the node (~30,000 at 3,000 replicas of 10 snapshots).
   */
  private readonly snapshotKeys = new Map<string, Set<string>>();

  private constructor(
    readonly file: string,
    data: StateData,
    private readonly log: Logger,
  ) {
    this.data = data;
    for (const name of TABLE_NAMES) {
      const records = data[name];
      if (!records) continue;
      const text = new TableText();
      for (const [key, value] of Object.entries(records)) text.set(key, frozenRecord(value));
      this.texts.set(name, text);
    }
    for (const key of Object.keys(data.snapshots)) this.indexSnapshot(key, true);
    this.writer = new StateWriter(file, () => captureState(this.data, this.texts), log);
  }

  static open(file: string, log: Logger): StateFile {
    makeDirectories(path.dirname(file));
    let data: StateData = emptyState();
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConductorError('STATE_FILE_UNREADABLE', `cannot read the state file ${file}: ${(err as Error).message}`);
      }
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        // A damaged file must not be silently replaced: it may hold the only record of labels.
        throw new ConductorError('STATE_FILE_UNREADABLE', `the state file ${file} is damaged (${(err as Error).message}); move it aside to start without it`);
      }
      const version = (parsed as { version?: unknown } | null)?.version;
      data = withDictionaries(checkAndMigrate(file, parsed, log) as StateData);
      // In memory only: the file keeps its old format until the next change is written.
      if (version !== STATE_VERSION) log.info({ file, from: version, to: STATE_VERSION }, 'state file migrated');
    }
    // Leftovers of a write that died before its rename.
    fs.rmSync(tempFileOf(file), { force: true });
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
   * Records an engine and resolves once that is on disk. Only EngineRecords calls this, under the
   * engine's lock, so no other change to the same record can sit on top of an undone one (see
   * putRecord). Forgetting (undefined) follows a teardown already done in spdk_tgt, so it settles
   * (see settle) instead of undoing: a record the file still holds is then one whose engine is gone.
   */
  async putEngine(name: string, spec: EngineSpec | undefined): Promise<void> {
    if (spec !== undefined) return this.putRecord('engines', name, spec);
    await this.forget('engines', name, `engine ${name} forgotten`);
  }

  disks(): DiskIntent[] {
    return Object.values(this.data.disks);
  }

  exports(): ExportIntent[] {
    return Object.values(this.data.exports);
  }

  exportOf(replica: string): ExportIntent | undefined {
    return this.data.exports[replica];
  }

  /** Records a disk as it was made (under the disk's lock); resolves once on disk. */
  recordDisk(disk: DiskRecord): Promise<void> {
    return this.putRecord('disks', disk.name, diskIntent(disk));
  }

  /** Forgets a disk: only its explicit delete does. */
  forgetDisk(name: string): Promise<void> {
    return this.forget('disks', name, `disk ${name} forgotten`);
  }

  /** Records an export as it now is (made, or its host list changed); its security options are kept. */
  recordExport(record: ExportRecord): Promise<void> {
    // An export without its listener is half made: recovery removes it, nothing records it.
    if (record.listeners.length === 0) return Promise.resolve();
    return this.putRecord('exports', record.replica, exportIntent(record, this.data.exports[record.replica]?.security));
  }

  /** Forgets an export: only its explicit unexpose (or its replica's delete) does. */
  forgetExport(replica: string): Promise<void> {
    return this.forget('exports', replica, `export of ${replica} forgotten`);
  }

  /** Removes a record of something already gone from spdk_tgt; settles, never throws (see settle). */
  private async forget(table: 'disks' | 'exports' | 'engines', key: string, what: string): Promise<void> {
    if (this.remove(table, key)) await this.settle(what);
  }

  /**
   * Records, in one write, the disks and complete exports spdk_tgt has that no record names: those
   * a file of version 1 never held, and those whose create died between spdk_tgt and this file.
   * Returns their names; records that exist are left as they are (they are what was asked for).
   */
  async adopt(disks: Iterable<DiskRecord>, exports: Iterable<ExportRecord>): Promise<string[]> {
    const adopted: string[] = [];
    for (const disk of disks) {
      if (this.data.disks[disk.name] || !disk.lvstoreUuid || !disk.path) continue;
      this.store('disks', disk.name, diskIntent(disk));
      adopted.push(`disk ${disk.name}`);
    }
    for (const record of exports) {
      if (this.data.exports[record.replica] || record.listeners.length === 0) continue;
      this.store('exports', record.replica, exportIntent(record, undefined));
      adopted.push(`export ${record.replica}`);
    }
    if (adopted.length > 0) await this.flush();
    return adopted;
  }

  /**
   * Sets (undefined: deletes) one record and resolves once that is on disk. If the write that
   * carries it fails, the record is put back as it was before any later write can carry it, and
   * this throws: memory never keeps a change the file refused. Callers hold the record's object
   * lock, so no other change to the same record can sit on top of an undone one.
   */
  private async putRecord<T extends 'disks' | 'exports' | 'engines'>(table: T, key: string, value: RecordOf<T> | undefined): Promise<void> {
    const before = this.data[table][key] as RecordOf<T> | undefined;
    if (value === undefined && before === undefined) return;
    const put = (v: RecordOf<T> | undefined): void => {
      if (v) this.store(table, key, v);
      else this.remove(table, key);
    };
    put(value);
    let failure: unknown;
    this.writer.undoIfUnwritten((error) => {
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
    await this.putUndoable('snapshots', `${replica}/${snapshot}`, frozenCopy(meta));
  }

  /** Metadata of snapshots that are gone (or were never made); settles, never throws (see settle). */
  async dropSnapshotMeta(replica: string, snapshots: readonly string[]): Promise<void> {
    let changed = false;
    for (const snapshot of snapshots) changed = this.remove('snapshots', `${replica}/${snapshot}`) || changed;
    if (changed) await this.settle(`metadata of snapshots ${snapshots.join(', ')} of ${replica} dropped`);
  }

  /** Everything of a replica that was deleted in spdk_tgt; settles, never throws (see settle). */
  async dropReplica(replica: string): Promise<void> {
    for (const key of [...(this.snapshotKeys.get(replica) ?? [])]) this.remove('snapshots', key);
    this.remove('intents', replica);
    this.remove('clones', replica);
    await this.settle(`replica ${replica} dropped`);
  }

  /** The record of a fresh clone (see StateData.clones), if `replica` is one. */
  cloneOf(replica: string): CloneRecord | undefined {
    const clones = this.data.clones;
    return clones && Object.hasOwn(clones, replica) ? clones[replica] : undefined;
  }

  /** Records a clone ReplicaClone or a restore made; resolves once on disk (throws, remembering nothing, if the write fails). */
  async recordClone(replica: string, record: CloneRecord): Promise<void> {
    await this.putUndoable('clones', replica, frozenCopy(record));
  }

  /** `replica` is no fresh clone any more (an engine used it, or it was exported); settles, never throws. */
  async dropClone(replica: string, why: string): Promise<void> {
    if (this.remove('clones', replica)) await this.settle(`clone record of ${replica} dropped: ${why}`);
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
    await this.putUndoable('intents', intent.replica, frozenCopy(intent));
  }

  /** Sets a record (frozen) and waits until it is on disk; if the write carrying it fails, puts it back and throws. */
  private async putUndoable<T extends TableName>(table: T, key: string, value: RecordOf<T>): Promise<void> {
    const records = this.records(table);
    const had = Object.hasOwn(records, key);
    const before = records[key];
    this.store(table, key, value);
    let failure: unknown;
    this.writer.undoIfUnwritten((error) => {
      failure = error;
      if (had) this.store(table, key, before as RecordOf<T>);
      else this.remove(table, key);
    });
    await this.flush().catch(() => undefined);
    if (failure !== undefined) throw failure;
  }

  /** The operation is over (done, or undone); settles, never throws: recovery repeats an intent safely. */
  async clearIntent(replica: string): Promise<void> {
    if (this.remove('intents', replica)) await this.settle(`intent of ${replica} cleared`);
  }

  /** The port a deleted engine or export of this name (`engine/NAME`, `export/REPLICA`) had, if remembered. */
  keptPort(key: string): number | undefined {
    const kept = this.data.keptPorts;
    return kept && Object.hasOwn(kept, key) ? kept[key] : undefined;
  }

  /**
   * Remembers the port of an engine or export being deleted, so that a create of the same name
   * gets it again when it is free: hosts and peers that knew the address find it unchanged. A
   * hint, not a record: carried by the delete's own write (called before it), never waited for,
   * and bounded (the oldest goes first). Undefined forgets it (the name has its port again).
   */
  keepPort(key: string, port: number | undefined): void {
    this.remove('keptPorts', key);
    if (port === undefined) return;
    this.store('keptPorts', key, port);
    // The oldest first, from the table's text, which holds the keys in the records' order: the
    // names of all of them (Object.keys) on every delete past the bound cost ~7 KiB and a pass.
    const kept = this.texts.get('keptPorts')!;
    while (kept.size > KEPT_PORTS_MAX) this.remove('keptPorts', kept.firstKey()!);
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
    if (Object.keys(names).length > 0) this.store('keyUsers', user, frozenCopy(names));
    else if (!this.remove('keyUsers', user)) return;
    await this.flush();
  }

  backupJobs(): ReadonlyArray<[id: string, record: BackupJobRecord]> {
    return Object.entries(this.data.backupJobs ?? {});
  }

  /** Records a job's progress (undefined: the job is over) and waits until that is on disk. */
  putBackupJob(id: string, record: BackupJobRecord | undefined): Promise<void> {
    return this.putOrForget('backupJobs', id, record, `backup job ${id} over`);
  }

  /** Shallow copies started and not seen to end (see StateData.copies). */
  copies(): ReadonlyArray<[dst: string, record: CopyRecord]> {
    return Object.entries(this.data.copies ?? {});
  }

  /**
   * Records a copy about to start or started (waits until on disk; throws, remembering nothing, if
   * the write fails), or forgets one that ended (undefined: settles, never throws; a stale record
   * is asked about again at the next start and found ended).
   */
  putCopy(dst: string, record: CopyRecord | undefined): Promise<void> {
    return this.putOrForget('copies', dst, record, `copy into ${dst} over`);
  }

  /** Volumes whose unreferenced backup blocks await a sweep (domain/backup/jobs-sweeps.ts). */
  backupSweeps(): ReadonlyArray<[volume: string, record: BackupSweepRecord]> {
    return Object.entries(this.data.backupSweeps ?? {});
  }

  /** Records a sweep a volume awaits (undefined: it is done) and waits until that is on disk. */
  putBackupSweep(volume: string, record: BackupSweepRecord | undefined): Promise<void> {
    return this.putOrForget('backupSweeps', volume, record, `backup sweep of ${volume} done`);
  }

  /**
   * Sets a record and waits until it is on disk (throws, remembering nothing, if the write fails),
   * or forgets it (undefined: settles, never throws; `over` says why in a failed write's log).
   */
  private async putOrForget<T extends 'backupJobs' | 'copies' | 'backupSweeps'>(table: T, key: string, record: RecordOf<T> | undefined, over: string): Promise<void> {
    if (record === undefined) {
      if (this.remove(table, key)) await this.settle(over);
      return;
    }
    await this.putUndoable(table, key, frozenCopy(record));
  }

  backupTarget(): TargetSpec | undefined {
    return this.data.backupTarget;
  }

  /** Records the backup target and waits until that is on disk. */
  async setBackupTarget(spec: TargetSpec): Promise<void> {
    const before = this.data.backupTarget;
    this.data.backupTarget = { ...spec };
    try {
      await this.flush();
    } catch (err) {
      if (before === undefined) delete this.data.backupTarget;
      else this.data.backupTarget = before;
      throw err;
    }
  }

  /** A table's records, the table made (last in the file, as an object's new key) if it has none yet. */
  private records<T extends TableName>(table: T): Tables[T] {
    const records = this.data[table];
    if (records) return records as Tables[T];
    const made = dictionary({}) as Tables[T];
    (this.data as Tables)[table] = made;
    this.texts.set(table, new TableText());
    return made;
  }

  /** Sets a record in memory and in its table's text. Records are frozen: the text taken by a write stays what it was. */
  private store<T extends TableName>(table: T, key: string, value: RecordOf<T>): void {
    (this.records(table) as Record<string, RecordOf<T>>)[key] = frozenRecord(value);
    this.texts.get(table)?.set(key, value);
    if (table === 'snapshots') this.indexSnapshot(key, true);
  }

  /** Deletes a record in memory and in its table's text; false when there was none. */
  private remove(table: TableName, key: string): boolean {
    const records = this.data[table];
    if (!records || !Object.hasOwn(records, key)) return false;
    delete records[key];
    this.texts.get(table)?.delete(key);
    if (table === 'snapshots') this.indexSnapshot(key, false);
    return true;
  }

  /** Adds (or removes) a snapshot metadata key in its replica's set; the replica name is up to the first '/' (names have none). */
  private indexSnapshot(key: string, present: boolean): void {
    const slash = key.indexOf('/');
    if (slash < 0) return;
    const replica = key.slice(0, slash);
    let keys = this.snapshotKeys.get(replica);
    if (present) {
      if (!keys) this.snapshotKeys.set(replica, (keys = new Set()));
      keys.add(key);
    } else if (keys?.delete(key) && keys.size === 0) this.snapshotKeys.delete(replica);
  }

  /** Resolves once the current data (and anything changed before this call) is durable. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}

function diskIntent(disk: DiskRecord): DiskIntent {
  return frozenRecord({ name: disk.name, kind: disk.kind, path: disk.path, lvstoreUuid: disk.lvstoreUuid, clusterSize: disk.clusterSize, blockSize: disk.blockSize });
}

/** Of an export with a listener (the callers check). */
function exportIntent(record: ExportRecord, security: ExportSecurity | undefined): ExportIntent {
  const listener = record.listeners[0]!;
  return frozenRecord({ replica: record.replica, hostNqns: [...record.hosts], address: listener.address, port: listener.port, ...(security ? { security } : {}) });
}
