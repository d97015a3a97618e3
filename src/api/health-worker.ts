/**
 * The main thread's side of the health worker (health-worker-thread.ts): starts the thread, beats
 * the heartbeat, posts the reports when they change, measures the main loop's delay, answers
 * /metrics from the registered source, and restarts the thread when it dies.
 *
 * The thread is unref'd: it never keeps the process alive on its own, and whatever it throws ends
 * only itself (an 'error' event here, then a restart with the reason logged, backing off from
 * 100 ms to 10 s, starting over after a minute up). Close stops it and waits for it to end.
 */
import { chown } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ConductorError } from '../errors.js';
import type { Health, HealthReport } from './health.js';
import type { Config } from '../config/schema.js';
import { healthListeners, type HealthGrpcAddress } from './health-addresses.js';
import { apiTcpPlan } from './tls-config.js';
import type { MetricsText } from './health-http.js';
import { LoopDelay, type LoopDelayStats } from './health-loop-delay.js';
import { Heartbeat, monoMs, type FromWorker, type HealthWorkerData, type ScrapeMarks, type ToWorker } from './health-worker-messages.js';

/** The built thread: beside this module in dist/, or in dist/ when this module runs from source (vitest). */
const THREAD_MAIN = new URL(import.meta.url.endsWith('.ts') ? '../../dist/src/api/health-worker-thread.js' : './health-worker-thread.js', import.meta.url);

const BEAT_MS = 100;
/** The loop delay goes to the thread every this many beats (its window is seconds long). */
const LOOP_DELAY_EVERY = 10;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A thread up this long has earned a fresh backoff. */
const RESTART_RESET_MS = 60_000;
const STOP_DEADLINE_MS = 3_000;
/** Lines kept for a logger that is not there yet: a start logs a few; a thread dying in a loop is not worth more. */
const MAX_HELD_LINES = 100;

type LogLevel = 'info' | 'warn' | 'error';

export interface HealthWorkerOptions {
  /** Where /livez, /readyz, /metrics listen; undefined: no HTTP listener. */
  http: { host: string; port: number } | undefined;
  /** HTTPS: the listener waits for setHttpTls (the API's identity, api.tls.*). */
  httpTls?: boolean;
  /** Where grpc.health.v1 listens; undefined: no gRPC listener. */
  grpc: HealthGrpcAddress | undefined;
  /** What serves grpc.health.v1 in the thread: node:http2 (the default), or grpc-js, for scripts/bench-health-grpc.ts's comparison only. */
  grpcServer?: 'node-http2' | 'grpc-js';
  /** How old the heartbeat may be before liveness fails, ms. */
  stallMs: number;
  /** None yet: lines are held until setLogger (the early start makes pino after the thread). */
  logger?: Logger | undefined;
  /** How long a /metrics request waits for the main thread, ms. */
  metricsTimeoutMs?: number;
  /** How long a scrape waits for a fresh render before the last exposition answers it, ms; 0 (the default here): always wait. */
  scrapeWaitMs?: number;
  /** The oldest exposition a scrape is answered with past scrapeWaitMs, ms (default 120 s). */
  scrapeMaxAgeMs?: number;
  /** The thread's nice value, set by the thread itself (a Linux nice is per thread). */
  threadNice?: number;
  /** The thread's module; tests give a variant. */
  threadMain?: URL | string;
}

export interface HealthWorkerAddresses {
  http: { host: string; port: number } | undefined;
  /** `unix:PATH` or host:port, as bound. */
  grpc: string | undefined;
}

/** `marks`: where the source may note when it reached its stages (monoMs), for the scrape's trace. */
export type MetricsSource = (marks: ScrapeMarks) => Promise<MetricsText>;

export class HealthWorker {
  /** Resolves once the first thread listens; rejects with API_LISTEN_FAILED or API_SOCKET_IN_USE when it cannot. */
  readonly listening: Promise<HealthWorkerAddresses>;
  private readonly heartbeat = new Heartbeat();
  private readonly loopDelay = new LoopDelay();
  private readonly beatTimer: NodeJS.Timeout;
  private readonly data: HealthWorkerData;
  private worker: Worker | undefined;
  private health: Health | undefined;
  private unfollow: (() => void) | undefined;
  private metricsSource: MetricsSource | undefined;
  private socketGroup: number | undefined;
  private shuttingDown = false;
  private posted = '';
  /** Readiness has been SERVING once: the start is over. */
  private started = false;
  private beats = 0;
  private startedAt = 0;
  private backoffMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private addresses: HealthWorkerAddresses | undefined;
  private closing: Promise<void> | undefined;
  private settle: { resolve(addresses: HealthWorkerAddresses): void; reject(err: Error): void } | undefined;
  private restartCount = 0;
  private logger: Logger | undefined;
  private held: Array<{ level: LogLevel; fields: object; msg: string }> = [];

