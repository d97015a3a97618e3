/**
 * The node's gRPC server: the node API, grpc.health.v1 and server reflection, on a Unix socket
 * and/or a TCP address.
 *
 * Health never asks spdk_tgt anything: grpc.health.v1 answers from the cached reports of
 * api/health.ts under three kinds of names: "liveness", "readiness", and "" with each node API
 * service, which are readiness (a Kubernetes gRPC probe without a service reads ""; its liveness
 * probe names "liveness"). A Check also sends the reason in the `conductor-health-reason` trailer.
 *
 * The TCP listener is never plain by default: it takes mutual TLS (a client certificate required;
 * certificates from a provider, so a rotation reaches new connections) or an explicit 'insecure'.
 */
import { tolerantService } from './undecodable.js';
import { lstat, mkdir, chmod, chown, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { experimental, Metadata, Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ConductorError, ConfigError } from '../errors.js';
import { Health, type CheckSource, type Probe } from './health.js';
import { loadProtos, SERVICE_NAMES } from './proto.js';
import { build } from './status.js';
import type { ApiDomain } from './services/call.js';
import { backupsHandlers } from './services/backups.js';
import { disksHandlers } from './services/disks.js';
import { nodeHandlers } from './services/node.js';
import { enginesHandlers } from './services/engines.js';
import { replicasHandlers } from './services/replicas.js';
import { snapshotsHandlers } from './services/snapshots.js';
import { WatchRegistry } from './services/watch.js';
import { REQUEST_MAX_BYTES } from '../validation/limits.js';
import { splitHostPort } from '../validation/network.js';

export interface ApiServerOptions {
  domain: ApiDomain;
  logger: Logger;
  /** Path of the Unix socket to serve on; undefined: none. */
  unixSocket?: string | undefined;
  /** host:port ([v6]:port) to serve on; port 0 picks a free one; undefined: none. */
  tcpAddress?: string | undefined;
  /** How the TCP listener is secured; required with tcpAddress (no TCP listener is insecure by accident). */
  tcpSecurity?: TcpSecurity | undefined;
  /** The group (gid) the Unix socket is given; undefined: the process's own. */
  socketGroup?: number | undefined;
  /** How often readiness is read into the health service (when the API makes its own Health). */
  readinessPollMs?: number;
  /**
   * Liveness and readiness; the API adds its own liveness check (it listens). Undefined: one made
   * here from the domain's readiness alone, closed with the server.
   */
  health?: Health | undefined;
  /** Why List answers may be stale (spdk_tgt unreachable since …), or undefined when they are fresh. */
  stale?: (() => string | undefined) | undefined;
  /** How long close() lets calls finish before cutting them off. */
  shutdownGraceMs?: number;
  /** Unsent events a ReplicaWatch or EngineWatch stream may hold before it is ended. */
  maxWatchBufferedEvents?: number;
}

/**
 * Mutual TLS from a certificate provider (the server's identity and the CAs whose client
 * certificates are accepted; a client certificate is required), or explicitly none.
 */
export type TcpSecurity = { kind: 'mtls'; certificates: experimental.CertificateProvider } | { kind: 'insecure' };

export interface ApiPorts {
  unixSocket: string | undefined;
  tcp: { host: string; port: number } | undefined;
}

export interface ApiServer {
  readonly ports: ApiPorts;
  /** Ends watch streams, drains calls (up to the grace period) and removes the socket file. */
  close(): Promise<void>;
}

/** What each name of grpc.health.v1 reports. */
const HEALTH_NAMES: ReadonlyMap<string, Probe> = new Map<string, Probe>([
  ['', 'readiness'],
  ['readiness', 'readiness'],
  ['liveness', 'liveness'],
  ...SERVICE_NAMES.map((name) => [name, 'readiness'] as [string, Probe]),
]);

/** The trailer of a health Check that carries the reason (grpc.health.v1 has no field for it). */
export const HEALTH_REASON_TRAILER = 'conductor-health-reason';

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { domain, logger } = options;
  if (!options.unixSocket && !options.tcpAddress) throw new ConfigError('api', 'neither api.socket nor api.tcp is set; the API would be unreachable');
  const tcp = options.tcpAddress ? parseTcpAddress(options.tcpAddress) : undefined;
  if (tcp && !options.tcpSecurity) throw new ConfigError('api.tcp', 'a TCP listener needs TLS (api.tls.*) or api.tcpInsecure');
  const tcpSecurity = tcp ? options.tcpSecurity : undefined;

  const protos = loadProtos();
  const v1 = protos.grpcObject.spdk.conductor.v1;
  // channelz bookkeeping is per call and nothing here reads it; measured with bench-replicas.
  // A larger message is refused by grpc-js with RESOURCE_EXHAUSTED before it is decoded.
  const server = new Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': REQUEST_MAX_BYTES });
  const watches = new WatchRegistry();
  const ctx = { domain, logger, stale: options.stale };
  const watchOptions = { watches, maxBufferedEvents: options.maxWatchBufferedEvents ?? 10_000 };
  server.addService(tolerantService(v1.Disks.service), disksHandlers(ctx));
  server.addService(tolerantService(v1.Replicas.service), replicasHandlers(ctx, watchOptions));
  server.addService(tolerantService(v1.Snapshots.service), snapshotsHandlers(ctx));
  server.addService(tolerantService(v1.Engines.service), enginesHandlers(ctx, watchOptions));
  server.addService(tolerantService(v1.Backups.service), backupsHandlers(ctx, watchOptions));
  server.addService(tolerantService(v1.Node.service), nodeHandlers(ctx, { apiTcpSecurity: tcpSecurity?.kind ?? 'off', apiTcpClientCertRequired: tcpSecurity?.kind === 'mtls' }));
  const ownHealth = options.health === undefined;
  const health = options.health ?? new Health({ logger, refreshMs: options.readinessPollMs ?? 200, stallMs: 10_000, readiness: [domainReadiness(domain)] });
  let listening = false;
  health.add('liveness', { name: 'api', read: () => ({ ok: listening, reason: listening ? 'ok' : 'the API is not listening' }) });
  const stopHealth = serveHealth(server, health);
  new ReflectionService(protos.reflectionDefinition).addToServer(server);

  const ports: ApiPorts = { unixSocket: undefined, tcp: undefined };
  try {
    if (options.unixSocket) {
      const path = options.unixSocket;
      try {
        await prepareSocketPath(path);
        // unix:PATH takes relative and absolute paths alike (unix://PATH would read a host from it).
        await bind(server, `unix:${path}`, ServerCredentials.createInsecure());
      } catch (err) {
        throw permissionAdvice(err, path);
      }
      // The socket controls this node's storage: owner and group only.
      if (options.socketGroup !== undefined) await chown(options.unixSocket, -1, options.socketGroup);
      await chmod(options.unixSocket, 0o660);
      ports.unixSocket = options.unixSocket;
    }
    if (tcp && tcpSecurity) {
      const credentials =
        tcpSecurity.kind === 'mtls' ? experimental.createCertificateProviderServerCredentials(tcpSecurity.certificates, tcpSecurity.certificates, true) : ServerCredentials.createInsecure();
      const port = await bind(server, `${tcp.host.includes(':') ? `[${tcp.host}]` : tcp.host}:${tcp.port}`, credentials);
      ports.tcp = { host: tcp.host, port };
    }
  } catch (err) {
    stopHealth();
    if (ownHealth) health.close();
    server.forceShutdown();
    if (ports.unixSocket) await removeSocket(ports.unixSocket);
    throw err;
  }
  listening = true;
  health.refresh();
  logger.info({ unixSocket: ports.unixSocket, tcp: ports.tcp && `${ports.tcp.host}:${ports.tcp.port}`, tcpSecurity: tcpSecurity?.kind ?? 'off' }, 'API listening');

  let closing: Promise<void> | undefined;
  return {
    ports,
    close: () => {
      closing ??= (async () => {
        listening = false;
        stopHealth(true);
        if (ownHealth) health.close();
        watches.endAll(build('SERVICE_STOPPING', 'the service is shutting down; watch again once it is back'));
        await drain(server, options.shutdownGraceMs ?? 5000, logger);
        if (ports.unixSocket) await removeSocket(ports.unixSocket);
        logger.info('API closed');
      })();
      return closing;
    },
  };
}

