/**
 * When recorded work a failed step left unfinished is tried again by the node itself: an
 * engine's expansion or revert, a volume snapshot's create or delete, a replica's delete or
 * revert. The record holds the intent and the volume may be down until it is finished, so a
 * failure that passes (a port held for a moment, a peer restarting, spdk_tgt busy) must not wait
 * for an operator or a restart: the engine monitor tries it at its next pass once it is due. A
 * failure that does not pass (a source no longer a member) is not tried in a tight loop: the wait
 * doubles from `firstDelayMs` up to `maxDelayMs`, and each try logs its reason.
 */
import type { Logger } from 'pino';

/** Per object (an engine, a replica, `engine/snapshot`): how many tries failed in a row, and when the next one is due. */
export class ResumePacing {
  private readonly failures = new Map<string, { count: number; nextAtMs: number }>();

  constructor(
    private readonly firstDelayMs = 2_000,
    private readonly maxDelayMs = 120_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `name` never failed, or its wait is over. */
  due(name: string): boolean {
    const failure = this.failures.get(name);
    return failure === undefined || this.now() >= failure.nextAtMs;
  }

  /** A try failed: returns the wait (ms) before the next one. */
  failed(name: string): number {
    const count = (this.failures.get(name)?.count ?? 0) + 1;
    const delay = Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** Math.min(count - 1, 30));
    this.failures.set(name, { count, nextAtMs: this.now() + delay });
    return delay;
  }

  /** The operation ended (done, or no longer recorded): the next failure starts from the first wait. */
  clear(name: string): void {
    this.failures.delete(name);
  }

  /** Forgets every object not in `unfinished`, so the map holds only what is still recorded. */
  retain(unfinished: ReadonlySet<string>): void {
    for (const name of this.failures.keys()) if (!unfinished.has(name)) this.failures.delete(name);
  }
}

/** An unfinished operation of one engine or replica, and what its log lines say about it. */
export interface Unfinished {
  name: string;
  detail: Record<string, unknown>;
}

/** Whose operations a resumeEach runs, as its log lines name them. */
export interface ResumeSubject {
  /** The object's kind, also the log field holding its name. */
  kind: 'engine' | 'replica';
  /** The operation: expansion, revert, delete. */
  what: string;
  /** What else finishes it (the call again): the end of a failure's log line. */
  orOperator: string;
}

/**
 * Resumes each of `unfinished` in turn (none of them running now); `paced` (the monitor's pass):
 * only those whose wait is over. `resume` may find nothing left to do (a call finished it
 * meanwhile). Never throws: a failure is logged with its reason and when it is tried again.
 */
export async function resumeEach(
  log: Logger,
  pacing: ResumePacing,
  subject: ResumeSubject,
  unfinished: readonly Unfinished[],
  paced: boolean,
  resume: (name: string) => Promise<unknown>,
): Promise<void> {
  const { kind, what, orOperator } = subject;
  pacing.retain(new Set(unfinished.map((u) => u.name)));
  for (const { name, detail } of unfinished) {
    if (paced && !pacing.due(name)) continue;
    log.info({ [kind]: name, ...detail }, `resuming an unfinished ${kind} ${what}`);
    try {
      await resume(name);
      pacing.clear(name);
    } catch (err) {
      const retryInMs = pacing.failed(name);
      log.warn({ [kind]: name, err: (err as Error).message, retryInMs }, `unfinished ${kind} ${what} not completed; the engine monitor tries it again by itself, or ${orOperator}`);
    }
  }
}
