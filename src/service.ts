/**
 * The composition root: the one place that reads configuration and builds the service from it
 * (spdk_tgt's client, or an embedded simulator when none is configured; the domain; peers; the
 * API), so that the CLI, the tests and the benchmarks start the same thing.
 *
 * The timeout budget is checked against the host's real io_timeout before anything is opened: a
 * budget that would let one lost replica fail a volume stops start-up (a ConfigError naming the
 * rule) unless timeouts.unsafeSkipCheck. The health worker (its own thread: /livez, /readyz,
 * /metrics and grpc.health.v1, answered while the main loop is busy) starts before anything slow;
 * the API is up before recovery from spdk_tgt starts, so liveness never waits on it; readiness
 * turns SERVING when the domain has recovered. Whatever start-up opened is closed again when a
 * later step fails.
 */
import { getPriority, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Health } from './api/health.js';
import { followHttpTls } from './api/http-tls.js';
import { NodeMetrics, type TlsIdentityInUse } from './api/metrics/node-metrics.js';
import type { LoopDelayStats } from './api/health-loop-delay.js';
import { blockLoopOnSignal } from './api/health-loop-block.js';
import { healthWorkerFor, type HealthWorker, type MetricsSource } from './api/health-worker.js';
import { domainReadiness, startApiServer, type ApiPorts, type ApiServer, type ApiServerOptions } from './api/server.js';
import { resolveSocketGroup } from './api/socket-group.js';
import { setThreadNice } from './api/thread-nice.js';
import { apiTcpPlan, clientTlsFiles } from './api/tls-config.js';
import { WatchedTls } from './api/watched-tls.js';
import { DAY_MS, TlsExpiryWatch } from './api/tls-expiry.js';
import { configSource, redactedConfig } from './config/load.js';
import { targetLanes, threadpoolSize } from './threadpool.js';
import type { Config } from './config/schema.js';
import { checkStateFileWritable } from './config/state-dir.js';
import { engineDeps } from './domain/engine/engine-deps.js';
import { budgetFromConfig } from './domain/engine/timeout-budget-config.js';
import { VolumeIo } from './domain/engine/volume-io.js';
import { NodeResources } from './domain/health/resources.js';
import { startLoopTrace } from './loop-trace.js';
import { createNodeDomain } from './domain/node/create-node-domain.js';
import type { NodeService } from './domain/node/node-service.js';
import type { RecoveryReport } from './domain/node/recovery.js';
import { lockStateDir, type StateDirLock } from './domain/node/state-dir-lock.js';
import type { Readiness } from './domain/operations.js';
import { startEmbeddedSim, type EmbeddedSim } from './embedded-sim.js';
import { ConfigError } from './errors.js';
import { readHostIoTimeout } from './host/nvme-params.js';
import { settleDetachProtector } from './jit-settle.js';
import { componentLogger, createLogger } from './log.js';
import { GrpcPeerDirectory } from './peers/grpc-peers.js';
import { SpdkClient } from './spdk/client.js';
import { SpdkLinkProbe } from './spdk/link-probe.js';
import { SpdkMethods } from './spdk/methods/index.js';
import { splitPathPrefixes } from './validation/paths.js';

const DEFAULT_STATE_DIR = '/var/lib/spdk-conductor';

export interface ServiceOptions {
  /** The root logger; default: one at log.level on stdout. */
  logger?: Logger;
  /** Where sysfs is mounted (the host's nvme io_timeout is read there); default `/`. */
  sysfsRoot?: string;
  /** API server timings (tests shorten them). */
  api?: Pick<ApiServerOptions, 'readinessPollMs' | 'shutdownGraceMs'>;
  /** The health worker, already started from this config (serve starts it first); default: started here. */
  healthWorker?: HealthWorker;
}

