/**
 * The names grpc.health.v1 answers for and how, with nothing of gRPC imported: shared by the API
 * server's grpc-js service (health-grpc.ts) and the health worker's node:http2 listener
 * (health-worker-h2.ts). "liveness", "readiness", and "" with each node API service, which are
 * readiness (a Kubernetes gRPC probe without a service reads ""; its liveness probe names
 * "liveness"). A Check also sends the reason in a trailer.
 */
import type { Probe } from './health.js';
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
