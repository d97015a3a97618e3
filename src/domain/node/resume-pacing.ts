/**
 * When an engine's unfinished operation (an expansion, a revert) whose last try failed is tried
 * again by itself. The record holds the intent and the volume may be down until it is finished,
 * so a failure that passes (a port held for a moment, a peer restarting, spdk_tgt busy) must not
 * wait for an operator: the engine monitor resumes it at its next pass once it is due. A failure
 * that does not pass (a source no longer a member) is not tried in a tight loop: the wait doubles
 * from `firstDelayMs` up to `maxDelayMs`, and each try logs its reason.
 */
import type { Logger } from 'pino';

/** Per engine: how many tries failed in a row, and when the next one is due. */
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

  /** Forgets every engine not in `unfinished`, so the map holds only what is still recorded. */
  retain(unfinished: ReadonlySet<string>): void {
    for (const name of this.failures.keys()) if (!unfinished.has(name)) this.failures.delete(name);
  }
}

/** An unfinished operation of one engine, and what its log lines say about it. */
export interface Unfinished {
  engine: string;
  detail: Record<string, unknown>;
}

/**
 * Resumes each of `unfinished` in turn (none of them running now); `paced` (the monitor's pass):
 * only those whose wait is over. Never throws: a failure is logged with its reason and when it
 * is tried again.
 */
export async function resumeEach(
  log: Logger,
  pacing: ResumePacing,
  what: string,
  unfinished: readonly Unfinished[],
  paced: boolean,
  resume: (engine: string) => Promise<unknown>,
  orOperator: string,
): Promise<void> {
  pacing.retain(new Set(unfinished.map((u) => u.engine)));
  for (const { engine, detail } of unfinished) {
    if (paced && !pacing.due(engine)) continue;
    log.info({ engine, ...detail }, `resuming an unfinished engine ${what}`);
    try {
      await resume(engine);
      pacing.clear(engine);
    } catch (err) {
      const retryInMs = pacing.failed(engine);
      log.warn({ engine, err: (err as Error).message, retryInMs }, `unfinished engine ${what} not completed; the engine monitor tries it again by itself, or ${orOperator}`);
    }
  }
}
