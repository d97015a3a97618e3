/**
 * Rebuilds: bringing a replica into an engine's raid1 with its data, its snapshots where both
 * nodes can, progress, a per-node cap with a fair queue, and clean failure on every path.
 *
 * A rebuild runs in phases, each short-locked on the engine only where it changes the engine:
 *   queued             waits for a slot: rebuild.maxConcurrent at once (1 while the health
 *                      throttle is engaged), engines served round robin so one engine adding many
 *                      replicas cannot starve the others;
 *   copying-snapshots  (the snapshot-preserving path, snapshot-path.ts) the source replica's node
 *                      shallow-copies each snapshot of the volume, oldest first, into the new
 *                      replica's head over NVMe/TCP, and the new replica's node snapshots it under
 *                      the same name: the same chain and the same thin allocation as the source;
 *   rebuilding         the head joins the raid and spdk_tgt's rebuild process fills it (the whole
 *                      range: spdk_tgt v26.05's raid1 has no partial rebuild), followed to its end.
 * The member is healthy only when spdk_tgt's process for it has ended with the member configured.
 * A failed or cancelled rebuild takes the member out of the raid and out of the engine (never a
 * member that looks healthy with partial data) and removes what it made for the rebuild; no
 * cleanup needs another node.
 */
import type { RaidBdev } from '../../spdk/methods/raid.js';
import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineStatus } from '../engine/engine-status.js';
import type { Engines } from '../engine/engines.js';
import { memberSlotNames } from '../engine/members.js';
import type { EngineInfo, EngineReplicaSpec, PageRequest, RebuildInfo, ThrottleInfo } from '../model.js';
import { pageItems } from '../node/sorted-names.js';
import { checkName, engineRaidName } from '../node/naming.js';
import type { PeerDirectory, PeerNode } from '../peers.js';
import { SnapshotPath, type Plan } from './snapshot-path.js';
import { publishRebuild } from './rebuild-diagnostics.js';
import type { EngineSpec, RebuildRecord, RebuildView } from '../node/state-file.js';
import { Job, rebuildKey, snapshotOf, type ActiveRebuilds } from './active-rebuilds.js';

/** How often a running raid rebuild is read; before its process shows, more often. */
const FOLLOW_MS = 100;
const FOLLOW_FIRST_MS = 20;
/** EngineWatch gets a progress event each time a rebuild passes another step of this many percent. */
const WATCH_STEP_PERCENT = 10;
/** Ended rebuilds are kept this long, at most FINISHED_MAX of them, for RebuildGet/List. */
const FINISHED_KEEP_MS = 3_600_000;
const FINISHED_MAX = 256;
/** The rate is computed over this much recent progress. */
const RATE_WINDOW_MS = 5_000;
/** Why a rebuild has the path it has when spdk_tgt, not this service, started it. */
export const SPDK_STARTED_REASON = 'started by spdk_tgt on re-assembly';

export interface RebuildDeps {
  /** The rebuilds this node works on, shared with EngineStatus (which only reads them). */
  active: ActiveRebuilds;
  peers: PeerDirectory;
  /** This node as a peer (its own replicas). */
  self: PeerNode;
  /** The health throttle's state, and its changes. */
  throttle(): ThrottleInfo;
  onThrottle(listener: (t: ThrottleInfo) => void): () => void;
  maxConcurrent: number;
  maxQueued: number;
  now?: () => number;
}

const ACTIVE: ReadonlySet<RebuildInfo['state']> = new Set(['queued', 'copying-snapshots', 'rebuilding']);

type RebuildsContext = Pick<DomainContext, 'spdk' | 'inventory' | 'admission' | 'log'>;

export class Rebuilds {
  /** The line of deps.active: its jobs, the jobs waiting per engine, and those handed to the p-queue. */
  private readonly jobs: Map<string, Job>;
  private readonly waiting: Map<string, Job[]>;
  private readonly pending: Job[];
  /** Engines whose head job is in the p-queue (one per engine: that makes the queue round robin). */
  private readonly scheduled = new Set<string>();
  private readonly queue: PQueue;
  private readonly finished: Job[] = [];
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private readonly snapshotPath: SnapshotPath;
  private closed = false;

