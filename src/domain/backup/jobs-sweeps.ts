/**
 * The sweeps a volume's blocks in the backup target await: blocks no manifest references that no
 * delete removed yet. Two kinds of work leave them:
 * - a delete whose sweep was deferred (a backup of the volume was in flight: its marker in the
 *   target, or a backup of it queued or running here, see `busy`), and
 * - a backup that failed or was cancelled after it began storing blocks (or that a restart
 *   resumed): nothing resumes a job once it ended, so the blocks it stored are garbage from then.
 * Each is recorded in the state file (`backupSweeps`, one record per volume, the first reason and
 * its time) before the work that leaves the blocks ends, so a restart finds it. The sweep then runs
 * by itself: when a backup job of this node ends (its work returned), at start, and every
 * `retryMs` while any is pending, one volume at a time. A volume a backup of this node still
 * queues or runs waits for it (a resumed job keeps the blocks it stored for its resume); a sweep
 * the target defers (a live inflight marker: objectstore/repository.ts) or that fails stays
 * recorded and runs again. A record goes once a sweep of its volume ran whole after the last
 * request for it. What is pending, why, and how the last attempt went: `list()` (BackupList).
 */
import type { Logger } from 'pino';
import { isConductorError } from '../../errors.js';
import type { BackupRepository, DeleteResult } from '../../objectstore/repository.js';
import type { BackupSweepRecord } from '../node/state-records.js';
import { type JobInfo, type SweepInfo, TERMINAL_JOB_STATES } from './jobs-model.js';
import type { TargetLease } from './jobs-target.js';

/**
 * `busy` and `ended` over this node's jobs; `workOut(job)`: a job marked ended after an abort
 * (abortGraceMs) whose work has not returned, which may still store blocks and hold its marker.
 */
export function localBackups<J extends { info: JobInfo }>(jobs: () => Iterable<J>, workOut: (job: J) => boolean): Pick<BackupSweepsDeps, 'busy' | 'ended'> {
  return {
    busy: (volume) => {
      for (const job of jobs()) {
        if (job.info.kind !== 'backup' || job.info.volume !== volume) continue;
        if (!TERMINAL_JOB_STATES.has(job.info.state)) return `backup job ${job.info.id} of the volume (${job.info.state}) on this node; swept when it ends`;
        if (workOut(job)) return `backup job ${job.info.id} of the volume, ${job.info.state} but its work not yet returned; swept when it does`;
      }
      return undefined;
    },
    ended: (id) => {
      for (const job of jobs()) if (job.info.id === id) return job.info.kind === 'backup' && TERMINAL_JOB_STATES.has(job.info.state) && !workOut(job);
      return false;
    },
  };
}

export interface BackupSweepsDeps {
  state: {
    backupSweeps(): ReadonlyArray<[volume: string, record: BackupSweepRecord]>;
    putBackupSweep(volume: string, record: BackupSweepRecord | undefined): Promise<void>;
  };
  /** The current target for one sweep (throws when there is none). */
  acquire(signal: AbortSignal): TargetLease;
  /** Why the volume's sweep must wait on this node (a backup of it queued, running, or its work not ended), or undefined. */
  busy(volume: string): string | undefined;
  /** Whether `job` is a backup job of this node that ended and whose work returned: an inflight marker of it is a leftover its end could not delete. */
  ended(job: string): boolean;
  log: Logger;
  /** How often pending sweeps are tried again. */
  retryMs: number;
}

interface Status {
  attempts: number;
  lastAttemptAt: Date | undefined;
  waitingFor: string;
  lastError: string;
  /** Bumped by every request: a sweep that began before the last request does not settle it. */
  generation: number;
}

