#!/usr/bin/env node
/**
 * spdk-conductor's command line.
 *
 *   spdk-conductor serve [--config FILE] [--spdk-socket PATH] ...          run the service
 *   spdk-conductor disk|replica|snapshot|engine <command> ... [--json]   the node API, over gRPC
 *   spdk-conductor spdk info [--json]                                      spdk_tgt's version and methods
 *   spdk-conductor config show [--json]                                    the effective configuration
 *   spdk-conductor timeouts check [--json]                                 the timeout budget and its verdict
 */
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { startApiServer } from '../api/server.js';
import { configFlags, loadConfig, redactedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CONFIG_KEYS, envName, flagName } from '../config/schema.js';
import { createNodeDomain } from '../domain/node/node-service.js';
import { GrpcPeerDirectory } from '../peers/grpc-peers.js';
import { ConductorError, SpdkTransportError } from '../errors.js';
import { componentLogger, createLogger } from '../log.js';
import { SpdkClient } from '../spdk/client.js';
import { readHostIoTimeout } from '../host/nvme-params.js';
import { startEmbeddedSim, type EmbeddedSim } from './embedded-sim.js';
import { timeoutsCheck } from './commands/timeouts.js';
import { API_GROUPS, API_USAGE, checkNoCommandOptions, COMMAND_OPTIONS, runApiCommand, splitCommandValues, UsageError } from './commands/index.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: spdk-conductor <command> [options]

commands:
  serve              run the service (on an embedded simulator when no --spdk-socket is given)
  spdk info          print spdk_tgt's version and supported methods
  config show        print the effective configuration
  timeouts check     print the timeout budget as a worst-case timeline and check it (exit 2: broken)
  help               this text

node API commands (talk to a running service over its API socket):
${API_USAGE}

options (also from CONDUCTOR_* environment variables or a --config JSON file):
  --config FILE
${Object.entries(CONFIG_KEYS)
  .map(([key, spec]) => `  --${flagName(key)} (${envName(key)})`.padEnd(58) + spec.describe)
  .join('\n')}
  --json             machine-readable output

exit codes: 0 ok, 1 failed, 2 bad command line, configuration or request, 3 service or spdk_tgt
unreachable (or not ready), 4 deadline passed, 5 not found, 6 exists and differs, 7 refused in
the object's current state, 8 no space or memory, 130 interrupted
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...configFlags(), ...COMMAND_OPTIONS, config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === 'help' || command === '') {
    process.stdout.write(USAGE);
    return command === '' && !values.help ? EXIT.USAGE : EXIT.OK;
  }
  const { config: file, json, help: _help, ...rest } = values;
  const { commandValues, flags } = splitCommandValues(rest);
  const config = loadConfig({ file: file as string | undefined, env: process.env, flags });
  if (API_GROUPS.includes(positionals[0]!)) return runApiCommand({ positionals, values: commandValues, json: Boolean(json), config });
  checkNoCommandOptions(commandValues, command);
  switch (command) {
    case 'serve':
      return serve(config);
    case 'spdk info':
      return spdkInfo(config, Boolean(json));
    case 'config show':
      print(redactedConfig(config), Boolean(json));
      return EXIT.OK;
    case 'timeouts check':
      return timeoutsCheck(config, { json: Boolean(json), out: process.stdout });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function connect(config: Config, log: Logger): Promise<{ client: SpdkClient; sim: EmbeddedSim | undefined }> {
  const sim = config['spdk.socket'] ? undefined : await startEmbeddedSim(componentLogger(log, 'embedded-sim'), config['sim.memMib']);
  const client = new SpdkClient({
    socketPath: config['spdk.socket'] ?? sim!.socketPath,
    logger: componentLogger(log, 'spdk-client'),
    deadlineMs: config['spdk.deadlineMs'],
    slowDeadlineMs: config['spdk.slowDeadlineMs'],
    maxInFlight: config['spdk.maxInFlight'],
    maxQueued: config['spdk.maxQueued'],
    validateResults: config['spdk.validateResults'],
  });
  return { client, sim };
}

/**
 * The API (and its health service) is up before recovery from spdk_tgt starts, so liveness never
 * waits on it; readiness turns SERVING when the domain has recovered. The timeout budget is checked
 * against the host's real io_timeout before anything listens: a budget that would let one lost
 * replica fail a volume stops serve (exit 2, naming the rule) unless timeouts.unsafeSkipCheck.
 */
async function serve(config: Config): Promise<number> {
  const log = createLogger({ level: config['log.level'] });
  log.info({ config: redactedConfig(config) }, 'starting');
  const hostIoTimeoutSec = await readHostIoTimeout();
  const { client, sim } = await connect(config, log);
  const tcp = config['api.tcp'];
  let domain;
  let api;
  try {
    domain = createNodeDomain({
      client,
      logger: log,
      config,
      peers: new GrpcPeerDirectory(componentLogger(log, 'peers')),
      ...(hostIoTimeoutSec === undefined ? {} : { hostIoTimeoutSec }),
      ...(sim ? { defaultStateDir: dirname(sim.socketPath) } : {}),
    });
    api = await startApiServer({
      domain,
      logger: componentLogger(log, 'api'),
      unixSocket: config['api.socket'],
      tcpAddress: tcp === 'off' ? undefined : tcp,
    });
  } catch (err) {
    await domain?.close();
    await client.close();
    await sim?.stop();
    throw err;
  }
  void domain.start();
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  try {
    await client.connect();
    const caps = client.capabilities.peek();
    log.info({ version: caps?.version.version, simulator: caps?.simulator?.name, methods: caps?.methods.size, api: api.ports }, 'serving');
  } catch (err) {
    // spdk_tgt may come up after us: the client keeps reconnecting in the background.
    log.warn({ err: (err as Error).message }, 'spdk_tgt not reachable yet; will keep trying');
  }
  await stopped;
  await api.close();
  await domain.close();
  await client.close();
  await sim?.stop();
  return EXIT.OK;
}

async function spdkInfo(config: Config, json: boolean): Promise<number> {
  const log = createLogger({ level: config['log.level'] === 'info' ? 'warn' : config['log.level'] });
  const { client, sim } = await connect(config, log);
  try {
    const caps = await client.capabilities.get();
    const info = { version: caps.version.version, fields: caps.version.fields, simulator: caps.simulator ?? null, methods: [...caps.methods].sort() };
    if (json) print(info, true);
    else {
      process.stdout.write(`spdk_tgt ${info.version}${caps.simulator ? ` (simulator: ${caps.simulator.name} ${caps.simulator.version})` : ''}\n`);
      process.stdout.write(`${info.methods.length} methods\n`);
    }
    return EXIT.OK;
  } finally {
    await client.close();
    await sim?.stop();
  }
}

function print(value: unknown, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) process.stdout.write(`${key.padEnd(24)} ${v === undefined ? '-' : String(v)}\n`);
}

function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof ConductorError) {
    if (err.code === 'INVALID_CONFIG' || err.code === 'STATE_FILE_UNREADABLE') return EXIT.USAGE;
    if (err.kind === 'deadline-exceeded') return EXIT.TIMEOUT;
    if (err instanceof SpdkTransportError) return EXIT.UNAVAILABLE;
  }
  return EXIT.FAILED;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`spdk-conductor: ${(err as Error).message}${err instanceof ConductorError ? ` [${err.code}]` : ''}\n`);
    if (err instanceof UsageError) process.stderr.write('run "spdk-conductor help" for usage\n');
    process.exit(exitCodeOf(err));
  },
);
