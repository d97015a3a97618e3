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
 * A delete that fails otherwise stays pending: the next backup end, or the next start, tries again.
 *
 * A backup of an engine's volume takes a volume snapshot (on every member in sync, as
 * EngineSnapshotCreate; labelled `backup-id` too) and stages one local member's copy: its end
 * deletes the volume snapshot on every member (EngineSnapshotDelete), unless another backup job
 * still names it (a later BackupCreate may name it; the last job using it deletes it) or the local
 * member's copy has a clone. The volume snapshot's record in the engine is what the start's sweep reads.
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
    /** Every engine's volume snapshots with their labels. */
    volumeSnapshots(): Array<{ engine: string; name: string; labels: Record<string, string> }>;
    engineSnapshotDelete(engine: string, name: string): Promise<void>;
  };
  state: {
    snapshotMeta(replica: string, snapshot: string): SnapshotMeta | undefined;
    allSnapshotMeta(): ReadonlyArray<[replica: string, snapshot: string, meta: SnapshotMeta]>;
    setSnapshotMeta(replica: string, snapshot: string, meta: SnapshotMeta): Promise<void>;
  };
  log: Logger;
  /** The snapshots running backups of a replica stage now (not queued ones, not ended ones). */
  staging(replica: string): string[];
  /** Whether a backup job not ended names this volume snapshot. */
  namedByJob(engine: string, snapshot: string): boolean;
}

/** A snapshot waiting for its delete: a replica's, or an engine's volume snapshot (staged through `replica`, when known). */
interface Pending {
  replica: string | undefined;
  engine: string | undefined;
  snapshot: string;
}

