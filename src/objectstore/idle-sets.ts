/**
 * Sets of block memory kept from one job for the next: a job takes an idle set or makes one and
 * gives it back when done; a set left idle for `idleMs` is let go (the GC frees it), so memory
 * held between jobs lasts only as long as jobs keep coming. The sweep's timer never keeps the
 * process alive.
 */
export class IdleSets<T> {
  private readonly idle: Array<{ set: T; since: number }> = [];
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {}

  /** An idle set, the one given back last, or a new one from `make`. */
  take(make: () => T): T {
    return this.idle.pop()?.set ?? make();
  }

  giveBack(set: T): void {
    this.idle.push({ set, since: Date.now() });
    this.armSweep();
  }

  private sweep(): void {
    this.sweeper = undefined;
    const now = Date.now();
    for (let i = this.idle.length - 1; i >= 0; i--) if (now - this.idle[i]!.since >= this.idleMs) this.idle.splice(i, 1);
    if (this.idle.length > 0) this.armSweep();
  }

  private armSweep(): void {
    this.sweeper ??= setTimeout(() => this.sweep(), this.idleMs);
    this.sweeper.unref();
  }
}
