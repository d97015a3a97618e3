/**
 * The node: disks, replicas and snapshots over one spdk_tgt. Recovery runs in the background at
 * start (the API and health answer at once); until it is done operations answer UNAVAILABLE with
 * why, and readiness says so. Readiness is a cached value: reading it never waits on anything.
 */
import path from 'node:path';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { SpdkClient } from '../../spdk/client.js';
import type { NvmeController } from '../../spdk/methods/nvme.js';
import { SpdkMethods } from '../../spdk/methods/index.js';
import type { DomainContext, DomainSettings } from './context.js';
import type { Admission } from '../health/admission.js';
import { ObjectLocks } from './locks.js';
import { NO_PEERS, type PeerDirectory } from '../peers.js';
import { ActiveRebuilds } from '../rebuild/active-rebuilds.js';
import { Rebuilds } from '../rebuild/rebuilds.js';
import { recoverCopies, ShallowCopies } from '../rebuild/shallow-copy.js';
import { SpdkDataPath } from '../backup/data-path-spdk.js';
import type { StagingSettings } from '../backup/staging-area.js';
import { BackupJobs, type BackupJobsSettings } from '../backup/jobs.js';
import { CONDUCTOR_VERSION } from '../../version.js';
import { CreateExposed } from '../replica/create-exposed.js';
import { Disks } from '../replica/disks.js';
import { Clones, type CloneRequest } from '../replica/clones.js';
import { ReplicaEvents } from '../replica/replica-events.js';
import { Exports } from '../replica/exports.js';
import { ReplicaUsage } from '../replica/usage.js';
import { Inventory } from './inventory.js';
import { KeyFiles } from '../../host/key-files.js';
import { KeyStore, splitKeyUser, type HostSecrets } from './keys.js';
import { asOperation, withKillSwitch } from './kill-points.js';
import { translate } from './spdk-verdicts.js';
import type {
  DiskCreate,
  DiskInfo,
  EngineCreate,
  EngineEvent,
  EngineInfo,
  EngineRepairOutcome,
  EngineReplicaSpec,
  ExposeMode,
  ReplicaEvent,
  ReplicaInfo,
  CopyTarget,
  DeleteOutcome,
  NodeInfo,
  PageRequest,
  QosLimits,
  RebuildInfo,
  ShallowCopyProgress,
  ThrottleInfo,
  SnapshotCreate,
  SnapshotInfo,
  VolumeSnapshotInfo,
} from '../model.js';
import type { EngineDomain, NodeDomain, Readiness, SpdkInfo } from '../operations.js';
import { spdkInfo, spdkRawCall } from './raw-call.js';
import type { ResourceSnapshot } from '../health/readings.js';
import { EngineRecords } from '../engine/engine-records.js';
import { Engines, recoverEngines, type EngineDeps } from '../engine/engines.js';
import { EngineStatus } from '../engine/engine-status.js';
import { releasePhantomRaids } from '../engine/phantom-raids.js';
import { VolumeSnapshots, type VolumeSnapshotCreate } from '../engine/volume-snapshots.js';
import { EngineReassembly } from '../engine/reassembly.js';
import { EngineExpansion } from '../engine/expand.js';
import { EngineSnapshotRevert, type RevertRequest } from '../engine/snapshot-revert.js';
import { EngineQos } from '../engine/qos.js';
import { SalvageProbe } from '../engine/salvage.js';
import { recordMembersOut } from '../engine/members-out.js';
import { nvmeSetOptions, type TimeoutBudget } from '../engine/timeout-budget.js';
import { checkName, engineRaidName, PortRange } from './naming.js';
import { nqnProblem } from '../../validation/nqn.js';
import { BudgetMargins, observeNode, type NodeObservation } from './observation.js';
import { Reconciler, type ReconcileStatus } from './reconcile.js';
import { recover, type RecoveryReport } from './recovery.js';
import { Replicas } from '../replica/replicas.js';
import { Snapshots } from '../replica/snapshots.js';
import { StateFile } from './state-file.js';

