/**
 * Every configuration key, its type, default and meaning. Keys are dotted paths; each also reads
 * from the environment (CONDUCTOR_ + upper snake case: spdk.deadlineMs → CONDUCTOR_SPDK_DEADLINE_MS)
 * and from a flag (--spdk-deadline-ms). Precedence: defaults < file < environment < flags.
 */

import os from 'node:os';
import path from 'node:path';
import { TCP_PORT_MAX, TCP_PORT_MIN } from '../validation/network.js';
import { nqnProblem } from '../validation/nqn.js';
import { pathPrefixesProblem } from '../validation/paths.js';
import { exportAddressProblem, filePathProblem, listenAddressProblem, socketPathProblem } from './checks.js';
import { DEFAULT_TIMEOUTS } from './timeout-defaults.js';
import { spdkHugepageLimitsProblem } from '../validation/hugepage-limits.js';

export type KeyType = 'string' | 'integer' | 'boolean' | 'enum';

export interface KeySpec {
  readonly type: KeyType;
  readonly default: string | number | boolean | undefined;
  readonly describe: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** A value that must never reach a log line. */
  readonly secret?: boolean;
  /** Why a string value is malformed, or undefined: the rule of src/validation/ it must follow. */
  readonly check?: (value: string) => string | undefined;
}

/**
 * Where serve and the CLI meet by default. A node's service runs as root and uses /var/run; a
 * developer running `npm start` as themselves gets a path they can create, and the CLI, run by
 * the same user, computes the same one.
 */
function defaultApiSocket(): string {
  const uid = process.getuid?.();
  return uid === 0 || uid === undefined ? '/var/run/spdk-conductor/api.sock' : path.join(os.tmpdir(), `spdk-conductor-${uid}`, 'api.sock');
}

