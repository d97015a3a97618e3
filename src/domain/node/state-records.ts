/**
 * The state file's records (state-file.ts): what each table holds, as types. The schema
 * (state-schema.ts) names exactly their keys, checked below at compile time.
 */
import type { EngineReplicaSpec, FrontendKind, QosLimits, SalvageInfo, TimeoutOverride } from '../model.js';
import type { TargetSpec } from '../../objectstore/target-spec.js';
import type {
  BACKUP_JOB_SCHEMA,
  BACKUP_SWEEP_SCHEMA,
  CLONE_RECORD_SCHEMA,
  COPY_RECORD_SCHEMA,
  VOLUME_SNAPSHOT_SCHEMA,
  DISK_INTENT_SCHEMA,
  ENGINE_SPEC_SCHEMA,
  EXPORT_INTENT_SCHEMA,
  REBUILD_RECORD_SCHEMA,
  REBUILD_VIEW_SCHEMA,
  SNAPSHOT_META_SCHEMA,
  STATE_VERSION,
  STATE_SCHEMA,
} from './state-schema.js';

export interface SnapshotMeta {
  createdAt: string;
  labels: Record<string, string>;
  userCreated: boolean;
  /** Deleted by the user while a backup's shallow copy read it: spdk_tgt deletes it once the copy ends (copy-holds.ts), or recovery does. */
  deletePending?: boolean;
}

/** The keyring names one user holds, by role (dhchapKey, dhchapCtrlrKey, psk). */
export type KeyHolding = Readonly<Record<string, string>>;

/** A multi-step operation that recovery must finish or undo if the service dies in it. */
export type Intent =
  | { op: 'replica-delete'; replica: string; disk: string }
  | { op: 'snapshot-revert'; replica: string; disk: string; snapshot: string }
  | { op: 'replica-expose'; replica: string; hostNqns: string[]; port: number };

/**
 * What an engine was asked to be: spdk_tgt forgets a member's address once its controller is gone.
 * Read-only: engine-records.ts makes each new version of a record, and is the only code that does.
 */
export interface EngineSpec {
  readonly name: string;
  readonly sizeBytes: number;
  readonly replicas: ReadonlyArray<Readonly<EngineReplicaSpec>>;
  readonly frontend: FrontendKind;
  readonly hostNqns: readonly string[];
  readonly port: number;
  readonly timeouts?: Readonly<TimeoutOverride>;
  /**
   * The raid keeps a superblock on its members (engines made since issue 12): after a restart
   * examine re-assembles it. Absent on older engines, which reconcile re-creates from this record.
   */
  readonly superblock?: boolean;
  /** The source chosen when the engine was made over members that held data (engine/salvage.ts). */
  readonly salvage?: Readonly<SalvageInfo>;
  /** Members the monitor saw out of the online raid and not being rebuilt (engine/members-out.ts): never in sync after a crash. */
  readonly out?: readonly string[];
  /** Set until the create returned: recovery rolls back an engine still marked creating. */
  readonly creating?: boolean;
  /** Members being rebuilt, by replica name: after a restart recovery re-adopts or restarts them. */
  readonly rebuilding?: Readonly<Record<string, Readonly<RebuildRecord>>>;
  /** Volume snapshots by name (engine/volume-snapshots.ts); absent on engines that never had one. */
  readonly volumeSnapshots?: Readonly<Record<string, Readonly<VolumeSnapshotRecord>>>;
  /** The QoS limits set on the engine's raid (engine/qos.ts), as spdk_tgt applies them; re-applied after restarts. */
  readonly qos?: Readonly<QosLimits>;
  /** An expansion in flight (engine/expand.ts): recorded before any member grows, so a restart finishes it. */
  readonly expanding?: Readonly<ExpansionRecord>;
  /** A volume snapshot revert in flight (engine/snapshot-revert.ts): the step it reached, so a restart finishes it. */
  readonly reverting?: Readonly<RevertRecord>;
}

/**
 * A snapshot of the whole volume: one snapshot of that name on each member. Recorded before any
 * member is touched (`creating`) and marked `deleting` before any is deleted, so recovery undoes
 * a create or finishes a delete that died midway.
 */
