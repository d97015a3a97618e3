/**
 * The API commands (disk, replica, snapshot, engine, rebuild): the command line checked before
 * anything is contacted, one connection to the service (its Unix socket from config, or --address
 * for TCP) closed on every path, answers as tables or --json, failures as meaningful exit codes.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Metadata } from '@grpc/grpc-js';
import { STALE_TRAILER } from '../../api/services/call.js';
import { apiAddress, withApiClients, type ApiTarget } from '../../api/client.js';
import { clientTlsFiles } from '../../api/tls-config.js';
import { WatchedTls } from '../../api/watched-tls.js';
import { createLogger } from '../../log.js';
import type { Config } from '../../config/schema.js';
import { EXIT } from '../exit-codes.js';
import { callFailure, type CommandSpec, type CommandValues } from './context.js';
import { backupCommands } from './backup.js';
import { diskCommands } from './disk.js';
import { engineCommands } from './engine.js';
import { engineSnapshotCommands } from './engine-snapshot.js';
import { engineVolumeCommands } from './engine-volume.js';
import { nodeCommands } from './node.js';
import { parseDuration } from './format.js';
import { rebuildCommands } from './rebuild.js';
import { replicaCommands } from './replica.js';
import { snapshotCommands } from './snapshot.js';
import { spdkCommands } from './spdk.js';
import { UsageError } from './usage.js';
import { portProblem, splitHostPort } from '../../validation/network.js';

export { UsageError } from './usage.js';

export const COMMAND_OPTIONS = {
  path: { type: 'string' },
  kind: { type: 'string' },
  'block-size': { type: 'string' },
  'cluster-size': { type: 'string' },
  wipe: { type: 'boolean' },
  force: { type: 'boolean' },
  disk: { type: 'string' },
  size: { type: 'string' },
  host: { type: 'string', multiple: true },
  label: { type: 'string', multiple: true },
  system: { type: 'boolean' },
  timeout: { type: 'string' },
  address: { type: 'string' },
  replica: { type: 'string', multiple: true },
  frontend: { type: 'string' },
  override: { type: 'string', multiple: true },
  wait: { type: 'boolean' },
  engine: { type: 'string' },
  add: { type: 'boolean' },
  replace: { type: 'boolean' },
  remove: { type: 'boolean' },
  watch: { type: 'boolean' },
  top: { type: 'string' },
  volume: { type: 'string' },
  snapshot: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  'path-style': { type: 'boolean' },
  'ca-file': { type: 'string' },
  'access-key-id-file': { type: 'string' },
  'secret-access-key-file': { type: 'string' },
  'access-key-id-env': { type: 'string' },
  'secret-access-key-env': { type: 'string' },
  'allow-mutating': { type: 'boolean' },
  full: { type: 'boolean' },
  'source-node': { type: 'string' },
  source: { type: 'string' },
  'rw-iops': { type: 'string' },
  'rw-mbps': { type: 'string' },
  'r-mbps': { type: 'string' },
  'w-mbps': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

// The rebuild options' place in CommandValues (context.ts), declared beside their parser spec.
/** Options every API command takes. */
const COMMON: readonly (keyof CommandValues)[] = ['timeout', 'address'];

/** Operations can wait on slow spdk_tgt work (lvstore load, examine: up to 5 min), plus queueing. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

const COMMANDS: readonly CommandSpec[] = [
  ...diskCommands,
  ...replicaCommands,
  ...snapshotCommands,
  ...engineCommands,
  ...engineSnapshotCommands,
  ...engineVolumeCommands,
  ...rebuildCommands,
  ...nodeCommands,
  ...backupCommands,
  ...spdkCommands,
];

export const API_GROUPS: readonly string[] = ['disk', 'replica', 'snapshot', 'engine', 'rebuild', 'node', 'backup', 'spdk'];

/** The API commands' options, after their usage lines (in the global help and each command's). */
export const API_OPTIONS = `  options of these commands:
  --timeout DURATION  deadline of each call (default 10m; e.g. 30s, 500ms)
  --address HOST:PORT talk to the service over TCP instead of its Unix socket (--api-socket)
  --json              print the API's answer as JSON (watch: one object per line)
  sizes: bytes, or a number with KiB, MiB, GiB, TiB (e.g. 10GiB, 512MiB)`;

export const API_USAGE = `${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

${API_OPTIONS}`;

