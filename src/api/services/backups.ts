/**
 * spdk.conductor.v1.Backups: requests checked at the edge, then handed to the domain's backup
 * jobs. Targets are answered as they were set: paths and environment variable names, never a key.
 */
import type { BackupCreate, BackupSummary, JobEvent, JobInfo, SweepInfo, TargetSpec } from '../../domain/backup/jobs-model.js';
import type { BackupOperations } from '../../domain/operations.js';
import { ConductorError } from '../../errors.js';
import type { BackupCancelRequest__Output } from '../generated/spdk/conductor/v1/BackupCancelRequest.js';
import type { BackupCreateRequest__Output } from '../generated/spdk/conductor/v1/BackupCreateRequest.js';
import type { BackupDeleteRequest__Output } from '../generated/spdk/conductor/v1/BackupDeleteRequest.js';
import type { BackupDeleteResponse } from '../generated/spdk/conductor/v1/BackupDeleteResponse.js';
import type { BackupGetRequest__Output } from '../generated/spdk/conductor/v1/BackupGetRequest.js';
import type { BackupInfo } from '../generated/spdk/conductor/v1/BackupInfo.js';
import type { BackupJob } from '../generated/spdk/conductor/v1/BackupJob.js';
import type { BackupJobEvent } from '../generated/spdk/conductor/v1/BackupJobEvent.js';
import type { BackupListRequest__Output } from '../generated/spdk/conductor/v1/BackupListRequest.js';
import type { BackupListResponse } from '../generated/spdk/conductor/v1/BackupListResponse.js';
import type { BackupSweep } from '../generated/spdk/conductor/v1/BackupSweep.js';
import type { BackupsHandlers } from '../generated/spdk/conductor/v1/Backups.js';
import type { BackupTarget, BackupTarget__Output } from '../generated/spdk/conductor/v1/BackupTarget.js';
import type { BackupTargetGetRequest__Output } from '../generated/spdk/conductor/v1/BackupTargetGetRequest.js';
import type { BackupWatchRequest__Output } from '../generated/spdk/conductor/v1/BackupWatchRequest.js';
import type { RestoreCreateRequest__Output } from '../generated/spdk/conductor/v1/RestoreCreateRequest.js';
import * as check from '../validate.js';
import { unary, type ServiceContext } from './call.js';
import { watchHandler, type WatchOptions } from './watch.js';

const JOB_ID = /^(bk|rs)-[a-z0-9-]{1,60}$/;

function jobId(field: string, value: string): string {
  if (!JOB_ID.test(value)) throw check.invalid(field, 'must be a job or backup id (bk-… or rs-…)');
  return value;
}

export function jobMessage(job: JobInfo): BackupJob {
  return {
    id: job.id,
    kind: job.kind,
    volume: job.volume,
    replica: job.replica,
    snapshot: job.snapshot,
    backupId: job.backupId,
    disk: job.disk,
    state: `BACKUP_JOB_STATE_${job.state.toUpperCase()}` as BackupJob['state'],
    reason: job.reason,
    errorCode: job.errorCode,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    deadlineAt: job.deadlineAt?.toISOString() ?? '',
    bytesDone: job.bytesDone,
    bytesTotal: job.bytesTotal,
    blocksUploaded: job.blocksUploaded,
    blocksSkipped: job.blocksSkipped,
    bytesUploaded: job.bytesUploaded,
  };
}

function backupMessage(b: BackupSummary): BackupInfo {
  return { id: b.id, volume: b.volume, replica: b.replica, snapshot: b.snapshot, sizeBytes: b.sizeBytes, blockCount: b.blockCount, labels: b.labels, createdAt: b.createdAt };
}

function sweepMessage(s: SweepInfo): BackupSweep {
  return {
    volume: s.volume,
    reason: s.reason,
    since: s.since.toISOString(),
    attempts: s.attempts,
    lastAttemptAt: s.lastAttemptAt?.toISOString() ?? '',
    waitingFor: s.waitingFor,
    lastError: s.lastError,
  };
}

export function targetSpecRequest(m: BackupTarget__Output): TargetSpec {
  if (m.kind === 'fs') return { kind: 'fs', path: m.path };
  if (m.kind !== 's3') throw new ConductorError('BACKUP_TARGET_INVALID', 'backup target kind: must be fs or s3', { field: 'kind' });
  const spec: TargetSpec = { kind: 's3', region: m.region, bucket: m.bucket, prefix: m.prefix, forcePathStyle: m.forcePathStyle };
  if (m.endpoint) spec.endpoint = m.endpoint;
  if (m.caFile) spec.caFile = m.caFile;
  if (m.accessKeyIdFile) spec.accessKeyIdFile = m.accessKeyIdFile;
  if (m.secretAccessKeyFile) spec.secretAccessKeyFile = m.secretAccessKeyFile;
  if (m.accessKeyIdEnv) spec.accessKeyIdEnv = m.accessKeyIdEnv;
  if (m.secretAccessKeyEnv) spec.secretAccessKeyEnv = m.secretAccessKeyEnv;
  return spec;
}

