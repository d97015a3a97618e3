/**
 * The node: disks, replicas and snapshots over one spdk_tgt. Recovery runs in the background at
 * start (the API and health answer at once); until it is done operations answer UNAVAILABLE with
 * why, and readiness says so. Readiness is a cached value: reading it never waits on anything.
 */
import pRetry from 'p-retry';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from './context.js';
import type { Admission } from '../health/admission.js';
import type { PeerDirectory } from '../peers.js';
import { ActiveRebuilds } from '../rebuild/active-rebuilds.js';
import { Rebuilds } from '../rebuild/rebuilds.js';
import { recoverCopies, ShallowCopies } from '../rebuild/shallow-copy.js';
import { SpdkDataPath } from '../backup/data-path-spdk.js';
import type { StagingSettings } from '../backup/staging-area.js';
import { BackupJobs, type BackupJobsSettings } from '../backup/jobs.js';
import { backupNodeCalls } from './backup-node-calls.js';
import { CONDUCTOR_VERSION } from '../../version.js';
import { CreateExposed } from '../replica/create-exposed.js';
import { Disks } from '../replica/disks.js';
import { Clones, type CloneRequest } from '../replica/clones.js';
import { Exports } from '../replica/exports.js';
import { ReplicaUsage } from '../replica/usage.js';
import type { HostSecrets } from './keys.js';
import { asOperation } from './kill-points.js';
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
import { recoverEngines } from '../engine/engine-recovery.js';
import { Engines, type EngineDeps } from '../engine/engines.js';
import { EngineStatus } from '../engine/engine-status.js';
import { releasePhantomRaids } from '../engine/phantom-raids.js';
import { StaleSuperblocks } from '../engine/stale-superblock.js';
import { VolumeSnapshots, type VolumeSnapshotCreate } from '../engine/volume-snapshots.js';
import { EngineReassembly } from '../engine/reassembly.js';
import { EngineExpansion } from '../engine/expand.js';
import { EngineSnapshotRevert, type RevertRequest } from '../engine/snapshot-revert.js';
import { EngineQos } from '../engine/qos.js';
import { SalvageProbe } from '../engine/salvage.js';
import type { TimeoutBudget } from '../engine/timeout-budget.js';
import { applyNvmeOptions } from '../engine/nvme-options.js';
import { checkName, engineRaidName } from './naming.js';
import { nqnProblem } from '../../validation/nqn.js';
import { BudgetMargins, observeNode, type NodeObservation } from './observation.js';
import { Reconciler, type ReconcileStatus } from './reconcile.js';
import { recover, type RecoveryReport } from './recovery.js';
import { adoptLeftCopies } from '../backup/left-copies.js';
import { Replicas } from '../replica/replicas.js';
import { Snapshots } from '../replica/snapshots.js';
import { NodeMonitor } from './node-monitor.js';
import { keyUserLive } from './key-users.js';
import { ReplicaExposure } from '../replica/exposure.js';
import { rebuildSalvaged } from '../rebuild/salvaged.js';
import { reactorMode } from '../health/reading-math.js';

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

/** How long an expansion waits for the raid to report the new size once its members grew (transcript 21: ms). */
const EXPANSION_SETTLE_MS = 10_000;

export interface NodeServiceOptions {
  monitorPeriodMs: number;
  resources: NodeResourcesLike;
  peers: PeerDirectory;
  maxConcurrentRebuilds: number;
  maxQueuedRebuilds: number;
  backupStaging: StagingSettings;
  backups: BackupJobsSettings;
}

export class NodeService implements NodeDomain, EngineDomain {
  private readonly disks: Disks;
  private readonly exportsOf: Exports;
  private readonly replicas: Replicas;
  private readonly exposure: ReplicaExposure;
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
  private state: Readiness = { ready: false, reason: 'recovering: reading spdk_tgt' };
  private readonly stop = new AbortController();
  private recovery: Promise<RecoveryReport | undefined> | undefined;
  private readonly monitor: NodeMonitor;
  private readonly margins = new BudgetMargins();

