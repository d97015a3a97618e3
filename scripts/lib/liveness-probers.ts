/**
 * bench:scale's probers, each run as a process of its own (`bench-scale.js --prober MODE --target
 * HOST:PORT`): one probe every 100 ms, or a scrape of /metrics every 5 s, one JSON line per probe
 * on stdout (ProbeRecord).
 * The probers are small on purpose, as kubelet's are (a Go HTTP client; its gRPC probe a small Go
 * client): the Check is a fixed gRPC frame on node:http2, /livez raw bytes on node:net. A probe's
 * time is the prober's as much as the service's: on the 2-core machine a grpc-js client took ~4 ms
 * of its own CPU per Check (perf sched), and beside a C prober on the same /livez (p99 7 ms at load
 * 7) the node:http one measured 11 ms and grpc-js 18 ms, the service's worker being the same.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { createApiClients, type ApiClients } from '../../src/api/client.js';

const MIB = 1024 * 1024;
const PROBE_PERIOD_MS = 100;
/** kubelet's timeoutSeconds in the deployment this guards against. */
const PROBE_TIMEOUT_MS = 4_000;
/** The scraper's period and timeout (Prometheus's default scrape_timeout is 10 s). */
const SCRAPE_PERIOD_MS = 5_000;
const SCRAPE_TIMEOUT_MS = 10_000;
/** The scraper's last exposition, read for the service's memory once the scrape is timed. */
let scrapedBody: string | undefined;

/** grpc.health.v1 Check {service: "liveness"}: a gRPC message frame (uncompressed, 4-byte length) of field 1, a string. */
const LIVENESS_CHECK = Buffer.concat([Buffer.from([0, 0, 0, 0, 10, 0x0a, 8]), Buffer.from('liveness')]);

/**
 * A prober process: one probe every 100 ms (a scrape of /metrics every 5 s, as Prometheus would,
 * with its 10 s timeout), one JSON line per probe on stdout ({at, ms, ok}).
 */
export async function runProber(mode: string, target: string): Promise<void> {
  const once = prober(mode, target);
  const periodMs = mode === 'metrics-scrape' ? SCRAPE_PERIOD_MS : PROBE_PERIOD_MS;
  const timeoutMs = mode === 'metrics-scrape' ? SCRAPE_TIMEOUT_MS : PROBE_TIMEOUT_MS;
  for (;;) {
    const at = Date.now();
    const started = performance.now();
    let ok: boolean;
    let timer: NodeJS.Timeout | undefined;
    try {
      ok = await Promise.race([once(), new Promise<boolean>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
    } catch {
      ok = false;
    }
    const ms = performance.now() - started;
    clearTimeout(timer);
    // Read after the clock stopped: the scrape's time is the service's and the transfer's only.
    const mem = scrapedBody === undefined ? undefined : memoryOf(scrapedBody);
    const fresh = scrapedBody === undefined ? undefined : freshnessOf(scrapedBody);
    scrapedBody = undefined;
    process.stdout.write(`${JSON.stringify({ at, ms: Math.round(ms * 100) / 100, ok, mem, ...fresh })}\n`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - ms)));
  }
}

/** The exposition's age as the service said it, s, and its count of stale answers so far (metrics.scrapeWaitMs). */
function freshnessOf(body: string): { ageSec?: number; staleTotal?: number } {
  const age = /^spdk_conductor_metrics_render_age_seconds (\S+)$/m.exec(body)?.[1];
  const stale = /^spdk_conductor_metrics_stale_answers_total (\S+)$/m.exec(body)?.[1];
  return { ...(age === undefined ? {} : { ageSec: Number(age) }), ...(stale === undefined ? {} : { staleTotal: Number(stale) }) };
}

/** RSS, V8's heap by space (committed), external and array buffers, from an exposition, MiB. */
function memoryOf(body: string): Record<string, number> {
  const mem: Record<string, number> = {};
  const re = /^spdk_conductor_(process_resident_memory_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_total_bytes\{space="(\w+)"\}|nodejs_heap_size_used_bytes) (\S+)$/gm;
  for (const m of body.matchAll(re)) mem[m[2] ?? m[1]!.replace(/_bytes$/, '')] = Math.round((Number(m[3]) / MIB) * 10) / 10;
  return mem;
}

function prober(mode: string, target: string): () => Promise<boolean> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  switch (mode) {
    case 'http-fresh':
      return freshLivez(host, port);
    case 'grpc-kept':
    case 'api-kept':
      return keptHealthCheck(target);
    case 'node-http-fresh':
      return () =>
        new Promise<boolean>((resolve, reject) => {
          // agent false: a new connection each time, closed after the answer.
          const req = http.get({ host, port, path: '/livez', agent: false, headers: { Connection: 'close' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200));
          });
          req.on('error', reject);
        });
    case 'metrics-scrape':
      // What a Prometheus server does: GET /metrics on its own connection, the whole body read.
      return () =>
        new Promise<boolean>((resolve, reject) => {
          const req = http.get({ host, port, path: '/metrics', agent: false, headers: { Connection: 'close' } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => {
              scrapedBody = body;
              resolve(res.statusCode === 200);
            });
          });
          req.on('error', reject);
        });
    case 'grpc-js-kept': {
      const clients: ApiClients = createApiClients({ tcpAddress: target });
      return async () => (await clients.healthCheck('liveness', { deadlineMs: PROBE_TIMEOUT_MS })) === 'SERVING';
    }
    default:
      throw new Error(`no prober ${mode}`);
  }
}

/** GET /livez on a new TCP connection, the bytes written and read as they are: 200 is SERVING. */
function freshLivez(host: string, port: number): () => Promise<boolean> {
  const request = `GET /livez HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`;
  return () =>
    new Promise<boolean>((resolve, reject) => {
      let answer = '';
      const socket = net.connect(port, host, () => socket.write(request));
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => (answer += text));
      socket.on('end', () => {
        socket.destroy();
        resolve(answer.startsWith('HTTP/1.1 200 '));
      });
      socket.on('error', reject);
    });
}

/**
 * grpc.health.v1 Check "liveness" on one kept HTTP/2 connection (TCP host:port, or a Unix socket
 * path), with node:http2 alone: SERVING is the message bytes 08 01 and grpc-status 0. A lost
 * connection is made again at the next probe.
 */
function keptHealthCheck(target: string): () => Promise<boolean> {
  let session: http2.ClientHttp2Session | undefined;
  const connect = (): http2.ClientHttp2Session => (target.startsWith('/') ? http2.connect('http://localhost', { createConnection: () => net.connect(target) }) : http2.connect(`http://${target}`));
  return () =>
    new Promise<boolean>((resolve, reject) => {
      if (!session || session.closed || session.destroyed) {
        session = connect();
        // A failed connection fails the request too: that is the probe's answer.
        session.on('error', () => undefined);
      }
      const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
      const chunks: Buffer[] = [];
      let status: unknown;
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('trailers', (trailers) => (status = trailers['grpc-status']));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve(status === '0' && body[5] === 0x08 && body[6] === 1);
      });
      req.on('error', reject);
      req.end(LIVENESS_CHECK);
    });
}

/** One probe, as a prober prints it. */
export interface ProbeRecord {
  at: number;
  ms: number;
  ok: boolean;
  /** The scraper's: the service's memory as its scrape showed it, MiB. */
  mem?: Record<string, number>;
  /** The scraper's: the exposition's age (render to answer), s, and the stale answers counted so far. */
  ageSec?: number;
  staleTotal?: number;
}