  constructor(
    private readonly ctx: RebuildsContext,
    private readonly records: EngineRecords,
    private readonly engines: Engines,
    private readonly status: EngineStatus,
    private readonly deps: RebuildDeps,
  ) {
    this.jobs = deps.active.jobs;
    this.waiting = deps.active.waiting;
    this.pending = deps.active.pending;
    this.now = deps.now ?? Date.now;
    this.snapshotPath = new SnapshotPath(ctx, records, status, deps.peers, deps.self);
    this.queue = new PQueue({ concurrency: this.concurrencyFor(deps.throttle()) });
    this.unsubscribe = deps.onThrottle((t) => {
      this.queue.concurrency = this.concurrencyFor(t);
      for (const job of this.jobs.values()) job.info.throttle = { ...t };
    });
  }

  /**
   * EngineReplicaAdd: checks the request and the node's memory (RESOURCE_EXHAUSTED with numbers,
   * nothing changed), records the member as rebuilding, queues the rebuild and returns at once.
   * Idempotent: the same member again returns the engine with its rebuild as it is.
   */
  async add(name: string, replica: EngineReplicaSpec, options?: CallOptions): Promise<EngineInfo> {
    if (this.closed) throw new ConductorError('SERVICE_STOPPING', 'the service is stopping');
    const key = rebuildKey(name, replica.name);
    const job = await this.records.edit(name, async (edit) => {
      const { verdict, freeSlots } = await this.engines.checkJoin(name, replica, options);
      const running = this.jobs.get(key);
      if (running || verdict === 'member') return undefined;
      // Rebuilds of this engine that have not reached the raid yet will take free slots too.
      const waitingForSlots = [...this.jobs.values()].filter((j) => j.info.engine === name && j.info.state !== 'rebuilding').map((j) => j.info.replica);
      if (waitingForSlots.length >= freeSlots) {
        throw new ConductorError(
          'RAID_NO_FREE_SLOT',
          `engine ${name}'s raid has ${freeSlots} free slot${freeSlots === 1 ? '' : 's'}, taken by the rebuilds of ${waitingForSlots.join(', ')}; remove a member first`,
        );
      }
      const queued = [...this.waiting.values()].reduce((n, jobs) => n + jobs.length, 0);
      if (queued >= this.deps.maxQueued) throw new ConductorError('REBUILD_QUEUE_FULL', `${queued} rebuilds are already waiting on this node (rebuild.maxQueued); retry later`);
      // Refuse now, with the numbers, when the node cannot hold a rebuild at all; the job admits
      // again (and holds the memory) when it leaves the queue.
      (await this.ctx.admission.admit({ kind: 'rebuild', what: `rebuild of ${replica.name} into ${name}` }, options)).release();
      const createdAtMs = this.now();
      await edit.addMember(replica, createdAtMs);
      return this.enqueue(name, replica, createdAtMs);
    });
    if (job) {
      this.ctx.log.info({ engine: name, replica: replica.name, queuePosition: job.info.queuePosition }, 'rebuild queued');
      this.status.changed(name, 'modified', `replica ${replica.name} added; rebuild queued`);
    }
    return this.engines.get(name, options);
  }

  /** With `page`, in (engine, replica) order, named `engine/replica` (see rebuildPageName). */
  list(engine: string | undefined, page?: PageRequest): RebuildInfo[] {
    if (engine !== undefined) checkName('volume', engine);
    this.refreshQueuePositions();
    const all = [...this.jobs.values(), ...this.finished].filter((j) => engine === undefined || j.info.engine === engine);
    return (page ? pageItems(all, (j) => rebuildPageName(j.info), page) : all).map((j) => snapshotOf(j.info));
  }

