/**
 * The backup jobs' periodic check (jobs.ts runs it every second): nothing is pending past its
 * deadline. A running job aborted (cancel, deadline) whose work did not end within abortGraceMs is
 * marked ended with the reason; a queued or running job past its deadline fails with
 * BACKUP_DEADLINE_EXCEEDED (a running one through its abort); a queued backup whose snapshot is
 * gone fails with SNAPSHOT_NOT_FOUND, before its turn comes.
 */
import { ConductorError, isConductorError } from '../../errors.js';
import type { BackupJobRecord } from '../node/state-file.js';
import { TERMINAL_JOB_STATES, type BackupNode, type JobInfo } from './jobs-model.js';

/** A job as jobs.ts keeps it. */
export interface Job {
  info: JobInfo;
  record: BackupJobRecord;
  labels: Record<string, string>;
  controller: AbortController;
  lastProgressMs: number;
  /** When a cancel or a deadline aborted it while it ran (see abortGraceMs). */
  abortedAtMs?: number;
  /** A backup that began storing blocks (or a previous process may have): ended without a manifest, they are garbage. */
  mayHaveBlocks?: boolean;
}

/** What the check reads and does through the job runner. */
export interface JobsToCheck {
  jobs: ReadonlyMap<string, Job>;
  /** The queue, in order: a job failed while queued is taken out of it here. */
  queue: Job[];
  node: Pick<BackupNode, 'snapshotList'>;
  settings: { stallMs: number; queuedDeadlineMs: number; abortGraceMs?: number };
  finish(job: Job, state: 'failed' | 'cancelled', reason: string, code: string): Promise<void>;
  abortRunning(job: Job, error: ConductorError): void;
}

export async function checkJobs(w: JobsToCheck): Promise<void> {
  const now = Date.now();
  const grace = w.settings.abortGraceMs ?? 2000;
  for (const job of w.jobs.values()) {
    if (TERMINAL_JOB_STATES.has(job.info.state) || job.abortedAtMs === undefined || now - job.abortedAtMs < grace) continue;
    // Its work did not end on the abort: the job ends now, with the reason, so nothing is
    // pending past its deadline; what the work holds (staging, a concurrency slot, a restore's
    // clone) is released when its await returns and it unwinds.
    const reason = job.controller.signal.reason as Error;
    const code = isConductorError(reason) ? reason.code : 'INTERNAL';
    await w.finish(
      job,
      code === 'CANCELLED' ? 'cancelled' : 'failed',
      `${reason.message}; its ${job.info.state} step had not returned ${Math.round((now - job.abortedAtMs) / 1000)} s after the abort (what it holds is released when it does)`,
      code,
    );
  }
  for (const job of w.jobs.values()) {
    if (TERMINAL_JOB_STATES.has(job.info.state) || job.info.deadlineAt === undefined || job.info.deadlineAt.getTime() > now) continue;
    const why =
      job.info.state === 'queued'
        ? `still queued after backup.queuedDeadlineSec (${w.settings.queuedDeadlineMs / 1000} s)`
        : `no progress for backup.stallSec (${w.settings.stallMs / 1000} s) while ${job.info.state}`;
    const error = new ConductorError('BACKUP_DEADLINE_EXCEEDED', why);
    const index = w.queue.indexOf(job);
    if (index >= 0) {
      w.queue.splice(index, 1);
      await w.finish(job, 'failed', why, error.code);
    } else w.abortRunning(job, error);
  }
  const byReplica = new Map<string, Job[]>();
  for (const job of w.queue) if (job.info.kind === 'backup') byReplica.set(job.info.replica, [...(byReplica.get(job.info.replica) ?? []), job]);
  for (const [replica, jobs] of byReplica) {
    const names = await w.node.snapshotList(replica).then(
      (list) => new Set(list.map((s) => s.name)),
      (err: unknown) => (isConductorError(err) && err.code === 'REPLICA_NOT_FOUND' ? new Set<string>() : undefined),
    );
    if (!names) continue;
    for (const job of jobs) {
      if (names.has(job.info.snapshot)) continue;
      const index = w.queue.indexOf(job);
      if (index < 0) continue;
      w.queue.splice(index, 1);
      await w.finish(job, 'failed', `snapshot ${job.info.snapshot} of replica ${replica} was deleted while the backup was queued`, 'SNAPSHOT_NOT_FOUND');
    }
  }
}