  constructor(
    private readonly ctx: DomainContext,
    private readonly budget: TimeoutBudget,
    private readonly deps: EngineDeps,
    private readonly options: NodeServiceOptions,
  ) {
    this.records = new EngineRecords(ctx.state, ctx.locks);
    const usage = new ReplicaUsage(ctx, this.records);
    this.disks = new Disks(ctx, usage);
    this.exportsOf = new Exports(ctx);
    this.replicas = new Replicas(ctx, this.exportsOf, usage);
    this.snapshots = new Snapshots(ctx, this.replicas, usage);
    this.clones = new Clones(ctx, this.replicas, this, options.peers);
    this.createExposed = new CreateExposed(ctx, this.replicas, this.exportsOf, this.disks);
    this.dataPath = new SpdkDataPath(ctx, this.replicas, options.backupStaging);
    const staleSuperblocks = new StaleSuperblocks(ctx, this.records, (replica, disk, callOptions) => this.dataPath.zeroFirstCluster(replica, disk, callOptions));
    this.exposure = new ReplicaExposure(ctx, this.replicas, this.exportsOf, usage, (replica, callOptions) => staleSuperblocks.clearBeforeExport(replica, callOptions));
    const activeRebuilds = new ActiveRebuilds();
    this.engineStatus = new EngineStatus(ctx, this.records, activeRebuilds, (spec) => deps.hostTimeouts(spec.timeouts));
    this.engines = new Engines(ctx, this.records, deps, this.engineStatus, new SalvageProbe(this, options.peers), staleSuperblocks);
    this.reassembly = new EngineReassembly(ctx, this.records, this.engines, this.engineStatus);
    this.qos = new EngineQos(ctx, this.records);
    this.expansion = new EngineExpansion(ctx, this.records, this.engineStatus, {
      localExpand: (name, sizeBytes, callOptions, force, checkOnly) => this.replicaExpand(name, sizeBytes, callOptions, force, checkOnly),
      peers: options.peers,
      settleTimeoutMs: EXPANSION_SETTLE_MS,
    });
    this.copies = new ShallowCopies(ctx, this.replicas, deps);
    this.backups = new BackupJobs({
      dataPath: this.dataPath,
      node: backupNodeCalls(this, this.records, () => this.volumeSnapshots),
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
      zeroFirstCluster: (replica, disk, callOptions) => this.dataPath.zeroFirstCluster(replica, disk, callOptions),
    });
    this.reconciler = new Reconciler(ctx, this.exportsOf, {
      restoreKeys: (callOptions) => this.ctx.keys.recover((user) => this.keyUserLive(user), callOptions),
      releaseReplicas: (callOptions) => releasePhantomRaids(this.ctx, this.records, callOptions),
      // Engines are re-assembled (members attached again, the record checked, the export made at its port).
      afterConverge: async (callOptions) => {
        // One read of the controllers per reconcile: the options check and the engine step share it.
        const controllers = await this.ctx.spdk.nvme.getControllers(undefined, callOptions);
        await applyNvmeOptions(this.ctx, this.budget, controllers);
        const problems = await this.reassembly.all(callOptions, controllers);
        // Rebuilds spdk_tgt started on re-assembly get their record; at start, recovery's own pass does it.
        if (this.state.ready) await this.rebuilds.adoptStarted(callOptions);
        // A raid spdk_tgt made again has no QoS limits; unfinished expansions go on in the background.
        await this.qos.reapply(this.records.all(), callOptions);
        void this.expansion.resumeAll();
        void this.reverts.resumeAll();
        await this.engineStatus.check(callOptions);
        // What backups and restores left in a spdk_tgt that went away (a restore's b.<replica>
        // comes back with the lvstore; their jobs failed with the connection) goes now, not at the
        // next start; what jobs under way use now is left to them. Logged, never fails the run.
        if (this.state.ready) {
          await this.dataPath
            .sweepOrphans(callOptions, { skipLive: true })
            .catch((error: unknown) => this.ctx.log.warn({ err: (error as Error).message }, 'backup leftovers not swept after reconcile; the next reconcile or start retries'));
        }
        return problems;
      },
    });
    this.monitor = new NodeMonitor(
      {
        ctx,
        reconciler: this.reconciler,
        engineStatus: this.engineStatus,
        rebuilds: this.rebuilds,
        records: this.records,
        replicas: this.replicas,
        resumeUnfinished: () => {
          void this.expansion.resumeAll(undefined, true);
          void this.reverts.resumeAll(undefined, true);
          void this.volumeSnapshots.recover(undefined, true).catch((err: unknown) => this.ctx.log.warn({ err: (err as Error).message }, 'volume snapshot leftovers not settled in this monitor pass'));
          void this.replicas.finishUnfinishedDeletes(true);
          void this.snapshots.finishUnfinishedReverts(true);
        },
      },
      options.monitorPeriodMs,
      this.stop.signal,
    );
  }