  constructor(private readonly options: HealthWorkerOptions) {
    this.logger = options.logger;
    this.data = {
      heartbeat: this.heartbeat.buffer,
      http: options.http,
      httpTls: options.httpTls === true,
      grpc: options.grpc,
      grpcServer: options.grpcServer,
      stallMs: options.stallMs,
      metricsTimeoutMs: options.metricsTimeoutMs ?? 5_000,
      scrapeWaitMs: options.scrapeWaitMs ?? 0,
      scrapeMaxAgeMs: options.scrapeMaxAgeMs ?? 120_000,
      // Here, not in the thread: a restarted thread counts on from where the last one stopped.
      staleScrapes: new SharedArrayBuffer(8),
      threadNice: options.threadNice,
    };
    this.listening = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A start that fails is reported by whoever awaits it; an unawaited rejection must not crash the process.
    this.listening.catch(() => undefined);
    this.heartbeat.beat();
    this.beatTimer = setInterval(() => this.beat(), BEAT_MS);
    this.beatTimer.unref();
    this.spawn();
  }

  /** How many times the thread was restarted after it died. */
  get restarts(): number {
    return this.restartCount;
  }

  /** The logger from now on; the lines logged before it had one go to it first. */
  setLogger(logger: Logger): void {
    this.logger = logger;
    for (const line of this.held.splice(0)) logger[line.level](line.fields, line.msg);
  }

  /** The main loop's delay over its last window (perf_hooks.monitorEventLoopDelay). */
  eventLoopDelay(): LoopDelayStats {
    return this.loopDelay.stats();
  }

  /** The reports the thread answers from, from now on (posted when they change). */
  follow(health: Health): void {
    this.health = health;
    // A change of status goes at once: no caller should hear SERVING from the API and the opposite here.
    this.unfollow = health.onChange(() => this.publish());
    this.publish();
  }

  /** What GET /metrics answers; undefined: 404 "metrics not enabled". */
  setMetricsSource(source: MetricsSource | undefined): void {
    this.metricsSource = source;
    this.post({ type: 'metrics-enabled', enabled: source !== undefined });
  }

  /** The HTTPS listener's identity, now and after each rotation (http-tls.ts follows the files). */
  setHttpTls(context: { cert: Buffer; key: Buffer; ca: Buffer }): void {
    this.data.tlsContext = { cert: context.cert, key: context.key, ca: context.ca };
    this.post({ type: 'tls', context: this.data.tlsContext });
  }

  /** The group a Unix socket listener is given (the API socket's). */
  setSocketGroup(gid: number): void {
    this.socketGroup = gid;
    void this.chownSocket();
  }