export interface ServiceHandle {
  readonly log: Logger;
  /** Where the API listens, as bound (a TCP port 0 is resolved). */
  readonly api: ApiPorts;
  /** Where http.address listens, as bound; undefined when off. */
  readonly http: { host: string; port: number } | undefined;
  /** Where the health worker serves grpc.health.v1 (`unix:PATH` or host:port), as bound; undefined when off. */
  readonly healthGrpc: string | undefined;
  /** What GET /metrics answers (through the health worker); undefined: 404. */
  setMetricsSource(source: MetricsSource | undefined): void;
  /** The main event loop's delay over its last window. */
  eventLoopDelay(): LoopDelayStats;
  /** Liveness and readiness, as the health service and /livez, /readyz answer them. */
  readonly health: Health;
  /** The Prometheus metrics /metrics serves and NodeStats reads. */
  readonly metrics: NodeMetrics;
  /** The domain the API serves, for in-process callers. */
  readonly domain: NodeService;
  readonly client: SpdkClient;
  /** The simulator started because no spdk.socket is configured (restarted when it dies: its pid changes). */
  readonly embeddedSim: Pick<EmbeddedSim, 'socketPath' | 'pid' | 'restarts'> | undefined;
  /** Recovery from spdk_tgt; resolves with undefined when close() stops it first. */
  readonly recovered: Promise<RecoveryReport | undefined>;
  readiness(): Readiness;
  /** Closes the API, the domain, peers, the client and the embedded simulator, in that order; once. */
  close(): Promise<void>;
}

/**
 * The image sets simulator=false: a node whose spdk_tgt socket was forgotten must not come up
 * serving a simulator's volumes as if they were real ones.
 */
function refuseImplicitSimulator(config: Config): void {
  if (config['spdk.socket'] === undefined && config.simulator === false)
    throw new ConfigError(
      'spdk.socket',
      `unset, and ${configSource(config, 'simulator')} turns off the implicit simulator: give --spdk-socket PATH (spdk_tgt's RPC socket), or --simulator to run on the simulator`,
    );
}

/** What openSpdk opened; close() closes the client, then the simulator. */
export interface SpdkConnection {
  readonly client: SpdkClient;
  readonly sim: EmbeddedSim | undefined;
  close(): Promise<void>;
}

