/**
 * The engine monitor: one pass every period, never two at once; a failed pass is logged and the
 * next one runs. A pass checks spdk_tgt against the records (reconcile), reads the engines, adopts
 * rebuilds spdk_tgt started, records members out, refreshes some replicas' allocation and starts
 * again the unfinished expansions, reverts, volume snapshot creates or deletes and replica deletes
 * or reverts whose wait is over (resume-pacing.ts); the last four wait while a reconcile blocks.
 */
import type { DomainContext } from './context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineStatus } from '../engine/engine-status.js';
import { recordMembersOut } from '../engine/members-out.js';
import type { Rebuilds } from '../rebuild/rebuilds.js';
import type { Replicas } from '../replica/replicas.js';
import type { Reconciler } from './reconcile.js';

/** Replica heads whose allocation a monitor pass reads again (host writes change it unseen). */
const ALLOCATION_REFRESH_PER_PASS = 128;

export interface MonitorParts {
  ctx: Pick<DomainContext, 'inventory' | 'log'>;
  reconciler: Pick<Reconciler, 'check' | 'blocking'>;
  engineStatus: Pick<EngineStatus, 'check' | 'raidsAsLastRead'>;
  rebuilds: Pick<Rebuilds, 'adoptStarted'>;
  records: EngineRecords;
  replicas: Pick<Replicas, 'refreshAllocation'>;
  /** Starts the unfinished expansions, reverts, volume snapshot leftovers and replica deletes or reverts whose wait is over, in the background; never throws. */
  resumeUnfinished(): void;
}

export class NodeMonitor {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly parts: MonitorParts,
    private readonly periodMs: number,
    /** The node's stop: no pass is scheduled once it is aborted. */
    private readonly stop: AbortSignal,
  ) {}

  /** The next pass, one period from now. */
  schedule(): void {
    if (this.stop.aborted) return;
    const { ctx, reconciler, engineStatus, rebuilds, records, replicas, resumeUnfinished } = this.parts;
    this.timer = setTimeout(() => {
      reconciler
        .check()
        .then(() => engineStatus.check())
        // A member a superblock raid re-added by itself (a remote replica back) is rebuilding without a record.
        .then(() => (reconciler.blocking() === undefined ? rebuilds.adoptStarted(undefined, engineStatus.raidsAsLastRead()) : undefined))
        // After the adoption: a member spdk_tgt is rebuilding is not out.
        .then(() => (reconciler.blocking() === undefined ? recordMembersOut(ctx, records, engineStatus.raidsAsLastRead()) : undefined))
        .then(() => (reconciler.blocking() === undefined ? replicas.refreshAllocation(ALLOCATION_REFRESH_PER_PASS) : undefined))
        // Not awaited: a revert or expansion may take longer than a period; one per engine runs at a time.
        .then(() => (reconciler.blocking() === undefined ? resumeUnfinished() : undefined))
        .catch((err: unknown) => ctx.log.warn({ err: (err as Error).message }, 'engine monitor pass failed'))
        .finally(() => this.schedule());
    }, this.periodMs);
    this.timer.unref();
  }

  /** The pass scheduled next does not run (one under way ends by itself). */
  cancel(): void {
    clearTimeout(this.timer);
  }
}