  get(engine: string, replica: string): RebuildInfo {
    checkName('volume', engine);
    checkName('replica', replica);
    this.refreshQueuePositions();
    const job = this.jobs.get(rebuildKey(engine, replica)) ?? [...this.finished].reverse().find((j) => j.key === rebuildKey(engine, replica));
    if (!job) throw new ConductorError('REBUILD_NOT_FOUND', `no rebuild of ${replica} into engine ${engine} on this node`);
    return snapshotOf(job.info);
  }

  /** A member's rebuild state for the engine's member list, or undefined when none runs. */
  memberRebuild(engine: string, replica: string): RebuildInfo | undefined {
    return this.jobs.get(rebuildKey(engine, replica))?.info;
  }

  async cancel(engine: string, replica: string): Promise<RebuildInfo> {
    const job = this.jobs.get(rebuildKey(checkName('volume', engine), checkName('replica', replica)));
    if (!job) return this.get(engine, replica);
    this.ctx.log.info({ engine, replica, state: job.info.state }, 'rebuild cancel requested');
    job.abort.abort(new ConductorError('CANCELLED', 'cancelled by request'));
    if (!this.isRunning(job)) await this.finish(job, 'cancelled', 'cancelled while queued');
    await job.done;
    return snapshotOf(job.info);
  }

  /** Before an engine is deleted: every rebuild of it stops and cleans up first. */
  async cancelEngine(engine: string, why: string): Promise<void> {
    const jobs = [...this.jobs.values()].filter((j) => j.info.engine === engine);
    for (const job of jobs) {
      job.engineDeleted = true;
      job.abort.abort(new ConductorError('CANCELLED', why));
      if (!this.isRunning(job)) await this.finish(job, 'cancelled', why);
    }
    await Promise.all(jobs.map((j) => j.done));
  }

  /**
   * After a restart: a member that was in the raid with spdk_tgt's process still running is
   * re-adopted (followed to its end); one whose process ended while we were away is done if it
   * is configured; one that never reached the raid starts again from the queue (snapshots already
   * on the new replica are kept and skipped).
   */
  async recover(options?: CallOptions): Promise<{ adopted: string[]; requeued: string[]; finished: string[] }> {
    const adopted: string[] = [];
    const requeued: string[] = [];
    const finished: string[] = [];
    const raids = new Map((await this.ctx.spdk.raid.getBdevs('all', options)).map((r) => [r.name, r]));
    const inRaid = (record: RebuildRecord): number => (record.phase === 'rebuilding' ? 0 : 1);
    for (const spec of this.records.all()) {
      // Those spdk_tgt may still be rebuilding first: an engine's others queue behind them.
      const records = Object.entries(spec.rebuilding ?? {}).sort(([, a], [, b]) => inRaid(a) - inRaid(b));
      for (const [replicaName, record] of records) {
        const member = spec.replicas.find((r) => r.name === replicaName);
        const key = `${spec.name}/${replicaName}`;
        // Adopted already (a rebuild spdk_tgt started, found by a reconcile before this ran).
        if (this.jobs.has(key)) continue;
        if (!member) {
          await this.dropRecord(spec.name, replicaName);
          continue;
        }
        const raid = raids.get(engineRaidName(spec.name));
        // After examine a local member's slot (and the process on it) is listed under its lvol's uuid.
        const names = memberSlotNames(spec.name, member, this.ctx);
        const slot = raid?.base_bdevs_list.find((b) => b.name !== null && names.includes(b.name));
        if (record.phase === 'rebuilding' && raid?.process && names.includes(raid.process.target)) {
          const job = this.enqueue(spec.name, member, record.createdAtMs, 'adopt', record.view);
          job.info.reason = 'service restarted; following the raid rebuild spdk_tgt kept running';
          job.startedBySpdk = record.view?.pathReason === SPDK_STARTED_REASON;
          adopted.push(key);
        } else if (record.phase === 'rebuilding' && slot?.is_configured && !raid?.process) {
          await this.dropRecord(spec.name, replicaName);
          finished.push(key);
        } else {
          if (slot) await this.engines.leaveRaid(spec.name, member, options).catch(() => undefined);
          const job = this.enqueue(spec.name, member, record.createdAtMs);
          job.resumedCopy = record.phase === 'copying-snapshots';
          job.info.reason = `service restarted during ${record.phase}; started again`;
          requeued.push(key);
        }
      }
    }
    if (adopted.length + requeued.length + finished.length > 0) this.ctx.log.info({ adopted, requeued, finished }, 'rebuilds recovered');
    return { adopted, requeued, finished };
  }

