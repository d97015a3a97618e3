/**
 * Typed clients of the node API (and its health service) over one channel, for the CLI and tests.
 * The channel is closed on every path: use withApiClients, or call close() in a finally.
 */
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { service as healthService, type ServingStatus } from 'grpc-health-check';
import type { BackupsClient } from './generated/spdk/conductor/v1/Backups.js';
import type { DisksClient } from './generated/spdk/conductor/v1/Disks.js';
import type { EnginesClient } from './generated/spdk/conductor/v1/Engines.js';
import type { NodeClient } from './generated/spdk/conductor/v1/Node.js';
import type { ReplicasClient } from './generated/spdk/conductor/v1/Replicas.js';
import type { SnapshotsClient } from './generated/spdk/conductor/v1/Snapshots.js';
import { splitHostPort } from '../validation/network.js';
import { loadProtos } from './proto.js';

export type ApiTarget = { unixSocket: string; tcpAddress?: undefined } | { tcpAddress: string; unixSocket?: undefined };

export interface ApiClients {
  readonly disks: DisksClient;
  readonly replicas: ReplicasClient;
  readonly snapshots: SnapshotsClient;
  readonly engines: EnginesClient;
  readonly node: NodeClient;
  readonly backups: BackupsClient;
  /** grpc.health.v1.Health.Check: the serving status of "" (the node) or one service. */
  healthCheck(service?: string, options?: UnaryOptions): Promise<ServingStatus | 'SERVICE_UNKNOWN'>;
  close(): void;
}

export interface ApiClientOptions {
  /**
   * The client certificate, its key and the CAs of the servers, for a TCP target whose API
   * requires mutual TLS; a Unix socket target never uses them (file permissions guard it).
   */
  tls?: grpc.experimental.CertificateProvider | undefined;
}

export interface UnaryOptions {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED. */
  deadlineMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Gets the answer's trailers (e.g. conductor-stale) before the call's promise settles. */
  onTrailers?: ((trailers: grpc.Metadata) => void) | undefined;
}

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<{ status: string }>): grpc.ClientUnaryCall;
}

const HealthClientConstructor = grpc.makeGenericClientConstructor(healthService, 'Health') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ClientOptions,
) => HealthClient;

export function apiAddress(target: ApiTarget): string {
  return target.unixSocket !== undefined ? `unix:${target.unixSocket}` : target.tcpAddress;
}

export function createApiClients(target: ApiTarget, clientOptions: ApiClientOptions = {}): ApiClients {
  const v1 = loadProtos().grpcObject.spdk.conductor.v1;
  const address = apiAddress(target);
  const tls = target.tcpAddress !== undefined ? clientOptions.tls : undefined;
  const { credentials, channelOptions } = tls ? tlsCredentials(tls, target.tcpAddress!) : { credentials: grpc.credentials.createInsecure(), channelOptions: {} };
  // No channelz bookkeeping and no retry buffering: the CLI and tests read neither, and every call
  // paid for both (measured with bench-replicas). Callers retry idempotent calls themselves.
  // Reconnects at most 2 s apart (grpc-js would back off to 120 s): a CLI waiting out a restart
  // and a peer used during a rebuild both need to see the service as soon as it is back.
  const channel = new grpc.Channel(address, credentials, { 'grpc.enable_channelz': 0, 'grpc.enable_retries': 0, 'grpc.max_reconnect_backoff_ms': 2000, ...channelOptions });
  const options: grpc.ClientOptions = { channelOverride: channel };
  const health = new HealthClientConstructor(address, credentials, options);
  return {
    disks: new v1.Disks(address, credentials, options),
    replicas: new v1.Replicas(address, credentials, options),
    snapshots: new v1.Snapshots(address, credentials, options),
    engines: new v1.Engines(address, credentials, options),
    node: new v1.Node(address, credentials, options),
    backups: new v1.Backups(address, credentials, options),
    healthCheck: async (service = '', callOptions = {}) => {
      const reply = await unaryCall<{ status: string }>((metadata, grpcOptions, callback) => health.Check({ service }, metadata, grpcOptions, callback), callOptions);
      return reply.status as ServingStatus | 'SERVICE_UNKNOWN';
    },
    close: () => channel.close(),
  };
}

/**
 * Mutual TLS to host:port. The server's certificate must name the host (an IP SAN for an address).
 * grpc-js sends the host as the TLS server name, which Node refuses for an IP address with a
 * deprecation warning on stderr at every CLI call; for an address a fixed name goes as SNI
 * instead, and the certificate is still checked against the address.
 */
function tlsCredentials(provider: grpc.experimental.CertificateProvider, tcpAddress: string): { credentials: grpc.ChannelCredentials; channelOptions: grpc.ChannelOptions } {
  const host = splitHostPort(tcpAddress)?.host;
  if (host === undefined || !isIP(host)) return { credentials: grpc.experimental.createCertificateProviderChannelCredentials(provider, provider), channelOptions: {} };
  return {
    credentials: grpc.experimental.createCertificateProviderChannelCredentials(provider, provider, { checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) }),
    channelOptions: { 'grpc.ssl_target_name_override': IP_SNI_NAME },
  };
}

/** Sent as the TLS server name when the target is an address; the server does not choose by it. */
const IP_SNI_NAME = 'spdk-conductor';

export async function withApiClients<T>(target: ApiTarget, use: (clients: ApiClients) => Promise<T>, clientOptions: ApiClientOptions = {}): Promise<T> {
  const clients = createApiClients(target, clientOptions);
  try {
    return await use(clients);
  } finally {
    clients.close();
  }
}

/**
 * One unary call as a promise. `start` receives what every generated method's full overload takes:
 *   unaryCall((md, opts, cb) => clients.disks.DiskGet({ name }, md, opts, cb), { deadlineMs })
 */
export function unaryCall<Res>(start: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall, options: UnaryOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const callOptions: grpc.CallOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    const onAbort = (): void => call.cancel();
    const call = start(new grpc.Metadata(), callOptions, (err, response) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(response!);
    });
    const { onTrailers } = options;
    if (onTrailers) call.on('status', (status: grpc.StatusObject) => onTrailers(status.metadata));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type AnyUnary = (argument: any, callback: grpc.requestCallback<any>) => grpc.ClientUnaryCall;
/** The request type of a generated unary method (inferred from its last overload). */
export type RequestOf<F> = F extends (argument: infer A, callback: grpc.requestCallback<infer _R>) => grpc.ClientUnaryCall ? A : never;
/** The response type of a generated unary method. */
export type ResponseOf<F> = F extends (argument: infer _A, callback: grpc.requestCallback<infer R>) => grpc.ClientUnaryCall ? R : never;
/** Names of a generated client's unary methods, in the proto's spelling (DiskGet, not diskGet). */
export type UnaryMethod<C> = {
  [K in keyof C]: K extends `${infer First}${string}` ? (First extends Uppercase<First> ? (C[K] extends AnyUnary ? K : never) : never) : never;
}[keyof C] &
  string;

/** A unary call by method name: invoke(clients.disks, 'DiskGet', { name }, { deadlineMs }). */
export function invoke<C extends grpc.Client, M extends UnaryMethod<C>>(client: C, method: M, request: RequestOf<C[M]>, options?: UnaryOptions): Promise<ResponseOf<C[M]>> {
  const fn = client[method] as unknown as (argument: RequestOf<C[M]>, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<ResponseOf<C[M]>>) => grpc.ClientUnaryCall;
  return unaryCall<ResponseOf<C[M]>>((metadata, callOptions, callback) => fn.call(client, request, metadata, callOptions, callback), options);
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in err;
}
