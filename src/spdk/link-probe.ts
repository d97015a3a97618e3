/**
 * Whether spdk_tgt answers, known before anyone needs it: the connection's state (a lost socket is
 * seen at the next read) and a cheap call (spdk_get_version) on a short deadline, one at a time, so
 * that a spdk_tgt that accepts the socket but no longer answers is caught too. Reading the state
 * never waits: health reads it on every refresh.
 */
import type { Logger } from 'pino';
import type { ClientStats } from './client.js';
import type { CallOptions } from './call.js';

export interface LinkState {
  reachable: boolean;
  /** 'spdk_tgt answers', or why not. */
  reason: string;
  /** When reachable last changed (ms since the epoch). */
  since: number;
}

export interface ProbedClient {
  call(method: 'spdk_get_version', params: undefined, options: CallOptions): Promise<unknown>;
  stats(): ClientStats;
}

export interface LinkProbeOptions {
  periodMs: number;
  deadlineMs: number;
  logger: Logger;
}

export class SpdkLinkProbe {
  private current: LinkState = { reachable: false, reason: 'spdk_tgt not probed yet', since: Date.now() };
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new AbortController();

  constructor(
    private readonly client: ProbedClient,
    private readonly options: LinkProbeOptions,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    void this.probe();
  }

  /** The last verdict, corrected at once when the socket has gone since. */
  state(): LinkState {
    if (this.current.reachable && !this.client.stats().connected) {
      this.set(false, `lost the connection to spdk_tgt (${this.client.stats().lastFailure ?? 'closed'})`);
    }
    return this.current;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.inFlight.abort();
  }

  private async probe(): Promise<void> {
    try {
      await this.client.call('spdk_get_version', undefined, { deadlineMs: this.options.deadlineMs, signal: this.inFlight.signal });
      this.set(true, 'spdk_tgt answers');
    } catch (err) {
      if (this.closed) return;
      this.set(false, `spdk_tgt unreachable: ${(err as Error).message}`);
    }
    if (this.closed) return;
    // The next probe is scheduled after this one settled: a slow spdk_tgt is never sent a pile of them.
    this.timer = setTimeout(() => void this.probe(), this.options.periodMs);
    this.timer.unref();
  }

  private set(reachable: boolean, reason: string): void {
    if (reachable === this.current.reachable && reason === this.current.reason) return;
    const changed = reachable !== this.current.reachable;
    this.current = { reachable, reason, since: changed ? Date.now() : this.current.since };
    if (changed) this.options.logger[reachable ? 'info' : 'warn']({ reason }, reachable ? 'spdk_tgt reachable' : 'spdk_tgt unreachable');
  }
}
