/**
 * What the main thread and the health worker share: the heartbeat (a monotonic stamp in shared
 * memory that the main loop writes and the worker reads, with no message and no turn of the main
 * loop needed to read it) and the messages each posts to the other.
 */
import type { HealthGrpcAddress } from './health-addresses.js';
import type { HealthReport } from './health.js';
import type { LoopDelayStats } from './health-loop-delay.js';

/** The heartbeat: process.hrtime in ns (monotonic, the same clock in every thread of the process). */
export class Heartbeat {
  private readonly stamp: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.stamp = new BigInt64Array(buffer, 0, 1);
  }

  beat(): void {
    Atomics.store(this.stamp, 0, process.hrtime.bigint());
  }

  /** How long ago the last beat was, ms. */
  ageMs(): number {
    return Number(process.hrtime.bigint() - Atomics.load(this.stamp, 0)) / 1e6;
  }
}

/** The monotonic clock in ms (process.hrtime: one clock for every thread of the process), for marks that cross threads. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * When a scrape reached each stage on the main thread (monoMs): the message taken, then the
 * render's own marks (node-metrics.ts), then the answer posted. With the thread's own marks
 * (asked, answer received, bytes sent) they say where a slow scrape's time went
 * (CONDUCTOR_SCRAPE_TRACE=1 logs them).
 */
export type ScrapeMarks = Record<string, number>;

/** What the worker is started with. */
export interface HealthWorkerData {
  heartbeat: SharedArrayBuffer;
  http: { host: string; port: number } | undefined;
  /** HTTPS: the listener waits for the identity (a 'tls' message, or `tlsContext` on a restart). */
  httpTls: boolean;
  /** The identity in use, kept for a restarted thread. */
  tlsContext?: HttpTlsContext | undefined;
  grpc: HealthGrpcAddress | undefined;
  /** What serves grpc.health.v1: node:http2 itself, or grpc-js (kept for the comparison in scripts/bench-health-grpc.ts only). */
  grpcServer?: 'node-http2' | 'grpc-js' | undefined;
  stallMs: number;
  /** How long a /metrics request waits for the main thread, ms. */
  metricsTimeoutMs: number;
  /** How long a scrape waits for a fresh render before the last exposition answers it, ms (metrics.scrapeWaitMs); 0: always wait. */
  scrapeWaitMs: number;
  /** The oldest exposition a scrape is answered with past scrapeWaitMs, ms (metrics.scrapeMaxAgeSec). */
  scrapeMaxAgeMs: number;
  /** Scrapes answered with the last exposition: the main thread's memory, so that a restarted thread counts on. */
  staleScrapes: SharedArrayBuffer;
  /** The thread's own nice value (health.threadNice); undefined: the process's. */
  threadNice?: number | undefined;
}

/** The HTTP listener's identity and client CA, PEM (buffers cross to the thread as bytes). */
export interface HttpTlsContext {
  cert: Uint8Array;
  key: Uint8Array;
  ca: Uint8Array;
}

export type ToWorker =
  | { type: 'reports'; liveness: HealthReport; readiness: HealthReport }
  | { type: 'tls'; context: HttpTlsContext }
  | { type: 'loop-delay'; stats: LoopDelayStats }
  | { type: 'metrics-enabled'; enabled: boolean }
  /** `body`: the exposition's UTF-8 bytes, their buffer transferred (not copied) to the thread. */
  | { type: 'metrics-answer'; id: number; text?: { contentType: string; body: Uint8Array } | undefined; error?: string | undefined; marks?: ScrapeMarks | undefined }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'listening'; http: { host: string; port: number } | undefined; grpc: string | undefined; httpAt: number | undefined; grpcAt: number | undefined }
  | { type: 'listen-failed'; code: 'API_LISTEN_FAILED' | 'API_SOCKET_IN_USE'; message: string }
  | { type: 'metrics'; id: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string };