export class BackupSnapshots {
  /** Snapshots to delete once nothing running reads them, by `r:<replica>/<snapshot>` or `e:<engine>/<snapshot>`. */
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly deps: BackupSnapshotsDeps) {}

  /** A snapshot the service took for a backup and still owns (not adopted by the user). */
  owned(replica: string, snapshot: string): boolean {
    const meta = this.deps.state.snapshotMeta(replica, snapshot);
    return meta !== undefined && !meta.userCreated && meta.labels[BACKUP_ID_LABEL] === snapshot;
  }

  /** A volume snapshot the service took for a backup of an engine. */
  ownedVolume(engine: string, snapshot: string): boolean {
    return this.deps.node.volumeSnapshots().some((v) => v.engine === engine && v.name === snapshot && v.labels[BACKUP_ID_LABEL] === snapshot);
  }

  /** A request named a snapshot a backup took: from now on it is the user's, and no backup deletes it. */
  async adopt(replica: string, snapshot: string, why: string): Promise<void> {
    const meta = this.deps.state.snapshotMeta(replica, snapshot);
    if (!meta || !this.owned(replica, snapshot)) return;
    await this.deps.state.setSnapshotMeta(replica, snapshot, { ...meta, userCreated: true });
    this.pending.delete(`r:${replica}/${snapshot}`);
    this.deps.log.info({ replica, snapshot }, `backup snapshot adopted: ${why}; it is kept until the user deletes it`);
  }

  /** The backup that took `snapshot` ended (or was refused): delete it now, or once nothing running reads it. */
  async release(replica: string, snapshot: string | undefined, why: string): Promise<void> {
    if (snapshot !== undefined && this.owned(replica, snapshot)) {
      this.pending.set(`r:${replica}/${snapshot}`, { replica, engine: undefined, snapshot });
      this.deps.log.info({ replica, snapshot }, `backup snapshot to delete: ${why}`);
    }
    await this.flush();
  }

  /** A backup of an engine's volume ended (or was refused): its volume snapshot goes once no job names it and nothing reads it. */
  async releaseVolume(engine: string, replica: string | undefined, snapshot: string, why: string): Promise<void> {
    if (this.ownedVolume(engine, snapshot)) {
      this.pending.set(`e:${engine}/${snapshot}`, { replica, engine, snapshot });
      this.deps.log.info({ engine, replica, snapshot }, `backup volume snapshot to delete: ${why}`);
    }
    await this.flush();
  }

  /** At start: every snapshot a backup took whose backup is not in flight goes. */
  async sweep(inFlight: ReadonlySet<string>): Promise<void> {
    for (const [replica, snapshot] of this.deps.state.allSnapshotMeta()) {
      if (inFlight.has(snapshot) || !this.owned(replica, snapshot)) continue;
      this.pending.set(`r:${replica}/${snapshot}`, { replica, engine: undefined, snapshot });
      this.deps.log.info({ replica, snapshot }, 'backup snapshot left by a previous process (its backup is not in flight): deleting it');
    }
    for (const v of this.deps.node.volumeSnapshots()) {
      if (inFlight.has(v.name) || v.labels[BACKUP_ID_LABEL] !== v.name) continue;
      this.pending.set(`e:${v.engine}/${v.name}`, { replica: undefined, engine: v.engine, snapshot: v.name });
      this.deps.log.info({ engine: v.engine, snapshot: v.name }, 'backup volume snapshot left by a previous process (its backup is not in flight): deleting it');
    }
    await this.flush();
  }

  /** Snapshots still waiting for their delete, for tests and diagnostics: [replica or engine, snapshot]. */
  waiting(): Array<[owner: string, snapshot: string]> {
    return [...this.pending.values()].map((p): [string, string] => [p.engine ?? p.replica ?? '', p.snapshot]);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const lists = new Map<string, SnapshotInfo[] | undefined>();
    const listOf = async (replica: string): Promise<SnapshotInfo[] | undefined> => {
      if (!lists.has(replica)) {
        lists.set(
          replica,
          await this.deps.node.snapshotList(replica).catch((err: unknown) => {
            if (isConductorError(err) && err.code === 'REPLICA_NOT_FOUND') return [];
            this.deps.log.warn({ replica, err: (err as Error).message }, 'listing snapshots to delete backup snapshots failed; retried at the next backup end');
            return undefined;
          }),
        );
      }
      return lists.get(replica);
    };
    for (const [key, p] of [...this.pending]) {
      const list = p.replica === undefined ? undefined : await listOf(p.replica);
      if (p.replica !== undefined && list === undefined) continue;
      const where = { replica: p.replica, engine: p.engine, snapshot: p.snapshot };
      if (p.engine === undefined) {
        if (!list!.some((s) => s.name === p.snapshot) || !this.owned(p.replica!, p.snapshot)) {
          this.pending.delete(key);
          continue;
        }
      } else if (!this.ownedVolume(p.engine, p.snapshot)) {
        this.pending.delete(key);
        continue;
      } else if (this.deps.namedByJob(p.engine, p.snapshot)) {
        // The last job using it deletes it.
        this.pending.delete(key);
        this.deps.log.info(where, 'backup volume snapshot kept: another backup job names it');
        continue;
      }
      if (list && p.replica !== undefined) {
        // What running backups of the replica read: their snapshot and its ancestors.
        const parents = new Map(list.map((s) => [s.name, s.parent]));
        const read = new Set<string>();
        for (const name of this.deps.staging(p.replica)) for (let s: string | undefined = name; s !== undefined && !read.has(s); s = parents.get(s)) read.add(s);
        if (read.has(p.snapshot)) {
          this.deps.log.info(where, 'backup snapshot delete deferred: a running backup of the replica reads it; done when that backup ends');
          continue;
        }
        if (p.engine !== undefined && (list.find((s) => s.name === p.snapshot)?.children.length ?? 0) > 1) {
          this.pending.delete(key);
          this.deps.log.info(where, "backup volume snapshot kept: a clone depends on the local member's copy");
          continue;
        }
      }
      try {
        if (p.engine !== undefined) await this.deps.node.engineSnapshotDelete(p.engine, p.snapshot);
        else await this.deps.node.snapshotDelete(p.replica!, p.snapshot);
        this.pending.delete(key);
        this.deps.log.info(where, 'backup snapshot deleted: its backup ended');
      } catch (err) {
        if (isConductorError(err) && err.code === 'SNAPSHOT_HAS_CHILDREN') {
          this.pending.delete(key);
          this.deps.log.info({ ...where, err: err.message }, 'backup snapshot kept: a clone depends on it');
        } else if (isConductorError(err) && (err.code === 'REPLICA_NOT_FOUND' || err.code === 'ENGINE_NOT_FOUND')) {
          this.pending.delete(key);
        } else {
          this.deps.log.warn({ ...where, err: (err as Error).message }, 'deleting a backup snapshot failed; retried at the next backup end or the next start');
        }
      }
    }
  }
}
