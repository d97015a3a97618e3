/**
 * The operations the API layer may call on a node (disks, replicas, snapshots, copies) and on its
 * engines (volumes, rebuilds). The API translates gRPC to these calls and ConductorError codes to
 * statuses; it knows nothing else of the domain. Operations take CallOptions for the caller's
 * deadline and cancellation.
 */
import type { CallOptions } from '../spdk/call.js';
import type { HostSecrets } from './node/keys.js';
import type { BackupJobs } from './backup/jobs.js';
import type {
  CopyTarget,
  DiskCreate,
  DiskInfo,
  EngineCreate,
  EngineEvent,
  EngineInfo,
  EngineRepairOutcome,
  EngineReplicaSpec,
  ExposeMode,
  DeleteOutcome,
  NodeInfo,
  PageRequest,
  QosLimits,
  RebuildInfo,
  ReplicaEvent,
  ReplicaInfo,
  ShallowCopyProgress,
  SnapshotCreate,
  SnapshotInfo,
  VolumeSnapshotInfo,
} from './model.js';
import type { VolumeSnapshotCreate } from './engine/volume-snapshots.js';
import type { CloneRequest } from './replica/clones.js';

export interface Readiness {
  ready: boolean;
  /** Why not, or 'ready'. */
  reason: string;
}

/** spdk_tgt as the service is connected to it (SpdkInfo). */
export interface SpdkInfo {
  version: string;
  simulator: { name: string; version: string } | undefined;
  /** Sorted. */
  methods: string[];
}

/** Operations take CallOptions for the caller's deadline and cancellation. */
export interface NodeDomain {
  readiness(): Readiness;

  diskCreate(request: DiskCreate, options?: CallOptions): Promise<DiskInfo>;
  diskGet(name: string, options?: CallOptions): Promise<DiskInfo>;
  /** With `page`, that page only (see PageRequest); without, every disk. */
  diskList(options?: CallOptions, page?: PageRequest): Promise<DiskInfo[]>;
  /** `force`: also under members of local engines. */
  diskDelete(name: string, wipe: boolean, options?: CallOptions, force?: boolean): Promise<DeleteOutcome>;

  /**
   * With `exposeTo`, also exposes it to those hosts; a replica this call made is removed if that
   * fails. `secrets` (by host NQN) make hosts authenticate (DH-HMAC-CHAP, TLS PSK).
   */
  replicaCreate(name: string, diskName: string, sizeBytes: number, options?: CallOptions, exposeTo?: string[], secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo>;
  replicaGet(name: string, options?: CallOptions): Promise<ReplicaInfo>;
  /** With `page`, that page only (see PageRequest); without, every replica. */
  replicaList(diskName: string | undefined, options?: CallOptions, page?: PageRequest): Promise<ReplicaInfo[]>;
  /** Refused while a local engine or a connected host uses the replica, unless `force`. */
  replicaExpand(name: string, sizeBytes: number, options?: CallOptions, force?: boolean, checkOnly?: boolean): Promise<ReplicaInfo>;
  /** Refused while a local engine or a connected host uses the replica, unless `force`. */
  replicaDelete(name: string, options?: CallOptions, force?: boolean): Promise<DeleteOutcome>;
  /** On an exposed replica, `mode` says whether the hosts are added or replace its hosts; without one, other hosts are refused (EXPOSE_MODE_REQUIRED). */
  replicaExpose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo>;
  replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo>;
  /** A new replica from a snapshot: linked (an lvol clone) or full (independent; from another node by shallow copy). */
  replicaClone(request: CloneRequest, options?: CallOptions): Promise<ReplicaInfo>;
  /**
   * Subscribes to replica changes: the current list arrives first as 'added' events then one
   * 'synced'. Returns the unsubscribe function; the listener must not throw.
   */
  replicaWatch(listener: (event: ReplicaEvent) => void): () => void;

  snapshotCreate(request: SnapshotCreate, options?: CallOptions): Promise<SnapshotInfo>;
  snapshotList(replicaName: string, options?: CallOptions): Promise<SnapshotInfo[]>;
  snapshotDelete(replicaName: string, name: string, options?: CallOptions): Promise<DeleteOutcome>;
  /** Refused while a local engine uses the replica, unless `force`. */
  snapshotRevert(replicaName: string, name: string, options?: CallOptions, force?: boolean): Promise<ReplicaInfo>;
  snapshotPurge(replicaName: string, options?: CallOptions): Promise<string[]>;
  /**
   * Copies one snapshot's own clusters into `target` (attached here for the copy, detached after,
   * also when `options.signal` aborts, which stops the copy). Resolves with the final progress.
   */
  snapshotShallowCopy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (progress: ShallowCopyProgress) => void, options?: CallOptions): Promise<ShallowCopyProgress>;
  nodeInfo(options?: CallOptions): Promise<NodeInfo>;
  spdkInfo(options?: CallOptions): Promise<SpdkInfo>;
  /**
   * One raw call to spdk_tgt (diagnosis, like rpc.py): refused with SPDK_CALL_MUTATING for a
   * method that may change state unless `allowMutating`. Resolves with spdk_tgt's result.
   */
  spdkCall(method: string, params: object | undefined, allowMutating: boolean, options?: CallOptions): Promise<unknown>;
}