  /**
   * Rebuilds spdk_tgt started by itself: examine re-added a member that a superblock raid had lost
   * (transcript 17) and raid1 rebuilds it without being asked. Each gets a record (path `raid`,
   * SPDK_STARTED_REASON) and is followed like any other, so its progress, percent and outcome are
   * reported and persisted. Members with a record or a job are the rebuilds' own already.
   * `raidsRead`: the raids as the caller's pass just listed them (the monitor's); listed here without.
   */
  async adoptStarted(options?: CallOptions, raidsRead?: ReadonlyMap<string, RaidBdev>): Promise<string[]> {
    if (this.closed) return [];
    const specs = this.records.all().filter((s) => !s.creating);
    if (specs.length === 0) return [];
    const raids = raidsRead ?? new Map((await this.ctx.spdk.raid.getBdevs('all', options)).map((r) => [r.name, r]));
    const adopted: string[] = [];
    for (const spec of specs) {
      const target = raids.get(engineRaidName(spec.name))?.process?.target;
      if (!target) continue;
      const member = spec.replicas.find((r) => memberSlotNames(spec.name, r, this.ctx).includes(target));
      if (!member || this.jobs.has(rebuildKey(spec.name, member.name)) || hasRebuild(spec, member.name)) continue;
      const createdAtMs = this.now();
      const view: RebuildView = { path: 'raid', pathReason: SPDK_STARTED_REASON, source: '', snapshots: [], raidBaseBytes: 0, bytesDone: 0, bytesTotal: spec.sizeBytes, percent: 0 };
      const recorded = await this.records.edit(spec.name, async (edit) => {
        const current = edit.current;
        if (!current?.replicas.some((r) => r.name === member.name) || hasRebuild(current, member.name) || this.jobs.has(rebuildKey(spec.name, member.name))) return false;
        await edit.recordRebuild(member.name, { createdAtMs, phase: 'rebuilding', view });
        return true;
      });
      if (!recorded) continue;
      const job = this.enqueue(spec.name, member, createdAtMs, 'spdk-started', view);
      job.info.reason = `${SPDK_STARTED_REASON}; following it`;
      job.startedBySpdk = true;
      adopted.push(rebuildKey(spec.name, member.name));
      this.ctx.log.info({ engine: spec.name, replica: member.name, target }, 'rebuild started by spdk_tgt adopted: recorded and followed');
      this.status.changed(spec.name, 'modified', `replica ${member.name} rebuilding (${SPDK_STARTED_REASON})`);
    }
    return adopted;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.queue.clear();
    // Running rebuilds are left to spdk_tgt and queued ones to the next start: the state file
    // lets it re-adopt or restart them.
    const jobs = [...this.jobs.values()];
    for (const job of jobs) {
      job.abort.abort(new ConductorError('SERVICE_STOPPING', 'the service is stopping'));
      if (!this.isRunning(job)) {
        this.jobs.delete(job.key);
        job.settle();
      }
    }
    await Promise.all(jobs.map((j) => j.done));
  }

  private concurrencyFor(t: ThrottleInfo): number {
    return t.engaged ? 1 : this.deps.maxConcurrent;
  }

  private isRunning(job: Job): boolean {
    return job.info.startedAtMs > 0;
  }

