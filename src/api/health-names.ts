/**
 * The names grpc.health.v1 answers for and how, with nothing of gRPC imported: shared by the API
 * server's grpc-js service (health-grpc.ts) and the health worker's node:http2 listener
 * (health-worker-h2.ts). "liveness", "readiness", and "" with each node API service, which are
 * readiness (a Kubernetes gRPC probe without a service reads ""; its liveness probe names
 * "liveness"). A Check also sends the reason in a trailer. `HealthStatuses` is what both listeners
 * answer from: the last published status per name, sent to Watch streams only when it changes.
 */
import type { HealthReport, Probe } from './health.js';
import type { HealthGrpcAddress } from './health-addresses.js';
import { SERVICE_NAMES } from './service-names.js';

/** What each name of grpc.health.v1 reports. */
export const HEALTH_NAMES: ReadonlyMap<string, Probe> = new Map<string, Probe>([
  ['', 'readiness'],
  ['readiness', 'readiness'],
  ['liveness', 'liveness'],
  ...SERVICE_NAMES.map((name) => [name, 'readiness'] as [string, Probe]),
]);

/** The trailer of a health Check that carries the reason (grpc.health.v1 has no field for it). */
export const HEALTH_REASON_TRAILER = 'conductor-health-reason';

/** What a Check answers once the listener is stopping. */
export const SHUTTING_DOWN = 'the service is shutting down';

/** A metadata value must be printable ASCII; a reason quotes errors, which may hold anything. */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

/** The address as grpc-js takes it (and as the listeners report it). */
export function grpcTarget(address: HealthGrpcAddress): string {
  if (address.unixSocket !== undefined) return `unix:${address.unixSocket}`;
  const { host, port } = address.tcp;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export type HealthStatus = 'SERVING' | 'NOT_SERVING';

/**
 * The state both Check and Watch read, for either listener: the statuses last published (what
 * Watch streams were sent and List answers), the Watch streams by name, and whether the listener
 * is stopping.
 */
export class HealthStatuses {
  readonly sent = new Map<string, HealthStatus>();
  private readonly watchers = new Map<string, Set<(status: HealthStatus) => void>>();
  stopped = false;

  constructor(private readonly report: (probe: Probe) => HealthReport) {
    this.publish();
  }

  /** Sends each name's status to its Watch streams where it changed. */
  publish(): void {
    if (this.stopped) return;
    const now = { liveness: this.report('liveness').status, readiness: this.report('readiness').status };
    for (const [name, probe] of HEALTH_NAMES) this.set(name, now[probe]);
  }

  /** Check answers NOT_SERVING from now on; `closing` also sends every Watch stream NOT_SERVING. */
  stop(closing: boolean): void {
    this.stopped = true;
    if (closing) for (const name of HEALTH_NAMES.keys()) this.set(name, 'NOT_SERVING');
  }

  /** What a Check answers for a known name; undefined for one not known. */
  check(name: string): { status: HealthStatus; reason: string } | undefined {
    const probe = HEALTH_NAMES.get(name);
    if (probe === undefined) return undefined;
    return this.stopped ? { status: 'NOT_SERVING', reason: SHUTTING_DOWN } : this.report(probe);
  }

  watch(name: string, watcher: (status: HealthStatus) => void): () => void {
    let set = this.watchers.get(name);
    if (!set) this.watchers.set(name, (set = new Set()));
    set.add(watcher);
    return () => set.delete(watcher);
  }

  private set(name: string, status: HealthStatus): void {
    if (this.sent.get(name) === status) return;
    this.sent.set(name, status);
    for (const watcher of this.watchers.get(name) ?? []) watcher(status);
  }
}
