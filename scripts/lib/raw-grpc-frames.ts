/**
 * gRPC requests that no gRPC client would send, written with node:http2 over the API's Unix
 * socket: a length prefix that promises more than comes, a compressed flag with no compression,
 * a 4 GiB length, two messages for a unary call, no message at all, the wrong content type, an
 * unknown or over-long method path. Each resolves with the grpc-status the server answered (or
 * the HTTP status, or how the stream ended).
 */
import http2 from 'node:http2';
import net from 'node:net';

export interface FrameCase {
  name: string;
  path?: string;
  headers?: Record<string, string>;
  body: (message: Buffer) => Buffer;
  /**
   * A forbidden status this case is known to get from grpc-js itself, before any code of the
   * service runs, and why it is accepted: counted, shown in the report, not a violation.
   */
  grpcJsAnswers?: { status: string; why: string };
}

function frame(message: Buffer, { compressed = false, length = message.length } = {}): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([prefix, message]);
}

export const FRAME_CASES: readonly FrameCase[] = [
  { name: 'length prefix beyond the data', body: (m) => frame(m, { length: m.length + 100 }) },
  { name: 'half a length prefix', body: () => Buffer.from([0, 0, 0]) },
  { name: 'compressed flag, no grpc-encoding', body: (m) => frame(m, { compressed: true }) },
  {
    name: 'gzip declared, garbage inside',
    headers: { 'grpc-encoding': 'gzip' },
    body: () => frame(Buffer.from('not gzip at all'), { compressed: true }),
    grpcJsAnswers: {
      status: 'INTERNAL',
      why: "grpc-js's transport fails the inflate and ends the call itself (server-interceptors decompressAndMaybePush), before any deserializer, interceptor or handler of the service sees it; no field was read and nothing changed",
    },
  },
  { name: 'unknown grpc-encoding', headers: { 'grpc-encoding': 'zstd-bogus' }, body: (m) => frame(m, { compressed: true }) },
  { name: '4 GiB length prefix', body: (m) => frame(m, { length: 0xffffffff }) },
  { name: 'two messages for a unary call', body: (m) => Buffer.concat([frame(m), frame(m)]) },
  { name: 'no message', body: () => Buffer.alloc(0) },
  { name: 'content-type application/json', headers: { 'content-type': 'application/json' }, body: (m) => frame(m) },
  { name: 'unknown method', path: '/spdk.conductor.v1.Disks/NoSuchMethod', body: (m) => frame(m) },
  { name: 'over-long method path', path: `/spdk.conductor.v1.Disks/${'x'.repeat(8000)}`, body: (m) => frame(m) },
  { name: 'path without a service', path: '/', body: (m) => frame(m) },
  { name: 'grpc-timeout garbage', headers: { 'grpc-timeout': '99999999999H' }, body: (m) => frame(m) },
];

/** Sends one case on a fresh HTTP/2 connection and resolves with what came back; never rejects. */
export function sendFrameCase(socketPath: string, methodPath: string, c: FrameCase, message: Buffer, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let settled = false;
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    const finish = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('NO_ANSWER'), timeoutMs);
    session.on('error', (err) => finish(`SESSION_ERROR ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    const stream = session.request({
      ':method': 'POST',
      ':path': c.path ?? methodPath,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...c.headers,
    });
    let headerStatus: string | undefined;
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) headerStatus = String(headers['grpc-status']);
      else if (headers[':status'] !== 200) headerStatus = `HTTP ${headers[':status']}`;
    });
    stream.on('trailers', (trailers) => finish(trailers['grpc-status'] !== undefined ? String(trailers['grpc-status']) : (headerStatus ?? 'NO_STATUS')));
    stream.on('data', () => {});
    stream.on('end', () => finish(headerStatus ?? 'NO_STATUS'));
    stream.on('error', (err) => finish(headerStatus ?? `STREAM_ERROR ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    stream.end(c.body(message));
  });
}