  private enqueue(engine: string, member: Readonly<EngineReplicaSpec>, createdAtMs: number, mode: 'fresh' | 'adopt' | 'spdk-started' = 'fresh', view?: Readonly<RebuildView>): Job {
    const info: RebuildInfo = {
      engine,
      replica: member.name,
      state: 'queued',
      reason: 'waiting for a rebuild slot',
      path: undefined,
      pathReason: '',
      sourceReplica: '',
      percent: 0,
      bytesDone: 0,
      bytesTotal: 0,
      rateBytesPerSec: 0,
      etaSec: -1,
      queuePosition: 0,
      snapshots: [],
      raid: undefined,
      throttle: this.deps.throttle(),
      createdAtMs,
      startedAtMs: 0,
      processStartedAtMs: 0,
      finishedAtMs: 0,
    };
    const job = new Job(info, member);
    job.done = new Promise((resolve) => (job.settle = resolve));
    this.jobs.set(job.key, job);
    // Before it is handed to the queue, which may start it at once.
    publishRebuild('queued', info, this.now());
    if (mode !== 'fresh') {
      // spdk_tgt is already running it: it takes a slot at once, ahead of the queue, and the
      // engine's other rebuilds wait for it (spdk_tgt runs one raid process at a time).
      // What it did before the restart, as recorded; the raid's own progress continues from there.
      info.path = view?.path ?? 'raid';
      info.pathReason = mode === 'spdk-started' ? SPDK_STARTED_REASON : view ? `${view.pathReason} (re-adopted after a restart)` : 're-adopted after a restart';
      info.sourceReplica = view?.source ?? '';
      info.snapshots = view?.snapshots.map((s) => ({ ...s })) ?? [];
      info.bytesTotal = view?.bytesTotal || this.sizeOf(engine);
      info.bytesDone = view?.bytesDone ?? 0;
      info.percent = view?.percent ?? 0;
      job.raidBase = view?.raidBaseBytes ?? 0;
      this.scheduled.add(engine);
      void this.queue.add(
        async () => {
          try {
            await this.run(job, true);
          } finally {
            this.scheduled.delete(engine);
            this.schedule(engine);
          }
        },
        { priority: 1 },
      );
    } else {
      const list = this.waiting.get(engine) ?? [];
      list.push(job);
      this.waiting.set(engine, list);
      this.schedule(engine);
    }
    this.refreshQueuePositions();
    return job;
  }

  /** Puts an engine's next job into the queue unless one of its jobs is already there. */
  private schedule(engine: string): void {
    if (this.scheduled.has(engine) || this.closed) return;
    const list = this.waiting.get(engine);
    const job = list?.shift();
    if (!job) return;
    if (list!.length === 0) this.waiting.delete(engine);
    this.scheduled.add(engine);
    this.pending.push(job);
    void this.queue.add(async () => {
      this.pending.splice(this.pending.indexOf(job), 1);
      try {
        if (this.jobs.get(job.key) === job && !job.abort.signal.aborted) await this.run(job, false);
      } finally {
        this.scheduled.delete(engine);
        this.schedule(engine);
      }
    });
  }

  private refreshQueuePositions(): void {
    this.deps.active.refreshQueuePositions();
  }