/** The domain's readiness seam (recovery, reconcile, disks) as a readiness check. */
export function domainReadiness(domain: Pick<ApiDomain, 'readiness'>): CheckSource {
  return {
    name: 'domain',
    read: () => {
      const { ready, reason } = domain.readiness();
      return { ok: ready, reason: ready ? 'ok' : reason };
    },
  };
}

/**
 * grpc.health.v1 over the cached reports: the status map follows every change (so Watch streams
 * get it), Check answers from the report itself with its reason in a trailer. The returned stop
 * turns every name NOT_SERVING when the server closes.
 */
function serveHealth(server: Server, health: Health): (closing?: boolean) => void {
  const statuses = new HealthImplementation();
  let stopped = false;
  const publish = (): void => {
    for (const [name, probe] of HEALTH_NAMES) statuses.setStatus(name, health.report(probe).status);
  };
  publish();
  const unsubscribe = health.onChange(publish);
  statuses.addToServer({
    addService: (definition, implementation) =>
      server.addService(definition, {
        ...implementation,
        check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
          const probe = HEALTH_NAMES.get(call.request.service);
          if (!probe) return implementation.check!(call as never, callback as never);
          const report = stopped ? { status: 'NOT_SERVING', reason: 'the service is shutting down' } : health.report(probe);
          const trailer = new Metadata();
          trailer.set(HEALTH_REASON_TRAILER, headerSafe(report.reason));
          callback(null, { status: report.status }, trailer);
        },
      }),
  });
  return (closing = false) => {
    unsubscribe();
    stopped = true;
    if (closing) for (const name of HEALTH_NAMES.keys()) statuses.setStatus(name, 'NOT_SERVING');
  };
}

