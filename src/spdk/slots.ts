/**
 * The in-flight cap with a bounded FIFO of waiters. Measured on the client's hot path a generic
 * promise queue cost ~3 µs a call, more than the rest of the client together, so this gate takes
 * a free slot synchronously and only allocates for callers that must wait.
 */

export interface SlotWaiter {
  /** Gives up a place in line (deadline or abort): it will not be called. */
  cancel(): void;
}

/** Told, holding the slot, when its turn comes. */
export interface SlotGrantee {
  granted(): void;
}

export class Slots {
  private used = 0;
  private waiting: Array<{ grantee: SlotGrantee; cancelled: boolean }> = [];
  /** Index of the oldest entry in `waiting` (shift() is O(n) on long lines). */
  private head = 0;
  private waitingLive = 0;

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Callers waiting for a slot (cancelled ones excluded). */
  get queued(): number {
    return this.waitingLive;
  }

  tryAcquire(): boolean {
    if (this.used < this.max && this.waitingLive === 0) {
      this.used++;
      return true;
    }
    return false;
  }

  /**
   * Queues `grantee` to be granted a slot when one frees up. Returns undefined when the line is
   * full: the caller must fail at once rather than wait without bound.
   */
  wait(grantee: SlotGrantee): SlotWaiter | undefined {
    if (this.waitingLive >= this.maxWaiting) return undefined;
    const entry = { grantee, cancelled: false };
    this.waiting.push(entry);
    this.waitingLive++;
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.waitingLive--;
      },
    };
  }

  release(): void {
    for (;;) {
      const next = this.waiting[this.head];
      if (!next) {
        this.waiting = [];
        this.head = 0;
        this.used--;
        return;
      }
      this.waiting[this.head++] = undefined as never;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      if (next.cancelled) continue;
      // The slot passes straight to the next in line.
      this.waitingLive--;
      next.cancelled = true;
      next.grantee.granted();
      return;
    }
  }

  /** Drops every waiter without granting (client closing). */
  clear(): void {
    for (const entry of this.waiting) if (entry) entry.cancelled = true;
    this.waiting = [];
    this.head = 0;
    this.waitingLive = 0;
  }
}