  /** Readiness says so from now on, while the rest of the service closes. */
  markShuttingDown(): void {
    this.shuttingDown = true;
    this.publish();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.beatTimer);
      clearTimeout(this.restartTimer);
      this.unfollow?.();
      this.loopDelay.close();
      this.settle?.reject(new Error('the service closed before the health listeners were up'));
      const worker = this.worker;
      if (!worker) return;
      // Held while it closes its listeners, so that the process does not end first.
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      const late = setTimeout(() => void worker.terminate(), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(late);
    })();
    return this.closing;
  }

  private spawn(): void {
    const worker = new Worker(this.options.threadMain ?? THREAD_MAIN, {
      workerData: this.data,
      // The service's own node flags (a profiler, a heap size) are not the thread's.
      execArgv: [],
      // Its own small heap: a leak there ends the thread (and it is restarted), not the service.
      // A probe allocates a few KiB: 1 MiB semi-spaces (young 3 MiB) hold seconds of them, where
      // 16 MiB kept 8 MiB of new space resident for nothing.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 3 },
    });
    this.worker = worker;
    this.startedAt = Date.now();
    let failure: string | undefined;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'listen-failed') failure = message.message;
      this.onMessage(worker, message);
    });
    worker.on('error', (err) => {
      failure ??= err.message;
    });
    worker.on('exit', (code) => this.onExit(worker, failure ?? `the thread exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the thread's port again.
    worker.unref();
    this.posted = '';
    this.publish();
    this.post({ type: 'loop-delay', stats: this.loopDelay.stats() });
    if (this.metricsSource) this.post({ type: 'metrics-enabled', enabled: true });
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'log':
        this.log(message.level, message.fields, message.msg);
        return;
      case 'listening':
        this.addresses = { http: message.http, grpc: message.grpc };
        if (this.settle) {
          // The main thread's timeOrigin is the process's start: the figures for "answered how soon".
          const since = (at: number | undefined): number | undefined => (at === undefined ? undefined : Math.round(at - performance.timeOrigin));
          this.log('info', { ...this.addresses, httpMsSinceProcessStart: since(message.httpAt), grpcMsSinceProcessStart: since(message.grpcAt) }, 'health worker listening');
          this.settle.resolve(this.addresses);
          this.settle = undefined;
        } else this.log('info', { ...this.addresses, restarts: this.restartCount }, 'health worker restarted and listening');
        void this.chownSocket();
        return;
      case 'listen-failed':
        if (this.settle) {
          this.settle.reject(new ConductorError(message.code, message.message));
          this.settle = undefined;
        }
        return;
      case 'metrics':
        this.answerMetrics(worker, message.id, monoMs());
    }
  }

  private answerMetrics(worker: Worker, id: number, got: number): void {
    const source = this.metricsSource;
    const marks: ScrapeMarks = { got };
    const reply = (answer: Omit<Extract<ToWorker, { type: 'metrics-answer' }>, 'type' | 'id' | 'marks'>, transfer: ArrayBuffer[] = []): void => {
      marks.posted = monoMs();
      worker.postMessage({ type: 'metrics-answer', id, ...answer, marks } satisfies ToWorker, transfer);
    };
    if (!source) return reply({});
    source(marks).then(
      (text) => {
        // Encoded once here and its buffer handed over: posting the ~600 KiB string itself would
        // serialize it (after flattening its rope) and the thread would encode it again to send.
        const body = utf8Bytes(text.body);
        reply({ text: { contentType: text.contentType, body } }, [body.buffer as ArrayBuffer]);
      },
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private onExit(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.closing) return;
    if (this.settle) {
      // The first thread never listened: the start fails with why, nothing is restarted.
      this.settle.reject(new ConductorError('API_LISTEN_FAILED', `the health worker stopped before it listened: ${reason}`));
      this.settle = undefined;
      return;
    }
    if (Date.now() - this.startedAt >= RESTART_RESET_MS) this.backoffMs = RESTART_MIN_MS;
    const delayMs = this.backoffMs;
    this.backoffMs = Math.min(RESTART_MAX_MS, this.backoffMs * 2);
    this.log('warn', { reason, restartInMs: delayMs }, 'health worker died; restarting it');
    this.restartTimer = setTimeout(() => {
      this.restartCount++;
      this.spawn();
    }, delayMs);
    this.restartTimer.unref();
  }

  private beat(): void {
    this.heartbeat.beat();
    this.publish();
    if (++this.beats % LOOP_DELAY_EVERY === 0) this.post({ type: 'loop-delay', stats: this.loopDelay.stats() });
  }

  /** Posts the reports when they differ from the last posted (the beat runs this every 100 ms). */
  private publish(): void {
    if (!this.health) return;
    const liveness = this.health.report('liveness');
    const readiness: HealthReport = this.shuttingDown ? { ...this.health.report('readiness'), status: 'NOT_SERVING', reason: 'the service is shutting down' } : this.health.report('readiness');
    const text = JSON.stringify([liveness, readiness]);
    if (text === this.posted) return;
    this.posted = text;
    this.post({ type: 'reports', liveness, readiness });
    if (!this.started && readiness.status === 'SERVING') {
      this.started = true;
      this.loopDelay.cut();
      this.post({ type: 'loop-delay', stats: this.loopDelay.stats() });
    }
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private async chownSocket(): Promise<void> {
    const path = this.addresses?.grpc?.startsWith('unix:') ? this.addresses.grpc.slice('unix:'.length) : undefined;
    if (path === undefined || this.socketGroup === undefined) return;
    await chown(path, -1, this.socketGroup).catch((err: Error) => this.log('warn', { path, err: err.message }, 'cannot give the health socket its group'));
  }

  private log(level: LogLevel, fields: object, msg: string): void {
    if (this.logger) this.logger[level](fields, msg);
    else if (this.held.length < MAX_HELD_LINES) this.held.push({ level, fields, msg });
  }
}

/**
 * The worker the configuration asks for: http.address (HTTPS when api.tls.* is set),
 * health.grpcAddress, health.livenessStallSec, metrics.scrapeWaitMs and scrapeMaxAgeSec. Light to import, so that `serve` starts it before
 * loading the rest of the service (cli/main.ts) and hands it to startService.
 */
export function healthWorkerFor(config: Config, logger?: Logger): HealthWorker {
  return new HealthWorker({
    ...healthListeners(config),
    httpTls: apiTcpPlan(config).files !== undefined,
    stallMs: config['health.livenessStallSec'] * 1000,
    scrapeWaitMs: config['metrics.scrapeWaitMs'],
    scrapeMaxAgeMs: config['metrics.scrapeMaxAgeSec'] * 1000,
    threadNice: config['health.threadNice'],
    logger,
  });
}

/** A string's UTF-8 bytes in a buffer of their own (never a slice of Buffer's shared pool), so it can be transferred. */
function utf8Bytes(body: string | Uint8Array): Uint8Array {
  if (typeof body !== 'string') return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(body));
  bytes.write(body);
  return bytes;
}
