/**
 * The node's HTTP listener (`http.address`), run by the health worker: GET /livez and /readyz for
 * probes that speak HTTP (kubelet httpGet), and /metrics. An answer reads the cached reports and
 * nothing else. 200 "ok" or 503 with the reason, plain text; `?verbose` answers the whole report
 * as JSON with the view's details (the heartbeat's age, the main loop's delay). /metrics is text
 * from `metrics` (404 while none is enabled, 503 with the reason when it fails). HTTPS with the
 * API's identity when `tls` is given (api.tls.*; see http-tls.ts, which follows rotation): a client
 * certificate is asked for and checked but not required at the handshake, since kubelet's HTTPS
 * probes present none; /metrics then requires one, as the API does.
 * Bounded: bodies are discarded unread, only GET and HEAD, short header and keep-alive timeouts.
 */
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { ConductorError } from '../errors.js';
import type { HealthReport, Probe } from './health.js';

/** What the listener answers from: the reports as of now, and what ?verbose adds to them. */
export interface HealthView {
  report(probe: Probe): HealthReport;
  details?(): Record<string, unknown>;
}

export interface MetricsText {
  contentType: string;
  /** The exposition; bytes when it crossed from the main thread (UTF-8, sent as they are). */
  body: string | Uint8Array;
  /** Text sent after the body (the health worker's own lines: the exposition's age, stale answers). */
  trailer?: string | undefined;
  /** Called once the answer is handed to the connection whole (its 'finish'). */
  sent?: (() => void) | undefined;
}

/** The few lines the listener logs; a pino logger is one. */
export interface HealthHttpLog {
  info(fields: object, msg: string): void;
}

export interface HealthHttp {
  readonly address: { host: string; port: number };
  /** A rotated identity, for new connections (HTTPS only). */
  setSecureContext(context: SecureContextOptions): void;
  close(): Promise<void>;
}

const PATHS: Record<string, Probe> = { '/livez': 'liveness', '/readyz': 'readiness' };
const TIMEOUT_MS = 5_000;

export interface HealthHttpOptions {
  host: string;
  port: number;
  view: HealthView;
  /** The metrics' text; resolves undefined while none is enabled. */
  metrics?: (() => Promise<MetricsText | undefined>) | undefined;
  logger: HealthHttpLog;
  /** HTTPS with this identity and client CA; undefined: plain HTTP. */
  tls?: SecureContextOptions | undefined;
}

export async function startHealthHttp(options: HealthHttpOptions): Promise<HealthHttp> {
  const { view, logger } = options;
  const limits = { requestTimeout: TIMEOUT_MS, headersTimeout: TIMEOUT_MS, keepAliveTimeout: TIMEOUT_MS, maxHeaderSize: 8 * 1024 };
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://health');
    } catch {
      return send(res, req.method, 400, 'text/plain', 'bad request target\n');
    }
    const probe = Object.hasOwn(PATHS, url.pathname) ? PATHS[url.pathname] : undefined;
    if (!probe && url.pathname !== '/metrics') return send(res, req.method, 404, 'text/plain', 'not found: /livez, /readyz, /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, req.method, 405, 'text/plain', 'method not allowed: GET or HEAD\n');
    }
    if (!probe) {
      if (options.tls && !presentedTrustedCertificate(req.socket as TLSSocket)) {
        return send(res, req.method, 403, 'text/plain', 'a client certificate signed by a CA in api.tls.clientCa is required for /metrics\n');
      }
      return sendMetrics(res, req.method, options.metrics);
    }
    const report = view.report(probe);
    const code = report.status === 'SERVING' ? 200 : 503;
    if (url.searchParams.has('verbose')) return send(res, req.method, code, 'application/json', `${JSON.stringify({ ...report, ...view.details?.() })}\n`);
    return send(res, req.method, code, 'text/plain', `${report.status === 'SERVING' ? 'ok' : report.reason}\n`);
  };
  // node:https (and TLS with it) only when it is used: a plain listener starting sooner is the first answer of a starting service.
  const secure = options.tls ? (await import('node:https')).createServer({ ...limits, ...options.tls, requestCert: true, rejectUnauthorized: false }, handler) : undefined;
  const server: http.Server | https.Server = secure ?? http.createServer(limits, handler);
  server.maxHeadersCount = 32;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConductorError('API_LISTEN_FAILED', `cannot serve http.address on ${options.host}:${options.port}: ${err.message}`, { address: `${options.host}:${options.port}` }, { cause: err })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = { host: options.host, port: bound.port };
  logger.info({ address: `${address.host}:${address.port}`, tls: options.tls !== undefined }, `${options.tls ? 'HTTPS' : 'HTTP'} listening: /livez, /readyz, /metrics`);
  let closing: Promise<void> | undefined;
  return {
    address,
    setSecureContext(context) {
      secure?.setSecureContext(context);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** `charset`: add one to the type (a metrics source names its own content type whole). */
function send(res: http.ServerResponse, method: string | undefined, code: number, type: string, body: string | Uint8Array, charset = true, trailer = ''): void {
  // A client that went away while /metrics was rendered has nobody to answer.
  if (res.destroyed) return;
  const length = Buffer.byteLength(body) + Buffer.byteLength(trailer);
  res.writeHead(code, { 'Content-Type': charset ? `${type}; charset=utf-8` : type, 'Content-Length': length, 'Cache-Control': 'no-store' });
  if (method === 'HEAD') return void res.end();
  // The body as it came (a kept buffer, never copied to add the trailer to it), then the trailer.
  if (trailer !== '') res.write(body);
  res.end(trailer === '' ? body : trailer);
}

function sendMetrics(res: http.ServerResponse, method: string | undefined, metrics: HealthHttpOptions['metrics']): void {
  if (!metrics) return send(res, method, 404, 'text/plain', 'metrics not enabled\n');
  metrics().then(
    (text) => {
      if (text) {
        if (text.sent) res.once('finish', text.sent);
        send(res, method, 200, text.contentType, text.body, false, text.trailer);
      } else send(res, method, 404, 'text/plain', 'metrics not enabled\n');
    },
    (err: unknown) => send(res, method, 503, 'text/plain', `metrics unavailable: ${(err as Error).message}\n`),
  );
}

/**
 * A client certificate that chains to the client CA was presented on this connection, or on the
 * TLS session it resumed. `authorized` alone is not enough: on a resumed TLS 1.3 session Node
 * reports a client that never presented a certificate as authorized (no certificate is checked
 * on resumption), so an anonymous client could reach /metrics by resuming its own session.
 */
function presentedTrustedCertificate(socket: TLSSocket): boolean {
  if (!socket.authorized) return false;
  const certificate = socket.getPeerCertificate();
  return certificate !== null && typeof certificate === 'object' && Object.keys(certificate).length > 0;
}
