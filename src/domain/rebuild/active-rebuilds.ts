/**
 * The rebuilds queued or running on this node and the line they wait in. Rebuilds (rebuilds.ts)
 * fills and orders it; EngineStatus reads an engine's entries to show its members as rebuilding.
 * Both are given it at construction, so EngineStatus needs nothing of Rebuilds (which needs
 * EngineStatus).
 */
import type { Reservation } from '../health/admission.js';
import type { EngineReplicaSpec, RebuildInfo } from '../model.js';

export class Job {
  readonly abort = new AbortController();
  readonly samples: Array<{ at: number; bytes: number }> = [];
  done: Promise<void> = Promise.resolve();
  settle: () => void = () => undefined;
  reservation: Reservation | undefined;
  /** The engine itself is being deleted: its teardown removes the member. */
  engineDeleted = false;
  /** Restarted after dying in copying-snapshots: data already in the new head is ours (a partial copy). */
  resumedCopy = false;
  /** Bytes done before the member joined the raid: the raid's own progress counts on top of them. */
  raidBase: number | undefined;
  /** The last write of what the rebuild has done (one at a time, in order). */
  viewWrite: Promise<void> = Promise.resolve();
  /**
   * spdk_tgt started it (a member examine re-added): a failure takes the member out of the raid
   * but not out of the engine, which it was a member of before; a repair or reconcile adds it again.
   */
  startedBySpdk = false;
  /** finish() has begun: the job stays visible (RebuildGet) until it is filed as ended. */
  finishing = false;
  constructor(
    readonly info: RebuildInfo,
    readonly member: Readonly<EngineReplicaSpec>,
  ) {}
  get key(): string {
    return rebuildKey(this.info.engine, this.info.replica);
  }
}

/** Jobs by rebuildKey, and by engine: an engine's view asks for its own without a pass over every job. */
class JobTable extends Map<string, Job> {
  private readonly byEngine = new Map<string, Set<Job>>();

  override set(key: string, job: Job): this {
    this.drop(key);
    super.set(key, job);
    let own = this.byEngine.get(job.info.engine);
    if (!own) this.byEngine.set(job.info.engine, (own = new Set()));
    own.add(job);
    return this;
  }

  override delete(key: string): boolean {
    this.drop(key);
    return super.delete(key);
  }

  override clear(): void {
    this.byEngine.clear();
    super.clear();
  }

  of(engine: string): ReadonlySet<Job> | undefined {
    return this.byEngine.get(engine);
  }

  private drop(key: string): void {
    const job = super.get(key);
    const own = job && this.byEngine.get(job.info.engine);
    if (!own) return;
    own.delete(job);
    if (own.size === 0) this.byEngine.delete(job.info.engine);
  }
}

export class ActiveRebuilds {
  /** By rebuildKey. */
  readonly jobs: Map<string, Job> = new JobTable();
  /** Per engine, jobs waiting for a slot, in order. */
  readonly waiting = new Map<string, Job[]>();
  /** Jobs handed to the p-queue that have not started, in order: the front of the line. */
  readonly pending: Job[] = [];

  /** An engine's rebuilds, as of now, for EngineGet. */
  activeOf(engine: string): RebuildInfo[] {
    // Most engines have none: a monitor pass over 500 engines then costs no pass over every job each.
    const own = (this.jobs as JobTable).of(engine);
    if (!own) return [];
    this.refreshQueuePositions();
    return [...own].map((j) => snapshotOf(j.info));
  }

  refreshQueuePositions(): void {
    // Round robin: the k-th waiting job of each engine goes in round k.
    const lists = [...this.waiting.values()].map((l) => [...l]);
    let position = 0;
    for (const job of this.pending) job.info.queuePosition = ++position;
    for (let round = 0; lists.some((l) => l.length > round); round++) {
      for (const list of lists) if (list[round]) list[round]!.info.queuePosition = ++position;
    }
    for (const job of this.jobs.values()) if (job.info.state !== 'queued') job.info.queuePosition = 0;
  }
}

export function rebuildKey(engine: string, replica: string): string {
  return `${engine}/${replica}`;
}

/** A copy the caller may keep: the job goes on changing its own. */
export function snapshotOf(info: RebuildInfo): RebuildInfo {
  return { ...info, snapshots: info.snapshots.map((s) => ({ ...s })), raid: info.raid ? { ...info.raid } : undefined, throttle: { ...info.throttle } };
}