export interface VolumeSnapshotRecord {
  createdAt: string;
  labels: Record<string, string>;
  /** The members snapshotted: those in sync when it was taken. */
  members: string[];
  state: 'creating' | 'ready' | 'deleting';
  /**
   * Members whose snapshots are known to hold the same data (a rebuild copied one from another).
   * Snapshots taken under host writes are not: spdk_tgt v26.05 cannot quiesce the volume.
   */
  identical: string[];
}

/** The step an expansion reached: the size asked for, and each member already grown (replica → its new size). */
export interface ExpansionRecord {
  sizeBytes: number;
  startedAtMs: number;
  grown: Record<string, number>;
}

/**
 * The step a volume snapshot revert reached (each phase is the last step done): `recorded` (nothing
 * changed yet), `down` (export, raid and remote controllers gone), `reverted` (the source holds the
 * snapshot's data), `raid` (the raid is back over the source alone), `exported` (at its NQN and port).
 */
export interface RevertRecord {
  snapshot: string;
  source: string;
  startedAtMs: number;
  phase: 'recorded' | 'down' | 'reverted' | 'raid' | 'exported';
}

export interface RebuildRecord {
  createdAtMs: number;
  /** queued / copying-snapshots: not in the raid yet (restarted from the queue); rebuilding: in it. */
  phase: 'queued' | 'copying-snapshots' | 'rebuilding';
  /** What the rebuild has done so far, so a re-adopted one reports it whole (absent in older records). */
  view?: RebuildView;
}

/** A rebuild's progress as last recorded: its path, source, snapshots and bytes. */
export interface RebuildView {
  path: 'snapshot-preserving' | 'raid';
  pathReason: string;
  source: string;
  snapshots: Array<{ name: string; state: 'pending' | 'copying' | 'copied' | 'skipped'; copiedClusters: number; totalClusters: number }>;
  /** Bytes done before the member joined the raid (the snapshots copied): the raid's progress counts on top. */
  raidBaseBytes: number;
  bytesDone: number;
  bytesTotal: number;
  percent: number;
}

/** A disk this node was asked to have: enough to attach it again to a spdk_tgt that forgot it. */
export interface DiskIntent {
  name: string;
  kind: 'aio' | 'nvme';
  /** The file or block device (aio), or the PCIe address (nvme). */
  path: string;
  /** The lvstore the disk carries: examine must bring back this one, not another. */
  lvstoreUuid: string;
  clusterSize: number;
  /** The lvstore's block size: an aio bdev made again must have it. Absent from records written before it was kept. */
  blockSize?: number;
}

/** A replica export: enough to make it again with the same NQN (derived from the replica), hosts and port. */
export interface ExportIntent {
  replica: string;
  hostNqns: string[];
  address: string;
  port: number;
  security?: ExportSecurity;
}

/** Per-host authentication, by the NAMES of keys in spdk_tgt's keyring; the keys themselves are never here. */
export interface ExportSecurity {
  /** Host NQN → key role (e.g. dhchapKey) → key name. */
  hosts?: Record<string, Record<string, string>>;
}

