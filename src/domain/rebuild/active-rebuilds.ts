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

export class ActiveRebuilds {
  /** By rebuildKey. */
  readonly jobs = new Map<string, Job>();
  /** Per engine, jobs waiting for a slot, in order. */
  readonly waiting = new Map<string, Job[]>();
  /** Jobs handed to the p-queue that have not started, in order: the front of the line. */
  readonly pending: Job[] = [];

  /** An engine's rebuilds, as of now, for EngineGet. */
  activeOf(engine: string): RebuildInfo[] {
    this.refreshQueuePositions();
    return [...this.jobs.values()].filter((j) => j.info.engine === engine).map((j) => snapshotOf(j.info));
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
