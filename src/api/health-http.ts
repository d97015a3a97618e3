/**
 * The node's HTTP listener (`http.address`): GET /livez and /readyz for probes that speak HTTP
 * (kubelet httpGet), and GET /metrics for Prometheus; HTTPS when the API has TLS (http-tls.ts).
 * A probe's answer reads the cached reports and nothing else. 200 "ok" or 503 with the reason,
 * plain text; `?verbose` answers the whole report as JSON.
 * Bounded: bodies are discarded unread, only GET and HEAD, short header and keep-alive timeouts.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConductorError } from '../errors.js';
import type { Health, Probe } from './health.js';
import { followHttpTls } from './http-tls.js';
import type { WatchedTls } from './watched-tls.js';

export interface HealthHttp {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

const PATHS: Record<string, Probe> = { '/livez': 'liveness', '/readyz': 'readiness' };
const TIMEOUT_MS = 5_000;

export async function startHealthHttp(options: {
  host: string;
  port: number;
  health: Health;
  logger: Logger;
  /** GET /metrics: the Prometheus exposition (api/metrics/node-metrics.ts); undefined: 404. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** HTTPS with the API's certificates (api.tls.*, see http-tls.ts); undefined: plain HTTP. */
  tls?: WatchedTls | undefined;
}): Promise<HealthHttp> {
  const { health, logger } = options;
  const limits = { requestTimeout: TIMEOUT_MS, headersTimeout: TIMEOUT_MS, keepAliveTimeout: TIMEOUT_MS, maxHeaderSize: 8 * 1024 };
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://health');
    } catch {
      return send(res, req.method, 400, 'text/plain', 'bad request target\n');
    }
    if (url.pathname === '/metrics' && options.metrics && (req.method === 'GET' || req.method === 'HEAD')) {
      if (options.tls && !(req.socket as TLSSocket).authorized) {
        return send(res, req.method, 403, 'text/plain', 'a client certificate signed by a CA in api.tls.clientCa is required for /metrics\n');
      }
      options.metrics().then(
        (m) => send(res, req.method, 200, m.contentType.replace(/;\s*charset=[^;]*/i, ''), m.body),
        (err: unknown) => {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'rendering /metrics failed');
          send(res, req.method, 500, 'text/plain', 'metrics could not be rendered\n');
        },
      );
      return;
    }
    const probe = Object.hasOwn(PATHS, url.pathname) ? PATHS[url.pathname] : undefined;
    if (!probe) return send(res, req.method, 404, 'text/plain', 'not found: /livez, /readyz\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, req.method, 405, 'text/plain', 'method not allowed: GET or HEAD\n');
    }
    const report = health.report(probe);
    const code = report.status === 'SERVING' ? 200 : 503;
    if (url.searchParams.has('verbose')) return send(res, req.method, code, 'application/json', `${JSON.stringify(report)}\n`);
    return send(res, req.method, code, 'text/plain', `${report.status === 'SERVING' ? 'ok' : report.reason}\n`);
  };
  const tls = options.tls && followHttpTls(options.tls, (context) => (server as https.Server).setSecureContext(context));
  const server: http.Server | https.Server = tls
    ? https.createServer({ ...limits, ...(await tls.initial), requestCert: true, rejectUnauthorized: false }, handler)
    : http.createServer(limits, handler);
  server.maxHeadersCount = 32;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConductorError('API_LISTEN_FAILED', `cannot serve http.address on ${options.host}:${options.port}: ${err.message}`, { address: `${options.host}:${options.port}` }, { cause: err })),
    );
    server.listen(options.port, options.host, () => resolve());
  }).catch((err: unknown) => {
    tls?.close();
    throw err;
  });
  const bound = server.address() as AddressInfo;
  const address = { host: options.host, port: bound.port };
  logger.info({ address: `${address.host}:${address.port}`, tls: tls !== undefined }, `${tls ? 'HTTPS' : 'HTTP'} listening: /livez, /readyz${options.metrics ? ', /metrics' : ''}`);
  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      tls?.close();
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(res: http.ServerResponse, method: string | undefined, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': `${type}; charset=utf-8`, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : body);
}
