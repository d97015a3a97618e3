/**
 * The calls of a filesystem backup target, bounded. Each runs on one of libuv's pool threads
 * (threadpool.ts), and on a hung NFS mount it sleeps there, uninterruptibly, until the server is
 * back: nothing can cancel it. So a target's calls run in a fixed number of lanes (half the pool),
 * and its caller stops waiting after a bound, with the reason: a call that has not returned by then
 * fails with BACKUP_TARGET_UNREACHABLE (not retried: a retry would only take another thread), as
 * does a call that waited that long for a lane. The lane stays held until the call returns, so a
 * hung target holds at most its lanes, and the state file, the staging files and everything else
 * keep the rest of the pool. What a call returns after its caller gave up (an open file) is handed
 * to `late`, which closes it.
 */
import { ConductorError } from '../errors.js';

interface Running {
  readonly what: string;
  readonly since: number;
}

interface Waiter {
  start(): void;
}

/**
 * Threads several sets of lanes draw on together (every path of the filesystem targets): a call
 * takes one of its own lanes and one of these, so calls hung on many paths (an operator trying one
 * path after another on a dead mount) still hold no more than `size` of the pool.
 */
export class SharedThreads {
  readonly running = new Set<Running>();
  private readonly sets = new Set<BlockingCalls>();

  constructor(
    readonly size: number,
    /** What the threads are for, as a refusal names them. */
    readonly description: string,
  ) {}

  get free(): boolean {
    return this.running.size < this.size;
  }

  join(set: BlockingCalls): void {
    this.sets.add(set);
  }

  /**
   * A thread came back: while threads are free, the sets start what waits one call each in turn,
   * and a set served goes to the back, so one path's queue cannot keep the threads from another's.
   */
  wake(): void {
    for (let started = true; started && this.free; ) {
      started = false;
      for (const set of [...this.sets]) {
        if (!this.free) return;
        if (!set.startOne()) continue;
        started = true;
        this.sets.delete(set);
        this.sets.add(set);
      }
    }
  }
}

export class BlockingCalls {
  private readonly running = new Set<Running>();
  private readonly waiting: Waiter[] = [];

  constructor(
    /** The target, as answers name it. */
    readonly description: string,
    readonly lanes: number,
    /** How long a caller waits for a lane, and then for its call, ms, unless its run says otherwise. */
    readonly timeoutMs: number,
    /** What a call that does not return most likely means, for the refusal's words. */
    private readonly unansweredBecause = 'the filesystem does not answer (a hung NFS mount?)',
    /** Threads shared with other sets of lanes, if any: a call needs one of these too. */
    private readonly shared?: SharedThreads,
  ) {
    shared?.join(this);
  }

  private canStart(): boolean {
    return this.running.size < this.lanes && (this.shared?.free ?? true);
  }

  /** Calls running now (returned or not). */
  get busy(): number {
    return this.running.size;
  }

  /**
   * Runs `call` in a lane. `timeoutMs` is this caller's bound (the lanes are shared, the bound is
   * the caller's). `late` gets the value of a call that returned after its caller stopped waiting
   * (a file handle to close); a late failure is dropped. A `patient` call (a close after a
   * failure, which nobody waits for) waits for a lane and for its answer without a bound.
   */
  run<T>(what: string, call: () => Promise<T>, options: { timeoutMs?: number; late?: (value: T) => unknown; patient?: boolean } = {}): Promise<T> {
    const { late, patient = false, timeoutMs = this.timeoutMs } = options;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const start = (): void => {
        const entry: Running = { what, since: Date.now() };
        this.running.add(entry);
        this.shared?.running.add(entry);
        const timer = patient
          ? undefined
          : setTimeout(() => {
              done = true;
              reject(this.unanswered(`${what} has not returned in ${seconds(Date.now() - entry.since)}`));
            }, timeoutMs);
        const settle = (): void => {
          clearTimeout(timer);
          this.running.delete(entry);
          // Shared threads: the thread goes to whichever set's turn it is, this one's included.
          if (this.shared?.running.delete(entry)) this.shared.wake();
          else this.startWaiting();
        };
        let pending: Promise<T>;
        try {
          pending = call();
        } catch (err) {
          pending = Promise.reject(err);
        }
        pending.then(
          (value) => {
            settle();
            if (!done) {
              done = true;
              resolve(value);
            } else if (late) void Promise.resolve(late(value)).catch(() => undefined);
          },
          (err: unknown) => {
            settle();
            if (!done) {
              done = true;
              reject(err);
            }
          },
        );
      };
      if (this.waiting.length === 0 && this.canStart()) {
        start();
        return;
      }
      let waited: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waited);
          start();
        },
      };
      this.waiting.push(waiter);
      if (patient) return;
      waited = setTimeout(() => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        done = true;
        const ownFull = this.running.size >= this.lanes;
        const because = ownFull || !this.shared ? `one of its ${this.lanes} calls at a time` : `one of the ${this.shared.size} threads for ${this.shared.description}`;
        reject(this.unanswered(`${what} waited ${seconds(timeoutMs)} for ${because}`, ownFull ? this.running : (this.shared?.running ?? this.running)));
      }, timeoutMs);
    });
  }

  /** Starts waiting calls while a lane (and a shared thread) is free. */
  private startWaiting(): void {
    while (this.startOne());
  }

  /** Starts the first waiting call if a lane (and a shared thread) is free; false when none started. */
  startOne(): boolean {
    if (this.waiting.length === 0 || !this.canStart()) return false;
    this.waiting.shift()!.start();
    return true;
  }

  /** `held`: the calls that hold what the caller waited for (its lanes, or the shared threads). */
  private unanswered(what: string, held: ReadonlySet<Running> = this.running): ConductorError {
    const now = Date.now();
    let oldest: Running | undefined;
    for (const entry of held) if (!oldest || entry.since < oldest.since) oldest = entry;
    const whose = held === this.running ? 'its calls' : `the calls for ${this.shared!.description}`;
    const heldText = oldest ? `; ${held.size} of ${whose} have not returned, the oldest (${oldest.what}) for ${seconds(now - oldest.since)}` : '';
    return new ConductorError(
      'BACKUP_TARGET_UNREACHABLE',
      `backup target ${this.description}: ${what}${heldText}: ${this.unansweredBecause}; its calls are not retried, and at most ${this.lanes} of them hold threads while it does not answer`,
      { target: this.description, stuckCalls: this.running.size },
    );
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
