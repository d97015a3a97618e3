/**
 * A backup or restore job's progress as one line, for `backup create|restore|restore-get --wait`.
 * Pure, as the rebuild's (progress.ts): the caller keeps its samples and decides when to draw. On a
 * terminal the line is fitted to its width (fitLine: never reaching the last column, so the "\r"
 * redraw never wraps); elsewhere a plain line with no control characters. The rate is the CLI's
 * own, measured over the samples of the current phase only: staging counts the copy's bytes and
 * uploading starts again from 0 of the allocated bytes, so a span across the two says nothing.
 */
import type { BackupJob__Output } from '../api/generated/spdk/conductor/v1/BackupJob.js';
import { formatSize } from './commands/format.js';
import { fitLine, formatEta, type ProgressSample, type RenderOptions, sampledRate, type Segment } from './progress.js';

const TERMINAL = new Set(['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED']);

/** BACKUP_JOB_STATE_UPLOADING → uploading. */
export function jobStateWord(state: string): string {
  return state.replace(/^BACKUP_JOB_STATE_/, '').toLowerCase();
}

export function jobPercent(job: BackupJob__Output): number {
  if (job.state === 'BACKUP_JOB_STATE_DONE') return 100;
  if (job.bytesTotal > 0) return Math.max(0, Math.min(100, Math.floor((job.bytesDone * 100) / job.bytesTotal)));
  return TERMINAL.has(job.state) ? 100 : 0;
}

/** The samples the CLI keeps while it follows a job: reset when the phase changes, at most 64. */
export class JobSamples {
  private state = '';
  readonly samples: ProgressSample[] = [];

  add(job: BackupJob__Output, atMs: number): readonly ProgressSample[] {
    if (job.state !== this.state) {
      this.state = job.state;
      this.samples.length = 0;
    }
    this.samples.push({ atMs, bytesDone: job.bytesDone });
    if (this.samples.length > 64) this.samples.shift();
    return this.samples;
  }
}

/**
 * The line: job id, state, bar, percent, bytes done/total, rate, ETA, and for a backup uploading
 * its blocks stored and found present. A narrow terminal loses, in order: the rate, the blocks,
 * the job id, the byte counts, the ETA, then the bar.
 */
export function renderJobProgress(job: BackupJob__Output, samples: readonly ProgressSample[], options: RenderOptions): string {
  const head: Segment[] = [
    { text: job.id, drop: 3 },
    { text: jobStateWord(job.state), drop: 0 },
  ];
  const percent = jobPercent(job);
  const tail: Segment[] = [{ text: `${percent}%`.padStart(4), drop: 0 }];
  if (job.bytesTotal > 0) tail.push({ text: `${formatSize(job.bytesDone)} / ${formatSize(job.bytesTotal)}`, drop: 4 });
  if (!TERMINAL.has(job.state) && job.state !== 'BACKUP_JOB_STATE_QUEUED') {
    const rate = sampledRate(samples);
    tail.push({ text: rate === undefined ? '- /s' : `${formatSize(Math.round(rate))}/s`, drop: 1 });
    const eta = rate !== undefined && rate > 0 && job.bytesTotal > 0 ? Math.max(0, job.bytesTotal - job.bytesDone) / rate : -1;
    tail.push({ text: `ETA ${formatEta(eta)}`, drop: 5 });
  }
  if (job.kind === 'backup' && job.state === 'BACKUP_JOB_STATE_UPLOADING') tail.push({ text: `${job.blocksUploaded} blocks stored, ${job.blocksSkipped} present`, drop: 2 });
  return fitLine(head, tail, percent, options);
}
