/**
 * spdk-conductor backup create|get|list|delete|cancel|restore|restore-get|restore-cancel and
 * backup target set|get. `--wait` follows a job to its end with a progress line (bar, bytes,
 * rate, ETA) and exits with the job's outcome: 0 done, the failure's status otherwise.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { invoke } from '../../api/client.js';
import type { BackupJob__Output } from '../../api/generated/spdk/conductor/v1/BackupJob.js';
import type { BackupTarget } from '../../api/generated/spdk/conductor/v1/BackupTarget.js';
import { EXIT } from '../exit-codes.js';
import { JobSamples, jobPercent, jobStateWord, renderJobProgress } from '../backup-progress.js';
import type { CommandContext, CommandSpec, CommandValues } from './context.js';
import { fields, formatSize, json, table } from './format.js';
import { UsageError } from './usage.js';

const POLL_MS = 500;
const TERMINAL = new Set(['BACKUP_JOB_STATE_DONE', 'BACKUP_JOB_STATE_FAILED', 'BACKUP_JOB_STATE_CANCELLED']);

const word = jobStateWord;
const percent = jobPercent;

function parseLabels(values: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of values ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--label ${JSON.stringify(item)} is not KEY=VALUE`);
    labels[item.slice(0, at)] = item.slice(at + 1);
  }
  return labels;
}

function jobFields(j: BackupJob__Output): string {
  return fields([
    ['id', j.id],
    ['kind', j.kind],
    ['volume', j.volume],
    ['replica', j.replica],
    ['snapshot', j.snapshot],
    ['backup', j.backupId],
    ['disk', j.disk],
    ['state', word(j.state)],
    ['reason', j.reason],
    ['error code', j.errorCode],
    ['progress', `${percent(j)}% (${formatSize(j.bytesDone)} / ${formatSize(j.bytesTotal)})`],
    ['blocks uploaded', j.kind === 'backup' ? `${j.blocksUploaded} (${formatSize(j.bytesUploaded)} stored), ${j.blocksSkipped} already in the target` : ''],
    ['created', j.createdAt],
    ['deadline', j.deadlineAt],
  ]);
}

/** Follows a job to its end; prints progress on stderr (not with --json), then the job. */
async function follow(ctx: CommandContext, first: BackupJob__Output, get: 'BackupGet' | 'RestoreGet'): Promise<number> {
  // A terminal on stderr (where progress goes): the line is redrawn in place, fitted to its width;
  // elsewhere (a pipe, a log) a plain line every 5 s.
  const tty = Boolean(process.stderr.isTTY) && !ctx.json;
  const samples = new JobSamples();
  let job = first;
  let lastPlain = 0;
  while (!TERMINAL.has(job.state)) {
    const taken = samples.add(job, Date.now());
    if (!ctx.json && (tty || Date.now() - lastPlain >= 5000)) {
      process.stderr.write(renderJobProgress(job, taken, { tty, width: process.stderr.columns || 80 }));
      lastPlain = Date.now();
    }
    await sleep(POLL_MS, undefined, { signal: ctx.call.signal });
    job = await invoke(ctx.api.backups, get, { id: job.id }, ctx.call);
  }
  if (tty) process.stderr.write(`${renderJobProgress(job, [], { tty, width: process.stderr.columns || 80 })}\n`);
  ctx.out(ctx.json ? json(job) : jobFields(job));
  if (word(job.state) === 'done') return EXIT.OK;
  // The job ended without its result: its reason and code are printed above.
  return EXIT.FAILED;
}

function targetRequest(values: CommandValues): BackupTarget {
  const kind = values.kind;
  if (kind === 'fs') {
    if (!values.path) throw new UsageError('backup target set --kind fs needs --path DIR');
    return { kind, path: values.path };
  }
  if (kind !== 's3') throw new UsageError('backup target set needs --kind fs or --kind s3');
  if (!values.bucket || !values.region) throw new UsageError('backup target set --kind s3 needs --bucket and --region');
  return {
    kind,
    endpoint: values.endpoint ?? '',
    region: values.region,
    bucket: values.bucket,
    prefix: values.prefix ?? '',
    forcePathStyle: Boolean(values['path-style']),
    caFile: values['ca-file'] ?? '',
    accessKeyIdFile: values['access-key-id-file'] ?? '',
    secretAccessKeyFile: values['secret-access-key-file'] ?? '',
    accessKeyIdEnv: values['access-key-id-env'] ?? '',
    secretAccessKeyEnv: values['secret-access-key-env'] ?? '',
  };
}

function targetText(t: BackupTarget): string {
  return fields(Object.entries(t).filter(([, v]) => v !== '' && v !== undefined) as [string, string][]);
}

