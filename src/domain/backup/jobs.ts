/**
 * Backup and restore jobs on this node: a bounded queue, a few running at once, each in one of a
 * few states with a reason and a deadline, and none pending forever:
 * - a queued job whose snapshot is gone fails at the next check (every QUEUED_CHECK_MS), not when
 *   its turn comes;
 * - a queued job past backup.queuedDeadlineSec, or a running one without progress for
 *   backup.stallSec (a step that reports none, a restore's inflate, extends it by its own
 *   deadline), fails with BACKUP_DEADLINE_EXCEEDED;
 * - a running job aborted (cancel, deadline) whose work does not end within abortGraceMs (stuck in
 *   an await that ignores the abort) is marked ended anyway with the reason; its work releases
 *   what it holds, its concurrency slot included, when the await returns;
 * - a target that keeps failing fails the job once its retry budget is spent (jobs-target.ts);
 * - a full queue refuses at once with BACKUP_QUEUE_FULL and the numbers.
 * Jobs in flight are in the state file; the next start resumes backups (blocks already in the
 * target are found there and not sent again) and restarts restores from the beginning (their
 * half-made replica removed first), after the target's orphan multipart uploads were aborted (the
 * data path sweeps its staging leftovers in the node's recovery, before this starts). Blocks no
 * manifest references (a failed or cancelled backup's, a delete's deferred sweep) are swept by
 * jobs-sweeps.ts, recorded in the state file first.
 *
 * A job locks nothing: it reads a snapshot (the data path stages a copy of it and then reads only
 * that), so detach, engine delete, replica remove and snapshot operations never wait for it; one
 * that takes the snapshot away makes the job end with that reason.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ConductorError, isConductorError } from '../../errors.js';
import { isLayoutKey, newBackupId } from '../../objectstore/format.js';
import { summary, type BackupSummary, type DeleteResult } from '../../objectstore/repository.js';
import { describeTarget, type TargetSpec } from '../../objectstore/target-spec.js';
import type { BackupJobRecord } from '../node/state-file.js';
import type { BackupSweepRecord } from '../node/state-records.js';
import type { DataPath } from './data-path.js';
import { runBackup } from './jobs-backup.js';
import { TERMINAL_JOB_STATES, type BackupCreate, type BackupNode, type JobEvent, type JobInfo, type JobState, type RestoreCreate, type SweepInfo } from './jobs-model.js';
import { checkJobs, type Job } from './jobs-check.js';
import { runRestore } from './jobs-restore-run.js';
import { BackupSnapshots } from './jobs-snapshots.js';
import { BackupSweeps, localBackups } from './jobs-sweeps.js';
import { engineSource, replicaSource } from './jobs-source.js';
import { BackupTarget, type TargetSettings } from './jobs-target.js';
import type { SnapshotMeta } from '../node/state-records.js';

/** How often queued jobs' snapshots are looked for, and deadlines checked. */
const QUEUED_CHECK_MS = 1000;
/** Finished jobs kept for Get and List. */
const HISTORY_MAX = 1000;

export interface BackupJobsSettings extends TargetSettings {
  queueMax: number;
  concurrency: number;
  stallMs: number;
  queuedDeadlineMs: number;
  /**
   * How long a running job that was aborted (cancel, deadline) has to end by itself before it is
   * marked ended anyway, its work still out (an await that ignores the abort); default 2000 ms.
   */
  abortGraceMs?: number;
  /** The target used until BackupTargetSet names one (the filesystem target beside the state file). */
  defaultTarget: TargetSpec;
  /** How often recorded sweeps of unreferenced blocks are tried again (jobs-sweeps.ts); default 60 s. */
  sweepRetryMs?: number;
}

export interface BackupJobsDeps {
  dataPath: DataPath;
  /** The node's snapshot and replica operations this needs. */
  node: BackupNode;
  state: {
    backupJobs(): ReadonlyArray<[string, BackupJobRecord]>;
    putBackupJob(id: string, record: BackupJobRecord | undefined): Promise<void>;
    backupTarget(): TargetSpec | undefined;
    setBackupTarget(spec: TargetSpec): Promise<void>;
    snapshotMeta(replica: string, snapshot: string): SnapshotMeta | undefined;
    allSnapshotMeta(): ReadonlyArray<[replica: string, snapshot: string, meta: SnapshotMeta]>;
    setSnapshotMeta(replica: string, snapshot: string, meta: SnapshotMeta): Promise<void>;
    backupSweeps(): ReadonlyArray<[volume: string, record: BackupSweepRecord]>;
    putBackupSweep(volume: string, record: BackupSweepRecord | undefined): Promise<void>;
  };
  log: Logger;
  settings: BackupJobsSettings;
}

