/**
 * The node's objects as the domain sees them: plain data, no behaviour. The operations on them are
 * in operations.ts; the API translates gRPC messages to and from these types.
 */
import type { BudgetOverride } from './engine/timeout-budget.js';

export type DiskKind = 'aio' | 'nvme';

export interface DiskInfo {
  name: string;
  kind: DiskKind;
  path: string;
  bdevName: string;
  lvstoreName: string;
  lvstoreUuid: string;
  clusterSizeBytes: number;
  blockSize: number;
  totalBytes: number;
  freeBytes: number;
  allocatedBytes: number;
  replicaCount: number;
  /** The lvstore existed before this service attached the disk. */
  adopted: boolean;
}

/**
 * What ReplicaExpose does to an export that allows other hosts: add the asked ones to them, or
 * make them the only ones. Without a mode only the same hosts are accepted (a no-op).
 */
export type ExposeMode = 'add' | 'replace' | 'remove';

export interface ExportInfo {
  nqn: string;
  address: string;
  port: number;
  hostNqns: string[];
  namespaceUuid: string;
  namespaceNguid: string;
  /** Per host, the in-band authentication it must do (never a key); absent: none for any host. */
  hostAuth?: HostAuthInfo[];
  /** The listener requires TLS (every host has a PSK). */
  secureChannel?: boolean;
}

/** What a host must do to connect to an export: said in responses instead of any key. */
export interface HostAuthInfo {
  nqn: string;
  dhchap: 'none' | 'one-way' | 'bidirectional';
  tls: boolean;
}

export interface ReplicaInfo {
  name: string;
  diskName: string;
  sizeBytes: number;
  lvolUuid: string;
  lvolAlias: string;
  allocatedBytes: number;
  export: ExportInfo | undefined;
  /** The snapshot the head was cloned from, or undefined. */
  headParent: string | undefined;
  snapshotCount: number;
  /** A full clone filling this replica (domain/replica/clones.ts); undefined when none runs. */
  clone?: CloneProgress;
}

/** A full clone's progress: the snapshots copied so far, in bytes of their allocated clusters. */
export interface CloneProgress {
  sourceReplica: string;
  snapshot: string;
  /** copying: the chain's snapshots copied from another node, one at a time; inflating: spdk_tgt copies every cluster here and reports no progress; done. */
  phase: 'copying' | 'inflating' | 'done';
  bytesDone: number;
  bytesTotal: number;
  /** The snapshot being copied (1-based) of `steps`. */
  step: number;
  steps: number;
  percent: number;
}

export interface SnapshotInfo {
  name: string;
  replicaName: string;
  createdAt: Date;
  labels: Record<string, string>;
  parent: string | undefined;
  /** Snapshot names; '' stands for the replica's head. */
  children: string[];
  sizeBytes: number;
  allocatedBytes: number;
  userCreated: boolean;
  /** Deleted while a copy reads it: spdk_tgt still has it until the copy ends (its name is not free yet). */
  deletePending?: boolean;
}

export type ReplicaEventType = 'added' | 'modified' | 'deleted' | 'synced';

export interface ReplicaEvent {
  type: ReplicaEventType;
  replica: ReplicaInfo | undefined;
  reason: string;
}

export interface DiskCreate {
  name: string;
  path: string;
  kind?: DiskKind;
  /** aio only; undefined = the device's own. */
  blockSize?: number;
  /** Used only when a new lvstore is made; default 1 MiB. */
  clusterSizeBytes?: number;
  /** Destroy data on the device this service did not write, instead of refusing it. */
  wipe?: boolean;
}

export interface SnapshotCreate {
  replicaName: string;
  name: string;
  labels?: Record<string, string>;
  userCreated?: boolean;
}

/** What a node tells its peers (the Node service). */
export interface NodeInfo {
  /** The NQN this node's bdev_nvme presents when it attaches targets. */
  hostNqn: string;
  spdkVersion: string;
  simulator: boolean;
  /** spdk_tgt has bdev_lvol_start_shallow_copy and bdev_lvol_check_shallow_copy. */
  shallowCopy: boolean;
  exportAddress: string;
  version: string;
  /** spdk_tgt's max_subsystems as admission uses it, and its source (see SubsystemLimit). */
  maxSubsystems: number;
  maxSubsystemsSource: string;
  /** spdk_tgt's reactors as the last resource sample read them: polling, interrupt, mixed; '' before one did. */
  reactorMode: '' | 'polling' | 'interrupt' | 'mixed';
}

