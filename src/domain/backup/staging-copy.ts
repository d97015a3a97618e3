/**
 * A shallow copy into a staging file, followed while it runs so that the file can be read behind
 * it: spdk_tgt's copy count (bdev_lvol_check_shallow_copy's copied_clusters) as it moves, the
 * copy's end, or its failure. The stage's copy loop reports; the image's reader waits on it.
 */
import { ConductorError } from '../../errors.js';

export interface CopyState {
  /** Clusters whose write into the staging file is done. */
  readonly copied: number;
  /** The copy is done: the whole file is final. */
  readonly complete: boolean;
}

export class StagingCopy {
  private state: CopyState = { copied: 0, complete: false };
  private failure: unknown;
  private readonly waiters = new Set<() => void>();

  progress(copied: number): void {
    if (copied === this.state.copied || this.state.complete) return;
    this.state = { copied, complete: false };
    this.wake();
  }

  complete(copied: number): void {
    this.state = { copied, complete: true };
    this.wake();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.wake();
  }

  /** The state once it differs from `seen` (a count, or the end); throws the copy's failure, or CANCELLED on the signal. */
  async next(seen: CopyState | undefined, signal?: AbortSignal): Promise<CopyState> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (signal?.aborted) throw new ConductorError('CANCELLED', 'reading a staged image was cancelled');
      if (seen === undefined || this.state.complete || this.state.copied !== seen.copied) return this.state;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