export interface StateData {
  version: typeof STATE_VERSION;
  /** Keyed by disk name. */
  disks: Record<string, DiskIntent>;
  /** Keyed by replica name. */
  exports: Record<string, ExportIntent>;
  engines: Record<string, EngineSpec>;
  /** Keyed by `${replica}/${snapshot}`. */
  snapshots: Record<string, SnapshotMeta>;
  /** Keyed by replica name: at most one multi-step operation per replica at a time. */
  intents: Record<string, Intent>;
  /**
   * The keyring names each user of NVMe in-band authentication holds (an export's host, an
   * engine's member; see domain/node/keys.ts): never the secrets, which live only in key files.
   */
  keyUsers?: Record<string, KeyHolding>;
  /** Backup and restore jobs in flight, by job id (domain/backup/jobs.ts). */
  backupJobs?: Record<string, BackupJobRecord>;
  /** The backup target set by BackupTargetSet; unset: the default. */
  backupTarget?: TargetSpec;
  /** Volumes whose unreferenced blocks in the backup target await a sweep, by volume (domain/backup/jobs-sweeps.ts). */
  backupSweeps?: Record<string, BackupSweepRecord>;
  /**
   * Replicas ReplicaClone or a restore made here that no engine has used and that were not
   * exported since, by replica name: they still carry what their snapshot (or backup) held at its
   * start, a source volume's raid superblock included, which engine/stale-superblock.ts may clear
   * for an engine over them.
   */
  clones?: Record<string, CloneRecord>;
  /**
   * Shallow copies this service started in spdk_tgt whose end it has not seen yet, by destination
   * bdev (a staging bdev, a rebuild's copy controller's bdev): a copy cannot be stopped and runs on
   * in spdk_tgt when the service dies, and the snapshot it reads must not be deleted until it ends
   * (backup/copy-holds.ts). The next start asks spdk_tgt about each (backup/left-copies.ts).
   */
  copies?: Record<string, CopyRecord>;
  /** The export ports of deleted engines and exports, by `engine/NAME` or `export/REPLICA`, oldest first (see keepPort). */
  keptPorts?: Record<string, number>;
}

/**
 * A fresh clone: the replica and snapshot it was made from, and how. A restore (mode `restore`)
 * records the backup's volume as its source and the backup id as its snapshot.
 */
export interface CloneRecord {
  source: string;
  snapshot: string;
  mode: 'linked' | 'full' | 'restore';
  createdAt: string;
}

/** A shallow copy in spdk_tgt: the snapshot `lvol` of `disk` read into the bdev `dst`, for `holder`; `operation` once spdk_tgt answered the start. */
export interface CopyRecord {
  disk: string;
  lvol: string;
  holder: string;
  dst: string;
  operation?: number;
  startedAtMs: number;
}

export interface BackupJobRecord {
  kind: 'backup' | 'restore';
  volume: string;
  replica: string;
  snapshot?: string;
  backupId: string;
  disk?: string;
  /** A backup of an engine's volume: the engine whose volume snapshot `snapshot` is (replica: its member staged). */
  engine?: string;
  labels?: Record<string, string>;
  state: 'queued' | 'staging' | 'uploading' | 'downloading' | 'committing';
  createdAtMs: number;
}

/** Why a volume's blocks await a sweep, and since when (the first request; later ones keep it). */
export interface BackupSweepRecord {
  reason: string;
  sinceMs: number;
}

/**
 * The schema names exactly the keys of each record type: a field added to a type without the
 * schema (which would make the service refuse its own file at the next start) does not compile.
 */
type SchemaKeys<S> = S extends { readonly properties: infer P } ? keyof P : never;
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaCoversTypes: [
  SameKeys<keyof StateData, SchemaKeys<typeof STATE_SCHEMA>>,
  SameKeys<keyof DiskIntent, SchemaKeys<typeof DISK_INTENT_SCHEMA>>,
  SameKeys<keyof ExportIntent, SchemaKeys<typeof EXPORT_INTENT_SCHEMA>>,
  SameKeys<keyof EngineSpec, SchemaKeys<typeof ENGINE_SPEC_SCHEMA>>,
  SameKeys<keyof RebuildRecord, SchemaKeys<typeof REBUILD_RECORD_SCHEMA>>,
  SameKeys<keyof RebuildView, SchemaKeys<typeof REBUILD_VIEW_SCHEMA>>,
  SameKeys<keyof SnapshotMeta, SchemaKeys<typeof SNAPSHOT_META_SCHEMA>>,
  SameKeys<keyof BackupJobRecord, SchemaKeys<typeof BACKUP_JOB_SCHEMA>>,
  SameKeys<keyof BackupSweepRecord, SchemaKeys<typeof BACKUP_SWEEP_SCHEMA>>,
  SameKeys<keyof VolumeSnapshotRecord, SchemaKeys<typeof VOLUME_SNAPSHOT_SCHEMA>>,
  SameKeys<keyof CloneRecord, SchemaKeys<typeof CLONE_RECORD_SCHEMA>>,
  SameKeys<keyof CopyRecord, SchemaKeys<typeof COPY_RECORD_SCHEMA>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void schemaCoversTypes;