  private async run(job: Job, adopted: boolean): Promise<void> {
    const { info } = job;
    const signal = job.abort.signal;
    info.startedAtMs = this.now();
    info.queuePosition = 0;
    publishRebuild('started', info, info.startedAtMs);
    let plan: Plan | undefined;
    try {
      job.reservation = await this.ctx.admission.admit({ kind: 'rebuild', what: `rebuild of ${info.replica} into ${info.engine}` }, { signal });
      if (!adopted) {
        plan = await this.snapshotPath.plan(job);
        info.path = plan.path;
        info.pathReason = plan.reason;
        this.ctx.log.info({ engine: info.engine, replica: info.replica, path: plan.path, why: plan.reason, source: info.sourceReplica }, 'rebuild path chosen');
        publishRebuild('path-chosen', info, this.now());
        this.recordView(job);
        if (plan.path === 'snapshot-preserving') {
          try {
            await this.snapshotPath.copy(job, plan, {
              enteredCopy: () => this.setPhase(info.engine, info.replica, 'copying-snapshots'),
              progress: (bytes) => this.progress(job, bytes),
              volumeBytes: this.sizeOf(info.engine),
            });
          } catch (error) {
            if (signal.aborted) throw error;
            info.path = 'raid';
            info.pathReason = `snapshot copy failed (${(error as Error).message}); fell back to the raid rebuild`;
            this.ctx.log.warn({ engine: info.engine, replica: info.replica, err: (error as Error).message }, 'snapshot copy failed; falling back to the raid rebuild');
            publishRebuild('path-chosen', info, this.now());
            this.recordView(job);
          }
        }
        await this.join(job);
      }
      await this.follow(job);
      const drift = info.path === 'snapshot-preserving' && plan ? await this.snapshotPath.drift(job, plan) : undefined;
      await this.finish(job, 'done', `the member is in the raid with all its data${drift ? `; but ${drift}` : ''}`);
    } catch (error) {
      const reason = signal.aborted ? String((signal.reason as Error)?.message ?? signal.reason) : (error as Error).message;
      const stopping = signal.aborted && (signal.reason as ConductorError)?.code === 'SERVICE_STOPPING';
      if (stopping) {
        this.ctx.log.info({ engine: info.engine, replica: info.replica, state: info.state }, 'rebuild left to spdk_tgt: the service is stopping');
        job.reservation?.release();
        this.jobs.delete(job.key);
        job.settle();
        return;
      }
      await this.finish(job, signal.aborted ? 'cancelled' : 'failed', reason);
    }
  }