export class BackupJobs {
  private readonly jobs = new Map<string, Job>();
  /** Jobs whose work has not returned (a job marked ended after an abort may still be working). */
  private readonly working = new Set<string>();
  private readonly queue: Job[] = [];
  private running = 0;
  private readonly listeners = new Set<(event: JobEvent) => void>();
  private readonly target: BackupTarget;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
  /** Jobs wait until start() has opened the target and taken back the previous process's jobs. */
  private started = false;
  private readonly log: Logger;
  /** The snapshots backups took for themselves, deleted when they end (jobs-snapshots.ts). */
  readonly snapshots: BackupSnapshots;
  /** Sweeps of blocks no manifest references, recorded until they ran (jobs-sweeps.ts). */
  readonly sweeps: BackupSweeps;

  constructor(private readonly deps: BackupJobsDeps) {
    this.log = deps.log;
    this.target = new BackupTarget(deps.settings, deps.log);
    this.snapshots = new BackupSnapshots({
      node: deps.node,
      state: deps.state,
      log: deps.log,
      staging: (replica) =>
        [...this.jobs.values()]
          .filter((j) => j.info.kind === 'backup' && j.info.replica === replica && j.info.state !== 'queued' && !TERMINAL_JOB_STATES.has(j.info.state))
          .map((j) => j.info.snapshot),
      namedByJob: (engine, snapshot) => [...this.jobs.values()].some((j) => j.record.engine === engine && j.info.snapshot === snapshot && !TERMINAL_JOB_STATES.has(j.info.state)),
    });
    this.sweeps = new BackupSweeps({
      state: deps.state,
      acquire: (signal) => this.target.acquire(signal),
      ...localBackups(
        () => this.jobs.values(),
        (job) => job.abortedAtMs !== undefined && this.working.has(job.info.id),
      ),
      log: deps.log.child({ part: 'backup-sweeps' }),
      retryMs: deps.settings.sweepRetryMs ?? 60_000,
    });
  }

