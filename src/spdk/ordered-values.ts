/**
 * Answers handed on in the order spdk_tgt sent them, although a large one is parsed over several
 * turns of the loop (sliced-parse.ts): values that arrive meanwhile wait behind it. The per-object
 * ordering of calls relies on it: an answer read later is never delivered before an earlier one.
 * While nothing is being parsed, a value is delivered at once, in the turn that read it.
 */
export class OrderedValues {
  /** Values, or parses of them, waiting behind a parse in progress; the first is the oldest. */
  private readonly backlog: Array<{ value: unknown } | { parsing: Promise<unknown> }> = [];
  private draining = false;
  /** Bumped by reset(): a drain of an older generation delivers nothing more. */
  private generation = 0;

  constructor(
    private readonly deliver: (value: unknown) => void,
    private readonly malformed: (err: Error) => void,
  ) {}

  value(value: unknown): void {
    if (this.backlog.length === 0) this.deliver(value);
    else this.backlog.push({ value });
  }

  parsing(parsing: Promise<unknown>): void {
    // Handled here even when reset() drops it: a dropped parse's failure is nobody's.
    parsing.catch(() => undefined);
    this.backlog.push({ parsing });
    if (!this.draining) void this.drain();
  }

  /** Forgets what waits (its connection is gone: its callers were failed already). */
  reset(): void {
    this.backlog.length = 0;
    this.draining = false;
    this.generation++;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    const generation = this.generation;
    while (this.backlog.length > 0) {
      const next = this.backlog[0]!;
      let value: unknown;
      let failed: Error | undefined;
      if ('value' in next) value = next.value;
      else {
        try {
          value = await next.parsing;
        } catch (err) {
          failed = err as Error;
        }
        if (generation !== this.generation) return;
      }
      this.backlog.shift();
      if (failed) this.malformed(failed);
      else this.deliver(value);
    }
    this.draining = false;
  }
}