/** A metadata value must be printable ASCII; a reason quotes errors, which may hold anything. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

export function parseTcpAddress(value: string, key = 'api.tcp'): { host: string; port: number } {
  const address = splitHostPort(value);
  if (!address) throw new ConfigError(key, `${JSON.stringify(value)} is not host:port (e.g. 127.0.0.1:50151 or [::1]:50151)`);
  return address;
}

/**
 * The default socket lives under /var/run, which only the service's own user may write: a person
 * trying the service out gets told what to do instead of an errno.
 */
function permissionAdvice(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const text = err instanceof Error ? err.message : String(err);
  if (code !== 'EACCES' && code !== 'EPERM' && !/\b(EACCES|EPERM)\b/.test(text)) return err;
  return new ConfigError(
    'api.socket',
    `${path}: permission denied; run as a user that may create it, or choose a path you can write (e.g. --api-socket /tmp/conductor.sock, and give the CLI the same)`,
  );
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(new ConductorError('API_LISTEN_FAILED', `cannot serve the API on ${address}: ${err.message}`, { address }, { cause: err }));
      else resolve(port);
    });
  });
}

/**
 * A socket file left by a crash would make the bind fail; one that still answers belongs to a
 * running service that must not be stolen from; anything that is not a socket is not ours.
 */
async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stat) return;
  if (!stat.isSocket()) throw new ConductorError('API_SOCKET_IN_USE', `api.socket ${path} exists and is not a socket; remove it or choose another path`, { path });
  if (await answers(path)) {
    throw new ConductorError('API_SOCKET_IN_USE', `api.socket ${path} is in use by another process (is the service already running?)`, { path });
  }
  await removeSocket(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function removeSocket(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

function drain(server: Server, graceMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      logger.warn({ graceMs }, 'calls still running after the grace period; cutting them off');
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
