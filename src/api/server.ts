/**
 * The node's gRPC server: the node API, grpc.health.v1 and server reflection, on a Unix socket
 * and/or a TCP address.
 *
 * Health never asks spdk_tgt anything: grpc.health.v1 answers from the cached reports of
 * api/health.ts (names and trailer in health-grpc.ts). This copy answers from the main loop, for
 * existing clients; probes use the health worker's listener, which answers while the loop is busy.
 *
 * The TCP listener is never plain by default: it takes mutual TLS (a client certificate required;
 * certificates from a provider, so a rotation reaches new connections) or an explicit 'insecure'.
 */
import { tolerantService } from './undecodable.js';
import { WireBounds } from './wire-bounds.js';
import { chmod, chown } from 'node:fs/promises';
import { experimental, Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from 'pino';
import { ConductorError, ConfigError } from '../errors.js';
import { Health, type CheckSource } from './health.js';
import { serveHealth } from './health-grpc.js';
import { prepareSocketPath, removeSocket } from './socket-file.js';
import { loadProtos } from './proto.js';
import { build } from './status.js';
import type { ApiDomain } from './services/call.js';
import { backupsHandlers } from './services/backups.js';
import { disksHandlers } from './services/disks.js';
import { type ApiSecurityInfo, nodeHandlers, type NodeStatsSource } from './services/node.js';
import { enginesHandlers, type VolumeIoSource } from './services/engines.js';
import { replicasHandlers } from './services/replicas.js';
import { snapshotsHandlers } from './services/snapshots.js';
import { WatchRegistry } from './services/watch.js';
import { REQUEST_MAX_BYTES } from '../validation/limits.js';
import { parseTcpAddress } from './health-addresses.js';

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
  /** The node's metrics, which NodeStats reads; undefined: NodeStats is NODE_STATS_UNAVAILABLE. */
  stats?: NodeStatsSource | undefined;
  /** The engines' I/O readings, which EngineGet and EngineStats read; undefined: EngineStats is NODE_STATS_UNAVAILABLE. */
  volumeIo?: VolumeIoSource | undefined;
}

/**
 * Mutual TLS from a certificate provider (the server's identity and the CAs whose client
 * certificates are accepted; a client certificate is required), or explicitly none.
 */
export type TcpSecurity = { kind: 'mtls'; certificates: experimental.CertificateProvider & { readonly summary?: { readonly validTo: string } } } | { kind: 'insecure' };

export interface ApiPorts {
  unixSocket: string | undefined;
  tcp: { host: string; port: number } | undefined;
}

export interface ApiServer {
  readonly ports: ApiPorts;
  /** Ends watch streams, drains calls (up to the grace period) and removes the socket file. */
  close(): Promise<void>;
}

export { HEALTH_REASON_TRAILER } from './health-grpc.js';

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
  // Bounds on string and list sizes, checked on the bytes before decoding (wire-bounds.ts).
  const bounds = new WireBounds(protos.definition);
  const watches = new WatchRegistry();
  const ctx = { domain, logger, stale: options.stale };
  const watchOptions = { watches, maxBufferedEvents: options.maxWatchBufferedEvents ?? 10_000 };
  server.addService(tolerantService(v1.Disks.service, bounds), disksHandlers(ctx));
  server.addService(tolerantService(v1.Replicas.service, bounds), replicasHandlers(ctx, watchOptions));
  server.addService(tolerantService(v1.Snapshots.service, bounds), snapshotsHandlers(ctx));
  server.addService(tolerantService(v1.Engines.service, bounds), enginesHandlers(ctx, watchOptions, options.volumeIo));
  server.addService(tolerantService(v1.Backups.service, bounds), backupsHandlers(ctx, watchOptions));
  // The certificate's notAfter is read at each call: a rotation changes it (watched-tls.ts).
  const security = (): ApiSecurityInfo => ({
    apiTcpSecurity: tcpSecurity?.kind ?? 'off',
    apiTcpClientCertRequired: tcpSecurity?.kind === 'mtls',
    apiTcpCertificateNotAfter: tcpSecurity?.kind === 'mtls' ? (tcpSecurity.certificates.summary?.validTo ?? '') : '',
  });
  server.addService(tolerantService(v1.Node.service, bounds), nodeHandlers(ctx, security, options.stats));
  const ownHealth = options.health === undefined;
  const health = options.health ?? new Health({ logger, refreshMs: options.readinessPollMs ?? 200, stallMs: 10_000, readiness: [domainReadiness(domain)] });
  // Not listening yet is starting, not a fault: readiness waits for the listen, and liveness fails
  // only once a listening API has stopped (a listen that fails ends the start with its error).
  let listening = false;
  let listened = false;
  health.add('liveness', { name: 'api', read: () => ({ ok: listening || !listened, reason: listening || !listened ? 'ok' : 'the API is not listening' }) });
  health.add('readiness', { name: 'api', read: () => ({ ok: listening, reason: listening ? 'ok' : listened ? 'the API is not listening' : 'the API is not listening yet' }) });
  const served = serveHealth(server, (probe) => health.report(probe));
  const unsubscribe = health.onChange(() => served.publish());
  const stopHealth = (closing?: boolean): void => {
    unsubscribe();
    served.stop(closing);
  };
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
  listened = true;
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