/** An NVMe-oF/TCP subsystem to copy into. */
export interface CopyTarget {
  address: string;
  port: number;
  nqn: string;
  /**
   * The host the copy attaches as and the secrets it proves (a target that requires DH-HMAC-CHAP
   * or TLS); none: the node's engine host NQN without keys. The secrets are never logged or recorded.
   */
  host?: { nqn: string; secrets: HostSecrets };
}

export interface ShallowCopyProgress {
  state: 'in progress' | 'complete';
  copiedClusters: number;
  totalClusters: number;
  clusterSizeBytes: number;
  /**
   * Set while the copy has not started because another copy of the same snapshot runs (a backup's
   * stage: spdk_tgt refuses a second copy of a snapshot, EBUSY): who copies it and how far that
   * copy got, in clusters, when known. Reported at least every second while it waits.
   */
  waitingFor?: { holder: string; copiedClusters?: number; totalClusters?: number };
}

/** What a host must prove or share to reach an export; given in requests, never persisted or logged. */
export interface HostSecrets {
  /** DH-HMAC-CHAP: the host authenticates with it. */
  readonly dhchapKey?: string | undefined;
  /** DH-HMAC-CHAP, bidirectional: the controller authenticates to the host with it (needs dhchapKey). */
  readonly dhchapCtrlrKey?: string | undefined;
  /** TLS: the pre-shared key; the export's listener then requires a secure channel. */
  readonly psk?: string | undefined;
}

/** The keyring names of a HostSecrets (domain/node/keys.ts): what params and the state file carry instead. */
export type KeyNames = {
  readonly dhchapKey?: string;
  readonly dhchapCtrlrKey?: string;
  readonly psk?: string;
};

/** A replica as an engine member: on another node over NVMe/TCP, or on this node directly. */
export type EngineReplicaSpec =
  | {
      name: string;
      kind: 'remote';
      address: string;
      port: number;
      nqn: string;
      apiAddress?: string;
      /** The keyring names it attaches with (DH-HMAC-CHAP, TLS): set from the secrets given, persisted; never the secrets. */
      keys?: KeyNames;
    }
  | { name: string; kind: 'local' };

export type FrontendKind = 'nvme-host' | 'export-only';

/** Per-engine changes to the node's timeout budget; re-checked against every rule before use. */
export type TimeoutOverride = BudgetOverride;

export interface EngineCreate {
  name: string;
  sizeBytes: number;
  replicas: EngineReplicaSpec[];
  frontend: FrontendKind;
  /** Hosts allowed to connect to the volume; for nvme-host, this node's host NQN is added. */
  hostNqns: string[];
  timeouts?: TimeoutOverride;
  /** The member whose data the others are rebuilt from, when they may have diverged (engine/salvage.ts); undefined: by the rule. */
  source?: string;
}

/** How an engine's source was chosen (engine/salvage.ts): the step of the rule that decided. */
export type SalvageRule = 'explicit' | 'written' | 'record' | 'superblock' | 'snapshots' | 'order';

export interface SalvageMemberVerdict {
  replica: string;
  verdict: 'source' | 'rebuilt';
  reason: string;
}

/** The source chosen when the engine was made over members that held data, and why. */
export interface SalvageInfo {
  source: string;
  rule: SalvageRule;
  reason: string;
  decidedAtMs: number;
  members: SalvageMemberVerdict[];
}

export type MemberState = 'healthy' | 'rebuilding' | 'failed' | 'missing';
export type EngineState = 'healthy' | 'degraded' | 'faulted';

export interface EngineMemberInfo {
  name: string;
  kind: 'remote' | 'local';
  bdevName: string;
  state: MemberState;
  /** Why it is in that state (what spdk_tgt showed). */
  reason: string;
  /** Remote members: bdev_nvme's controller state (enabled, reconnect_is_delayed...). */
  controllerState: string | undefined;
}

export interface FrontendInfo {
  kind: FrontendKind;
  nqn: string;
  address: string;
  port: number;
  hostNqns: string[];
  namespaceUuid: string;
  namespaceNguid: string;
  /** nvme-host: the block device the host sees. */
  device: string | undefined;
  /** The ctrl-loss-tmo a host should connect with (from the timeout budget). */
  recommendedCtrlLossTmoSec: number;
  /** export-only: a ready-to-use connect command line. */
  connectCommand: string | undefined;
}