function targetMessage(spec: TargetSpec | undefined): BackupTarget {
  if (!spec) return {};
  return spec.kind === 'fs' ? { kind: 'fs', path: spec.path } : { ...spec };
}

function eventMessage(event: JobEvent): BackupJobEvent {
  if (event.type === 'synced') return { type: 'SYNCED' };
  return { type: event.type === 'added' ? 'ADDED' : 'MODIFIED', job: jobMessage(event.job) };
}

export function backupsHandlers(ctx: ServiceContext, watchOptions: WatchOptions): BackupsHandlers {
  const jobs = (): BackupOperations => {
    const backups = ctx.domain.backups;
    if (!backups) throw new ConductorError('SERVICE_NOT_READY', 'backups are not available on this node');
    return backups;
  };
  const kindOf = (id: string, kind: 'backup' | 'restore', field: string) => {
    const job = jobs().jobGet(jobId(field, id));
    if (job.kind !== kind) throw new ConductorError('BACKUP_JOB_NOT_FOUND', `${id} is a ${job.kind} job, not a ${kind} job`, { id });
    return job;
  };
  return {
    BackupCreate: unary<BackupCreateRequest__Output, BackupJob>(ctx, 'BackupCreate', async (request) => {
      const engine = check.optionalName('volume', 'engine', request.engine);
      const replica = engine === undefined ? check.name('replica', 'replica', request.replica) : check.optionalName('replica', 'replica', request.replica);
      const create: BackupCreate = { labels: check.labels('labels', request.labels) };
      if (replica !== undefined) create.replica = replica;
      if (engine !== undefined) create.engine = engine;
      const volume = check.optionalName('volume', 'volume', request.volume);
      const snapshot = check.optionalName('snapshot', 'snapshot', request.snapshot);
      if (volume !== undefined) create.volume = volume;
      if (snapshot !== undefined) create.snapshot = snapshot;
      return jobMessage(await jobs().backupCreate(create));
    }),
    BackupGet: unary<BackupGetRequest__Output, BackupJob>(ctx, 'BackupGet', async (request) => jobMessage(kindOf(request.id, 'backup', 'id'))),
    BackupList: unary<BackupListRequest__Output, BackupListResponse>(ctx, 'BackupList', async (request, options) => ({
      backups: (await jobs().backupList(check.optionalName('volume', 'volume', request.volume), options.signal)).map(backupMessage),
      jobs: jobs().jobList().map(jobMessage),
      sweeps: jobs().sweepList().map(sweepMessage),
    })),
    BackupDelete: unary<BackupDeleteRequest__Output, BackupDeleteResponse>(ctx, 'BackupDelete', async (request, options) => {
      const result = await jobs().backupDelete(check.name('volume', 'volume', request.volume), jobId('backup_id', request.backupId), options.signal);
      return { blocksRemoved: result.blocksRemoved, sweepDeferred: result.sweepDeferred };
    }),
    BackupCancel: unary<BackupCancelRequest__Output, BackupJob>(ctx, 'BackupCancel', async (request) => jobMessage(jobs().jobCancel(kindOf(request.id, 'backup', 'id').id))),
    RestoreCreate: unary<RestoreCreateRequest__Output, BackupJob>(ctx, 'RestoreCreate', async (request) =>
      jobMessage(
        await jobs().restoreCreate({
          volume: check.name('volume', 'volume', request.volume),
          backupId: jobId('backup_id', request.backupId),
          disk: check.name('disk', 'disk', request.disk),
          replica: check.name('replica', 'replica', request.replica),
        }),
      ),
    ),
    RestoreGet: unary<BackupGetRequest__Output, BackupJob>(ctx, 'RestoreGet', async (request) => jobMessage(kindOf(request.id, 'restore', 'id'))),
    RestoreCancel: unary<BackupCancelRequest__Output, BackupJob>(ctx, 'RestoreCancel', async (request) => jobMessage(jobs().jobCancel(kindOf(request.id, 'restore', 'id').id))),
    BackupWatch: watchHandler<BackupWatchRequest__Output, JobEvent, BackupJobEvent>(ctx, watchOptions, {
      method: 'BackupWatch',
      subscribe: (listener) => jobs().watch(listener),
      toMessage: eventMessage,
    }),
    BackupTargetSet: unary<BackupTarget__Output, BackupTarget>(ctx, 'BackupTargetSet', async (request, options) => targetMessage(await jobs().targetSet(targetSpecRequest(request), options.signal))),
    BackupTargetGet: unary<BackupTargetGetRequest__Output, BackupTarget>(ctx, 'BackupTargetGet', async () => targetMessage(jobs().targetGet())),
  };
}