/** spdk_tgt's client, on spdk.socket or on an embedded simulator started for this caller. */
export async function openSpdk(config: Config, log: Logger): Promise<SpdkConnection> {
  refuseImplicitSimulator(config);
  const sim = config['spdk.socket'] ? undefined : await startEmbeddedSim(componentLogger(log, 'embedded-sim'), { memMib: config['sim.memMib'], interruptMode: config['sim.interruptMode'] });
  let client: SpdkClient;
  try {
    client = new SpdkClient({
      socketPath: config['spdk.socket'] ?? sim!.socketPath,
      logger: componentLogger(log, 'spdk-client'),
      deadlineMs: config['spdk.deadlineMs'],
      slowDeadlineMs: config['spdk.slowDeadlineMs'],
      maxInFlight: config['spdk.maxInFlight'],
      maxQueued: config['spdk.maxQueued'],
      validateResults: config['spdk.validateResults'],
    });
  } catch (err) {
    await sim?.stop();
    throw err;
  }
  return {
    client,
    sim,
    async close() {
      await client.close();
      await sim?.stop();
    },
  };
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<ServiceHandle> {
  settleDetachProtector();
  const log = options.logger ?? createLogger({ level: config['log.level'] });
  refuseImplicitSimulator(config);
  // libuv's pool as node started it (only the environment sets it: threadpool.ts), and what a hung filesystem backup target may hold of it.
  log.info({ config: redactedConfig(config), threadpool: { size: threadpoolSize(), backupTargetLanes: targetLanes() } }, 'starting');
  const domainLog = componentLogger(log, 'domain');
  const hostIoTimeoutSec = await readHostIoTimeout(options.sysfsRoot);
  const budget = budgetFromConfig(config, hostIoTimeoutSec, domainLog);
  const tcpPlan = apiTcpPlan(config);
  const clientFiles = clientTlsFiles(config);
  const socketGroup = config['api.socketGroup'] === undefined ? undefined : await resolveSocketGroup(config['api.socketGroup']);
  // The state directory is checked writable before anything is opened; beside an embedded simulator it is the simulator's fresh directory.
  const stateFileToCheck = config['state.file'] ?? (config['spdk.socket'] ? join(DEFAULT_STATE_DIR, 'state.json') : undefined);
  if (stateFileToCheck) checkStateFileWritable(stateFileToCheck, config['state.file'] ? configSource(config, 'state.file') : 'default (spdk.socket is set)');
  // Before anything slow: probes are answered from here on, whatever the rest of the start costs.
  const healthWorker = options.healthWorker ?? healthWorkerFor(config, componentLogger(log, 'health-worker'));
  lowerMainThread(config['health.mainThreadNice'], log);
  const unblock = blockLoopOnSignal(process.env, log);
  if (socketGroup !== undefined) healthWorker.setSocketGroup(socketGroup);

  const opened = new Closers();
  opened.add(async () => {
    unblock();
    await healthWorker.close();
  });
  const stopLoopTrace = startLoopTrace(componentLogger(log, 'loop'));
  opened.add(async () => stopLoopTrace());
  let spdk: SpdkConnection;
  let domain: NodeService;
  let api: ApiServer;
  let health: Health;
  let metrics: NodeMetrics;
  let healthAddresses: Awaited<typeof healthWorker.listening>;
  // One service per state directory, held until close (released last). A configured one is locked
  // before anything starts; the embedded simulator's fresh directory once it exists.
  const lockDir = (dir: string): void => {
    const lock: StateDirLock = lockStateDir(dir, componentLogger(log, 'state-file'));
    opened.add(async () => lock.release());
  };
  try {
    // Certificates are checked (a ConfigError names the key and file) before anything else is opened.
    const tlsOptions = { watch: true, pollMs: config['api.tls.pollMs'] };
    const serverTls = tcpPlan.files && new WatchedTls(tcpPlan.files, componentLogger(log, 'api-tls'), tlsOptions);
    if (serverTls) opened.add(async () => serverTls.close());
    const clientTls = clientFiles && new WatchedTls(clientFiles, componentLogger(log, 'client-tls'), tlsOptions);
    if (clientTls) opened.add(async () => clientTls.close());
    // Each identity in use says in the log when its certificate is about to expire, or has.
    const expiry = { warnWithinMs: config['api.tls.expiryWarnDays'] * DAY_MS };
    for (const [tls, component] of [
      [serverTls, 'api-tls'],
      [clientTls, 'client-tls'],
    ] as const) {
      if (!tls) continue;
      const watch = new TlsExpiryWatch(tls, componentLogger(log, component), expiry);
      opened.add(async () => watch.close());
    }
    const tlsInUse = (): TlsIdentityInUse[] => [
      ...(serverTls ? [{ identity: 'api' as const, summary: serverTls.summary }] : []),
      ...(clientTls ? [{ identity: 'client' as const, summary: clientTls.summary }] : []),
    ];
    log[tcpPlan.security === 'insecure' ? 'warn' : 'info'](
      { address: tcpPlan.address, security: tcpPlan.security, certificate: serverTls?.summary, clientCertificate: clientTls?.summary },
      `TCP API ${tcpPlan.security}: ${tcpPlan.reason}`,
    );
    if (serverTls && !clientTls) log.warn('api.tls.* is set but client.tls.* is not: calls to peers whose API requires mutual TLS will be refused');
    const configuredStateFile = config['state.file'];
    if (configuredStateFile) lockDir(dirname(configuredStateFile));
    spdk = await openSpdk(config, log);
    opened.add(() => spdk.close());
    const stateFile = configuredStateFile ?? join(spdk.sim ? dirname(spdk.sim.socketPath) : DEFAULT_STATE_DIR, 'state.json');
    if (!configuredStateFile) lockDir(dirname(stateFile));
    const peers = new GrpcPeerDirectory(componentLogger(log, 'peers'), { tls: clientTls });
    // Peers are the composition's: it made them, so it closes them (after the domain, which uses them).
    opened.add(async () => peers.close());
    domain = createNodeDomain({
      client: spdk.client,
      logger: log,
      peers,
      resources: (ctx) => new NodeResources({ ...ctx, config }),
      stateFile,
      settings: {
        exportAddress: config['export.address'],
        defaultClusterSizeBytes: config['disk.clusterSizeMib'] * 1024 * 1024,
        diskAllowedPrefixes: diskPrefixes(config, stateFile, spdk.sim !== undefined),
      },
      exportPorts: { min: config['export.portMin'], max: config['export.portMax'] },
      budget,
      engineDeps: engineDeps({ engine: config['engine.hostNqn'], frontend: config['frontend.hostNqn'] }, budget, domainLog),
      monitorPeriodMs: config['engine.monitorPeriodMs'],
      maxConcurrentRebuilds: config['rebuild.maxConcurrent'],
      maxQueuedRebuilds: config['rebuild.maxQueued'],
      backupStaging: {
        dir: resolve(config['backup.stagingDir'] ?? join(dirname(stateFile), 'backup-staging')),
        keepFreeBytes: config['backup.stagingKeepFreeMib'] * 1024 * 1024,
        restoreVia: config['backup.restoreVia'],
        restoreIoTimeoutMs: config['backup.restoreIoTimeoutMs'],
        restoreAuth: config['backup.restoreAuth'],
        restoreDirectIo: config['backup.restoreDirectIo'],
        inflateFloorMs: config['spdk.slowDeadlineMs'],
        inflateMsPerGib: config['backup.inflateSecPerGib'] * 1000,
      },
      backups: {
        queueMax: config['backup.queueMax'],
        concurrency: config['backup.concurrency'],
        retries: config['backup.retries'],
        retryMinMs: config['backup.retryMinMs'],
        requestTimeoutMs: config['backup.requestTimeoutMs'],
        leaseMs: config['backup.leaseSec'] * 1000,
        sweepRetryMs: config['backup.sweepRetrySec'] * 1000,
        stallMs: config['backup.stallSec'] * 1000,
        queuedDeadlineMs: config['backup.queuedDeadlineSec'] * 1000,
        defaultTarget: { kind: 'fs', path: join(dirname(stateFile), 'backups') },
      },
    });
    opened.add(() => domain.close());
    const healthLog = componentLogger(log, 'health');
    const link = new SpdkLinkProbe(spdk.client, { periodMs: config['health.spdkProbeMs'], deadlineMs: config['health.spdkProbeDeadlineMs'], logger: healthLog });
    opened.add(async () => link.close());
    const spdkLink = (): { ok: boolean; reason: string } => {
      const state = link.state();
      return { ok: state.reachable, reason: state.reachable ? 'ok' : state.reason };
    };
    health = new Health({
      logger: healthLog,
      refreshMs: options.api?.readinessPollMs ?? 200,
      stallMs: config['health.livenessStallSec'] * 1000,
      readiness: [{ name: 'spdk', read: spdkLink }, domainReadiness(domain)],
    });
    opened.add(async () => health.close());
    // A reconcile ending publishes SERVING now, not at the next refresh (up to 200 ms later).
    const unfollowReadiness = domain.onReadinessChange(() => health.refresh());
    opened.add(async () => unfollowReadiness());
    const node = domain;
    // Its own methods object: its reads are not steps of an operation (crash tests count those).
    const volumeIo = new VolumeIo({
      spdk: new SpdkMethods(spdk.client),
      client: spdk.client,
      raids: () => node.volumeRaids(),
      periodMs: config['metrics.iostatPeriodMs'],
      log: componentLogger(log, 'volume-io'),
    });
    volumeIo.start();
    opened.add(() => volumeIo.close());
    metrics = new NodeMetrics({ observe: () => node.observe(), loopDelay: () => healthWorker.eventLoopDelay(), volumeIo: () => volumeIo.latest(), volumeRates: () => volumeIo.rates(), tls: tlsInUse });
    opened.add(async () => metrics.close());
    api = await startApiServer({
      stats: metrics,
      volumeIo,
      ...options.api,
      health,
      stale: () => {
        const state = link.state();
        return state.reachable ? domain.viewStale() : `spdk_tgt unreachable since ${new Date(state.since).toISOString()}`;
      },
      domain,
      logger: componentLogger(log, 'api'),
      unixSocket: config['api.socket'],
      socketGroup,
      tcpAddress: tcpPlan.address,
      tcpSecurity: serverTls ? { kind: 'mtls', certificates: serverTls } : tcpPlan.security === 'insecure' ? { kind: 'insecure' } : undefined,
    });
    opened.add(() => api.close());
    // From here on, not before: until the API listens, liveness fails for it ('starting' meanwhile).
    healthWorker.follow(health);
    const m = metrics;
    healthWorker.setMetricsSource((marks) => m.render(marks));
    if (serverTls) {
      // The HTTP listener serves HTTPS with the API's identity, following its rotation.
      const httpTls = followHttpTls(serverTls, (context) => healthWorker.setHttpTls(context as { cert: Buffer; key: Buffer; ca: Buffer }));
      opened.add(async () => httpTls.close());
      healthWorker.setHttpTls((await httpTls.initial) as { cert: Buffer; key: Buffer; ca: Buffer });
    }
    // Readiness says so at once when the service closes (the closers run last to first).
    opened.add(async () => healthWorker.markShuttingDown());
    healthAddresses = await healthWorker.listening;
    link.start();
  } catch (err) {
    await opened.closeAll().catch((closeErr: unknown) => log.error({ err: (closeErr as Error).message }, 'closing after a failed start failed'));
    throw err;
  }
  const recovered = domain.start();
  try {
    await spdk.client.connect();
    const caps = spdk.client.capabilities.peek();
    log.info({ version: caps?.version.version, simulator: caps?.simulator?.name, methods: caps?.methods.size, api: api.ports }, 'serving');
  } catch (err) {
    // spdk_tgt may come up after us: the client keeps reconnecting in the background.
    log.warn({ err: (err as Error).message }, 'spdk_tgt not reachable yet; will keep trying');
  }
  let closing: Promise<void> | undefined;
  return {
    log,
    api: api.ports,
    http: healthAddresses.http,
    healthGrpc: healthAddresses.grpc,
    setMetricsSource: (source) => healthWorker.setMetricsSource(source),
    eventLoopDelay: () => healthWorker.eventLoopDelay(),
    health,
    metrics,
    domain,
    client: spdk.client,
    embeddedSim: spdk.sim,
    recovered,
    readiness: () => domain.readiness(),
    close: () => (closing ??= opened.closeAll()),
  };
}

/**
 * Where disks may be: the configured prefixes, else devices and the state file's directory (the
 * node's data directory). A development service on the embedded simulator also takes files from
 * the temp directory, where its simulator lives and the README's quick start puts its disk.
 */
function diskPrefixes(config: Config, stateFile: string, embedded: boolean): string[] {
  const configured = config['disk.allowedPrefixes'];
  if (configured !== undefined) return splitPathPrefixes(configured);
  return ['/dev/', dirname(stateFile), ...(embedded ? [tmpdir()] : [])];
}

/** What start-up opened, closed in reverse order; every one is closed even when one fails. */
class Closers {
  private readonly closers: (() => Promise<void>)[] = [];

  add(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    let first: unknown;
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }
}

/**
 * The main thread's nice value raised to health.mainThreadNice, after the health thread exists
 * (a thread inherits its maker's value): the way to keep probes ahead of the main loop's work where
 * the health thread cannot be given a lower value. Never lowered here: that needs privilege.
 */
function lowerMainThread(nice: number, log: Logger): void {
  if (nice <= getPriority(0)) return;
  const outcome = setThreadNice(nice);
  if (outcome.set) log.info({ from: outcome.from, to: outcome.to }, 'main thread priority lowered (health.mainThreadNice): probes are answered ahead of its work');
  else log.warn({ nice: outcome.from, wanted: outcome.wanted, reason: outcome.reason }, 'main thread priority not changed');
}
