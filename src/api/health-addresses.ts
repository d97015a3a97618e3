/**
 * Where the health listeners are, from the configuration, with nothing heavy imported: `serve`
 * starts the health worker from these before it loads the rest of the service (cli/main.ts), so
 * that a probe is answered within a few hundred milliseconds of the process starting.
 */
import { socketPathProblem } from '../config/checks.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { splitHostPort } from '../validation/network.js';

/** host:port as a listener takes it; `key` names the setting in the error. */
export function parseTcpAddress(value: string, key = 'api.tcp'): { host: string; port: number } {
  const address = splitHostPort(value);
  if (!address) throw new ConfigError(key, `${JSON.stringify(value)} is not host:port (e.g. 127.0.0.1:50151 or [::1]:50151)`);
  return address;
}

export type HealthGrpcAddress = { unixSocket: string; tcp?: undefined } | { tcp: { host: string; port: number }; unixSocket?: undefined };

/**
 * Where the health worker serves grpc.health.v1: `auto` is a Unix socket beside api.socket
 * (`api.sock` → `api-health.sock`), so that serve and the CLI, given the same api.socket, meet
 * there; an absolute path is a Unix socket; host:port is TCP (plain: health answers carry no
 * secret, and a kubelet gRPC probe speaks no TLS); `off` is none.
 */
export function healthGrpcAddress(value: string, apiSocket: string): HealthGrpcAddress | undefined {
  if (value === 'off') return undefined;
  if (value === 'auto') {
    const unixSocket = apiSocket.endsWith('.sock') ? `${apiSocket.slice(0, -'.sock'.length)}-health.sock` : `${apiSocket}-health.sock`;
    // An api.socket near sockaddr_un's limit leaves no room for the suffix: then none (the CLI asks the API).
    return socketPathProblem(unixSocket) ? undefined : { unixSocket };
  }
  if (value.startsWith('/')) return { unixSocket: value };
  const tcp = splitHostPort(value);
  if (!tcp) throw new ConfigError('health.grpcAddress', `${JSON.stringify(value)} is not auto, off, an absolute socket path or host:port`);
  return { tcp };
}

/** The health worker's listeners: http.address and health.grpcAddress, resolved. */
export function healthListeners(config: Config): { http: { host: string; port: number } | undefined; grpc: HealthGrpcAddress | undefined } {
  return {
    http: config['http.address'] === 'off' ? undefined : parseTcpAddress(config['http.address'], 'http.address'),
    grpc: healthGrpcAddress(config['health.grpcAddress'], config['api.socket']),
  };
}