export const backupCommands: CommandSpec[] = [
  {
    name: 'backup create',
    args: [],
    optionalArgs: ['REPLICA'],
    options: ['engine', 'volume', 'snapshot', 'label', 'wait'],
    usage:
      'backup create REPLICA|--engine NAME [REPLICA] [--snapshot NAME] [--volume NAME] [--label KEY=VALUE ...] [--wait]   (no --snapshot: one is taken, and deleted when the backup ends; --engine: a volume snapshot on every member, staged through REPLICA or a member on this node)',
    prepare(values, [replica]) {
      const labels = parseLabels(values.label);
      if (replica === undefined && values.engine === undefined) throw new UsageError('backup create needs a REPLICA or --engine NAME');
      return async (ctx) => {
        const job = await invoke(
          ctx.api.backups,
          'BackupCreate',
          { replica: replica ?? '', engine: values.engine ?? '', volume: values.volume ?? '', snapshot: values.snapshot ?? '', labels },
          ctx.call,
        );
        if (values.wait) return follow(ctx, job, 'BackupGet');
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      };
    },
  },
  {
    name: 'backup get',
    args: ['JOB'],
    options: [],
    usage: 'backup get JOB',
    prepare:
      (_values, [id]) =>
      async (ctx) => {
        const job = await invoke(ctx.api.backups, 'BackupGet', { id }, ctx.call);
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      },
  },
  {
    name: 'backup list',
    args: [],
    options: ['volume'],
    usage: "backup list [--volume NAME]   (backups in the target, then this node's jobs and its pending sweeps of unused blocks)",
    prepare: (values) => async (ctx) => {
      const answer = await invoke(ctx.api.backups, 'BackupList', { volume: values.volume ?? '' }, ctx.call);
      if (ctx.json) ctx.out(json(answer));
      else {
        ctx.out(
          table(
            ['BACKUP', 'VOLUME', 'REPLICA', 'SNAPSHOT', 'SIZE', 'BLOCKS', 'CREATED'],
            answer.backups.map((b) => [b.id, b.volume, b.replica, b.snapshot, formatSize(b.sizeBytes), b.blockCount, b.createdAt]),
          ),
        );
        if (answer.jobs.length > 0)
          ctx.out(
            `\n${table(
              ['JOB', 'KIND', 'VOLUME', 'STATE', 'PERCENT', 'REASON'],
              answer.jobs.map((j) => [j.id, j.kind, j.volume, word(j.state), `${percent(j)}%`, j.reason]),
            )}`,
          );
        if (answer.sweeps.length > 0)
          ctx.out(
            `\n${table(
              ['SWEEP OF VOLUME', 'SINCE', 'ATTEMPTS', 'WAITING FOR', 'LAST ERROR', 'REASON'],
              answer.sweeps.map((w) => [w.volume, w.since, w.attempts, w.waitingFor, w.lastError, w.reason]),
            )}`,
          );
      }
      return EXIT.OK;
    },
  },
  {
    name: 'backup delete',
    args: ['VOLUME', 'BACKUP'],
    options: [],
    usage: 'backup delete VOLUME BACKUP   (blocks no other backup of the volume uses are removed)',
    prepare:
      (_values, [volume, backupId]) =>
      async (ctx) => {
        const answer = await invoke(ctx.api.backups, 'BackupDelete', { volume, backupId }, ctx.call);
        ctx.out(
          ctx.json
            ? json(answer)
            : `deleted ${backupId}: ${answer.blocksRemoved} blocks removed${answer.sweepDeferred ? ' (a backup of the volume is running: the service removes the unused blocks once it ends; see backup list)' : ''}\n`,
        );
        return EXIT.OK;
      },
  },
  {
    name: 'backup cancel',
    args: ['JOB'],
    options: [],
    usage: 'backup cancel JOB',
    prepare:
      (_values, [id]) =>
      async (ctx) => {
        const job = await invoke(ctx.api.backups, 'BackupCancel', { id }, ctx.call);
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      },
  },
  {
    name: 'backup restore',
    args: ['VOLUME', 'BACKUP', 'NEW_REPLICA'],
    options: ['disk', 'wait'],
    usage: 'backup restore VOLUME BACKUP NEW_REPLICA --disk DISK [--wait]   (every block is checked against the manifest)',
    prepare(values, [volume, backupId, replica]) {
      if (!values.disk) throw new UsageError('backup restore needs --disk DISK');
      const disk = values.disk;
      return async (ctx) => {
        const job = await invoke(ctx.api.backups, 'RestoreCreate', { volume, backupId, disk, replica }, ctx.call);
        if (values.wait) return follow(ctx, job, 'RestoreGet');
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      };
    },
  },
  {
    name: 'backup restore-get',
    args: ['JOB'],
    options: ['wait'],
    usage: 'backup restore-get JOB [--wait]',
    prepare:
      (values, [id]) =>
      async (ctx) => {
        const job = await invoke(ctx.api.backups, 'RestoreGet', { id }, ctx.call);
        if (values.wait) return follow(ctx, job, 'RestoreGet');
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      },
  },
  {
    name: 'backup restore-cancel',
    args: ['JOB'],
    options: [],
    usage: 'backup restore-cancel JOB',
    prepare:
      (_values, [id]) =>
      async (ctx) => {
        const job = await invoke(ctx.api.backups, 'RestoreCancel', { id }, ctx.call);
        ctx.out(ctx.json ? json(job) : jobFields(job));
        return EXIT.OK;
      },
  },
  {
    name: 'backup target',
    args: ['set|get'],
    options: ['kind', 'path', 'endpoint', 'region', 'bucket', 'prefix', 'path-style', 'ca-file', 'access-key-id-file', 'secret-access-key-file', 'access-key-id-env', 'secret-access-key-env'],
    usage:
      'backup target set --kind fs --path DIR | --kind s3 --bucket B --region R [--endpoint URL] [--prefix P] [--path-style] [--ca-file F] [--access-key-id-file F --secret-access-key-file F | --access-key-id-env VAR --secret-access-key-env VAR];  backup target get',
    prepare(values, [verb]) {
      if (verb === 'get')
        return async (ctx) => {
          const target = await invoke(ctx.api.backups, 'BackupTargetGet', {}, ctx.call);
          ctx.out(ctx.json ? json(target) : targetText(target));
          return EXIT.OK;
        };
      if (verb !== 'set') throw new UsageError('usage: backup target set ... | backup target get');
      const request = targetRequest(values);
      return async (ctx) => {
        const target = await invoke(ctx.api.backups, 'BackupTargetSet', request, ctx.call);
        ctx.out(ctx.json ? json(target) : targetText(target));
        return EXIT.OK;
      };
    },
  },
];
