/**
 * Liveness and readiness, answered from cached state only (invariant 4).
 *
 * Liveness: the process can serve. The event loop turns (a heartbeat timer stamps the time; a
 * stamp older than the stall bound means the loop is stuck) and the API listens. Readiness: the
 * node can do its job. spdk_tgt answers, the domain has recovered and reconciled (its readiness
 * seam, with its reason), and liveness holds. One refresh timer is both the heartbeat and the
 * reader of the checks, so that an answer reads two fields and computes nothing else;
 * `livenessAt` and `readinessAt` are the only logic an answer needs, kept pure so that the health
 * worker (health-worker-thread.ts) runs them on the heartbeat stamp the main loop shares with it.
 */
import type { Logger } from 'pino';

export type Probe = 'liveness' | 'readiness';

export interface CheckResult {
  ok: boolean;
  /** 'ok', or why not. */
  reason: string;
}

export interface HealthCheck extends CheckResult {
  name: string;
  /** When ok last changed, ISO 8601. */
  since: string;
}

export interface HealthReport {
  status: 'SERVING' | 'NOT_SERVING';
  /** 'ok', or every failing check's reason. */
  reason: string;
  /** When status last changed, ISO 8601. */
  since: string;
  checks: HealthCheck[];
}

export interface CheckSource {
  name: string;
  /** A cached read: it must not wait on anything. */
  read(): CheckResult;
}

export interface HealthOptions {
  logger: Logger;
  /** The heartbeat and refresh period, ms. */
  refreshMs: number;
  /** How long the heartbeat may be late before liveness fails, ms. */
  stallMs: number;
  liveness?: CheckSource[];
  readiness?: CheckSource[];
}

type Listener = (probe: Probe, report: HealthReport) => void;

export class Health {
  /** The heartbeat: when the event loop last ran the refresh timer. */
  private beatAt = Date.now();
  private readonly sources: Record<Probe, CheckSource[]>;
  private readonly reports: Record<Probe, HealthReport>;
  private readonly sinces = new Map<string, { ok: boolean; since: string }>();
  private readonly listeners = new Set<Listener>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: HealthOptions) {
    this.sources = { liveness: [...(options.liveness ?? [])], readiness: [...(options.readiness ?? [])] };
    const start = new Date().toISOString();
    const initial = (): HealthReport => ({ status: 'NOT_SERVING', reason: 'starting', since: start, checks: [] });
    this.reports = { liveness: initial(), readiness: initial() };
    this.refresh();
    // A probe that became SERVING was logged by the refresh as a change; one still NOT_SERVING was not.
    for (const probe of ['liveness', 'readiness'] as const) {
      const { status, reason } = this.report(probe);
      if (status === 'NOT_SERVING') options.logger.info({ probe, status, reason }, `${probe} ${status}`);
    }
    this.timer = setInterval(() => this.refresh(), options.refreshMs);
    this.timer.unref();
  }

  add(probe: Probe, source: CheckSource): void {
    this.sources[probe].push(source);
    this.refresh();
  }

  /** Called on every change of either status, after it is logged. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  liveness(now = Date.now()): HealthReport {
    return livenessAt(this.reports.liveness, this.beatAt, now, this.options.stallMs);
  }

  readiness(): HealthReport {
    return readinessAt(this.reports.readiness, this.liveness());
  }

  report(probe: Probe): HealthReport {
    return probe === 'liveness' ? this.liveness() : this.readiness();
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  /** Beats and re-reads the checks now (the timer does it every refreshMs). */
  refresh(): void {
    this.beatAt = Date.now();
    const liveness = this.evaluate('liveness', this.sources.liveness);
    const readiness = this.evaluate('readiness', this.sources.readiness);
    // Readiness includes liveness: a node that cannot serve cannot do its job.
    this.store('liveness', liveness);
    if (liveness.status === 'NOT_SERVING' && readiness.status === 'SERVING') {
      this.store('readiness', { ...readiness, status: 'NOT_SERVING', reason: liveness.reason });
    } else this.store('readiness', readiness);
  }

  private evaluate(probe: Probe, sources: CheckSource[]): HealthReport {
    const checks = sources.map((source) => this.check(probe, source));
    const failing = checks.filter((check) => !check.ok);
    return {
      status: failing.length === 0 ? 'SERVING' : 'NOT_SERVING',
      reason: failing.length === 0 ? 'ok' : failing.map((check) => check.reason).join('; '),
      since: this.reports[probe].since,
      checks,
    };
  }

  private check(probe: Probe, source: CheckSource): HealthCheck {
    let result: CheckResult;
    try {
      result = source.read();
    } catch (err) {
      result = { ok: false, reason: `${source.name} could not be read: ${(err as Error).message}` };
    }
    const key = `${probe}/${source.name}`;
    let since = this.sinces.get(key);
    if (since?.ok !== result.ok) {
      since = { ok: result.ok, since: new Date().toISOString() };
      this.sinces.set(key, since);
    }
    return { name: source.name, ok: result.ok, reason: result.reason, since: since.since };
  }

  private store(probe: Probe, next: HealthReport): void {
    const previous = this.reports[probe];
    if (previous.status === next.status) {
      this.reports[probe] = { ...next, since: previous.since };
      // A reason that moves on (a reconcile's progress) is news, not a change of status.
      if (next.status === 'NOT_SERVING' && previous.reason !== next.reason) this.options.logger.debug({ probe, reason: next.reason }, `${probe} still NOT_SERVING`);
      return;
    }
    const report = { ...next, since: new Date().toISOString() };
    this.reports[probe] = report;
    this.options.logger[report.status === 'SERVING' ? 'info' : 'warn']({ probe, status: report.status, reason: report.reason }, `${probe} ${report.status}`);
    for (const listener of this.listeners) listener(probe, report);
  }
}

/** Liveness as of `now`: the cached report, failed when the heartbeat is older than the stall bound. */
export function livenessAt(cached: HealthReport, beatAt: number, now: number, stallMs: number): HealthReport {
  const lateMs = now - beatAt;
  if (lateMs <= stallMs) return cached;
  const reason = `the event loop has not turned for ${Math.round(lateMs / 1000)} s (bound ${Math.round(stallMs / 1000)} s)`;
  return {
    status: 'NOT_SERVING',
    reason,
    since: new Date(beatAt + stallMs).toISOString(),
    checks: [...cached.checks, { name: 'event-loop', ok: false, reason, since: new Date(beatAt + stallMs).toISOString() }],
  };
}

/** Readiness given liveness as of now: a node that cannot serve is not ready, for the same reason. */
export function readinessAt(cached: HealthReport, live: HealthReport): HealthReport {
  if (live.status === 'SERVING') return cached;
  return { ...cached, status: 'NOT_SERVING', reason: live.reason };
}