/** Admission and the rebuild health throttle (src/domain/health/resources.ts). */
export interface NodeResourcesLike extends Admission {
  throttle(): ThrottleInfo;
  /** The last sample (cached; never waits on spdk_tgt). */
  snapshot(): ResourceSnapshot | undefined;
  subsystemUse(): { count: number; max: number } | undefined;
  onThrottle(listener: (t: ThrottleInfo) => void): () => void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The node as plain values: the composition (src/service.ts) reads them from configuration. */
export interface NodeDomainOptions {
  client: SpdkClient;
  /** Other nodes' services, for snapshot-preserving rebuilds. Default: none (raid rebuilds only). */
  peers?: PeerDirectory;
  /** Admission and health, over spdk_tgt as given. */
  resources: (ctx: { spdk: SpdkMethods; client: SpdkClient; log: Logger }) => NodeResourcesLike;
  logger: Logger;
  stateFile: string;
  settings: DomainSettings;
  /** The TCP ports replica exports listen on. */
  exportPorts: { min: number; max: number };
  /** Checked already: the budget the node runs with. */
  budget: TimeoutBudget;
  engineDeps: EngineDeps;
  monitorPeriodMs: number;
  maxConcurrentRebuilds: number;
  maxQueuedRebuilds: number;
  /** Where backups stage snapshot images. Default: backup-staging beside the state file, 256 MiB kept free. */
  backupStaging?: StagingSettings;
  /** Backup jobs (domain/backup/jobs.ts); default: their defaults, the filesystem target `backups` beside the state file. */
  backups?: BackupJobsSettings;
}

/** How long an expansion waits for the raid to report the new size once its members grew (transcript 21: ms). */
const EXPANSION_SETTLE_MS = 10_000;
/** Replica heads whose allocation a monitor pass reads again (host writes change it unseen). */
const ALLOCATION_REFRESH_PER_PASS = 128;

export function createNodeDomain(options: NodeDomainOptions): NodeService {
  const { logger, client } = options;
  const log = logger.child({ component: 'domain' });
  const spdk = new SpdkMethods(withKillSwitch(client));
  // The root logger: NodeResources makes its own { component } child.
  // Its readings are not steps of the operation that asked for admission: they go around the
  // kill switch (crash tests count an operation's own spdk_tgt calls).
  const resources = options.resources({ spdk: new SpdkMethods(client), client, log: logger });
  const state = StateFile.open(options.stateFile, log.child({ component: 'state-file' }));
  const locks = new ObjectLocks();
  // Beside the state file, which records who uses which key.
  const keyFiles = new KeyFiles(path.resolve(path.dirname(options.stateFile), 'keys'));
  const ctx: DomainContext = {
    admission: resources,
    spdk,
    client,
    inventory: new Inventory(),
    state,
    locks,
    keys: new KeyStore({ spdk, state, locks, log: log.child({ component: 'keys' }) }, keyFiles),
    events: new ReplicaEvents(),
    ports: new PortRange(options.exportPorts.min, options.exportPorts.max),
    settings: options.settings,
    log,
  };
  return new NodeService(ctx, options.budget, options.engineDeps, {
    monitorPeriodMs: options.monitorPeriodMs,
    resources,
    peers: options.peers ?? NO_PEERS,
    maxConcurrentRebuilds: options.maxConcurrentRebuilds,
    maxQueuedRebuilds: options.maxQueuedRebuilds,
    backupStaging: options.backupStaging ?? { dir: path.resolve(path.dirname(options.stateFile), 'backup-staging'), keepFreeBytes: 256 * 1024 * 1024 },
    backups: options.backups ?? defaultBackupSettings(path.resolve(path.dirname(options.stateFile), 'backups')),
  });
}

export interface NodeServiceOptions {
  monitorPeriodMs: number;
  resources: NodeResourcesLike;
  peers: PeerDirectory;
  maxConcurrentRebuilds: number;
  maxQueuedRebuilds: number;
  backupStaging: StagingSettings;
  backups: BackupJobsSettings;
}

/** The backup.* keys' defaults (config/schema.ts), for callers that build the domain without configuration. */
export function defaultBackupSettings(fsTargetDir: string): BackupJobsSettings {
  return {
    queueMax: 64,
    concurrency: 2,
    retries: 6,
    retryMinMs: 500,
    requestTimeoutMs: 30_000,
    leaseMs: 120_000,
    stallMs: 600_000,
    queuedDeadlineMs: 86_400_000,
    defaultTarget: { kind: 'fs', path: fsTargetDir },
  };
}

export class NodeService implements NodeDomain, EngineDomain {
  private readonly disks: Disks;
  private readonly exportsOf: Exports;
  private readonly replicas: Replicas;
  private readonly usage: ReplicaUsage;
  private readonly snapshots: Snapshots;
  private readonly clones: Clones;
  private readonly createExposed: CreateExposed;
  private readonly records: EngineRecords;
  private readonly engineStatus: EngineStatus;
  private readonly engines: Engines;
  private readonly reassembly: EngineReassembly;
  private readonly expansion: EngineExpansion;
  private readonly reverts: EngineSnapshotRevert;
  private readonly qos: EngineQos;
  private readonly copies: ShallowCopies;
  /** The backup data path (domain/backup): staging snapshots for reading, restoring into new replicas. */
  readonly dataPath: SpdkDataPath;
  /** Backup and restore jobs over the data path (started once the node is ready). */
  readonly backups: BackupJobs;
  private readonly rebuilds: Rebuilds;
  private readonly volumeSnapshots: VolumeSnapshots;
  private readonly reconciler: Reconciler;
  private readonly monitorPeriodMs: number;
  private state: Readiness = { ready: false, reason: 'recovering: reading spdk_tgt' };
  private readonly stop = new AbortController();
  private recovery: Promise<RecoveryReport | undefined> | undefined;
  private monitor: NodeJS.Timeout | undefined;
  private readonly margins = new BudgetMargins();