export class BackupSweeps {
  private readonly status = new Map<string, Status>();
  /** Volumes a sweep runs for now (a delete's or a recorded one): one at a time per volume. */
  private readonly active = new Set<string>();
  /** BackupDeletes running, by volume: a recorded sweep waits for them (one that listed the manifests before the delete's went would settle its record). */
  private readonly deleting = new Map<string, number>();
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly deps: BackupSweepsDeps) {
    this.log = deps.log;
  }

  /** Takes up what a previous process recorded and tries it (after the jobs it resumed are queued: `busy` sees them). */
  start(): void {
    const pending = this.deps.state.backupSweeps();
    if (pending.length > 0) this.log.info({ volumes: pending.map(([v]) => v) }, 'backup sweeps recorded by a previous process: tried now');
    this.timer = setInterval(() => {
      if (this.deps.state.backupSweeps().length > 0) this.kick();
    }, this.deps.retryMs);
    this.timer.unref();
    this.kick();
  }

  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.controller.abort();
    // A sweep honours the abort; one stuck in a call that does not is left (its record stays for the next start).
    if (this.pass) await Promise.race([this.pass, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  /**
   * Records that the volume's blocks await a sweep (kept with its first reason if one is already
   * recorded) and waits until that is on disk; then tries it unless `kick` is false. Returns
   * whether the record is new. The record is in the state file's memory when this returns its
   * promise: a state change made after the call is written with it or later.
   */
  async request(volume: string, reason: string, kick = true): Promise<boolean> {
    const status = this.statusOf(volume);
    status.generation++;
    const recorded = this.deps.state.backupSweeps().some(([v]) => v === volume);
    if (!recorded) {
      await this.deps.state.putBackupSweep(volume, { reason, sinceMs: Date.now() });
      this.log.info({ volume, reason }, 'backup sweep recorded');
    } else this.log.info({ volume, reason }, 'backup sweep already recorded; this request joins it');
    if (kick) this.kick();
    return !recorded;
  }

  /** The volume's request count, for `settled`. */
  generation(volume: string): number {
    return this.statusOf(volume).generation;
  }

  /** A sweep of the volume ran whole (or a request turned out to need none): the record goes unless a request came after `generation`. */
  async settled(volume: string, generation: number, why: string): Promise<void> {
    const status = this.statusOf(volume);
    if (status.generation !== generation) {
      this.log.info({ volume, why }, 'backup sweep requested again meanwhile; it stays recorded');
      this.kick();
      return;
    }
    if (!this.deps.state.backupSweeps().some(([v]) => v === volume)) return;
    await this.deps.state.putBackupSweep(volume, undefined);
    // The generation stays (one number per volume): it only ever grows, so no sweep begun earlier settles a later record.
    Object.assign(status, { attempts: 0, lastAttemptAt: undefined, waitingFor: '', lastError: '' });
    this.log.info({ volume, why }, 'backup sweep done; record removed');
  }

  /**
   * Deletes a backup (BackupDelete): the sweep is recorded before the manifest goes (a crash
   * between leaves it to the next start, not to a later delete), then done at once unless `wait`
   * (a backup of the volume queued or running here) or the target (a live inflight marker) defers
   * it; a deferred one stays recorded and runs by itself.
   */
  async deleteBackup(repository: BackupRepository, volume: string, backupId: string, wait: string | undefined, signal?: AbortSignal): Promise<DeleteResult> {
    this.deleting.set(volume, (this.deleting.get(volume) ?? 0) + 1);
    let result: Awaited<ReturnType<BackupRepository['deleteBackup']>>;
    let sweep = false;
    try {
      const created = await this.request(volume, `BackupDelete of ${backupId}`, false);
      // Requests after this one may not be covered by this delete's sweep: they keep the record.
      const generation = this.generation(volume);
      // A recorded sweep running now (it began before this request) is not joined: its result does not settle this request.
      sweep = wait === undefined && !this.active.has(volume);
      if (sweep) this.active.add(volume);
      try {
        result = await repository.deleteBackup(volume, backupId, signal, { sweep });
      } catch (err) {
        if (created && isConductorError(err) && err.code === 'BACKUP_NOT_FOUND') await this.settled(volume, generation, 'no such backup: nothing to sweep');
        throw err;
      }
      if (!result.sweepDeferred) await this.settled(volume, generation, `swept by BackupDelete of ${backupId}`);
    } finally {
      if (sweep) this.active.delete(volume);
      const left = (this.deleting.get(volume) ?? 1) - 1;
      if (left > 0) this.deleting.set(volume, left);
      else this.deleting.delete(volume);
      this.kick();
    }
    if (result.sweepDeferred) {
      const status = this.statusOf(volume);
      status.waitingFor =
        wait ??
        (sweep
          ? `backup(s) ${result.inflight.join(', ')} of the volume in flight in the target; tried again every ${Math.round(this.deps.retryMs / 1000)} s`
          : 'a sweep of the volume that was running; tried again after it');
      this.log.info({ volume, backupId, waitingFor: status.waitingFor }, 'backup deleted; its sweep deferred and recorded: it runs by itself once that ends');
    } else this.log.info({ volume, backupId, blocksRemoved: result.blocksRemoved }, 'backup deleted');
    return { blocksRemoved: result.blocksRemoved, sweepDeferred: result.sweepDeferred };
  }

  list(): SweepInfo[] {
    return this.deps.state.backupSweeps().map(([volume, record]) => {
      const status = this.status.get(volume);
      return {
        volume,
        reason: record.reason,
        since: new Date(record.sinceMs),
        attempts: status?.attempts ?? 0,
        lastAttemptAt: status?.lastAttemptAt,
        waitingFor: status?.waitingFor ?? '',
        lastError: status?.lastError ?? '',
      };
    });
  }

  /** Why a sweep of the volume waits on this node (see BackupSweepsDeps.busy). */
  busy(volume: string): string | undefined {
    return this.deps.busy(volume);
  }

  /** Tries the pending sweeps now, or right after the pass that runs. */
  kick(): void {
    if (this.closed) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.runPasses().finally(() => {
      this.pass = undefined;
    });
  }

  private async runPasses(): Promise<void> {
    do {
      this.again = false;
      // Oldest first; each volume once a pass: the pass is bounded by the records.
      const pending = [...this.deps.state.backupSweeps()].sort((a, b) => a[1].sinceMs - b[1].sinceMs);
      for (const [volume] of pending) {
        if (this.closed) return;
        await this.attempt(volume);
      }
    } while (this.again && !this.closed);
  }

  private async attempt(volume: string): Promise<void> {
    const status = this.statusOf(volume);
    const busy = this.active.has(volume) || this.deleting.has(volume) ? 'a sweep or BackupDelete of the volume running now' : this.deps.busy(volume);
    if (busy !== undefined) {
      if (status.waitingFor !== busy) this.log.info({ volume, waitingFor: busy }, 'backup sweep waits for a backup of the volume on this node');
      status.waitingFor = busy;
      return;
    }
    const generation = status.generation;
    status.attempts++;
    status.lastAttemptAt = new Date();
    let lease: TargetLease;
    try {
      lease = this.deps.acquire(this.controller.signal);
    } catch (err) {
      this.failed(volume, status, err);
      return;
    }
    this.active.add(volume);
    try {
      let result = await lease.repository.sweep(volume, this.controller.signal);
      const leftovers = result.inflight.filter((job) => this.deps.ended(job));
      if (leftovers.length > 0) {
        // Markers of this node's own ended backups whose end could not delete them (the target failed then): not in flight.
        for (const job of leftovers) await lease.repository.dropMarker(volume, job, this.controller.signal);
        this.log.info({ volume, markers: leftovers }, "inflight markers of this node's ended backups removed (their end could not)");
        result = await lease.repository.sweep(volume, this.controller.signal);
      }
      status.lastError = '';
      if (result.sweepDeferred) {
        status.waitingFor = `backup(s) ${result.inflight.join(', ')} of the volume in flight in the target; tried again every ${Math.round(this.deps.retryMs / 1000)} s`;
        this.log.info({ volume, inflight: result.inflight, attempts: status.attempts }, 'backup sweep deferred: a backup of the volume is in flight');
        return;
      }
      status.waitingFor = '';
      this.log.info({ volume, blocksRemoved: result.blocksRemoved, attempts: status.attempts }, 'backup sweep ran: blocks no manifest references removed');
      await this.settled(volume, generation, `${result.blocksRemoved} unreferenced block(s) removed`);
    } catch (err) {
      if (!this.closed) this.failed(volume, status, err);
    } finally {
      this.active.delete(volume);
      lease.release();
    }
  }

  private failed(volume: string, status: Status, err: unknown): void {
    status.lastError = (err as Error).message ?? String(err);
    status.waitingFor = `the target; tried again every ${Math.round(this.deps.retryMs / 1000)} s`;
    this.log.warn({ volume, err: status.lastError, attempts: status.attempts }, 'backup sweep failed; it stays recorded and is tried again');
  }

  private statusOf(volume: string): Status {
    let status = this.status.get(volume);
    if (!status) this.status.set(volume, (status = { attempts: 0, lastAttemptAt: undefined, waitingFor: '', lastError: '', generation: 0 }));
    return status;
  }
}
