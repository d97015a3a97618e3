/**
 * Every configuration key, its type, default and meaning. Keys are dotted paths; each also reads
 * from the environment (CONDUCTOR_ + upper snake case: spdk.deadlineMs → CONDUCTOR_SPDK_DEADLINE_MS)
 * and from a flag (--spdk-deadline-ms). Precedence: defaults < file < environment < flags.
 */

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
}

export const CONFIG_KEYS = {
  'spdk.socket': {
    type: 'string',
    default: undefined,
    describe: "spdk_tgt's JSON-RPC Unix socket. Unset: serve starts the embedded simulator.",
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
  'state.file': {
    type: 'string',
    default: undefined,
    describe: 'The local state file (snapshot times and labels, operation intents). Unset: /var/lib/spdk-conductor/state.json, or beside the embedded simulator',
  },
  'export.address': { type: 'string', default: '127.0.0.1', describe: "Address replica exports listen on (the node's storage network address)" },
  'export.portMin': { type: 'integer', default: 20000, min: 1, max: 65535, describe: 'Lowest TCP port for replica exports' },
  'export.portMax': { type: 'integer', default: 20999, min: 1, max: 65535, describe: 'Highest TCP port for replica exports' },
  'disk.clusterSizeMib': { type: 'integer', default: 1, min: 1, max: 1024, describe: 'Cluster size of lvstores this service creates, MiB' },
  'api.socket': {
    type: 'string',
    default: '/var/run/spdk-conductor/api.sock',
    describe: "The gRPC API's Unix socket (serve listens on it; the CLI talks to it)",
  },
  'api.tcp': {
    type: 'string',
    default: '127.0.0.1:50151',
    describe: "The gRPC API's TCP address, host:port ([v6]:port); off: no TCP listener",
  },
  'sim.memMib': { type: 'integer', default: 2048, min: 16, max: 1_048_576, describe: "The embedded simulator's DMA memory (hugepages), MiB" },
  'log.level': {
    type: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    describe: 'Log level',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

type ValueOf<S> = S extends { type: 'integer' } ? number : S extends { type: 'boolean' } ? boolean : S extends { values: readonly (infer V)[] } ? V : string;
type Defaulted<S> = S extends { default: undefined } ? ValueOf<S> | undefined : ValueOf<S>;

export type Config = { readonly [K in ConfigKey]: Defaulted<(typeof CONFIG_KEYS)[K]> };

export function envName(key: string): string {
  return 'CONDUCTOR_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function flagName(key: string): string {
  return key.replace(/\./g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