  constructor(
    private readonly ctx: DomainContext,
    private readonly budget: TimeoutBudget,
    private readonly deps: EngineDeps,
    private readonly options: NodeServiceOptions,
  ) {
    this.monitorPeriodMs = options.monitorPeriodMs;
    // Read when an operation asks, by which time the records exist.
    const usage = new ReplicaUsage(ctx, () => this.records.all());
    this.usage = usage;
    this.disks = new Disks(ctx, usage);
    this.exportsOf = new Exports(ctx);
    this.replicas = new Replicas(ctx, this.exportsOf, usage);
    this.snapshots = new Snapshots(ctx, this.replicas, usage);
    this.clones = new Clones(ctx, this.replicas, this, options.peers);
    this.createExposed = new CreateExposed(ctx, this.replicas, this.exportsOf, this.disks);
    this.records = new EngineRecords(ctx.state, ctx.locks);
    const activeRebuilds = new ActiveRebuilds();
    this.engineStatus = new EngineStatus(ctx, this.records, activeRebuilds, (spec) => deps.hostTimeouts(spec.timeouts));
    this.engines = new Engines(ctx, this.records, deps, this.engineStatus, new SalvageProbe(this, options.peers));
    this.reassembly = new EngineReassembly(ctx, this.records, this.engines, this.engineStatus);
    this.qos = new EngineQos(ctx, this.records);
    this.expansion = new EngineExpansion(ctx, this.records, this.engineStatus, {
      localExpand: (name, sizeBytes, callOptions, force, checkOnly) => this.replicaExpand(name, sizeBytes, callOptions, force, checkOnly),
      peers: options.peers,
      settleTimeoutMs: EXPANSION_SETTLE_MS,
    });
    this.copies = new ShallowCopies(ctx, this.replicas, deps);
    this.dataPath = new SpdkDataPath(ctx, this.replicas, options.backupStaging);
    this.backups = new BackupJobs({
      dataPath: this.dataPath,
      node: {
        snapshotList: (replica) => this.snapshotList(replica),
        snapshotCreate: (request) => this.snapshotCreate(request),
        replicaExists: (name) =>
          this.replicaGet(name).then(
            () => true,
            (err: unknown) => {
              if (err instanceof ConductorError && err.code === 'REPLICA_NOT_FOUND') return false;
              throw err;
            },
          ),
        replicaDelete: async (name) => {
          await this.replicaDelete(name, undefined, true);
        },
      },
      state: ctx.state,
      log: ctx.log.child({ component: 'backups' }),
      settings: options.backups,
    });
    this.volumeSnapshots = new VolumeSnapshots(ctx, this.records, this.engineStatus, options.peers, this);
    this.rebuilds = new Rebuilds(ctx, this.records, this.engines, this.engineStatus, {
      active: activeRebuilds,
      peers: options.peers,
      self: this,
      throttle: () => options.resources.throttle(),
      onThrottle: (listener) => options.resources.onThrottle(listener),
      maxConcurrent: options.maxConcurrentRebuilds,
      maxQueued: options.maxQueuedRebuilds,
    });
    this.reverts = new EngineSnapshotRevert(ctx, this.records, this.engineStatus, this.engines, {
      peers: options.peers,
      self: this,
      queueRebuild: (engine, member, callOptions) => this.rebuilds.add(engine, member, callOptions),
      reapplyQos: (spec, callOptions) => this.qos.reapply([spec], callOptions),
      memberGoneTimeoutMs: deps.memberGoneTimeoutMs,
    });
    this.reconciler = new Reconciler(ctx, this.exportsOf, {
      restoreKeys: (callOptions) => this.ctx.keys.recover((user) => this.keyUserLive(user), callOptions),
      releaseReplicas: (callOptions) => releasePhantomRaids(this.ctx, this.records, callOptions),
      // Engines are re-assembled (members attached again, the record checked, the export made at its port).
      afterConverge: async (callOptions) => {
        await this.applyNvmeOptions(await this.ctx.spdk.nvme.getControllers(undefined, callOptions));
        const problems = await this.reassembly.all(callOptions);
        // Rebuilds spdk_tgt started on re-assembly get their record; at start, recovery's own pass does it.
        if (this.state.ready) await this.rebuilds.adoptStarted(callOptions);
        // A raid spdk_tgt made again has no QoS limits; unfinished expansions go on in the background.
        await this.qos.reapply(this.records.all(), callOptions);
        void this.expansion.resumeAll();
        void this.reverts.resumeAll();
        await this.engineStatus.check(callOptions);
        return problems;
      },
    });
  }

