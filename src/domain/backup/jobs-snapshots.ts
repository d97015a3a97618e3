/**
 * The snapshots the service takes for its own backups (a BackupCreate naming no snapshot): named
 * after the backup (`bk-…`), made by the system (`userCreated` false, so `snapshot purge` may
 * take them too) and labelled `backup-id` with that same name. Nothing else keeps them:
 * - the backup's end (done, failed, cancelled) deletes its snapshot; a refusal after it was taken
 *   (the queue filled up meanwhile) deletes it before answering;
 * - an incremental backup does not need the previous one's snapshot: every backup stages the whole
 *   image and skips the blocks the target holds by their hash (jobs-backup.ts), so none is kept;
 * - it is kept when something else now depends on it: a clone of it (SPDK cannot merge a snapshot
 *   into more than one child: the delete answers SNAPSHOT_HAS_CHILDREN and it stays), or a
 *   BackupCreate that named it (adopted: made the user's, `userCreated` true, left to the user);
 * - a delete waits while a running backup of the same replica stages a snapshot that descends
 *   from it (its copy reads the chain), and is done when that backup ends;
 * - a crash between the snapshot and its deletion leaves its metadata in the state file: the next
 *   start deletes every such snapshot whose backup is not in flight (`sweep`).
 * A delete that fails otherwise stays pending: the next backup end of that replica, or the next
 * start, tries again.
 */
import type { Logger } from 'pino';
import { isConductorError } from '../../errors.js';
import type { SnapshotInfo } from '../model.js';
import type { SnapshotMeta } from '../node/state-records.js';

/** The label a backup's own snapshot carries: the backup's id, which is also its name. */
export const BACKUP_ID_LABEL = 'backup-id';

export interface BackupSnapshotsDeps {
  node: {
    snapshotList(replica: string): Promise<SnapshotInfo[]>;
    snapshotDelete(replica: string, name: string): Promise<unknown>;
  };
  state: {
    snapshotMeta(replica: string, snapshot: string): SnapshotMeta | undefined;
    allSnapshotMeta(): ReadonlyArray<[replica: string, snapshot: string, meta: SnapshotMeta]>;
    setSnapshotMeta(replica: string, snapshot: string, meta: SnapshotMeta): Promise<void>;
  };
  log: Logger;
  /** The snapshots running backups of a replica stage now (not queued ones, not ended ones). */
  staging(replica: string): string[];
}

export class BackupSnapshots {
  /** Snapshots to delete, by replica, once nothing running reads them. */
  private readonly pending = new Map<string, Set<string>>();

  constructor(private readonly deps: BackupSnapshotsDeps) {}

  /** A snapshot the service took for a backup and still owns (not adopted by the user). */
  owned(replica: string, snapshot: string): boolean {
    const meta = this.deps.state.snapshotMeta(replica, snapshot);
    return meta !== undefined && !meta.userCreated && meta.labels[BACKUP_ID_LABEL] === snapshot;
  }

  /** A request named a snapshot a backup took: from now on it is the user's, and no backup deletes it. */
  async adopt(replica: string, snapshot: string, why: string): Promise<void> {
    const meta = this.deps.state.snapshotMeta(replica, snapshot);
    if (!meta || !this.owned(replica, snapshot)) return;
    await this.deps.state.setSnapshotMeta(replica, snapshot, { ...meta, userCreated: true });
    this.pending.get(replica)?.delete(snapshot);
    this.deps.log.info({ replica, snapshot }, `backup snapshot adopted: ${why}; it is kept until the user deletes it`);
  }

  /** The backup that took `snapshot` ended (or was refused): delete it now, or once nothing running reads it. */
  async release(replica: string, snapshot: string | undefined, why: string): Promise<void> {
    if (snapshot !== undefined && this.owned(replica, snapshot)) {
      let set = this.pending.get(replica);
      if (!set) this.pending.set(replica, (set = new Set()));
      set.add(snapshot);
      this.deps.log.info({ replica, snapshot }, `backup snapshot to delete: ${why}`);
    }
    await this.flush(replica);
  }

  /** At start: every snapshot a backup took whose backup is not in flight goes. */
  async sweep(inFlight: ReadonlySet<string>): Promise<void> {
    const replicas = new Set<string>();
    for (const [replica, snapshot] of this.deps.state.allSnapshotMeta()) {
      if (inFlight.has(snapshot) || !this.owned(replica, snapshot)) continue;
      let set = this.pending.get(replica);
      if (!set) this.pending.set(replica, (set = new Set()));
      set.add(snapshot);
      replicas.add(replica);
      this.deps.log.info({ replica, snapshot }, 'backup snapshot left by a previous process (its backup is not in flight): deleting it');
    }
    for (const replica of replicas) await this.flush(replica);
  }

  /** Snapshots still waiting for their delete, for tests and diagnostics. */
  waiting(): Array<[replica: string, snapshot: string]> {
    return [...this.pending].flatMap(([replica, set]) => [...set].map((s): [string, string] => [replica, s]));
  }

  private async flush(replica: string): Promise<void> {
    const set = this.pending.get(replica);
    if (!set || set.size === 0) return;
    let list: SnapshotInfo[];
    try {
      list = await this.deps.node.snapshotList(replica);
    } catch (err) {
      if (isConductorError(err) && err.code === 'REPLICA_NOT_FOUND') {
        this.pending.delete(replica);
        return;
      }
      this.deps.log.warn({ replica, err: (err as Error).message }, 'listing snapshots to delete backup snapshots failed; retried at the next backup end');
      return;
    }
    const parents = new Map(list.map((s) => [s.name, s.parent]));
    // What running backups read: their snapshot and its ancestors.
    const read = new Set<string>();
    for (const name of this.deps.staging(replica)) for (let s: string | undefined = name; s !== undefined && !read.has(s); s = parents.get(s)) read.add(s);
    for (const snapshot of [...set]) {
      if (!parents.has(snapshot)) {
        set.delete(snapshot);
        continue;
      }
      if (!this.owned(replica, snapshot)) {
        set.delete(snapshot);
        continue;
      }
      if (read.has(snapshot)) {
        this.deps.log.info({ replica, snapshot }, 'backup snapshot delete deferred: a running backup of the replica reads it; done when that backup ends');
        continue;
      }
      try {
        await this.deps.node.snapshotDelete(replica, snapshot);
        set.delete(snapshot);
        this.deps.log.info({ replica, snapshot }, 'backup snapshot deleted: its backup ended');
      } catch (err) {
        if (isConductorError(err) && err.code === 'SNAPSHOT_HAS_CHILDREN') {
          set.delete(snapshot);
          this.deps.log.info({ replica, snapshot, err: err.message }, 'backup snapshot kept: a clone depends on it');
        } else if (isConductorError(err) && err.code === 'REPLICA_NOT_FOUND') {
          set.delete(snapshot);
        } else {
          this.deps.log.warn({ replica, snapshot, err: (err as Error).message }, 'deleting a backup snapshot failed; retried at the next backup end of the replica or the next start');
        }
      }
    }
    if (set.size === 0) this.pending.delete(replica);
  }
}