/** Engine operations, beside the node's disks and replicas. */
export interface EngineDomain {
  /** `secrets` (by replica name) are the keys remote members attach with. */
  engineCreate(request: EngineCreate, options?: CallOptions, secrets?: ReadonlyMap<string, HostSecrets>): Promise<EngineInfo>;
  engineGet(name: string, options?: CallOptions): Promise<EngineInfo>;
  /** Reconciles one engine now: members attached, raid checked against the record, export at its port. */
  engineRepair(name: string, options?: CallOptions): Promise<EngineRepairOutcome>;
  /** With `page`, that page only (see PageRequest); without, every engine. */
  engineList(options?: CallOptions, page?: PageRequest): Promise<EngineInfo[]>;
  engineDelete(name: string, options?: CallOptions): Promise<DeleteOutcome>;
  /** Out of the raid, controller detached, bdev gone: then the replica may be torn down. */
  engineReplicaRemove(name: string, replica: string, options?: CallOptions): Promise<EngineInfo>;
  /** Attaches the replica and adds it to the raid; spdk_tgt rebuilds it from the others. */
  engineReplicaAdd(name: string, replica: EngineReplicaSpec, options?: CallOptions, secrets?: HostSecrets): Promise<EngineInfo>;
  /** Current engines as 'added' then 'synced', then every change with its reason. */
  engineWatch(listener: (event: EngineEvent) => void): () => void;
  /** With `page`, that page only, in rebuildPageName order; without, every rebuild. */
  rebuildList(engine: string | undefined, page?: PageRequest): Promise<RebuildInfo[]>;
  rebuildGet(engine: string, replica: string): Promise<RebuildInfo>;
  rebuildCancel(engine: string, replica: string, options?: CallOptions): Promise<RebuildInfo>;
  /** The same snapshot on every member in sync, all or nothing (engine/volume-snapshots.ts). */
  engineSnapshotCreate(request: VolumeSnapshotCreate, options?: CallOptions): Promise<VolumeSnapshotInfo>;
  engineSnapshotList(engine: string): Promise<VolumeSnapshotInfo[]>;
  /** Deletes it on every member; a missing one is already deleted. */
  engineSnapshotDelete(engine: string, name: string, options?: CallOptions): Promise<void>;
  /** Grows the volume online (engine/expand.ts): resumable, the same size again a no-op. */
  engineExpand(name: string, sizeBytes: number, options?: CallOptions): Promise<EngineInfo>;
  /** Reverts the volume to a volume snapshot: one member (the source) reverted, the others rebuilt from it; refused while hosts are connected; resumable. */
  engineSnapshotRevert(request: { engine: string; snapshot: string; source?: string }, options?: CallOptions): Promise<EngineInfo>;
  /** Sets the volume's QoS limits (unset fields keep theirs); answers the engine and what spdk_tgt's rules changed. */
  engineQosSet(name: string, limits: Partial<QosLimits>, options?: CallOptions): Promise<{ engine: EngineInfo; adjustments: string[] }>;
}

/** Backup and restore jobs and the target (domain/backup/jobs.ts). */
export type BackupOperations = Pick<
  BackupJobs,
  'backupCreate' | 'jobGet' | 'jobList' | 'jobCancel' | 'backupList' | 'backupDelete' | 'sweepList' | 'restoreCreate' | 'watch' | 'targetSet' | 'targetGet'
>;