  /** This node as its peers see it. */
  readonly where = 'this node';

  /** Starts recovery in the background, retrying while spdk_tgt is unreachable. */
  start(): Promise<RecoveryReport | undefined> {
    this.recovery ??= pRetry(
      async () => {
        const report = await recover(this.ctx, this.replicas, this.snapshots);
        // One read of the controllers serves the three steps that need them.
        const controllers = await this.ctx.spdk.nvme.getControllers();
        await this.applyNvmeOptions(controllers);
        const engines = await recoverEngines(this.ctx, this.records, this.engines, controllers);
        const copies = await recoverCopies(this.ctx, controllers);
        // No stage or restore runs before ready: every staging file and bdev is a leftover.
        const staging = (await this.dataPath.sweepOrphans()).removed.length;
        const keys = await this.ctx.keys.recover((user) => this.keyUserLive(user));
        const restored = new Set(keys.restored);
        const repointed = restored.size ? [...(await this.exportsOf.repointKeys(restored)), ...(await this.engines.repointKeys(restored))] : [];
        // spdk_tgt may have restarted while the service was down: it gets what the records hold.
        await this.reconciler.converge('service start');
        await this.options.resources.start();
        // Rebuilds spdk_tgt started on its own first; the recorded ones last, so nothing comes
        // between their re-adoption and ready.
        const spdkStarted = await this.rebuilds.adoptStarted();
        const rebuilds = await this.rebuilds.recover();
        this.state = { ready: true, reason: 'ready' };
        // Peer calls may be slow: an expansion a crash interrupted is finished after ready.
        void this.expansion.resumeAll();
        void this.reverts.resumeAll();
        // After the data path's sweep above: jobs resumed now stage into a clean directory.
        // Peers may still be starting: a volume snapshot left mid-way is settled in the background.
        void this.volumeSnapshots.recover().catch((err: unknown) => this.ctx.log.error({ err: (err as Error).message }, 'volume snapshot recovery failed'));
        void this.backups.start().catch((err: unknown) => this.ctx.log.error({ err: (err as Error).message }, 'backup jobs did not start'));
        this.ctx.log.info({ ...report, engines, copies, staging, rebuilds: { ...rebuilds, spdkStarted }, keys: { ...keys, repointed } }, 'recovered from spdk_tgt; ready');
        this.scheduleMonitor();
        return report;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 200,
        maxTimeout: 5_000,
        signal: this.stop.signal,
        onFailedAttempt: ({ error, attemptNumber }) => {
          this.state = { ready: false, reason: `recovering: ${error.message}` };
          if (attemptNumber === 1 || attemptNumber % 10 === 0) this.ctx.log.warn({ attempt: attemptNumber, err: error.message }, 'recovery failed; retrying');
        },
      },
    ).catch((error: unknown) => {
      if (!this.stop.signal.aborted) this.ctx.log.error({ err: (error as Error).message }, 'recovery gave up');
      return undefined;
    });
    return this.recovery;
  }

  /** Whether the export host or engine member a key user stands for still exists (after recovery). */
  private keyUserLive(user: string): boolean {
    const [kind, owner, rest] = splitKeyUser(user);
    // The record, not spdk_tgt: an export a restarted spdk_tgt lost still holds its keys (reconcile makes it again).
    if (kind === 'export') return (this.ctx.state.exportOf(owner)?.hostNqns.includes(rest) ?? false) || (this.ctx.inventory.exports.get(owner)?.hosts.includes(rest) ?? false);
    if (kind === 'engine') return this.records.get(owner)?.replicas.some((r) => r.name === rest) ?? false;
    return false;
  }

  async close(): Promise<void> {
    this.stop.abort();
    clearTimeout(this.monitor);
    // First: a reconcile under way (also the one inside recovery) is aborted, not waited out.
    await this.reconciler.close();
    await this.recovery;
    await this.backups.close();
    await this.rebuilds.close();
    await this.options.resources.close();
    await this.ctx.state.flush();
  }

