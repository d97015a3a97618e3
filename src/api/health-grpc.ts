/**
 * grpc.health.v1 over cached reports on grpc-js: the API server's (answered from the main loop,
 * kept for existing clients; the names in health-names.ts). The health worker's listener, the one
 * probes use, answers the same on node:http2 itself (health-worker-h2.ts); this one still serves
 * there only for scripts/bench-health-grpc.ts's comparison (health-worker-grpc.ts).
 */
import { Metadata, type sendUnaryData, type Server, type ServerUnaryCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { HealthReport, Probe } from './health.js';
import { HEALTH_NAMES, HEALTH_REASON_TRAILER, headerSafe, SHUTTING_DOWN } from './health-names.js';

export { grpcTarget, HEALTH_REASON_TRAILER } from './health-names.js';

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
          const answer = stopped ? { status: 'NOT_SERVING', reason: SHUTTING_DOWN } : report(probe);
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
