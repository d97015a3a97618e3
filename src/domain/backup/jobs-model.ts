/** What backup and restore jobs look like to callers (domain/backup/jobs.ts makes them). */
import type { BackupSummary } from '../../objectstore/repository.js';
import type { TargetSpec } from '../../objectstore/target-spec.js';
import type { SnapshotCreate, SnapshotInfo, VolumeSnapshotInfo } from '../model.js';

export type JobKind = 'backup' | 'restore';
export type JobState = 'queued' | 'staging' | 'uploading' | 'downloading' | 'committing' | 'done' | 'failed' | 'cancelled';
export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled']);

export interface JobInfo {
  id: string;
  kind: JobKind;
  volume: string;
  /** The source replica (backup) or the replica being made (restore). */
  replica: string;
  snapshot: string;
  backupId: string;
  disk: string;
  state: JobState;
  /** Why it is in this state; on failed, what failed (the code in `errorCode`). */
  reason: string;
  errorCode: string;
  createdAt: Date;
  updatedAt: Date;
  /** When the job fails unless it moves on (queued) or makes progress (running); undefined once over. */
  deadlineAt: Date | undefined;
  bytesDone: number;
  bytesTotal: number;
  /** Blocks stored by this backup, and blocks found already in the target (not sent). */
  blocksUploaded: number;
  blocksSkipped: number;
  bytesUploaded: number;
}

export interface BackupCreate {
  /** The volume the backups are grouped by; default: the engine's name, else the replica's. */
  volume?: string;
  /** Without engine: the replica backed up. With engine: the member staged (on this node); unset: the first local member in sync. */
  replica?: string;
  /** An engine on this node: its volume is backed up through a volume snapshot (EngineSnapshotCreate) and one local member's copy of it. */
  engine?: string;
  /** An existing snapshot of the replica (with engine: a volume snapshot); unset: one is taken for the backup, deleted at its end. */
  snapshot?: string;
  labels?: Record<string, string>;
}

export interface RestoreCreate {
  volume: string;
  backupId: string;
  disk: string;
  /** The new replica's name (it must not exist). */
  replica: string;
}

/** A sweep of a volume's unreferenced blocks recorded and not yet run (domain/backup/jobs-sweeps.ts), as BackupList shows it. */
export interface SweepInfo {
  volume: string;
  /** Why the volume's blocks await a sweep (the first request's reason). */
  reason: string;
  since: Date;
  /** Sweeps tried (deferred or failed ones included). */
  attempts: number;
  lastAttemptAt: Date | undefined;
  /** What it waits for now ('' before the first attempt). */
  waitingFor: string;
  /** The last attempt's error ('' when it did not fail). */
  lastError: string;
}

export type JobEvent = { type: 'added' | 'modified'; job: JobInfo } | { type: 'synced'; job: undefined };

/** Re-exported so the API layer names them through the domain. */
export type { BackupSummary, TargetSpec };

/** The node's snapshot and replica operations backup jobs need (BackupJobsDeps.node). */
export interface BackupNode {
  snapshotList(replica: string): Promise<SnapshotInfo[]>;
  snapshotCreate(request: SnapshotCreate): Promise<SnapshotInfo>;
  snapshotDelete(replica: string, name: string): Promise<unknown>;
  /** An engine on this node's members (ENGINE_NOT_FOUND otherwise), and whether each is on this node. */
  engineMembers(engine: string): Array<{ name: string; local: boolean }>;
  engineSnapshotCreate(request: { engine: string; name: string; labels: Record<string, string> }): Promise<VolumeSnapshotInfo>;
  engineSnapshotGet(engine: string, name: string): VolumeSnapshotInfo;
  engineSnapshotDelete(engine: string, name: string): Promise<void>;
  volumeSnapshots(): Array<{ engine: string; name: string; labels: Record<string, string> }>;
  replicaExists(name: string): Promise<boolean>;
  replicaDelete(name: string): Promise<void>;
}