  /**
   * The budget's replica-side defaults go to bdev_nvme_set_options, which spdk_tgt accepts only
   * while no controller exists; every attach also carries the timeouts itself, so a restart with
   * controllers already attached loses nothing.
   */
  private async applyNvmeOptions(controllers: readonly NvmeController[]): Promise<void> {
    if (controllers.length > 0) {
      this.ctx.log.info({ controllers: controllers.length }, 'controllers exist; bdev_nvme options left as they are (each attach carries its timeouts)');
      return;
    }
    await this.ctx.spdk.nvme.setOptions(nvmeSetOptions(this.budget));
  }

  /** One pass every period, never two at once; a failed pass is logged and the next one runs. */
  private scheduleMonitor(): void {
    if (this.stop.signal.aborted) return;
    this.monitor = setTimeout(() => {
      this.reconciler
        .check()
        .then(() => this.engineStatus.check())
        // A member a superblock raid re-added by itself (a remote replica back) is rebuilding without a record.
        .then(() => (this.reconciler.blocking() === undefined ? this.rebuilds.adoptStarted(undefined, this.engineStatus.raidsAsLastRead()) : undefined))
        // After the adoption: a member spdk_tgt is rebuilding is not out.
        .then(() => (this.reconciler.blocking() === undefined ? recordMembersOut(this.ctx, this.records, this.engineStatus.raidsAsLastRead()) : undefined))
        .then(() => (this.reconciler.blocking() === undefined ? this.replicas.refreshAllocation(ALLOCATION_REFRESH_PER_PASS) : undefined))
        .catch((err: unknown) => this.ctx.log.warn({ err: (err as Error).message }, 'engine monitor pass failed'))
        .finally(() => this.scheduleMonitor());
    }, this.monitorPeriodMs);
    this.monitor.unref();
  }

  /** Runs one monitor pass now (tests, and callers that just changed something). */
  checkEngines(): Promise<EngineInfo[]> {
    return this.engineStatus.check();
  }

  /**
   * A create with the same spec over an engine that exists and is faulted repairs it (the repair
   * path, same NQN and port) and answers the engine as the repair left it.
   */
  engineCreate(request: EngineCreate, options?: CallOptions, secrets?: ReadonlyMap<string, HostSecrets>): Promise<EngineInfo> {
    return this.run('engine-create', async () => {
      const existed = typeof request.name === 'string' && this.records.get(request.name) !== undefined;
      const info = await this.engines.create(request, options, secrets);
      if (!existed) return this.rebuildSalvaged(info, options);
      if (info.state !== 'faulted') return info;
      this.ctx.log.info({ engine: info.name, reason: info.reason }, 'create of a faulted engine with the same spec: repairing it');
      const repaired = await this.reassembly.repair(info.name, options);
      const spec = this.records.get(info.name);
      if (spec) await this.qos.reapply([spec], options);
      return repaired.engine;
    });
  }

  /**
   * The members a create's salvage left out of the raid go back through the rebuild queue, each
   * rebuilt from the source. One that cannot be queued now stays out of the raid and a member of
   * the engine: EngineRepair and reconcile add it back.
   */
  private async rebuildSalvaged(info: EngineInfo, options?: CallOptions): Promise<EngineInfo> {
    const spec = this.records.get(info.name);
    const rebuilt = spec?.salvage?.members.filter((m) => m.verdict === 'rebuilt') ?? [];
    if (!spec || rebuilt.length === 0) return info;
    let latest = info;
    for (const { replica } of rebuilt) {
      const member = spec.replicas.find((r) => r.name === replica);
      if (!member) continue;
      try {
        latest = await this.rebuilds.add(spec.name, member, options);
      } catch (error) {
        this.ctx.log.warn({ engine: spec.name, replica, err: (error as Error).message }, 'salvaged member not queued for its rebuild; EngineRepair adds it back');
      }
    }
    return latest;
  }

  /** Reconcile one engine now (idempotent): its members attached, its raid checked against its record, its export at its port. */
  engineRepair(name: string, options?: CallOptions): Promise<EngineRepairOutcome> {
    return this.run('engine-repair', async () => {
      const outcome = await this.reassembly.repair(name, options);
      const spec = this.records.get(name);
      if (spec && (await this.qos.reapply([spec], options)).length > 0) outcome.actions.push('QoS limits put back on the raid');
      return outcome;
    });
  }

