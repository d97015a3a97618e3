/**
 * The health worker's gRPC listener on node:http2 itself, with no gRPC library: grpc.health.v1
 * Check, Watch and List, answer for answer what grpc-js with grpc-health-check serves (the API
 * server still does: health-grpc.ts), at about half the CPU per Check (scripts/bench-health-grpc.ts).
 * A Unix socket (0660) or a TCP address, plain; small limits: a health request is a few bytes.
 *
 * Per request: POST only (405 otherwise), content-type application/grpc* (415 otherwise, as
 * grpc-js), a known method (UNIMPLEMENTED otherwise), exactly one message of at most 4096 bytes
 * (RESOURCE_EXHAUSTED, UNIMPLEMENTED for none or two, as grpc-js), protobuf that parses
 * (INTERNAL otherwise); an error is a trailers-only answer.
 */
import { chmod } from 'node:fs/promises';
import http2 from 'node:http2';
import { ConductorError } from '../errors.js';
import { enumMessage, frameMessage, GrpcError, GrpcStatus, grpcMessage, lengthField, MessageReader, readStringFields, uncompress } from './grpc-wire.js';
import type { HealthReport, Probe } from './health.js';
import type { HealthGrpcAddress } from './health-addresses.js';
import { grpcTarget, HEALTH_REASON_TRAILER, HealthStatuses, headerSafe, SHUTTING_DOWN } from './health-names.js';
import { prepareSocketPath, removeSocket } from './socket-file.js';

export interface HealthGrpcServer {
  /** As bound: `unix:PATH` or host:port with the port resolved. */
  readonly target: string;
  publish(): void;
  close(): Promise<void>;
}

/** How long close() lets connections end before cutting them off, ms. */
const CLOSE_GRACE_MS = 1_000;
const MAX_RECEIVE_BYTES = 4096;
const MAX_CONCURRENT_STREAMS = 64;
/** A Watch stream whose reader lets this much pile up is cut off (only changes are sent: a reader that takes none is gone). */
const MAX_WATCH_BACKLOG = 64 * 1024;

const STATUS_NUMBER = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
/** The two answers a Check or Watch sends, framed once. */
const FRAMED: Record<keyof typeof STATUS_NUMBER, Buffer> = {
  UNKNOWN: frameMessage(enumMessage(0)),
  SERVING: frameMessage(enumMessage(1)),
  NOT_SERVING: frameMessage(enumMessage(2)),
  SERVICE_UNKNOWN: frameMessage(enumMessage(3)),
};

const SERVICE = '/grpc.health.v1.Health/';
type Method = 'Check' | 'Watch' | 'List';
const METHODS: ReadonlyMap<string, Method> = new Map([
  [`${SERVICE}Check`, 'Check'],
  [`${SERVICE}Watch`, 'Watch'],
  [`${SERVICE}List`, 'List'],
]);
const SERVICE_FIELD: ReadonlySet<number> = new Set([1]);
const NO_FIELDS: ReadonlySet<number> = new Set();
/** grpc-js reads a deadline out of grpc-timeout this way (unanchored), and refuses a value it cannot. */
const TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
/** A timer's longest wait (2^31-1 ms); a deadline further off is none. */
const MAX_TIMER_MS = 2_147_483_647;

/** The response headers of every answer with a message, as grpc-js sends them. */
const RESPONSE_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};

export async function startHealthH2(address: HealthGrpcAddress, report: (probe: Probe) => HealthReport): Promise<HealthGrpcServer> {
  const statuses = new HealthStatuses(report);
  const sessions = new Set<http2.ServerHttp2Session>();
  /** Ends each open Watch stream with a status: for close(). */
  const watchEnds = new Set<() => void>();
  const server = http2.createServer({ settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS } });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    // A peer's protocol error ends its session; it is no concern of the thread.
    session.on('error', () => undefined);
  });
  server.on('stream', (stream, headers) => handle(stream, headers, statuses, watchEnds));

  if (address.unixSocket !== undefined) await prepareSocketPath(address.unixSocket, 'health.grpcAddress');
  const wanted = grpcTarget(address);
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => reject(new ConductorError('API_LISTEN_FAILED', `cannot serve health.grpcAddress on ${wanted}: ${err.message}`, { address: wanted }, { cause: err }));
    server.once('error', failed);
    const listening = (): void => {
      server.off('error', failed);
      resolve();
    };
    if (address.unixSocket !== undefined) server.listen(address.unixSocket, listening);
    else server.listen(address.tcp.port, address.tcp.host, listening);
  });
  server.on('error', () => undefined);
  // Like the API's socket: owner and group only (the service gives it the API socket's group).
  if (address.unixSocket !== undefined) {
    await chmod(address.unixSocket, 0o660).catch((err: unknown) => {
      server.close();
      throw err;
    });
  }
  const bound = server.address();
  const target = address.tcp && bound && typeof bound === 'object' ? grpcTarget({ tcp: { host: address.tcp.host, port: bound.port } }) : wanted;
  let closing: Promise<void> | undefined;
  return {
    target,
    publish: () => statuses.publish(),
    close() {
      closing ??= (async () => {
        statuses.stop(true);
        for (const end of [...watchEnds]) end();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            for (const session of sessions) session.destroy();
          }, CLOSE_GRACE_MS);
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          // Finishes what is in flight, takes no new stream.
          for (const session of sessions) session.close();
        });
        // node:http2 unlinks a Unix socket it listened on when it closes; this covers a crash between.
        if (address.unixSocket !== undefined) await removeSocket(address.unixSocket);
      })();
      return closing;
    },
  };
}

function handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, statuses: HealthStatuses, watchEnds: Set<() => void>): void {
  // A reset by the client is how a Watch ends; nothing to report.
  stream.on('error', () => undefined);
  if (headers[':method'] !== 'POST') {
    stream.respond({ ':status': 405, allow: 'POST' }, { endStream: true });
    return drain(stream);
  }
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
    stream.respond({ ':status': 415 }, { endStream: true });
    return drain(stream);
  }
  const path = headers[':path'] ?? '';
  const method = METHODS.get(path);
  if (method === undefined) return fail(stream, new GrpcError(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${path}`));
  let deadlineMs: number | undefined;
  const timeout = headers['grpc-timeout'];
  if (timeout !== undefined) {
    const match = TIMEOUT.exec(String(timeout));
    if (!match) return fail(stream, new GrpcError(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${String(timeout)}"`));
    deadlineMs = Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
  }
  const encoding = typeof headers['grpc-encoding'] === 'string' ? headers['grpc-encoding'] : 'identity';
  // grpc-js's words, for a unary method too.
  const kind = 'server streaming';
  const reader = new MessageReader(MAX_RECEIVE_BYTES, 1, () => new GrpcError(GrpcStatus.UNIMPLEMENTED, `Received a second request message for ${kind} method ${path}`));
  let failed = false;
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    try {
      reader.push(chunk);
    } catch (err) {
      failed = true;
      fail(stream, err as GrpcError);
    }
  });
  stream.on('end', () => {
    if (failed) return;
    try {
      const message = reader.messages[0];
      if (!message || reader.leftover > 0) throw new GrpcError(GrpcStatus.UNIMPLEMENTED, `Received no request message for ${kind} method ${path}`);
      const body = uncompress(message, encoding, MAX_RECEIVE_BYTES);
      let service = '';
      try {
        const fields = readStringFields(body, method === 'List' ? NO_FIELDS : SERVICE_FIELD);
        service = fields.get(1) ?? '';
      } catch {
        throw new GrpcError(GrpcStatus.INTERNAL, 'Error deserializing request');
      }
      if (method === 'Check') check(stream, service, statuses);
      else if (method === 'Watch') watch(stream, service, statuses, watchEnds, deadlineMs);
      else list(stream, statuses);
    } catch (err) {
      fail(stream, err as GrpcError);
    }
  });
}

function check(stream: http2.ServerHttp2Stream, service: string, statuses: HealthStatuses): void {
  const answer = statuses.check(service);
  if (!answer) return fail(stream, new GrpcError(GrpcStatus.NOT_FOUND, `Health status unknown for service ${service}`));
  if (stream.destroyed) return;
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK', [HEALTH_REASON_TRAILER]: headerSafe(answer.reason) }));
  stream.end(FRAMED[answer.status]);
}

function watch(stream: http2.ServerHttp2Stream, service: string, statuses: HealthStatuses, watchEnds: Set<() => void>, deadlineMs: number | undefined): void {
  if (stream.destroyed) return;
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  const write = (status: keyof typeof FRAMED): void => {
    if (stream.destroyed) return;
    if (stream.writableLength > MAX_WATCH_BACKLOG) {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    stream.write(FRAMED[status]);
  };
  const unwatch = statuses.watch(service, write);
  let deadline: NodeJS.Timeout | undefined;
  const end = (code: number, message: string): void => {
    forget();
    if (stream.destroyed || stream.writableEnded) return;
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(code), 'grpc-message': grpcMessage(message) }));
    stream.end();
  };
  const shuttingDown = (): void => end(GrpcStatus.UNAVAILABLE, SHUTTING_DOWN);
  const forget = (): void => {
    unwatch();
    clearTimeout(deadline);
    watchEnds.delete(shuttingDown);
  };
  watchEnds.add(shuttingDown);
  stream.once('close', forget);
  if (deadlineMs !== undefined && deadlineMs < MAX_TIMER_MS) deadline = setTimeout(() => end(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), deadlineMs);
  write(statuses.sent.get(service) ?? 'SERVICE_UNKNOWN');
}

function list(stream: http2.ServerHttp2Stream, statuses: HealthStatuses): void {
  if (stream.destroyed) return;
  // map<string, HealthCheckResponse> statuses = 1: an entry is a message of key = 1, value = 2.
  const entries = [...statuses.sent].map(([name, status]) => lengthField(1, Buffer.concat([lengthField(1, Buffer.from(name, 'utf8')), lengthField(2, enumMessage(STATUS_NUMBER[status]))])));
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
  stream.end(frameMessage(Buffer.concat(entries)));
}

/** A trailers-only answer with the error's status; what the client still sends is read and dropped. */
function fail(stream: http2.ServerHttp2Stream, err: GrpcError): void {
  if (!(err instanceof GrpcError)) err = new GrpcError(GrpcStatus.INTERNAL, 'Internal error');
  if (!stream.destroyed && !stream.headersSent) {
    stream.respond({ 'grpc-status': String(err.code), 'grpc-message': grpcMessage(err.message), ':status': 200, 'content-type': 'application/grpc+proto' }, { endStream: true });
  }
  drain(stream);
}

function drain(stream: http2.ServerHttp2Stream): void {
  stream.removeAllListeners('data');
  stream.resume();
}
