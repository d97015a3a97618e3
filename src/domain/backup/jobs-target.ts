/**
 * The node's one backup target: its store (one client, reused by every job) and the repository
 * over it. A new target is checked (probe) before it replaces the old one; the old store is closed
 * once the jobs holding it let go, so a running job never loses its client under it.
 */
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { ObjectStore } from '../../objectstore/object-store.js';
import { BackupRepository, type Retrier } from '../../objectstore/repository.js';
import { checkFsTargetStorage, checkTargetSpec, describeTarget, makeStore, probeStore, targetError, type TargetSpec } from '../../objectstore/target-spec.js';

export interface TargetSettings {
  retries: number;
  retryMinMs: number;
  requestTimeoutMs: number;
  leaseMs: number;
}

interface Held {
  spec: TargetSpec;
  store: ObjectStore;
  repository: BackupRepository;
  users: number;
  replaced: boolean;
}

export interface TargetLease {
  readonly spec: TargetSpec;
  readonly repository: BackupRepository;
  release(): void;
}

export class BackupTarget {
  private held: Held | undefined;

  constructor(
    private readonly settings: TargetSettings,
    private readonly log: Logger,
  ) {}

  /** Target calls retried with backoff within the budget; what is still failing after it is BACKUP_TARGET_UNREACHABLE (or NOT_WRITABLE) with the reason. */
  retrier(description: string, signal?: AbortSignal): Retrier {
    const { retries, retryMinMs } = this.settings;
    return (what, call) =>
      pRetry(
        async () => {
          try {
            return await call();
          } catch (err) {
            if (err instanceof ConductorError) throw new AbortRetry(err);
            if (signal?.aborted) throw new AbortRetry(signal.reason);
            throw err;
          }
        },
        {
          retries,
          minTimeout: retryMinMs,
          factor: 2,
          ...(signal ? { signal } : {}),
          onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft > 0) this.log.warn({ target: description, what, attempt: attemptNumber, retriesLeft, err: error.message }, 'backup target call failed; retrying');
          },
          shouldRetry: ({ error }) => !(error instanceof AbortRetry),
        },
      ).catch((err: unknown) => {
        if (err instanceof AbortRetry) throw err.inner;
        if (signal?.aborted) throw signal.reason;
        throw targetError(description, `${what} (after ${retries} retries)`, err);
      });
  }

  /** Opens the spec's store and checks it; the current target stays until this succeeds. */
  async set(input: TargetSpec, signal?: AbortSignal): Promise<TargetSpec> {
    const spec = checkTargetSpec(input);
    if (spec.kind === 'fs') await checkFsTargetStorage(spec.path, this.settings.requestTimeoutMs);
    const store = await makeStore(spec, {
      requestTimeoutMs: this.settings.requestTimeoutMs,
      onCredentials: ({ taken, reason }) => (taken ? this.log.info({ target: describeTarget(spec) }, reason) : this.log.warn({ target: describeTarget(spec) }, reason)),
    });
    try {
      await probeStore(store, signal);
    } catch (err) {
      await store.close();
      throw err;
    }
    const old = this.held;
    this.held = { spec, store, repository: new BackupRepository(store, { leaseMs: this.settings.leaseMs, retry: this.retrier(describeTarget(spec)) }), users: 0, replaced: false };
    if (old) this.retire(old);
    this.log.info({ target: describeTarget(spec) }, 'backup target set: probe object written, read back and deleted');
    return spec;
  }

  spec(): TargetSpec | undefined {
    return this.held?.spec;
  }

  /** The current target for one job; release() when done. */
  acquire(signal?: AbortSignal): TargetLease {
    const held = this.held;
    if (!held) throw new ConductorError('BACKUP_TARGET_UNREACHABLE', 'no backup target is set (BackupTargetSet)');
    held.users++;
    let released = false;
    const repository = signal ? new BackupRepository(held.store, { leaseMs: this.settings.leaseMs, retry: this.retrier(describeTarget(held.spec), signal) }) : held.repository;
    return {
      spec: held.spec,
      repository,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.replaced && held.users === 0) void this.closeStore(held);
      },
    };
  }

  private retire(held: Held): void {
    held.replaced = true;
    if (held.users === 0) void this.closeStore(held);
  }

  private async closeStore(held: Held): Promise<void> {
    await held.store.close().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'closing a backup target client failed'));
  }

  async close(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held) await this.closeStore(held);
  }
}

/** Carries an error p-retry must not retry (a refusal with a code, or the job's cancel). */
class AbortRetry extends Error {
  constructor(readonly inner: unknown) {
    super(inner instanceof Error ? inner.message : String(inner));
  }
}