  engineExpand(name: string, sizeBytes: number, options?: CallOptions): Promise<EngineInfo> {
    return this.run('engine-expand', () => this.expansion.expand(name, sizeBytes, options));
  }

  /** Reverts the volume to a volume snapshot (engine/snapshot-revert.ts): resumable, the same call again completes it. */
  engineSnapshotRevert(request: RevertRequest, options?: CallOptions): Promise<EngineInfo> {
    return this.run('engine-snapshot-revert', () => this.reverts.revert(request, options));
  }

  engineQosSet(name: string, limits: Partial<QosLimits>, options?: CallOptions): Promise<{ engine: EngineInfo; adjustments: string[] }> {
    return this.run('engine-qos-set', async () => {
      const { adjustments } = await this.qos.set(name, limits, options);
      this.engineStatus.changed(name, 'modified', 'QoS limits set');
      return { engine: await this.engines.get(name, options), adjustments };
    });
  }

  engineGet(name: string, options?: CallOptions): Promise<EngineInfo> {
    return this.run('engine-get', () => this.engines.get(name, options));
  }

  engineList(options?: CallOptions, page?: PageRequest): Promise<EngineInfo[]> {
    return this.run('engine-list', () => this.engines.list(options, page));
  }

  engineDelete(name: string, options?: CallOptions): Promise<DeleteOutcome> {
    return this.run('engine-delete', async () => {
      await this.rebuilds.cancelEngine(checkName('volume', name), 'the engine was deleted');
      return this.engines.delete(name, options);
    });
  }

  engineReplicaRemove(name: string, replica: string, options?: CallOptions): Promise<EngineInfo> {
    return this.run('engine-replica-remove', async () => {
      if (this.rebuilds.memberRebuild(checkName('volume', name), checkName('replica', replica))) {
        await this.rebuilds.cancel(name, replica);
        // The cancelled rebuild took its member out (raid, controller, record, keys): that was
        // this remove, and answering NOT_FOUND for it would tell the caller nothing was removed.
        if (!this.engines.spec(name).replicas.some((r) => r.name === replica)) return this.engines.get(name, options);
      }
      return this.engines.removeReplica(name, replica, options);
    });
  }

  /** Queues the member's rebuild and returns; RebuildGet follows it. */
  engineReplicaAdd(name: string, replica: EngineReplicaSpec, options?: CallOptions, secrets?: HostSecrets): Promise<EngineInfo> {
    return this.run('engine-replica-add', async () => {
      const member = this.engines.withKeys(replica, secrets);
      return this.engines.holdingMemberKeys(name, member, secrets, () => this.rebuilds.add(name, member, options), options);
    });
  }

  rebuildList(engine: string | undefined, page?: PageRequest): Promise<RebuildInfo[]> {
    return this.run('rebuild-list', async () => this.rebuilds.list(engine, page));
  }

  rebuildGet(engine: string, replica: string): Promise<RebuildInfo> {
    return this.run('rebuild-get', async () => this.rebuilds.get(engine, replica));
  }

  engineSnapshotCreate(request: VolumeSnapshotCreate, options?: CallOptions): Promise<VolumeSnapshotInfo> {
    return this.run('engine-snapshot-create', () => this.volumeSnapshots.create(request, options));
  }

  engineSnapshotList(engine: string): Promise<VolumeSnapshotInfo[]> {
    return this.run('engine-snapshot-list', async () => this.volumeSnapshots.list(engine));
  }

  async engineSnapshotDelete(engine: string, name: string, options?: CallOptions): Promise<void> {
    await this.run('engine-snapshot-delete', () => this.volumeSnapshots.delete(engine, name, options));
  }

  rebuildCancel(engine: string, replica: string): Promise<RebuildInfo> {
    return this.run('rebuild-cancel', () => this.rebuilds.cancel(engine, replica));
  }

  snapshotShallowCopy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (progress: ShallowCopyProgress) => void, options?: CallOptions): Promise<ShallowCopyProgress> {
    return this.run('snapshot-shallow-copy', () => this.copies.copy(replicaName, snapshot, target, onProgress, options));
  }

  async nodeInfo(): Promise<NodeInfo> {
    const caps = await this.ctx.client.capabilities.get();
    const limit = this.ctx.admission.subsystemLimit();
    return {
      hostNqn: this.deps.engineHostNqn,
      spdkVersion: caps.version.version,
      simulator: caps.simulator !== undefined,
      shallowCopy: caps.methods.has('bdev_lvol_start_shallow_copy') && caps.methods.has('bdev_lvol_check_shallow_copy'),
      exportAddress: this.ctx.settings.exportAddress,
      version: CONDUCTOR_VERSION,
      maxSubsystems: limit.max,
      maxSubsystemsSource: limit.source,
    };
  }