export const CONFIG_KEYS = {
  'spdk.socket': {
    type: 'string',
    default: undefined,
    check: socketPathProblem,
    describe: "spdk_tgt's JSON-RPC Unix socket. Unset: serve starts the embedded simulator.",
  },
  simulator: {
    type: 'boolean',
    default: undefined,
    describe:
      'Run serve on the embedded simulator: true (--simulator) asks for it, false refuses to start without spdk.socket (the image sets CONDUCTOR_SIMULATOR=false). Unset: the simulator when spdk.socket is unset (development)',
  },
  'spdk.deadlineMs': { type: 'integer', default: 60_000, min: 1, max: 3_600_000, describe: 'Deadline of an ordinary spdk_tgt call' },
  'spdk.slowDeadlineMs': {
    type: 'integer',
    default: 300_000,
    min: 1,
    max: 3_600_000,
    describe: 'Deadline of calls that can be slow in spdk_tgt (lvstore load, examine, attach)',
  },
  'spdk.maxInFlight': { type: 'integer', default: 1024, min: 1, max: 65_536, describe: 'spdk_tgt calls written and not yet answered, at most' },
  'spdk.maxQueued': { type: 'integer', default: 10_000, min: 0, max: 1_000_000, describe: 'Calls waiting for an in-flight slot, at most' },
  'spdk.validateResults': { type: 'boolean', default: true, describe: "Check spdk_tgt's results against rpc-schemas" },
  'spdk.maxSubsystems': {
    type: 'integer',
    default: 0,
    min: 0,
    max: 4_294_967_295,
    describe: "spdk_tgt's nvmf max_subsystems, for a target that cannot tell (no framework_get_config); 0: read from spdk_tgt",
  },
  'state.file': {
    type: 'string',
    default: undefined,
    check: filePathProblem,
    describe:
      'The local state file: what this node was asked to have (disks, exports, engines), snapshot times and labels, operation intents; one service per directory (a lock file). Unset: /var/lib/spdk-conductor/state.json, or beside the embedded simulator',
  },
  'export.address': {
    type: 'string',
    default: '127.0.0.1',
    check: exportAddressProblem,
    describe: "IPv4 address replica exports listen on (the node's storage network address)",
  },
  'export.portMin': { type: 'integer', default: 20000, min: TCP_PORT_MIN, max: TCP_PORT_MAX, describe: 'Lowest TCP port for replica exports' },
  'export.portMax': { type: 'integer', default: 20999, min: TCP_PORT_MIN, max: TCP_PORT_MAX, describe: 'Highest TCP port for replica exports' },
  'disk.clusterSizeMib': { type: 'integer', default: 1, min: 1, max: 1024, describe: 'Cluster size of lvstores this service creates, MiB' },
  'disk.allowedPrefixes': {
    type: 'string',
    default: undefined,
    describe:
      "Where disks may be (comma-separated path prefixes, matched after symlinks are resolved). Unset: /dev/ and the state file's directory (with the embedded simulator also the temp directory)",
    check: pathPrefixesProblem,
  },
  'api.socket': {
    type: 'string',
    default: defaultApiSocket(),
    check: socketPathProblem,
    describe: "The gRPC API's Unix socket (serve listens on it; the CLI talks to it). Default: /var/run/spdk-conductor/api.sock for root, a per-user path in the temp dir otherwise",
  },
  'api.tcp': {
    type: 'string',
    default: '127.0.0.1:50151',
    check: listenAddressProblem,
    describe: "The gRPC API's TCP address, host:port ([v6]:port); off: no TCP listener. Served only with TLS (api.tls.*) or api.tcpInsecure",
  },
  'api.tcpInsecure': {
    type: 'boolean',
    default: false,
    describe: "INSECURE: serve the TCP API without TLS, so anyone who reaches the port controls this node's storage. Only for a trusted, isolated network or a test",
  },
  'api.tls.cert': { type: 'string', default: undefined, describe: "The API server's TLS certificate (PEM, leaf first); with api.tls.key and api.tls.clientCa it turns on mutual TLS on api.tcp" },
  'api.tls.key': { type: 'string', default: undefined, describe: "The API server's TLS private key (PEM), matching api.tls.cert" },
  'api.tls.clientCa': { type: 'string', default: undefined, describe: 'PEM bundle of the CAs whose client certificates the API accepts (a client certificate is required)' },
  'api.tls.pollMs': {
    type: 'integer',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    describe: 'How often certificate files (api.tls.*, client.tls.*) are re-read besides file change events, ms: a valid new pair is used for new connections',
  },
  'api.tls.expiryWarnDays': {
    type: 'integer',
    default: 14,
    min: 0,
    max: 365,
    describe:
      'Warn in the log (at load, at rotation, then hourly) while a certificate in use (api.tls.cert, client.tls.cert) expires within this many days; an expired one in use is logged as an error. 0: the error only',
  },
  'api.socketGroup': {
    type: 'string',
    default: undefined,
    describe: "Group (name or numeric gid) given the API's Unix socket, mode 0660, so its members may call. Unset: the service's own group",
  },
  'client.tls.cert': { type: 'string', default: undefined, describe: 'The client certificate (PEM) the CLI and peer calls present to a TCP API with mutual TLS' },
  'client.tls.key': { type: 'string', default: undefined, describe: 'The private key (PEM) of client.tls.cert' },
  'client.tls.ca': { type: 'string', default: undefined, describe: "PEM bundle of the CAs that signed the API servers' certificates" },
  'sim.memMib': { type: 'integer', default: 2048, min: 16, max: 1_048_576, describe: "The embedded simulator's DMA memory (hugepages), MiB" },
  'sim.interruptMode': {
    type: 'boolean',
    default: false,
    describe: "Run the embedded simulator's reactor in interrupt mode, as spdk_tgt --interrupt-mode: its load is then the simulator's CPU share",
  },
  'log.level': {
    type: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    describe: 'Log level',
  },
  // The timeout budget (src/domain/engine/timeout-budget.ts): defaults are its defaults; limits lie within its FIELD_LIMITS.
  'timeouts.host.ctrlLossTmoSec': { type: 'integer', default: DEFAULT_TIMEOUTS.host.ctrlLossTmoSec, min: 1, max: 2_147_483_647, describe: 'nvme connect --ctrl-loss-tmo for the host, s' },
  'timeouts.host.reconnectDelaySec': { type: 'integer', default: DEFAULT_TIMEOUTS.host.reconnectDelaySec, min: 1, max: 2_147_483_647, describe: 'nvme connect --reconnect-delay for the host, s' },
  'timeouts.host.keepAliveTmoSec': { type: 'integer', default: DEFAULT_TIMEOUTS.host.keepAliveTmoSec, min: 1, max: 4_294_967, describe: 'nvme connect --keep-alive-tmo for the host, s' },
  'timeouts.host.ioTimeoutSec': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.host.ioTimeoutSec,
    min: 1,
    max: 4_294_967_295,
    describe: "The host's nvme_core io_timeout, s, used when /sys/module/nvme_core/parameters/io_timeout is absent",
  },
  'timeouts.replica.reconnectDelaySec': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.replica.reconnectDelaySec,
    min: 0,
    max: 4_294_967_295,
    describe: 'bdev_nvme reconnect_delay_sec for remote replicas',
  },
  'timeouts.replica.fastIoFailTimeoutSec': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.replica.fastIoFailTimeoutSec,
    min: 0,
    max: 4_294_967_295,
    describe: 'bdev_nvme fast_io_fail_timeout_sec for remote replicas',
  },
  'timeouts.replica.ctrlrLossTimeoutSec': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.replica.ctrlrLossTimeoutSec,
    min: -1,
    max: 2_147_483_647,
    describe: 'bdev_nvme ctrlr_loss_timeout_sec for remote replicas (-1: reconnect forever, 0: never)',
  },
  'timeouts.replica.keepAliveTimeoutMs': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.replica.keepAliveTimeoutMs,
    min: 0,
    max: 4_294_967_295,
    describe: 'bdev_nvme keep_alive_timeout_ms for remote replicas',
  },
  'timeouts.replica.transportAckTimeout': {
    type: 'integer',
    default: DEFAULT_TIMEOUTS.replica.transportAckTimeout,
    min: 0,
    max: 31,
    describe: 'bdev_nvme transport_ack_timeout (0: SPDK default; TCP closes after 2^n ms unacknowledged)',
  },
  'timeouts.unsafeSkipCheck': {
    type: 'boolean',
    default: false,
    describe: 'Start even with a broken timeout budget (only to demonstrate the failure; logs a loud warning)',
  },
  'engine.hostNqn': {
    type: 'string',
    default: undefined,
    check: nqnProblem,
    describe: "The NQN this node's engines present to replica targets. Unset: derived from the host name",
  },
  'engine.monitorPeriodMs': { type: 'integer', default: 3000, min: 100, max: 600_000, describe: 'How often engines are compared with what they should be' },
  'backup.stagingDir': {
    type: 'string',
    default: undefined,
    check: filePathProblem,
    describe: 'Where backups and restores stage snapshot images as sparse files (spdk_tgt opens them as aio bdevs, so it must see the same path). Unset: backup-staging beside the state file',
  },
  'backup.stagingKeepFreeMib': {
    type: 'integer',
    default: 256,
    min: 0,
    max: 1_073_741_824,
    describe: 'Free space a staging file may not take from the staging directory (the state file may share its filesystem), MiB',
  },
  'backup.restoreVia': {
    type: 'enum',
    default: 'nvmf-tcp',
    values: ['nvmf-tcp', 'staging'],
    describe:
      "How a restore writes the new replica: nvmf-tcp, as NVMe/TCP writes of the backup's data blocks into a thin lvol that spdk_tgt exports to the service alone on 127.0.0.1 (only data clusters are written, once); staging, into a sparse staging file that spdk_tgt clones and inflates (every cluster of the volume written, zeros included)",
  },
  'backup.restoreAuth': {
    type: 'enum',
    default: 'dhchap',
    values: ['dhchap', 'none'],
    describe:
      "How a restore over NVMe/TCP (backup.restoreVia nvmf-tcp) keeps other local processes off its loopback export: dhchap, a random bidirectional DH-HMAC-CHAP key pair made for that restore alone (in the key directory and spdk_tgt's keyring while it writes, removed after); none, the allow-list of the service's restore host NQN only",
  },
  'backup.restoreIoTimeoutMs': {
    type: 'integer',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    describe: "A restore's NVMe/TCP connect, or one of its NVMe commands, that takes longer fails the restore (backup.restoreVia nvmf-tcp), ms",
  },
  'backup.restoreDirectIo': {
    type: 'enum',
    default: 'off',
    values: ['auto', 'on', 'off'],
    describe:
      "How a restore writes its staging file: on, with O_DIRECT from the block's memory straight to the disk (as spdk_tgt's aio bdev reads it); off, through the page cache; auto, on under a real spdk_tgt and off under the simulator (which reads through the page cache). Off by default: on a real spdk_tgt v26.05 direct writes were no faster",
  },
  'rebuild.maxConcurrent': { type: 'integer', default: 2, min: 1, max: 64, describe: 'Rebuilds that run at once on this node; the others wait in a fair queue (round robin over engines)' },
  'rebuild.maxQueued': { type: 'integer', default: 1024, min: 0, max: 100_000, describe: 'Rebuilds waiting, at most; past it EngineReplicaAdd is RESOURCE_EXHAUSTED' },
  'rebuild.maxMbSec': {
    type: 'integer',
    default: 0,
    min: 0,
    max: 1_000_000,
    describe: "bdev_raid_set_options process_max_bandwidth_mb_sec while the node is healthy, MiB/s (0: spdk_tgt's unlimited)",
  },
  'rebuild.throttledMbSec': { type: 'integer', default: 16, min: 1, max: 1_000_000, describe: 'The rebuild bandwidth while a health threshold is crossed, MiB/s' },
  'rebuild.windowKb': { type: 'integer', default: 1024, min: 4, max: 1_048_576, describe: 'bdev_raid_set_options process_window_size_kb (a rebuild takes 16 windows of DMA memory)' },
  'backup.queueMax': { type: 'integer', default: 64, min: 0, max: 100_000, describe: 'Backup and restore jobs waiting, at most; past it BackupCreate and RestoreCreate are RESOURCE_EXHAUSTED' },
  'backup.concurrency': { type: 'integer', default: 2, min: 1, max: 64, describe: 'Backup and restore jobs that run at once on this node' },
  'backup.retries': { type: 'integer', default: 6, min: 0, max: 100, describe: 'Retries of a failed backup target call (exponential backoff from backup.retryMinMs) before its job fails' },
  'backup.retryMinMs': { type: 'integer', default: 500, min: 1, max: 600_000, describe: 'The first backoff of a retried backup target call, ms (doubling each retry)' },
  'backup.requestTimeoutMs': {
    type: 'integer',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    describe:
      "A backup target request (connect included) that takes longer fails and is retried, ms. A filesystem target's call that has not returned by then (a hung mount) fails without a retry, as does one that waited that long for one of the targets' calls at a time (half of libuv's pool, UV_THREADPOOL_SIZE, for all paths together), and an S3 endpoint's name lookup (a dead resolver; 2 at a time)",
  },
  'backup.inflateSecPerGib': {
    type: 'integer',
    default: 10,
    min: 1,
    max: 3600,
    describe:
      "A restore's inflate (spdk_tgt copies every cluster of the volume, reporting nothing until done) may take spdk.slowDeadlineMs plus this per GiB of the volume, s; the job's stall deadline waits for it",
  },
  'backup.stallSec': { type: 'integer', default: 600, min: 1, max: 86_400, describe: 'A running backup or restore job that makes no progress this long fails with BACKUP_DEADLINE_EXCEEDED, s' },
  'backup.queuedDeadlineSec': { type: 'integer', default: 86_400, min: 1, max: 2_592_000, describe: 'A job still queued this long after its create fails with BACKUP_DEADLINE_EXCEEDED, s' },
  'backup.leaseSec': { type: 'integer', default: 120, min: 5, max: 86_400, describe: "How long a backup's in-flight marker (and a delete's sweep lease) in the target counts without a refresh, s" },
  'backup.sweepRetrySec': {
    type: 'integer',
    default: 60,
    min: 1,
    max: 86_400,
    describe:
      "How often a recorded sweep of a volume's unreferenced backup blocks (a delete's deferred sweep, a failed or cancelled backup's blocks) is tried again while it waits or fails, s; it also runs when a backup of the volume ends and at start",
  },
  'health.samplePeriodMs': { type: 'integer', default: 2000, min: 100, max: 600_000, describe: "How often spdk_tgt's memory, RPC latency and reactor load are read" },
  'health.memDumpSpacing': {
    type: 'integer',
    default: 50,
    min: 0,
    max: 10_000,
    describe:
      "A large memory dump (a --no-huge heap: one segment per 4 KiB page) is asked of spdk_tgt at most every this many times its own cost, spdk_tgt's writing it plus the service's reading it, so that it takes at most that share of spdk_tgt's app thread and of the service's event loop; 0: at every sample",
  },
  'health.dmaFreeMinMib': { type: 'integer', default: 64, min: 0, max: 1_048_576, describe: "Throttle rebuilds when spdk_tgt's free DMA heap falls below this, MiB" },
  'health.rpcLatencyMaxMs': { type: 'integer', default: 250, min: 1, max: 600_000, describe: "Throttle rebuilds when spdk_tgt's RPC latency (p90 of the last period) exceeds this, ms" },
  'health.reactorBusyMaxPct': {
    type: 'integer',
    default: 95,
    min: 1,
    max: 100,
    describe:
      "Throttle rebuilds when spdk_tgt's busiest reactor exceeds this load, %: its share of busy ticks, or in interrupt mode its own thread's CPU share (its core's when spdk_tgt's threads are not visible here)",
  },
  'health.admissionReserveMib': { type: 'integer', default: 32, min: 0, max: 1_048_576, describe: 'DMA memory kept free for I/O: admission refuses work that would leave less, MiB' },
  'health.spdkHugepagesLimitBytes': {
    type: 'string',
    default: undefined,
    check: spdkHugepageLimitsProblem,
    describe:
      "spdk_tgt's hugepage limit per page size when it runs in another container (Kubernetes: the spdk-tgt container's limits.hugepages-2Mi, from the downward API), as SIZE=BYTES pairs: 2Mi=2147483648 or 2Mi=2147483648,1Gi=4294967296. Admission counts at most the limit minus what spdk_tgt has mapped of that size, beside the node's pool and this container's own hugetlb cgroup: the smallest applies. Unset: no such limit",
  },
  'health.livenessStallSec': {
    type: 'integer',
    default: 10,
    min: 1,
    max: 3600,
    describe: "Liveness fails when the service's event loop has not turned for this long, s",
  },
  'health.threadNice': {
    type: 'integer',
    default: -10,
    min: -20,
    max: 19,
    describe:
      "The health thread's nice value: under CPU contention probes are answered before the main loop's work; below the process's own it needs CAP_SYS_NICE (refused: logged, the thread keeps the process's)",
  },
  'health.mainThreadNice': {
    type: 'integer',
    default: 0,
    min: 0,
    max: 19,
    describe: "The main thread's nice value, raised at start (no privilege needed): the way to keep probes ahead of work without CAP_SYS_NICE, in a container whose CPU share is this service's alone",
  },
  'health.spdkProbeMs': { type: 'integer', default: 1000, min: 100, max: 60_000, describe: 'How often readiness asks spdk_tgt for its version (one probe at a time), ms' },
  'health.spdkProbeDeadlineMs': {
    type: 'integer',
    default: 2000,
    min: 100,
    max: 60_000,
    describe: 'How long that probe waits for an answer before readiness says spdk_tgt is unreachable, ms',
  },
  'http.address': {
    type: 'string',
    default: 'off',
    check: listenAddressProblem,
    describe:
      'The HTTP listener (GET /livez, /readyz, /metrics), host:port ([v6]:port); off: none. For kubelet httpGet probes, an address the kubelet reaches (the pod IP); HTTPS when api.tls.* is set',
  },
  'metrics.iostatPeriodMs': {
    type: 'integer',
    default: 10_000,
    min: 0,
    max: 600_000,
    describe: "How often the engines' volume I/O counters are read from spdk_tgt (one bdev_get_iostat for all), ms; 0: never",
  },
  'metrics.scrapeWaitMs': {
    type: 'integer',
    default: 20,
    min: 0,
    max: 10_000,
    describe:
      "How long a /metrics scrape waits for the main loop's fresh render before it is answered with the last complete exposition (its age in spdk_conductor_metrics_render_age_seconds, counted in spdk_conductor_metrics_stale_answers_total; the fresh render replaces it for the next scrape), ms; 0: always wait",
  },
  'metrics.scrapeMaxAgeSec': {
    type: 'integer',
    default: 120,
    min: 1,
    max: 3600,
    describe: 'The oldest exposition a scrape is answered with past metrics.scrapeWaitMs; an older one (or none yet) waits for the fresh render, s',
  },
  'health.grpcAddress': {
    type: 'string',
    default: 'auto',
    check: (value) => (value === 'auto' ? undefined : value.startsWith('/') ? socketPathProblem(value) : listenAddressProblem(value)),
    describe:
      "grpc.health.v1 served by the health worker (answers while the main loop is busy): auto, a Unix socket beside api.socket (api.sock → api-health.sock); an absolute socket path; host:port (plain TCP, for kubelet grpc probes); off: none. The CLI's health command asks it first",
  },
  'frontend.hostNqn': {
    type: 'string',
    default: undefined,
    check: nqnProblem,
    describe: "This node's kernel NVMe host NQN for nvme-host frontends. Unset: /etc/nvme/hostnqn",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

type ValueOf<S> = S extends { type: 'integer' } ? number : S extends { type: 'boolean' } ? boolean : S extends { values: readonly (infer V)[] } ? V : string;
type Defaulted<S> = S extends { default: undefined } ? ValueOf<S> | undefined : ValueOf<S>;

export type Config = { readonly [K in ConfigKey]: Defaulted<(typeof CONFIG_KEYS)[K]> };

export function envName(key: string): string {
  return (
    'CONDUCTOR_' +
    key
      .replace(/\./g, '_')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toUpperCase()
  );
}

export function flagName(key: string): string {
  return key
    .replace(/\./g, '-')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}