  /** Opens the target, cleans up after a previous process, and resumes or fails its jobs. */
  async start(): Promise<void> {
    const spec = this.deps.state.backupTarget() ?? this.deps.settings.defaultTarget;
    try {
      await this.target.set(spec);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'backup target not usable at start; jobs fail until BackupTargetSet');
    }
    if (this.target.spec()) {
      const lease = this.target.acquire();
      const aborted = await lease.repository.store.abortOrphanUploads(isLayoutKey).catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'aborting orphan multipart uploads failed');
        return 0;
      });
      lease.release();
      if (aborted > 0) this.log.info({ aborted }, 'orphan multipart uploads aborted');
    }
    for (const [id, record] of this.deps.state.backupJobs()) {
      const job = this.make(id, { ...record, state: 'queued' }, record.labels ?? {});
      // A previous process may have stored blocks of it (any state: it may have been resumed before).
      job.mayHaveBlocks = record.kind === 'backup';
      if (record.kind === 'restore' && record.state === 'committing' && (await this.deps.node.replicaExists(record.replica).catch(() => false))) {
        await this.deps.node.replicaDelete(record.replica).catch((err: unknown) => this.log.warn({ job: id, err: (err as Error).message }, 'removing a half-made restored replica failed'));
      }
      this.jobs.set(id, job);
      this.queue.push(job);
      this.setState(job, 'queued', record.kind === 'backup' ? 'resumed after a restart: blocks already in the target are not sent again' : 'restarted from the beginning after a restart');
      await this.persist(job);
    }
    await this.snapshots
      .sweep(new Set(this.deps.state.backupJobs().flatMap(([, r]) => [r.backupId, ...(r.snapshot ? [r.snapshot] : [])])))
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'sweeping backup snapshots failed'));
    this.timer = setInterval(() => void this.check(), QUEUED_CHECK_MS);
    this.timer.unref();
    this.started = true;
    // After the resumed jobs are queued: their volumes' sweeps wait for them.
    this.sweeps.start();
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // In-flight records stay in the state file: the next start resumes them.
    for (const job of this.jobs.values()) if (!TERMINAL_JOB_STATES.has(job.info.state)) job.controller.abort(new ConductorError('SERVICE_STOPPING', 'the service is stopping'));
    // Recorded sweeps stay in the state file: the next start runs them.
    await this.sweeps.close();
    await this.target.close();
  }

  async targetSet(spec: TargetSpec, signal?: AbortSignal): Promise<TargetSpec> {
    const checked = await this.target.set(spec, signal);
    await this.deps.state.setBackupTarget(checked);
    return checked;
  }

  targetGet(): TargetSpec | undefined {
    return this.target.spec();
  }

  async backupCreate(request: BackupCreate): Promise<JobInfo> {
    this.admit();
    const id = newBackupId();
    const source = request.engine !== undefined ? await engineSource(this.deps.node, this.snapshots, request, request.engine, id) : await replicaSource(this.deps.node, this.snapshots, request, id);
    try {
      this.admit();
      const record: BackupJobRecord = {
        kind: 'backup',
        volume: request.volume ?? request.engine ?? source.replica,
        replica: source.replica,
        snapshot: source.snapshot,
        backupId: id,
        state: 'queued',
        createdAtMs: Date.now(),
      };
      if (request.engine !== undefined) record.engine = request.engine;
      if (request.labels && Object.keys(request.labels).length > 0) record.labels = { ...request.labels };
      return await this.enqueue(id, record, request.labels ?? {}, `queued behind ${this.queue.length} job(s)`);
    } catch (err) {
      // Refused after the snapshot was taken (the queue filled meanwhile, or the record could not
      // be written): nothing of this request stays.
      const why = `backup ${id} refused (${(err as Error).message})`;
      if (request.engine !== undefined && source.snapshot === id) await this.snapshots.releaseVolume(request.engine, source.replica, id, why);
      else if (source.snapshot === id) await this.snapshots.release(source.replica, id, why);
      throw err;
    }
  }

  async restoreCreate(request: RestoreCreate): Promise<JobInfo> {
    this.admit();
    const lease = this.target.acquire();
    try {
      if (!(await lease.repository.manifest(request.volume, request.backupId))) {
        throw new ConductorError('BACKUP_NOT_FOUND', `no backup ${request.backupId} of volume ${request.volume} in the target`, { volume: request.volume, backupId: request.backupId });
      }
    } finally {
      lease.release();
    }
    if (await this.deps.node.replicaExists(request.replica)) throw new ConductorError('REPLICA_EXISTS', `replica ${request.replica} exists; restore into a new name`, { replica: request.replica });
    if ([...this.jobs.values()].some((j) => j.info.kind === 'restore' && j.info.replica === request.replica && !TERMINAL_JOB_STATES.has(j.info.state))) {
      throw new ConductorError('REPLICA_EXISTS', `a restore into ${request.replica} is already running`, { replica: request.replica });
    }
    this.admit();
    const id = `rs-${randomBytes(6).toString('hex')}`;
    const record: BackupJobRecord = { kind: 'restore', volume: request.volume, replica: request.replica, backupId: request.backupId, disk: request.disk, state: 'queued', createdAtMs: Date.now() };
    return this.enqueue(id, record, {}, `queued behind ${this.queue.length} job(s)`);
  }

  jobGet(id: string): JobInfo {
    const job = this.jobs.get(id);
    if (!job) throw new ConductorError('BACKUP_JOB_NOT_FOUND', `no backup or restore job ${id} on this node`, { id });
    return { ...job.info };
  }

  jobList(): JobInfo[] {
    return [...this.jobs.values()].map((j) => ({ ...j.info }));
  }

  jobCancel(id: string): JobInfo {
    const job = this.jobs.get(id);
    if (!job) throw new ConductorError('BACKUP_JOB_NOT_FOUND', `no backup or restore job ${id} on this node`, { id });
    if (TERMINAL_JOB_STATES.has(job.info.state)) return { ...job.info };
    const index = this.queue.indexOf(job);
    if (index >= 0) {
      this.queue.splice(index, 1);
      void this.finish(job, 'cancelled', 'cancelled by request while queued', 'CANCELLED');
    } else this.abortRunning(job, new ConductorError('CANCELLED', 'cancelled by request'));
    return { ...job.info };
  }

  /** The backups in the target, of one volume or of all. */
  async backupList(volume?: string, signal?: AbortSignal): Promise<BackupSummary[]> {
    const lease = this.target.acquire(signal);
    try {
      const volumes = volume === undefined ? await lease.repository.volumes(signal) : [volume];
      const out: BackupSummary[] = [];
      for (const v of volumes) {
        const { manifests, corrupt } = await lease.repository.readableManifests(v, signal);
        for (const m of manifests) out.push(summary(m));
        // Not restorable, so not listed; named in the log and in the volume's index.json.
        for (const bad of corrupt) this.log.warn({ volume: v, backupId: bad.id, reason: bad.reason }, 'a backup manifest does not read back whole; left out of the list');
      }
      return out;
    } finally {
      lease.release();
    }
  }

  async backupDelete(volume: string, backupId: string, signal?: AbortSignal): Promise<DeleteResult> {
    const user = [...this.jobs.values()].find((j) => j.info.backupId === backupId && !TERMINAL_JOB_STATES.has(j.info.state));
    if (user) throw new ConductorError('BACKUP_IN_USE', `backup ${backupId} is used by ${user.info.kind} job ${user.info.id} (${user.info.state}); cancel it or wait`, { job: user.info.id });
    const lease = this.target.acquire(signal);
    try {
      return await this.sweeps.deleteBackup(lease.repository, volume, backupId, this.sweeps.busy(volume), signal);
    } finally {
      lease.release();
    }
  }

  /** The sweeps of unreferenced blocks recorded and not yet run, with why they wait (BackupList). */
  sweepList(): SweepInfo[] {
    return this.sweeps.list();
  }

  /** Current jobs as 'added', then 'synced', then every change. Returns the unsubscribe. */
  watch(listener: (event: JobEvent) => void): () => void {
    for (const job of this.jobs.values()) listener({ type: 'added', job: { ...job.info } });
    listener({ type: 'synced', job: undefined });
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watchers subscribed now: a stream that ended must have left. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  private admit(): void {
    if (this.closed) throw new ConductorError('SERVICE_STOPPING', 'the service is stopping');
    const { queueMax, concurrency } = this.deps.settings;
    if (this.queue.length >= queueMax) {
      throw new ConductorError(
        'BACKUP_QUEUE_FULL',
        `${this.queue.length} backup/restore jobs are queued (backup.queueMax ${queueMax}) and ${this.running} running (backup.concurrency ${concurrency}); retry later`,
        { queued: this.queue.length, queueMax, running: this.running, concurrency },
      );
    }
  }

  private make(id: string, record: BackupJobRecord, labels: Record<string, string>): Job {
    const now = new Date();
    return {
      record,
      labels,
      controller: new AbortController(),
      lastProgressMs: Date.now(),
      info: {
        id,
        kind: record.kind,
        volume: record.volume,
        replica: record.replica,
        snapshot: record.snapshot ?? '',
        backupId: record.backupId,
        disk: record.disk ?? '',
        state: 'queued',
        reason: '',
        errorCode: '',
        createdAt: new Date(record.createdAtMs),
        updatedAt: now,
        deadlineAt: new Date(record.createdAtMs + this.deps.settings.queuedDeadlineMs),
        bytesDone: 0,
        bytesTotal: 0,
        blocksUploaded: 0,
        blocksSkipped: 0,
        bytesUploaded: 0,
      },
    };
  }

  private async enqueue(id: string, record: BackupJobRecord, labels: Record<string, string>, reason: string): Promise<JobInfo> {
    const job = this.make(id, record, labels);
    job.info.reason = reason;
    await this.deps.state.putBackupJob(id, record);
    this.jobs.set(id, job);
    this.queue.push(job);
    this.log.info({ job: id, kind: record.kind, volume: record.volume, replica: record.replica, snapshot: record.snapshot, backupId: record.backupId }, `${record.kind} job queued`);
    this.emit('added', job);
    this.trimHistory();
    this.pump();
    return { ...job.info };
  }

  private emit(type: 'added' | 'modified', job: Job): void {
    for (const listener of this.listeners) listener({ type, job: { ...job.info } });
  }

  private setState(job: Job, state: JobState, reason: string): void {
    const from = job.info.state;
    job.info.state = state;
    job.info.reason = reason;
    job.info.updatedAt = new Date();
    job.lastProgressMs = Date.now();
    job.info.deadlineAt = TERMINAL_JOB_STATES.has(state)
      ? undefined
      : state === 'queued'
        ? new Date(job.record.createdAtMs + this.deps.settings.queuedDeadlineMs)
        : new Date(Date.now() + this.deps.settings.stallMs);
    if (from !== state) this.log.info({ job: job.info.id, kind: job.info.kind, from, to: state, reason }, `${job.info.kind} job ${state}`);
    this.emit('modified', job);
  }

  private async persist(job: Job): Promise<void> {
    const state = job.info.state;
    if (TERMINAL_JOB_STATES.has(state)) await this.deps.state.putBackupJob(job.info.id, undefined);
    else {
      job.record = { ...job.record, state: state as BackupJobRecord['state'] };
      await this.deps.state.putBackupJob(job.info.id, job.record).catch((err: unknown) => this.log.warn({ job: job.info.id, err: (err as Error).message }, 'recording a job state failed'));
    }
  }

  private async finish(job: Job, state: 'done' | 'failed' | 'cancelled', reason: string, code = ''): Promise<void> {
    if (TERMINAL_JOB_STATES.has(job.info.state)) return;
    job.info.errorCode = code;
    this.setState(job, state, reason);
    // Nothing resumes an ended job: the blocks it stored that no manifest names are garbage. The
    // sweep's record is made (in memory, at once) before the job's goes, so every write that
    // carries the one carries the other.
    const recorded =
      job.info.kind === 'backup' && state !== 'done' && job.mayHaveBlocks
        ? this.sweeps
            .request(job.info.volume, `backup ${job.info.backupId} ${state}: ${reason}`)
            .catch((err: unknown) => this.log.warn({ job: job.info.id, err: (err as Error).message }, 'recording the sweep of an ended backup failed'))
        : undefined;
    await this.persist(job);
    await recorded;
    // After the record is gone: a crash between leaves the snapshot to the next start's sweep.
    if (job.info.kind !== 'backup') return;
    const why = `backup ${job.info.backupId} ${state}`;
    // An engine's volume snapshot goes once no job names it (any job's end may be the last); a replica's only with the backup that took it.
    if (job.record.engine !== undefined) await this.snapshots.releaseVolume(job.record.engine, job.info.replica, job.info.snapshot, why);
    else await this.snapshots.release(job.info.replica, job.info.snapshot === job.info.backupId ? job.info.snapshot : undefined, why);
  }

  private pump(): void {
    while (this.started && !this.closed && this.running < this.deps.settings.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    this.working.add(job.info.id);
    try {
      await this.runJob(job);
    } finally {
      this.working.delete(job.info.id);
      // Its marker is gone: a sweep of its volume that waited for it may run.
      if (job.info.kind === 'backup') this.sweeps.kick();
    }
  }

  private async runJob(job: Job): Promise<void> {
    const signal = job.controller.signal;
    const lease = (() => {
      try {
        return this.target.acquire(signal);
      } catch (err) {
        void this.finish(job, 'failed', (err as Error).message, isConductorError(err) ? err.code : 'INTERNAL');
        return undefined;
      }
    })();
    if (!lease) return;
    const phase = async (state: JobState): Promise<void> => {
      signal.throwIfAborted();
      // Bytes done count within a phase: a watcher sees them start again at 0, never step back.
      job.info.bytesDone = 0;
      job.info.bytesTotal = 0;
      if (state === 'uploading') job.mayHaveBlocks = true;
      this.setState(job, state, `${state} (target ${describeTarget(lease.spec)})`);
      await this.persist(job);
    };
    const progress = (p: { bytesDone?: number; bytesTotal?: number; uploaded?: number; skipped?: number; bytesUploaded?: number }): void => {
      const info = job.info;
      if (p.bytesDone !== undefined) info.bytesDone = p.bytesDone;
      if (p.bytesTotal !== undefined) info.bytesTotal = p.bytesTotal;
      if (p.uploaded !== undefined) info.blocksUploaded = p.uploaded;
      if (p.skipped !== undefined) info.blocksSkipped = p.skipped;
      if (p.bytesUploaded !== undefined) info.bytesUploaded = p.bytesUploaded;
      info.updatedAt = new Date();
      job.lastProgressMs = Date.now();
      info.deadlineAt = new Date(Date.now() + this.deps.settings.stallMs);
      if (reasonBeforeWait !== undefined) {
        info.reason = reasonBeforeWait;
        reasonBeforeWait = undefined;
      }
      this.emit('modified', job);
    };
    /** The stage waits for another copy of the snapshot: said in the reason; that copy's progress counts as the job's (it is not stalled). */
    let reasonBeforeWait: string | undefined;
    let waitedProgress: string | undefined;
    const waiting = (hold: { holder: string; progress?: { copied: number; total: number } }): void => {
      const info = job.info;
      reasonBeforeWait ??= info.reason;
      const how = hold.progress ? `, ${hold.progress.copied} of ${hold.progress.total} clusters copied` : '';
      const reason = `${info.state}: waits for ${hold.holder}'s copy of a snapshot it stages to end (spdk_tgt runs one copy of a snapshot at a time${how})`;
      const seen = `${hold.holder}/${hold.progress?.copied ?? ''}`;
      if (reason === info.reason && seen === waitedProgress) return;
      if (info.reason !== reason) this.log.info({ job: info.id, holder: hold.holder, progress: hold.progress }, 'backup waits for another copy of its snapshot');
      info.reason = reason;
      if (seen !== waitedProgress) {
        waitedProgress = seen;
        job.lastProgressMs = Date.now();
        info.updatedAt = new Date();
        info.deadlineAt = new Date(Date.now() + this.deps.settings.stallMs);
      }
      this.emit('modified', job);
    };
    try {
      if (job.info.kind === 'backup') {
        const snapshots = await this.deps.node.snapshotList(job.info.replica).catch((err: unknown) => {
          if (isConductorError(err) && err.code === 'REPLICA_NOT_FOUND') return undefined;
          throw err;
        });
        const snapshot = snapshots?.find((s) => s.name === job.info.snapshot);
        if (!snapshot) throw new ConductorError('SNAPSHOT_NOT_FOUND', `snapshot ${job.info.snapshot} of replica ${job.info.replica} is gone`);
        const manifest = await runBackup({
          id: job.info.id,
          volume: job.info.volume,
          replica: job.info.replica,
          snapshot: job.info.snapshot,
          labels: job.labels,
          repository: lease.repository,
          dataPath: this.deps.dataPath,
          signal,
          leaseMs: this.deps.settings.leaseMs,
          phase,
          progress,
          note: (message, fields) => this.log.info({ job: job.info.id, ...fields }, message),
          waiting: (hold) => waiting(hold),
        });
        await this.finish(job, 'done', `backup ${manifest.id}: ${manifest.blocks.length} blocks, ${job.info.blocksUploaded} uploaded, ${job.info.blocksSkipped} already in the target`);
      } else {
        const made = await runRestore({
          volume: job.info.volume,
          backupId: job.info.backupId,
          disk: job.info.disk,
          replica: job.info.replica,
          repository: lease.repository,
          dataPath: this.deps.dataPath,
          signal,
          phase,
          progress,
          expect: (step, ms) => {
            // Honest: no progress until the step answers, and its own deadline bounds it.
            const now = Date.now();
            job.lastProgressMs = now;
            job.info.updatedAt = new Date(now);
            job.info.deadlineAt = new Date(now + ms + this.deps.settings.stallMs);
            job.info.reason = `${job.info.state}: spdk_tgt's ${step} reports no progress until it is done; it may take up to ${Math.ceil(ms / 1000)} s`;
            this.log.info({ job: job.info.id, step, expectMs: ms }, `${job.info.kind} job waits for a step that reports no progress`);
            this.emit('modified', job);
          },
        });
        await this.finish(job, 'done', `restored into replica ${made.replica} (${made.uuid}); every block matched its checksum`);
      }
    } catch (err) {
      const reason = signal.aborted ? signal.reason : err;
      const code = isConductorError(reason) ? reason.code : 'INTERNAL';
      if (code === 'SERVICE_STOPPING') {
        this.log.info({ job: job.info.id }, 'job interrupted by shutdown; the next start resumes it');
      } else await this.finish(job, code === 'CANCELLED' ? 'cancelled' : 'failed', (reason as Error).message ?? String(reason), code);
    } finally {
      lease.release();
    }
  }

  /**
   * Aborts a running job (its work ends with the reason and cleans up as it unwinds); one whose
   * work ignores the abort (stuck in an await) is marked ended by check() after abortGraceMs.
   */
  private abortRunning(job: Job, error: ConductorError): void {
    if (job.controller.signal.aborted) return;
    job.abortedAtMs = Date.now();
    job.controller.abort(error);
  }

  /** Fails queued jobs whose snapshot is gone or whose deadline passed, and running ones that stalled (jobs-check.ts). */
  private async check(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      await checkJobs({
        jobs: this.jobs,
        queue: this.queue,
        node: this.deps.node,
        settings: this.deps.settings,
        finish: (job, state, reason, code) => this.finish(job, state, reason, code),
        abortRunning: (job, error) => this.abortRunning(job, error),
      });
    } finally {
      this.checking = false;
    }
  }

  private trimHistory(): void {
    if (this.jobs.size <= HISTORY_MAX) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= HISTORY_MAX) break;
      if (TERMINAL_JOB_STATES.has(job.info.state)) this.jobs.delete(id);
    }
  }
}