  spdkInfo(): Promise<SpdkInfo> {
    return spdkInfo(this.ctx.client);
  }

  spdkCall(method: string, params: object | undefined, allowMutating: boolean, options?: CallOptions): Promise<unknown> {
    return spdkRawCall(this.ctx.client, this.ctx.log, method, params, allowMutating, options);
  }

  engineWatch(listener: (event: EngineEvent) => void): () => void {
    const specs = this.state.ready ? this.records.all() : [];
    return this.engineStatus.subscribe(listener, this.engineStatus.infoAll(specs));
  }

  /** Called when readiness may have changed with a reconcile's phase (the health report then refreshes at once). */
  onReadinessChange(listener: () => void): () => void {
    return this.reconciler.onPhase(listener);
  }

  /** Ready once recovered, and while no reconcile is running, waiting for spdk_tgt, or incomplete. */
  readiness(): Readiness {
    if (!this.state.ready) return this.state;
    const reconciling = this.reconciler.blocking();
    return reconciling === undefined ? this.state : { ready: false, reason: reconciling };
  }

  /**
   * Raid bdev name → engine, of the engines whose create has returned: the volume I/O sampler names
   * them to bdev_get_iostat, and a raid not made yet would fail its call (-19) and send it to the
   * list of every bdev (~2 MB at 3,000 replicas) for that sample.
   */
  volumeRaids(): Map<string, string> {
    return new Map(this.records.all().flatMap((s) => (s.creating ? [] : [[engineRaidName(s.name), s.name] as const])));
  }

  /** The node's objects, engines, rebuilds and resources from memory only: metrics and NodeStats read it per scrape. */
  observe(): NodeObservation {
    const resources = this.options.resources;
    return observeNode(
      {
        inventory: this.ctx.inventory,
        specs: this.records.all(),
        lastSeen: (name) => this.engineStatus.lastSeen(name),
        rebuilds: this.rebuilds.list(undefined),
        throttle: resources.throttle(),
        resources: resources.snapshot(),
        subsystems: resources.subsystemUse(),
        budget: this.budget,
      },
      this.margins,
    );
  }

  /** Why List/Get/Watch answers may not be what spdk_tgt has now, or undefined (cached). */
  viewStale(): string | undefined {
    return this.reconciler.viewStale();
  }

  /** Where convergence to the recorded intent stands (cached). */
  reconcileStatus(): Readonly<ReconcileStatus> {
    return this.reconciler.state();
  }

  /** Waits until the reconciles asked for so far have ended (tests; callers that need convergence). */
  reconciled(): Promise<Readonly<ReconcileStatus>> {
    return this.reconciler.settled();
  }

  diskCreate(request: DiskCreate, options?: CallOptions): Promise<DiskInfo> {
    return this.run('disk-create', () => this.disks.create(request, options));
  }

  diskGet(name: string): Promise<DiskInfo> {
    return this.run('disk-get', async () => this.disks.get(name));
  }

  diskList(_options?: CallOptions, page?: PageRequest): Promise<DiskInfo[]> {
    return this.run('disk-list', async () => this.disks.list(page));
  }

  diskDelete(name: string, wipe: boolean, options?: CallOptions, force = false): Promise<DeleteOutcome> {
    return this.run('disk-delete', () => this.disks.delete(name, wipe, options, force));
  }

  replicaCreate(name: string, diskName: string, sizeBytes: number, options?: CallOptions, exposeTo?: string[], secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    return this.run('replica-create', async () => {
      if (!exposeTo || exposeTo.length === 0) {
        const info = await this.replicas.create(name, diskName, sizeBytes, options);
        this.disks.refreshSoon(diskName);
        return info;
      }
      for (const host of exposeTo) {
        const problem = nqnProblem(host);
        if (problem) throw new ConductorError('INVALID_NQN', problem, { field: 'host_nqns' });
      }
      return this.ctx.locks.with(`replica:${checkName('replica', name)}`, () => this.createExposed.createHeld(name, diskName, sizeBytes, exposeTo, options, secrets));
    });
  }

  replicaGet(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return this.run('replica-get', async () => {
      const info = await this.replicas.getFresh(name, options);
      const clone = this.clones.progress(name);
      return clone ? { ...info, clone } : info;
    });
  }

  replicaList(diskName: string | undefined, _options?: CallOptions, page?: PageRequest): Promise<ReplicaInfo[]> {
    return this.run('replica-list', async () => this.replicas.list(diskName, page));
  }