/** The usage lines of the API commands whose name starts with `words` ("engine", "engine create"). */
export function apiUsages(words: readonly string[]): string[] {
  const prefix = words.join(' ');
  return COMMANDS.filter((c) => c.name === prefix || c.name.startsWith(`${prefix} `)).map((c) => c.usage);
}

/** Separates the API commands' options from the configuration flags in one parsed command line. */
export function splitCommandValues(values: Record<string, unknown>): { commandValues: CommandValues; flags: Record<string, string | undefined> } {
  const commandValues: Record<string, unknown> = {};
  const flags: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(values)) {
    if (Object.hasOwn(COMMAND_OPTIONS, key)) commandValues[key] = value;
    else flags[key] = value as string | undefined;
  }
  return { commandValues: commandValues as CommandValues, flags };
}

/** Rejects options given to commands that do not take them (so a typo never goes unnoticed). */
export function checkNoCommandOptions(values: CommandValues, command: string): void {
  for (const option of Object.keys(COMMAND_OPTIONS)) {
    if (values[option as keyof CommandValues] !== undefined) throw new UsageError(`--${option} does not apply to "${command}"`);
  }
}

/** A List answered from what the service holds while spdk_tgt is unreachable: said on stderr, so --json output stays parseable. */
function warnIfStale(trailers: Metadata): void {
  const stale = trailers.get(STALE_TRAILER)[0];
  if (stale !== undefined) process.stderr.write(`spdk-conductor: warning: this answer may be stale: ${String(stale)}\n`);
}

export interface ApiCommandInput {
  positionals: string[];
  values: CommandValues;
  json: boolean;
  config: Config;
}

export async function runApiCommand(input: ApiCommandInput): Promise<number> {
  const { positionals, values, json } = input;
  const [group, verb, ...args] = positionals;
  const spec = COMMANDS.find((c) => c.name === `${group} ${verb}`);
  if (!spec) {
    const verbs = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.split(' ')[1]);
    throw new UsageError(`${verb === undefined ? `"${group}" needs a command` : `unknown command "${group} ${verb}"`}; ${group} commands: ${verbs.join(', ')}`);
  }
  if (args.length < spec.args.length || args.length > spec.args.length + (spec.optionalArgs?.length ?? 0)) throw new UsageError(`usage: spdk-conductor ${spec.usage}`);
  for (const option of Object.keys(COMMAND_OPTIONS) as (keyof CommandValues)[]) {
    if (values[option] !== undefined && !spec.options.includes(option) && !COMMON.includes(option)) {
      throw new UsageError(`--${option} does not apply to "${spec.name}"; usage: spdk-conductor ${spec.usage}`);
    }
  }
  const work = spec.prepare(values, args);
  const deadlineMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration('timeout', values.timeout);
  if (values.address !== undefined && portProblem(splitHostPort(values.address)?.port) !== undefined) {
    throw new UsageError(`--address ${JSON.stringify(values.address)} is not HOST:PORT (a port from 1 to 65535)`);
  }
  const target: ApiTarget = values.address !== undefined ? { tcpAddress: values.address } : { unixSocket: input.config['api.socket'] };
  // Read once and checked before anything is contacted: a bad file is exit 2 naming its key.
  const tlsFiles = target.tcpAddress !== undefined ? clientTlsFiles(input.config) : undefined;
  const tls = tlsFiles && new WatchedTls(tlsFiles, createLogger({ level: 'silent' }), { watch: false });

  const interrupted = new AbortController();
  const interrupt = (): void => interrupted.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const call = { deadlineMs, signal: interrupted.signal, onTrailers: warnIfStale };
    return await withApiClients(target, (api) => work({ api, args, values, json, call, out: (text) => process.stdout.write(text) }), { tls });
  } catch (err) {
    if (interrupted.signal.aborted) {
      process.stderr.write(`spdk-conductor: interrupted; the service may still finish "${spec.name}" (run it again: operations are idempotent)\n`);
      return EXIT.INTERRUPTED;
    }
    const failure = callFailure(err, apiAddress(target), target.tcpAddress === undefined ? undefined : tls ? 'mtls' : 'plain');
    if (!failure) throw err;
    process.stderr.write(
      json
        ? JSON.stringify({ error: { status: failure.status, code: failure.code ?? null, message: failure.message } }) + '\n'
        : `spdk-conductor: ${failure.message} ${failure.code === undefined ? `(${failure.status})` : `[${failure.code}]`}\n`,
    );
    return failure.exitCode;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
