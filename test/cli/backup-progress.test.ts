/**
 * The progress line of `backup create|restore --wait`: what it says in each state (rate and ETA
 * from the CLI's samples of the current phase), how it fits a terminal, and that a line for logs
 * has no control characters. The CLI run that draws it is in test/backup/cli-backup.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { BackupJob__Output } from '../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import { JobSamples, renderJobProgress } from '../../src/cli/backup-progress.js';

const MiB = 1024 ** 2;

function job(fields: Partial<BackupJob__Output> = {}): BackupJob__Output {
  return {
    id: 'bk-20261206t231500z-0a1b2c3d',
    kind: 'backup',
    volume: 'vol1',
    replica: 'r1',
    snapshot: 's1',
    backupId: 'bk-20261206t231500z-0a1b2c3d',
    disk: '',
    state: 'BACKUP_JOB_STATE_UPLOADING',
    reason: '',
    errorCode: '',
    createdAt: '',
    updatedAt: '',
    deadlineAt: '',
    bytesDone: 0,
    bytesTotal: 100 * MiB,
    blocksUploaded: 0,
    blocksSkipped: 0,
    bytesUploaded: 0,
    ...fields,
  };
}

const visible = (s: string): string => s.replace(/^\r/, '').replace(/\x1b\[K$/, '');

describe('renderJobProgress', () => {
  it('says id, state, bar, percent, bytes, the rate over the samples, the ETA from it, and the blocks', () => {
    const samples = new JobSamples();
    samples.add(job({ bytesDone: 10 * MiB }), 0);
    const s = samples.add(job({ bytesDone: 30 * MiB }), 2000);
    const line = renderJobProgress(job({ bytesDone: 30 * MiB, blocksUploaded: 12, blocksSkipped: 3 }), s, { tty: false, width: 80 });
    expect(line).toBe('bk-20261206t231500z-0a1b2c3d  uploading  [######--------------]   30%  30 MiB / 100 MiB  10 MiB/s  ETA 7s  12 blocks stored, 3 present\n');
  });

  it('a new phase starts the samples again: no rate from staging bytes to uploading bytes', () => {
    const samples = new JobSamples();
    samples.add(job({ state: 'BACKUP_JOB_STATE_STAGING', bytesDone: 90 * MiB }), 0);
    samples.add(job({ state: 'BACKUP_JOB_STATE_STAGING', bytesDone: 95 * MiB }), 1000);
    const s = samples.add(job({ bytesDone: 98 * MiB }), 2000);
    expect(s).toHaveLength(1);
    expect(renderJobProgress(job({ bytesDone: 98 * MiB }), s, { tty: false, width: 80 })).toContain('  - /s  ETA —');
  });

  it('queued: no rate or ETA; done: a full bar at 100%; a restore has no block counts', () => {
    expect(renderJobProgress(job({ state: 'BACKUP_JOB_STATE_QUEUED', bytesTotal: 0 }), [], { tty: false, width: 80 })).toBe('bk-20261206t231500z-0a1b2c3d  queued  [--------------------]    0%\n');
    expect(renderJobProgress(job({ state: 'BACKUP_JOB_STATE_DONE', bytesDone: 7, bytesTotal: 100 * MiB }), [], { tty: false, width: 80 })).toMatch(/ done {2}\[#{20}\] {2}100% /);
    expect(renderJobProgress(job({ kind: 'restore', state: 'BACKUP_JOB_STATE_DOWNLOADING', blocksUploaded: 3 }), [], { tty: false, width: 80 })).not.toContain('blocks');
  });

  it('on a TTY: \\r, the line, erase to the end; the line always shorter than the width, losing the rate, blocks, id, bytes, ETA, then the bar', () => {
    const s = [
      { atMs: 0, bytesDone: 10 * MiB },
      { atMs: 1000, bytesDone: 20 * MiB },
    ];
    const j = job({ bytesDone: 20 * MiB, blocksUploaded: 5, blocksSkipped: 5 });
    for (let width = 1; width <= 240; width++) {
      const out = renderJobProgress(j, s, { tty: true, width });
      expect(out.startsWith('\r') && out.endsWith('\x1b[K')).toBe(true);
      expect(visible(out), `width ${width}`).not.toMatch(/[\r\n\x1b]/);
      expect(visible(out).length, `width ${width}`).toBeLessThan(Math.max(2, width));
    }
    const at = (width: number) => visible(renderJobProgress(j, s, { tty: true, width }));
    expect(at(160)).toMatch(/^bk-\S+ {2}uploading {2}\[#+-+\] {3}20% {2}20 MiB \/ 100 MiB {2}10 MiB\/s {2}ETA 8s {2}5 blocks stored, 5 present$/);
    expect(at(80)).toMatch(/^uploading {2}\[#+-+\] {3}20% {2}20 MiB \/ 100 MiB {2}ETA 8s$/);
    expect(at(40)).toMatch(/^uploading {2}\[#+-+\] {3}20% {2}ETA 8s$/);
    expect(at(20)).toBe('uploading   20%');
  });

  it('a plain line has no control characters, in every state', () => {
    for (const state of ['QUEUED', 'STAGING', 'UPLOADING', 'DOWNLOADING', 'COMMITTING', 'DONE', 'FAILED', 'CANCELLED']) {
      const out = renderJobProgress(job({ state: `BACKUP_JOB_STATE_${state}` as BackupJob__Output['state'], bytesDone: 5 * MiB }), [], { tty: false, width: 80 });
      expect(out.endsWith('\n')).toBe(true);
      expect(out.slice(0, -1)).not.toMatch(/[\x00-\x1f\x7f]/);
    }
  });
});