  replicaExpand(name: string, sizeBytes: number, options?: CallOptions, force = false, checkOnly = false): Promise<ReplicaInfo> {
    return this.run('replica-expand', () => this.replicas.expand(name, sizeBytes, options, force, checkOnly));
  }

  replicaDelete(name: string, options?: CallOptions, force = false): Promise<DeleteOutcome> {
    return this.run('replica-delete', async () => {
      const disk = this.ctx.inventory.head(name)?.disk;
      const outcome = await this.replicas.delete(name, options, force);
      if (disk) this.disks.refreshSoon(disk);
      return outcome;
    });
  }

  replicaExpose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    return this.run('replica-expose', () => this.expose(name, hostNqns, options, mode, secrets));
  }

  private expose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    return this.ctx.locks.with(`replica:${name}`, async () => {
      const head = this.replicas.head(name);
      const plan = this.exportsOf.plan(name, hostNqns, mode, secrets);
      // A local engine's raid holds the member's lvol: spdk_tgt would refuse its namespace
      // (-32602), and the export could only be a second writer beside the raid anyway.
      const engines = this.usage.localRaidsHolding(name);
      if (engines.length > 0 && !this.ctx.inventory.exports.has(name)) {
        throw new ConductorError(
          'REPLICA_IN_USE',
          `replica ${name} is a member of local engine ${engines.join(', ')}; its raid uses it directly, so it cannot also be exported. Remove it from the engine first`,
        );
      }
      if (plan.outcome === 'unchanged') return this.replicas.info(head);
      await this.exportsOf.expose(name, head.disk, plan.hosts, options, undefined, secrets, hostNqns);
      const info = this.replicas.info(head);
      const reason = plan.outcome === 'added' ? `hosts added: ${hostNqns.join(', ')}` : `exposed to ${plan.hosts.join(', ')}${plan.outcome === 'replaced' ? ' (host list replaced)' : ''}`;
      this.ctx.events.emit('modified', info, reason);
      this.ctx.log.info({ replica: name, outcome: plan.outcome, hosts: plan.hosts }, 'replica expose');
      return info;
    });
  }

  replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return this.run('replica-unexpose', () =>
      this.ctx.locks.with(`replica:${name}`, async () => {
        const head = this.replicas.head(name);
        if (!this.ctx.inventory.exports.has(name)) return this.replicas.info(head);
        await this.exportsOf.unexpose(name, options);
        const info = this.replicas.info(head);
        this.ctx.events.emit('modified', info, 'unexposed');
        return info;
      }),
    );
  }

  replicaWatch(listener: (event: ReplicaEvent) => void): () => void {
    const inventory = this.ctx.inventory;
    const names = this.state.ready ? [...inventory.headNamesAfter(undefined)] : [];
    return this.ctx.events.subscribe(listener, {
      names,
      describe: (name) => {
        const head = inventory.head(name);
        return head ? this.replicas.info(head) : undefined;
      },
    });
  }

  snapshotCreate(request: SnapshotCreate, options?: CallOptions): Promise<SnapshotInfo> {
    return this.run('snapshot-create', () => this.snapshots.create(request, options));
  }

  snapshotList(replicaName: string): Promise<SnapshotInfo[]> {
    return this.run('snapshot-list', async () => this.snapshots.list(replicaName));
  }

  snapshotDelete(replicaName: string, name: string, options?: CallOptions): Promise<DeleteOutcome> {
    return this.run('snapshot-delete', () => this.snapshots.delete(replicaName, name, options));
  }

  replicaClone(request: CloneRequest, options?: CallOptions): Promise<ReplicaInfo> {
    return this.run('replica-clone', () => this.clones.clone(request, options));
  }

  snapshotRevert(replicaName: string, name: string, options?: CallOptions, force = false): Promise<ReplicaInfo> {
    return this.run('snapshot-revert', () => this.snapshots.revert(replicaName, name, options, force));
  }

  snapshotPurge(replicaName: string, options?: CallOptions): Promise<string[]> {
    return this.run('snapshot-purge', () => this.snapshots.purge(replicaName, options));
  }

  /** What the node holds that carries our names but lost its owner (reported, never deleted). */
  orphans(): readonly string[] {
    return this.ctx.inventory.orphans;
  }

  /** Every operation answers with a promise, also when it fails before its first await. */
  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (!this.state.ready) throw new ConductorError('SERVICE_NOT_READY', `the service is not ready (${this.state.reason}); retry shortly`);
    try {
      return await asOperation(operation, async () => work());
    } catch (error) {
      throw translate(error, operation);
    }
  }
}