export interface RebuildProgress {
  member: string;
  percent: number;
  blocks: number;
}

export interface EngineInfo {
  name: string;
  sizeBytes: number;
  state: EngineState;
  reason: string;
  raidName: string;
  members: EngineMemberInfo[];
  frontend: FrontendInfo | undefined;
  rebuild: RebuildProgress | undefined;
  /** This engine's rebuilds that are queued or running. */
  rebuilds: RebuildInfo[];
  /** Its raid keeps a superblock on its members (re-assembled by examine after a restart); false for older engines. */
  superblock?: boolean;
  /** The QoS limits in force on its raid (engine/qos.ts); undefined: none. */
  qos?: QosLimits;
  /** An expansion recorded and not finished (engine/expand.ts): the size asked for and the members grown so far. */
  expansion?: { sizeBytes: number; grown: string[] };
  /** A volume snapshot revert recorded and not finished (engine/snapshot-revert.ts): the snapshot, the source member and the last step done. */
  revert?: { snapshot: string; source: string; phase: string };
  /** Made over members that held data: the source chosen and each member's verdict (engine/salvage.ts). */
  salvage?: SalvageInfo;
}

/** Per-volume QoS limits in spdk_tgt's units (bdev_set_qos_limit); 0 = unlimited. */
export interface QosLimits {
  rwIosPerSec: number;
  rwMbytesPerSec: number;
  rMbytesPerSec: number;
  wMbytesPerSec: number;
}

/** What an engine repair did and how the engine ended up. */
export interface EngineRepairOutcome {
  engine: EngineInfo;
  /** What was done, in order ("attached r2", "exported again at … port 4420"); empty when all was right. */
  actions: string[];
  /** Why the engine could not be brought back whole; undefined when it was. */
  problem: string | undefined;
}

export type RebuildState = 'queued' | 'copying-snapshots' | 'rebuilding' | 'done' | 'failed' | 'cancelled';
export type RebuildPath = 'snapshot-preserving' | 'raid';

export interface SnapshotCopyInfo {
  name: string;
  state: 'pending' | 'copying' | 'copied' | 'skipped';
  copiedClusters: number;
  totalClusters: number;
}

export interface ThrottleInfo {
  engaged: boolean;
  /** The bandwidth rebuild processes start with now, MiB/s (0: unlimited). */
  limitMbSec: number;
  reason: string;
}

export interface RebuildInfo {
  engine: string;
  replica: string;
  state: RebuildState;
  reason: string;
  path: RebuildPath | undefined;
  pathReason: string;
  sourceReplica: string;
  percent: number;
  bytesDone: number;
  bytesTotal: number;
  rateBytesPerSec: number;
  /** -1 when unknown. */
  etaSec: number;
  /** 1 = next; 0 when not queued. */
  queuePosition: number;
  snapshots: SnapshotCopyInfo[];
  raid: RebuildProgress | undefined;
  throttle: ThrottleInfo;
  createdAtMs: number;
  startedAtMs: number;
  processStartedAtMs: number;
  finishedAtMs: number;
}

export interface EngineEvent {
  type: 'added' | 'modified' | 'deleted' | 'synced';
  engine: EngineInfo | undefined;
  reason: string;
}

/**
 * A page of a node-wide list: the objects named after `after` (from the start when undefined) in
 * name order (code units), at most `size + 1` of them: one past the page tells the caller that
 * more follow. A name never changes, so a page can neither repeat nor skip an object that existed
 * for the whole listing, whatever was created or deleted between pages.
 */
export interface PageRequest {
  after: string | undefined;
  size: number;
}

/** What a delete found: idempotent deletes of a name that is not there succeed and say so. */
export type DeleteOutcome = 'deleted' | 'already-absent';
/** A snapshot of a whole volume: one snapshot of that name on each member (engine/volume-snapshots.ts). */
export interface VolumeSnapshotInfo {
  engine: string;
  name: string;
  createdAt: Date;
  labels: Record<string, string>;
  /** The members that have it. */
  members: string[];
  state: 'creating' | 'ready' | 'deleting';
  /** identical: its members' snapshots are known to hold the same data; unverified: taken under possible writes (see docs/volume-operations.md). */
  consistency: 'identical' | 'unverified';
  /** Members whose snapshots are known to hold the same data (a rebuild copied one from another). */
  identical: string[];
}