  private async join(job: Job): Promise<void> {
    const { info, member } = job;
    await this.records.edit(info.engine, async (edit) => {
      job.abort.signal.throwIfAborted();
      const spec = edit.current;
      if (!spec) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${info.engine} was deleted`);
      await this.engines.joinRaid(spec, member);
      // Inside the engine's lock: an add counting free slots sees this one taken.
      info.state = 'rebuilding';
      if (info.bytesTotal === 0) info.bytesTotal = this.sizeOf(info.engine);
      job.raidBase = info.bytesDone;
      await edit.setRebuildPhase(info.replica, 'rebuilding');
      await edit.setRebuildView(info.replica, viewOf(job));
    });
    info.reason = 'in the raid; waiting for spdk_tgt to start its rebuild process';
    this.status.changed(info.engine, 'modified', `replica ${info.replica} joined the raid; rebuilding`);
  }

  /** Follows spdk_tgt's process until it ends; fails when the member leaves the raid. */
  private async follow(job: Job): Promise<void> {
    const { info, member } = job;
    const signal = job.abort.signal;
    info.state = 'rebuilding';
    const raidName = engineRaidName(info.engine);
    const names = memberSlotNames(info.engine, member, this.ctx);
    const bdev = names[0]!;
    const base = job.raidBase ?? info.bytesDone;
    const size = this.sizeOf(info.engine);
    for (;;) {
      signal.throwIfAborted();
      const started = performance.now();
      // By name: every raid (~240 KB of JSON at 500 engines) each poll of each rebuild held the main loop.
      const raid = await this.status.raidByName(raidName, { signal });
      if (!raid) throw new ConductorError('ENGINE_BROKEN', `raid ${raidName} is gone`);
      const slot = raid.base_bdevs_list.find((b) => b.name !== null && names.includes(b.name));
      const process = raid.process && names.includes(raid.process.target) ? raid.process : undefined;
      if (process) {
        if (info.processStartedAtMs === 0) {
          info.processStartedAtMs = this.now();
          this.ctx.log.info({ engine: info.engine, replica: info.replica, afterMs: info.processStartedAtMs - info.createdAtMs }, 'raid rebuild process started');
          publishRebuild('process-started', info, info.processStartedAtMs);
        }
        const total = raid.base_bdevs_list[0]?.data_size ?? 0;
        info.raid = { member: process.target, percent: process.progress.percent, blocks: process.progress.blocks };
        info.reason = `spdk_tgt is rebuilding ${process.target}: ${process.progress.percent}%`;
        const done = total > 0 ? (process.progress.blocks / total) * size : (process.progress.percent / 100) * size;
        this.progress(job, base + done);
      } else if (slot?.is_configured && (info.processStartedAtMs > 0 || !raid.process)) {
        if (info.processStartedAtMs === 0) info.processStartedAtMs = this.now();
        info.raid = { member: slot.name ?? bdev, percent: 100, blocks: raid.base_bdevs_list[0]?.data_size ?? 0 };
        this.progress(job, base + size);
        return;
      } else if (!slot) {
        throw new ConductorError(
          'REPLICA_UNREACHABLE',
          `${bdev} left the raid during the rebuild (${info.raid ? `at ${info.raid.percent}%` : 'before its process started'}): the new replica or the last source was lost`,
        );
      } else if (raid.process && !names.includes(raid.process.target)) {
        info.reason = `waiting: spdk_tgt is rebuilding another member (${raid.process.target}) first`;
      }
      // Fast until spdk_tgt's process shows (its start latency is a figure we report), then calm.
      const period = info.processStartedAtMs === 0 ? FOLLOW_FIRST_MS : FOLLOW_MS;
      await sleep(Math.max(0, period - (performance.now() - started)), undefined, { signal });
    }
  }

  private progress(job: Job, bytesDone: number): void {
    const { info } = job;
    const at = this.now();
    info.bytesDone = Math.max(info.bytesDone, Math.round(bytesDone));
    job.samples.push({ at, bytes: info.bytesDone });
    while (job.samples.length > 2 && job.samples[0]!.at < at - RATE_WINDOW_MS) job.samples.shift();
    const first = job.samples[0]!;
    const seconds = (at - first.at) / 1000;
    info.rateBytesPerSec = seconds > 0.2 ? (info.bytesDone - first.bytes) / seconds : info.rateBytesPerSec;
    const before = info.percent;
    info.percent = info.bytesTotal > 0 ? Math.min(100, Math.floor((info.bytesDone * 100) / info.bytesTotal)) : 0;
    if (Math.floor(info.percent / WATCH_STEP_PERCENT) > Math.floor(before / WATCH_STEP_PERCENT) && info.percent < 100) {
      this.status.changed(info.engine, 'modified', `rebuild of ${info.replica}: ${info.percent}%`);
      publishRebuild('progress', info, at);
      this.recordView(job);
    }
    info.etaSec = info.rateBytesPerSec > 0 ? Math.ceil((info.bytesTotal - info.bytesDone) / info.rateBytesPerSec) : -1;
  }

  /**
   * Ends a rebuild. Done: the record is dropped and the member stays. Failed or cancelled: the
   * member leaves the raid and the engine (unless the engine itself is being deleted: its teardown
   * removes everything).
   */
  private async finish(job: Job, state: 'done' | 'failed' | 'cancelled', reason: string): Promise<void> {
    const { info, member } = job;
    if (job.finishing || !ACTIVE.has(info.state) || this.jobs.get(job.key) !== job) return;
    job.finishing = true;
    const list = this.waiting.get(info.engine);
    if (list) {
      const rest = list.filter((j) => j !== job);
      if (rest.length) this.waiting.set(info.engine, rest);
      else this.waiting.delete(info.engine);
    }
    try {
      if (state === 'done') {
        await this.dropRecord(info.engine, info.replica);
      } else if (!job.engineDeleted) {
        await this.records.edit(info.engine, async (edit) => {
          if (!edit.current) return;
          await this.engines.leaveRaid(info.engine, member);
          if (job.startedBySpdk) return edit.dropRebuild(member.name);
          await edit.removeMember(member.name);
          await this.engines.releaseMemberKeys(info.engine, member.name);
        });
      }
    } catch (error) {
      reason = `${reason}; cleanup: ${(error as Error).message}; remove the member with EngineReplicaRemove`;
      this.ctx.log.error({ engine: info.engine, replica: info.replica, err: (error as Error).message }, 'rebuild cleanup did not finish; the member stays in the engine, shown as not healthy');
      // The rebuild is over whatever the cleanup did: a restart must not start it again.
      await this.dropRecord(info.engine, info.replica).catch(() => undefined);
    } finally {
      job.reservation?.release();
      info.state = state;
      info.reason = reason;
      info.finishedAtMs = this.now();
      info.queuePosition = 0;
      info.etaSec = state === 'done' ? 0 : -1;
      if (state === 'done') info.percent = 100;
      // Filed as ended and dropped from the running set in one step: never a moment without it.
      this.finished.push(job);
      this.jobs.delete(job.key);
      while (this.finished.length > FINISHED_MAX || (this.finished[0] && this.finished[0].info.finishedAtMs < this.now() - FINISHED_KEEP_MS)) this.finished.shift();
      const log = state === 'done' ? this.ctx.log.info.bind(this.ctx.log) : this.ctx.log.warn.bind(this.ctx.log);
      log({ engine: info.engine, replica: info.replica, state, reason, path: info.path, ms: info.finishedAtMs - info.createdAtMs }, `rebuild ${state}`);
      publishRebuild('ended', info, info.finishedAtMs);
      if (this.records.get(info.engine)) this.status.changed(info.engine, 'modified', `rebuild of ${info.replica} ${state}: ${reason}`);
      job.settle();
    }
  }

  private setPhase(engine: string, replica: string, phase: RebuildRecord['phase']): Promise<void> {
    return this.records.edit(engine, (edit) => edit.setRebuildPhase(replica, phase));
  }

  /**
   * Records what the rebuild has done (path, source, snapshots, bytes) at each step, so a service
   * restarted mid-rebuild re-adopts it with its history. Writes go one after another; one that
   * fails is logged and the next step writes again (the rebuild goes on either way).
   */
  private recordView(job: Job): void {
    const { info } = job;
    job.viewWrite = job.viewWrite
      .then(() => this.records.edit(info.engine, (edit) => edit.setRebuildView(info.replica, viewOf(job))))
      .catch((error: unknown) => this.ctx.log.warn({ engine: info.engine, replica: info.replica, err: (error as Error).message }, 'rebuild progress not recorded; the next step tries again'));
  }

  private dropRecord(engine: string, replica: string): Promise<void> {
    return this.records.edit(engine, (edit) => edit.dropRebuild(replica));
  }

  private sizeOf(engine: string): number {
    return this.records.get(engine)?.sizeBytes ?? 0;
  }
}

/**
 * A rebuild's place in RebuildList's pages: neither name can hold a slash, and the start time
 * tells apart the finished rebuilds of one member kept beside its running one.
 */
export function rebuildPageName(rebuild: { engine: string; replica: string; createdAtMs: number }): string {
  return `${rebuild.engine}/${rebuild.replica}/${String(rebuild.createdAtMs).padStart(16, '0')}`;
}

function viewOf(job: Job): RebuildView {
  const { info } = job;
  return {
    path: info.path ?? 'raid',
    pathReason: info.pathReason,
    source: info.sourceReplica,
    snapshots: info.snapshots.map((s) => ({ ...s })),
    raidBaseBytes: job.raidBase ?? 0,
    bytesDone: info.bytesDone,
    bytesTotal: info.bytesTotal,
    percent: info.percent,
  };
}

/** Member names are the caller's: `constructor` is one like any other. */
function hasRebuild(spec: EngineSpec, replica: string): boolean {
  return spec.rebuilding !== undefined && Object.hasOwn(spec.rebuilding, replica);
}
