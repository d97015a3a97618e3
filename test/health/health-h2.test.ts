/**
 * The health worker's grpc.health.v1 listener on node:http2 (api/health-worker-h2.ts) against the
 * grpc-js one it replaced (api/health-worker-grpc.ts), side by side on the same reports: a grpc-js
 * client gets the same answers from both (Check of every name and an unknown one, the reason
 * trailer, List), Watch follows changes only and ends on close, and raw node:http2 requests that
 * no gRPC client sends get the status grpc-js gives (or the one the gRPC protocol asks for where
 * grpc-js lets them through: a non-POST method, a compressed flag with no encoding).
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClients } from '../../src/api/client.js';
import type { HealthReport, Probe } from '../../src/api/health.js';
import { HEALTH_NAMES, HEALTH_REASON_TRAILER } from '../../src/api/health-names.js';
import { startHealthGrpc } from '../../src/api/health-worker-grpc.js';
import { startHealthH2, type HealthGrpcServer } from '../../src/api/health-worker-h2.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

type Reports = Record<Probe, HealthReport>;
const report = (status: 'SERVING' | 'NOT_SERVING', reason: string): HealthReport => ({ status, reason, since: '2026-12-06T00:00:00.000Z', checks: [] });

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: grpc.requestCallback<{ status: string }>): grpc.ClientUnaryCall;
  List(request: object, callback: grpc.requestCallback<{ statuses: Record<string, { status: string }> }>): grpc.ClientUnaryCall;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}
const Client = grpc.makeGenericClientConstructor(healthService, 'Health') as unknown as new (target: string, creds: grpc.ChannelCredentials) => HealthClient;

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function both(reports: Reports): Promise<{ dir: string; old: HealthGrpcServer; h2: HealthGrpcServer; oldSocket: string; h2Socket: string }> {
  const dir = tempDir('health-h2-');
  const oldSocket = path.join(dir, 'grpc-js.sock');
  const h2Socket = path.join(dir, 'h2.sock');
  const old = await startHealthGrpc({ unixSocket: oldSocket }, (probe) => reports[probe]);
  opened.push(old);
  const h2 = await startHealthH2({ unixSocket: h2Socket }, (probe) => reports[probe]);
  opened.push(h2);
  return { dir, old, h2, oldSocket, h2Socket };
}

function client(socket: string): HealthClient {
  const c = new Client(`unix:${socket}`, grpc.credentials.createInsecure());
  opened.push(c);
  return c;
}

interface Answer {
  code: number;
  details: string;
  value: unknown;
  reason: unknown;
}

function check(c: HealthClient, service: string): Promise<Answer> {
  return new Promise((resolve) => {
    let value: unknown;
    const call = c.Check({ service }, (_err, v) => (value = v));
    call.on('status', (status: grpc.StatusObject) => {
      // The callback runs before 'status'; settle on the next turn to have both.
      setImmediate(() => resolve({ code: status.code, details: status.details, value, reason: status.metadata.get(HEALTH_REASON_TRAILER)[0] }));
    });
  });
}

function list(c: HealthClient): Promise<Answer> {
  return new Promise((resolve) => {
    let value: unknown;
    const call = c.List({}, (_err, v) => (value = v));
    call.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ code: status.code, details: status.details, value, reason: undefined })));
  });
}

function watch(c: HealthClient, service: string): { seen: string[]; ended: Promise<grpc.StatusObject>; cancel(): void } {
  const stream = c.Watch({ service });
  const seen: string[] = [];
  stream.on('data', (m: { status: string }) => seen.push(m.status));
  stream.on('error', () => undefined);
  const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  return { seen, ended, cancel: () => stream.cancel() };
}

describe('grpc.health.v1 on node:http2', () => {
  it('answers a grpc-js client as grpc-js did: every name, an unknown one, the reason trailer, List', async () => {
    const reports: Reports = { liveness: report('SERVING', 'ok'), readiness: report('NOT_SERVING', 'spdk_tgt unreachable: connect ENOENT /var/tmp/spdk.sock — «retrying»') };
    const { old, h2, oldSocket, h2Socket } = await both(reports);
    const [a, b] = [client(oldSocket), client(h2Socket)];
    for (const name of [...HEALTH_NAMES.keys(), 'no.such.Service', 'Liveness', 'x'.repeat(3000)]) {
      const [fromOld, fromH2] = [await check(a, name), await check(b, name)];
      expect(fromH2, name).toEqual(fromOld);
    }
    expect(await check(b, 'liveness')).toEqual({ code: 0, details: 'OK', value: { status: 'SERVING' }, reason: 'ok' });
    expect(await check(b, '')).toMatchObject({ code: 0, value: { status: 'NOT_SERVING' }, reason: 'spdk_tgt unreachable: connect ENOENT /var/tmp/spdk.sock ? ?retrying?' });
    expect(await check(b, 'nope')).toMatchObject({ code: grpc.status.NOT_FOUND, details: 'Health status unknown for service nope' });
    // Published statuses: List answers what Watch streams were last sent, in the same order.
    reports.readiness = report('SERVING', 'ok');
    for (const server of [old, h2]) server.publish();
    const [listOld, listH2] = [await list(a), await list(b)];
    expect(listH2).toEqual(listOld);
    expect(Object.keys((listH2.value as { statuses: object }).statuses)).toEqual([...HEALTH_NAMES.keys()]);
    // The project's own client, over TCP this time.
    const tcp = await startHealthH2({ tcp: { host: '127.0.0.1', port: 0 } }, (probe) => reports[probe]);
    opened.push(tcp);
    expect(tcp.target).toMatch(/^127\.0\.0\.1:\d+$/);
    const api = createApiClients({ tcpAddress: tcp.target });
    opened.push(api);
    let reason: unknown;
    expect(await api.healthCheck('spdk.conductor.v1.Replicas', { deadlineMs: 10_000, onTrailers: (t) => (reason = t.get(HEALTH_REASON_TRAILER)[0]) })).toBe('SERVING');
    expect(reason).toBe('ok');
  }, 60_000);

  it('Watch: the status now, then changes only; SERVICE_UNKNOWN for a name not known; NOT_SERVING and the end on close', async () => {
    const reports: Reports = { liveness: report('SERVING', 'ok'), readiness: report('SERVING', 'ok') };
    const { old, h2, oldSocket, h2Socket, dir } = await both(reports);
    expect(fs.statSync(h2Socket).mode & 0o777).toBe(0o660);
    const watches = [old, h2].map((server, i) => ({ server, live: watch(client(i === 0 ? oldSocket : h2Socket), 'liveness'), unknown: watch(client(i === 0 ? oldSocket : h2Socket), 'nope') }));
    for (const w of watches) await until('the first answers', () => w.live.seen.length === 1 && w.unknown.seen.length === 1, 10_000);
    const flip = async (status: 'SERVING' | 'NOT_SERVING', count: number): Promise<void> => {
      reports.liveness = report(status, status === 'SERVING' ? 'ok' : 'the event loop has not turned for 2 s (bound 1 s)');
      for (const w of watches) {
        w.server.publish();
        w.server.publish();
      }
      for (const w of watches) await until(`${count} statuses`, () => w.live.seen.length >= count, 10_000);
    };
    await flip('NOT_SERVING', 2);
    await flip('SERVING', 3);
    // Readiness changes are not liveness's news.
    reports.readiness = report('NOT_SERVING', 'reconciling');
    await flip('NOT_SERVING', 4);
    for (const w of watches) {
      expect(w.live.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING', 'NOT_SERVING']);
      expect(w.unknown.seen).toEqual(['SERVICE_UNKNOWN']);
    }
    reports.liveness = report('SERVING', 'ok');
    for (const w of watches) w.server.publish();
    for (const w of watches) await until('SERVING again', () => w.live.seen.length === 5, 10_000);
    // A cancelled Watch is forgotten; the others go on.
    watches[1]!.unknown.cancel();
    const closed = await Promise.all([h2.close(), watches[1]!.live.ended]);
    expect(watches[1]!.live.seen.at(-1)).toBe('NOT_SERVING');
    expect(closed[1]).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'the service is shutting down' });
    expect(fs.existsSync(h2Socket)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(['grpc-js.sock']);
  }, 60_000);

  it('answers malformed requests with the status grpc-js gives, trailers-only, and keeps serving', async () => {
    const reports: Reports = { liveness: report('SERVING', 'ok'), readiness: report('SERVING', 'ok') };
    const { oldSocket, h2Socket } = await both(reports);
    const check = '/grpc.health.v1.Health/Check';
    const liveness = Buffer.from([0x0a, 8, ...Buffer.from('liveness')]);
    const cases: { name: string; path?: string; method?: string; headers?: Record<string, string>; body: Buffer; h2: Raw; sameAsGrpcJs: boolean }[] = [
      { name: 'a good Check', body: frame(liveness), h2: { http: 200, grpc: '0', messages: 1, trailersOnly: false }, sameAsGrpcJs: true },
      { name: 'wrong path', path: '/grpc.health.v1.Health/Nope', body: frame(liveness), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'another service', path: '/spdk.conductor.v1.Node/NodeInfo', body: frame(liveness), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'content-type application/json', headers: { 'content-type': 'application/json' }, body: frame(liveness), h2: { http: 415 }, sameAsGrpcJs: true },
      { name: 'method GET', method: 'GET', body: Buffer.alloc(0), h2: { http: 405 }, sameAsGrpcJs: false },
      { name: 'no message', body: Buffer.alloc(0), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'two messages', body: Buffer.concat([frame(liveness), frame(liveness)]), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'over 4096 bytes', body: frame(Buffer.concat([Buffer.from([0x0a, 0xa0, 0x20]), Buffer.alloc(4128, 0x61)])), h2: { http: 200, grpc: '8', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'a 4 GiB length prefix', body: frame(liveness, 0xffffffff), h2: { http: 200, grpc: '8', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'a length beyond the data', body: frame(liveness, liveness.length + 100), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'half a prefix', body: Buffer.from([0, 0, 0]), h2: { http: 200, grpc: '12', trailersOnly: true }, sameAsGrpcJs: true },
      // protobufjs reads a string that runs past the message as what is there ("a"): grpc-js answers NOT_FOUND for it.
      { name: 'a string past the end', body: frame(Buffer.from([0x0a, 0x7f, 0x61])), h2: { http: 200, grpc: '13', trailersOnly: true }, sameAsGrpcJs: false },
      // protobufjs reads field 1 as a string whatever its wire type says (here 7, reserved): grpc-js answers "".
      { name: 'a reserved wire type', body: frame(Buffer.from([0x0f, 0x01])), h2: { http: 200, grpc: '13', trailersOnly: true }, sameAsGrpcJs: false },
      { name: 'a key cut short', body: frame(Buffer.from([0x80])), h2: { http: 200, grpc: '13', trailersOnly: true }, sameAsGrpcJs: true },
      { name: 'compressed flag, no grpc-encoding', body: frame(liveness, liveness.length, true), h2: { http: 200, grpc: '13', trailersOnly: true }, sameAsGrpcJs: false },
      {
        name: 'unknown grpc-encoding',
        headers: { 'grpc-encoding': 'zstd-bogus' },
        body: frame(liveness, liveness.length, true),
        h2: { http: 200, grpc: '12', trailersOnly: true },
        sameAsGrpcJs: true,
      },
      {
        name: 'gzip declared, garbage inside',
        headers: { 'grpc-encoding': 'gzip' },
        body: frame(Buffer.from('not gzip'), 8, true),
        h2: { http: 200, grpc: '13', trailersOnly: true },
        sameAsGrpcJs: true,
      },
      { name: 'gzip, well formed', headers: { 'grpc-encoding': 'gzip' }, body: gzipped(liveness), h2: { http: 200, grpc: '0', messages: 1, trailersOnly: false }, sameAsGrpcJs: true },
      { name: 'grpc-timeout garbage', headers: { 'grpc-timeout': 'soon' }, body: frame(liveness), h2: { http: 200, grpc: '13', trailersOnly: true }, sameAsGrpcJs: true },
    ];
    for (const c of cases) {
      const fromH2 = await raw(h2Socket, c.path ?? check, c.method, c.headers, c.body);
      expect(fromH2, c.name).toMatchObject(c.h2);
      if (c.sameAsGrpcJs) {
        const fromOld = await raw(oldSocket, c.path ?? check, c.method, c.headers, c.body);
        expect(fromH2, c.name).toEqual(fromOld);
      }
    }
    // Streams at once: 64 (grpc-js's max_concurrent_streams as configured).
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(h2Socket) });
    try {
      const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
      expect(settings.maxConcurrentStreams).toBe(64);
    } finally {
      session.destroy();
    }
    expect(await raw(h2Socket, check, undefined, undefined, frame(liveness))).toMatchObject({ grpc: '0', messages: 1 });
  }, 60_000);
});

interface Raw {
  http: number;
  grpc?: string | undefined;
  message?: string | undefined;
  messages?: number;
  trailersOnly?: boolean;
}

function frame(message: Buffer, length = message.length, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([prefix, message]);
}

function gzipped(message: Buffer): Buffer {
  const body = zlib.gzipSync(message);
  return frame(body, body.length, true);
}

/** One request on a fresh connection: the HTTP status, grpc-status and grpc-message (decoded: grpc-js %-encodes more than it must) wherever they came, the messages counted. */
function raw(socket: string, methodPath: string, method = 'POST', headers: Record<string, string> = {}, body: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
    session.on('error', reject);
    const stream = session.request({ ':method': method, ':path': methodPath, 'content-type': 'application/grpc', te: 'trailers', ...headers }, { endStream: method === 'GET' });
    const answer: Raw = { http: 0, messages: 0 };
    let bytes = 0;
    stream.on('response', (h) => {
      answer.http = Number(h[':status']);
      if (h['grpc-status'] !== undefined) {
        answer.grpc = String(h['grpc-status']);
        answer.message = decodeURIComponent(String(h['grpc-message']));
        answer.trailersOnly = true;
      }
    });
    stream.on('trailers', (t) => {
      answer.grpc = String(t['grpc-status']);
      answer.message = decodeURIComponent(String(t['grpc-message']));
      answer.trailersOnly = false;
    });
    stream.on('data', (d: Buffer) => (bytes += d.length));
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      // Every health answer is one 7-byte frame (5 of prefix, 2 of protobuf).
      answer.messages = Math.floor(bytes / 7);
      resolve(answer);
    });
    if (method !== 'GET') stream.end(body);
  });
}
