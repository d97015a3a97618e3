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
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineStatus } from '../engine/engine-status.js';
import type { Engines } from '../engine/engines.js';
import type { EngineInfo, EngineReplicaSpec, PageRequest, RebuildInfo, ThrottleInfo } from '../model.js';
import { pageItems } from '../node/sorted-names.js';
import { checkName } from '../node/naming.js';
import type { PeerDirectory, PeerNode } from '../peers.js';
import { SnapshotPath, type Plan } from './snapshot-path.js';
import { publishRebuild } from './rebuild-diagnostics.js';
import type { RebuildRecord, RebuildView } from '../node/state-file.js';
import { Job, rebuildKey, snapshotOf, type ActiveRebuilds } from './active-rebuilds.js';
import { followRaidRebuild } from './raid-follow.js';
import { adoptSpdkStarted, recoverRebuilds, SPDK_STARTED_REASON, type RebuildLine } from './rebuild-restart.js';

/** EngineWatch gets a progress event each time a rebuild passes another step of this many percent. */
const WATCH_STEP_PERCENT = 10;
/** Ended rebuilds are kept this long, at most FINISHED_MAX of them, for RebuildGet/List. */
const FINISHED_KEEP_MS = 3_600_000;
const FINISHED_MAX = 256;
/** The rate is computed over this much recent progress. */
const RATE_WINDOW_MS = 5_000;

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
  /** The line as the rebuilds found after a restart join it. */
  private readonly line: RebuildLine;
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
    this.line = {
      has: (key) => this.jobs.has(key),
      enqueue: (engine, member, createdAtMs, mode, view) => this.enqueue(engine, member, createdAtMs, mode, view),
      dropRecord: (engine, replica) => this.dropRecord(engine, replica),
      now: this.now,
    };
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

  /** After a restart: each recorded rebuild re-adopted, ended or started again (rebuild-restart.ts). */
  recover(options?: CallOptions): Promise<{ adopted: string[]; requeued: string[]; finished: string[] }> {
    return recoverRebuilds(this.ctx, this.records, this.engines, this.line, options);
  }

  /** Rebuilds spdk_tgt started by itself, recorded and followed (rebuild-restart.ts). */
  async adoptStarted(options?: CallOptions, raidsRead?: ReadonlyMap<string, RaidBdev>): Promise<string[]> {
    if (this.closed) return [];
    return adoptSpdkStarted(this.ctx, this.records, this.status, this.line, options, raidsRead);
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
      await followRaidRebuild(job, { ctx: this.ctx, status: this.status, now: this.now, sizeBytes: this.sizeOf(info.engine), progress: (bytes) => this.progress(job, bytes) });
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
