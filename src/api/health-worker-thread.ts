/**
 * The health worker: a thread of its own that serves /livez, /readyz and /metrics on http.address
 * and grpc.health.v1 on health.grpcAddress, so that a probe is answered while the main event loop
 * is busy (invariant 4). It answers from what the main thread published: the heartbeat in shared
 * memory and the last reports it posted. Liveness fails only when the heartbeat is older than
 * health.livenessStallSec; readiness is the posted report, failed for the same reason then.
 * /metrics is the one answer that needs the main thread: asked over the message port, waited for
 * within metrics.scrapeWaitMs, else answered with the last exposition (health-worker-scrapes.ts).
 * grpc.health.v1 is served on node:http2 itself (health-worker-h2.ts), no gRPC library.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { livenessAt, readinessAt, type HealthReport, type Probe } from './health.js';
import { startHealthHttp, type HealthHttp, type HealthView, type MetricsText } from './health-http.js';
import type { LoopDelayStats } from './health-loop-delay.js';
import { Heartbeat, type FromWorker, type HealthWorkerData, type HttpTlsContext, type ToWorker } from './health-worker-messages.js';
import { Scrapes } from './health-worker-scrapes.js';
import type { HealthGrpcServer } from './health-worker-h2.js';
import { setThreadNice } from './thread-nice.js';

/** How often Watch streams and the stall log re-read the heartbeat, ms. */
const TICK_MS = 100;

const data = workerData as HealthWorkerData;
const port = parentPort!;
const heartbeat = new Heartbeat(data.heartbeat);
const starting = (): HealthReport => ({ status: 'NOT_SERVING', reason: 'starting', since: new Date().toISOString(), checks: [] });
let cached = { liveness: starting(), readiness: starting() };
let loopDelay: LoopDelayStats | undefined;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void {
  post({ type: 'log', level, fields, msg });
}

function report(probe: Probe): HealthReport {
  const now = Date.now();
  const live = livenessAt(cached.liveness, now - heartbeat.ageMs(), now, data.stallMs);
  return probe === 'liveness' ? live : readinessAt(cached.readiness, live);
}

const view: HealthView = {
  report,
  details: () => ({ heartbeatAgeMs: Math.round(heartbeat.ageMs()), eventLoopDelay: loopDelay ?? null }),
};

/** CONDUCTOR_SCRAPE_TRACE=1: every scrape logs where its time went (health-worker-scrapes.ts stageTrace). */
const scrapes = new Scrapes({
  ask: (id) => post({ type: 'metrics', id }),
  waitMs: data.scrapeWaitMs,
  maxAgeMs: data.scrapeMaxAgeMs,
  timeoutMs: data.metricsTimeoutMs,
  staleCount: new BigInt64Array(data.staleScrapes, 0, 1),
  trace: process.env.CONDUCTOR_SCRAPE_TRACE === '1' ? (fields) => log('warn', fields, 'scrape trace') : undefined,
  log,
});

function metrics(): Promise<MetricsText | undefined> {
  return scrapes.scrape();
}

let stalled = false;
let grpc: HealthGrpcServer | undefined;
/** Re-reads the heartbeat: Watch streams get a stall as it happens, and the log says when. */
function tick(): void {
  grpc?.publish();
  const age = heartbeat.ageMs();
  if (!stalled && age > data.stallMs) {
    stalled = true;
    log('warn', { heartbeatAgeMs: Math.round(age), boundMs: data.stallMs }, 'the main event loop has not turned within the liveness bound: liveness NOT_SERVING');
  } else if (stalled && age <= data.stallMs) {
    stalled = false;
    log('info', { heartbeatAgeMs: Math.round(age) }, 'the main event loop turns again: liveness follows its report');
  }
}

let http: HealthHttp | undefined;
let ticker: NodeJS.Timeout | undefined;
/** HTTPS: the identity, once the main thread has sent it. */
let tlsContext: HttpTlsContext | undefined = data.tlsContext;
let tlsArrived: (() => void) | undefined;
const tlsReady = new Promise<void>((resolve) => {
  if (tlsContext || !data.httpTls) resolve();
  else tlsArrived = resolve;
});

function secureContext(context: HttpTlsContext): { cert: Buffer; key: Buffer; ca: Buffer } {
  return { cert: Buffer.from(context.cert), key: Buffer.from(context.key), ca: Buffer.from(context.ca) };
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'reports':
      cached = { liveness: message.liveness, readiness: message.readiness };
      grpc?.publish();
      return;
    case 'loop-delay':
      loopDelay = message.stats;
      return;
    case 'tls':
      tlsContext = message.context;
      http?.setSecureContext(secureContext(message.context));
      tlsArrived?.();
      return;
    case 'metrics-enabled':
      scrapes.setEnabled(message.enabled);
      return;
    case 'metrics-answer':
      scrapes.answered(message.id, message);
      return;
    case 'stop':
      void stop();
  }
});

async function stop(): Promise<void> {
  clearInterval(ticker);
  scrapes.stop();
  await Promise.all([http?.close(), grpc?.close()]);
  // The port was the last thing holding the thread.
  port.close();
}

async function start(): Promise<void> {
  let httpAt: number | undefined;
  let grpcAt: number | undefined;
  if (data.threadNice !== undefined) {
    // Before the listeners: from their first probe on, this thread is ahead of the main loop for the CPU.
    const nice = setThreadNice(data.threadNice);
    if (nice.set) log('info', { from: nice.from, to: nice.to }, 'health thread priority set: probes are answered ahead of the main loop on a busy CPU');
    else
      log(
        'warn',
        { nice: nice.from, wanted: nice.wanted, reason: nice.reason },
        "health thread priority left as the process's: on a busy CPU probes share it with the main loop (grant CAP_SYS_NICE, or set health.mainThreadNice)",
      );
  }
  try {
    if (data.http) {
      await tlsReady;
      const tls = data.httpTls && tlsContext ? secureContext(tlsContext) : undefined;
      http = await startHealthHttp({ ...data.http, view, metrics, tls, logger: { info: (fields, msg) => log('info', { ...fields }, msg) } });
      httpAt = Date.now();
    }
    if (data.grpc) {
      // grpc-js only for a comparison (scripts/bench-health-grpc.ts): node:http2 answers at about half its CPU.
      if (data.grpcServer === 'grpc-js') grpc = await (await import('./health-worker-grpc.js')).startHealthGrpc(data.grpc, report);
      else grpc = await (await import('./health-worker-h2.js')).startHealthH2(data.grpc, report);
      grpcAt = Date.now();
      log('info', { address: grpc.target }, 'gRPC health listening: grpc.health.v1');
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code === 'API_SOCKET_IN_USE' ? 'API_SOCKET_IN_USE' : 'API_LISTEN_FAILED';
    post({ type: 'listen-failed', code, message: (err as Error).message });
    await stop();
    return;
  }
  ticker = setInterval(tick, TICK_MS);
  post({ type: 'listening', http: http?.address, grpc: grpc?.target, httpAt, grpcAt });
}

void start();