  /** This node as its peers see it. */
  readonly where = 'this node';
  /** A call to itself never leaves the process. */
  readonly confidential = true;

  /** Starts recovery in the background, retrying while spdk_tgt is unreachable. */
  start(): Promise<RecoveryReport | undefined> {
    this.recovery ??= pRetry(
      async () => {
        // First: copies a killed process left running hold their snapshots (backup/left-copies.ts).
        const leftCopies = await adoptLeftCopies(this.ctx, this.stop.signal, () =>
          this.dataPath.sweepOrphans(undefined, { skipLive: true }).catch((e: unknown) => this.ctx.log.warn({ err: (e as Error).message }, 'staging not swept after a left copy ended')),
        );
        const report = await recover(this.ctx, this.replicas, this.snapshots);
        // One read of the controllers serves the three steps that need them.
        const controllers = await this.ctx.spdk.nvme.getControllers();
        await applyNvmeOptions(this.ctx, this.budget, controllers);
        const engines = await recoverEngines(this.ctx, this.records, this.engines, controllers);
        const copies = await recoverCopies(this.ctx, controllers);
        // No stage or restore runs before ready: every staging file and bdev is a leftover.
        const staging = (await this.dataPath.sweepOrphans()).removed.length;
        const keys = await this.ctx.keys.recover((user) => keyUserLive(user, this.ctx, this.records));
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
        this.ctx.log.info({ ...report, leftCopies, engines, copies, staging, rebuilds: { ...rebuilds, spdkStarted }, keys: { ...keys, repointed } }, 'recovered from spdk_tgt; ready');
        this.monitor.schedule();
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

  async close(): Promise<void> {
    this.stop.abort();
    this.monitor.cancel();
    // First: a reconcile under way (also the one inside recovery) is aborted, not waited out.
    await this.reconciler.close();
    await this.recovery;
    await this.backups.close();
    await this.rebuilds.close();
    await this.options.resources.close();
    await this.ctx.state.flush();
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
      if (!existed) return rebuildSalvaged(this.ctx, this.records, this.rebuilds, info, options);
      if (info.state !== 'faulted') return info;
      this.ctx.log.info({ engine: info.name, reason: info.reason }, 'create of a faulted engine with the same spec: repairing it');
      const repaired = await this.reassembly.repair(info.name, options);
      const spec = this.records.get(info.name);
      if (spec) await this.qos.reapply([spec], options);
      return repaired.engine;
    });
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
      reactorMode: reactorMode(this.options.resources.snapshot()?.reactorModes ?? []),
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
    return this.run('replica-expose', () => this.exposure.expose(name, hostNqns, options, mode, secrets));
  }

  replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return this.run('replica-unexpose', () => this.exposure.unexpose(name, options));
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

  /** Whether a key user's keys are still needed: its record, or a restore or a copy under way (key-users.ts). */
  private keyUserLive(user: string): boolean {
    const restoring = (replica: string) => this.dataPath.isRestoring(replica);
    return keyUserLive(user, this.ctx, this.records, restoring, (copy) => this.copies.copying(copy));
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
