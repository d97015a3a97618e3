/**
 * grpc.health.v1 over cached reports on grpc-js: the API server's (answered from the main loop,
 * kept for existing clients; the names in health-names.ts). The health worker's listener, the one
 * probes use, answers the same on node:http2 itself (health-worker-h2.ts); this one still serves
 * there only for scripts/bench-health-grpc.ts's comparison (health-worker-grpc.ts).
 */
import { Metadata, type sendUnaryData, type Server, type ServerUnaryCall } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { HealthReport, Probe } from './health.js';
import { HEALTH_NAMES, HEALTH_REASON_TRAILER, HealthStatuses, headerSafe } from './health-names.js';

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
  const statuses = new HealthStatuses(report);
  const implementation = new HealthImplementation();
  // grpc-health-check writes to its watchers on every setStatus: it is given the changes only.
  for (const name of HEALTH_NAMES.keys()) {
    implementation.setStatus(name, statuses.sent.get(name)!);
    statuses.watch(name, (status) => implementation.setStatus(name, status));
  }
  implementation.addToServer({
    addService: (definition, served) =>
      server.addService(definition, {
        ...served,
        check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
          const answer = statuses.check(call.request.service);
          if (!answer) return served.check!(call as never, callback as never);
          const trailer = new Metadata();
          trailer.set(HEALTH_REASON_TRAILER, headerSafe(answer.reason));
          callback(null, { status: answer.status }, trailer);
        },
      }),
  });
  return { publish: () => statuses.publish(), stop: (closing = false) => statuses.stop(closing) };
}
