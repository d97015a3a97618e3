/**
 * grpc.health.v1 over cached reports, for the two servers that carry it: the health worker's own
 * listener (`health.grpcAddress`, the one probes use) and the API server (answered from the main
 * loop, kept for existing clients). Three kinds of names: "liveness", "readiness", and "" with
 * each node API service, which are readiness (a Kubernetes gRPC probe without a service reads "";
 * its liveness probe names "liveness"). A Check also sends the reason in a trailer.
 */
import { Metadata, type sendUnaryData, type Server, type ServerUnaryCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { HealthReport, Probe } from './health.js';
import type { HealthGrpcAddress } from './health-addresses.js';
import { SERVICE_NAMES } from './proto.js';

/** What each name of grpc.health.v1 reports. */
const HEALTH_NAMES: ReadonlyMap<string, Probe> = new Map<string, Probe>([
  ['', 'readiness'],
  ['readiness', 'readiness'],
  ['liveness', 'liveness'],
  ...SERVICE_NAMES.map((name) => [name, 'readiness'] as [string, Probe]),
]);

/** The trailer of a health Check that carries the reason (grpc.health.v1 has no field for it). */
export const HEALTH_REASON_TRAILER = 'conductor-health-reason';

export interface ServedHealth {
  /** Sends each name's status to Watch streams where it changed; call after every change of the reports. */
  publish(): void;
  /** Check answers NOT_SERVING from now on; `closing` also ends the Watch streams' view (every name NOT_SERVING). */
  stop(closing?: boolean): void;
}

/**
 * Adds grpc.health.v1 to `server`: Check answers from `report` itself, with its reason in the
 * trailer; Watch streams follow `publish`.
 */
export function serveHealth(server: Server, report: (probe: Probe) => HealthReport): ServedHealth {
  const statuses = new HealthImplementation();
  const sent = new Map<string, string>();
  let stopped = false;
  const set = (name: string, status: 'SERVING' | 'NOT_SERVING'): void => {
    // A watcher is written to on every setStatus; only a change is news to it.
    if (sent.get(name) === status) return;
    sent.set(name, status);
    statuses.setStatus(name, status);
  };
  const publish = (): void => {
    if (stopped) return;
    const now = { liveness: report('liveness').status, readiness: report('readiness').status };
    for (const [name, probe] of HEALTH_NAMES) set(name, now[probe]);
  };
  publish();
  statuses.addToServer({
    addService: (definition, implementation) =>
      server.addService(definition, {
        ...implementation,
        check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
          const probe = HEALTH_NAMES.get(call.request.service);
          if (!probe) return implementation.check!(call as never, callback as never);
          const answer = stopped ? { status: 'NOT_SERVING', reason: 'the service is shutting down' } : report(probe);
          const trailer = new Metadata();
          trailer.set(HEALTH_REASON_TRAILER, headerSafe(answer.reason));
          callback(null, { status: answer.status }, trailer);
        },
      }),
  });
  return {
    publish,
    stop: (closing = false) => {
      stopped = true;
      if (closing) for (const name of HEALTH_NAMES.keys()) set(name, 'NOT_SERVING');
    },
  };
}

/** A metadata value must be printable ASCII; a reason quotes errors, which may hold anything. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

/** The address as grpc-js takes it. */
export function grpcTarget(address: HealthGrpcAddress): string {
  if (address.unixSocket !== undefined) return `unix:${address.unixSocket}`;
  const { host, port } = address.tcp;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
