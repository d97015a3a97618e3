#!/usr/bin/env node
/**
 * spdk-conductor's command line.
 *
 *   spdk-conductor serve [--config FILE] [--spdk-socket PATH] ...          run the service
 *   spdk-conductor disk|replica|snapshot|engine <command> ... [--json]   the node API, over gRPC
 *   spdk-conductor spdk info [--json]                                      spdk_tgt's version and methods
 *   spdk-conductor config show [--json]                                    the effective configuration
 *   spdk-conductor timeouts check [--json]                                 the timeout budget and its verdict
 *   spdk-conductor health [--liveness] [--json]                            an exec probe: exit 0 ready (live), 3 not
 */
import { parseArgs } from 'node:util';
import { configFlags, loadConfig, redactedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CONFIG_KEYS, envName, flagName } from '../config/schema.js';
import { ConductorError, SpdkTransportError } from '../errors.js';
import { createLogger } from '../log.js';
import { openSpdk, startService } from '../service.js';
import { healthCommand } from './commands/health.js';
import { takeEarlyHealth } from './early-health.js';
import { timeoutsCheck } from './commands/timeouts.js';
import { API_GROUPS, API_USAGE, checkNoCommandOptions, COMMAND_OPTIONS, runApiCommand, splitCommandValues, UsageError } from './commands/index.js';
import { EXIT } from './exit-codes.js';
import { joinNegativeValues } from './negative-values.js';

const USAGE = `usage: spdk-conductor <command> [options]

commands:
  serve              run the service on --spdk-socket, or on an embedded simulator (--simulator;
                     also implied by no --spdk-socket unless CONDUCTOR_SIMULATOR=false, as in the image)
  spdk info          print spdk_tgt's version and supported methods
  config show        print the effective configuration
  timeouts check     print the timeout budget as a worst-case timeline and check it (exit 2: broken)
  health [--liveness]
                     ask the running service whether it is ready (or live): exit 0 yes, 3 no, with the reason
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
  const options = {
    ...configFlags(),
    ...COMMAND_OPTIONS,
    config: { type: 'string' },
    json: { type: 'boolean' },
    simulator: { type: 'boolean' },
    liveness: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), allowPositionals: true, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === 'help' || command === '') {
    process.stdout.write(USAGE);
    return command === '' && !values.help ? EXIT.USAGE : EXIT.OK;
  }
  const { config: file, json, help: _help, liveness, ...rest } = values;
  const { commandValues, flags } = splitCommandValues(rest);
  const config = loadConfig({ file: file as string | undefined, env: process.env, flags });
  if (API_GROUPS.includes(positionals[0]!)) return runApiCommand({ positionals, values: commandValues, json: Boolean(json), config });
  checkNoCommandOptions(commandValues, command);
  if (liveness && command !== 'health') throw new UsageError('--liveness applies only to "health"');
  switch (command) {
    case 'serve':
      return serve(config);
    case 'spdk info':
      return spdkInfo(config, Boolean(json));
    case 'config show':
      print(redactedConfig(config), Boolean(json));
      return EXIT.OK;
    case 'health':
      return healthCommand(config, { liveness: Boolean(liveness), json: Boolean(json), out: (text) => process.stdout.write(text) });
    case 'timeouts check':
      return timeoutsCheck(config, { json: Boolean(json), out: process.stdout });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** The service until SIGINT or SIGTERM, then closed. A timeout budget refused at start is a ConfigError: exit 2, naming the rule. */
async function serve(config: Config): Promise<number> {
  const early = takeEarlyHealth(config);
  const service = await startService(config, early ? { logger: early.logger, healthWorker: early.worker } : {});
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  service.log.info({ signal }, 'stopping');
  await service.close();
  return EXIT.OK;
}

async function spdkInfo(config: Config, json: boolean): Promise<number> {
  const log = createLogger({ level: config['log.level'] === 'info' ? 'warn' : config['log.level'] });
  const spdk = await openSpdk(config, log);
  try {
    const caps = await spdk.client.capabilities.get();
    const info = { version: caps.version.version, fields: caps.version.fields, simulator: caps.simulator ?? null, methods: [...caps.methods].sort() };
    if (json) print(info, true);
    else {
      process.stdout.write(`spdk_tgt ${info.version}${caps.simulator ? ` (simulator: ${caps.simulator.name} ${caps.simulator.version})` : ''}\n`);
      process.stdout.write(`${info.methods.length} methods\n`);
    }
    return EXIT.OK;
  } finally {
    await spdk.close();
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
    if (err.code === 'INVALID_CONFIG' || err.code === 'STATE_FILE_UNREADABLE' || err.code === 'STATE_DIR_LOCKED') return EXIT.USAGE;
    if (err.kind === 'deadline-exceeded') return EXIT.TIMEOUT;
    if (err instanceof SpdkTransportError) return EXIT.UNAVAILABLE;
  }
  return EXIT.FAILED;
}

main(process.argv.slice(2)).then(
  // Once stdout has taken everything: exit() drops what a pipe has not read yet (a long list).
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(`spdk-conductor: ${(err as Error).message}${err instanceof ConductorError ? ` [${err.code}]` : ''}\n`);
    if (err instanceof UsageError) process.stderr.write('run "spdk-conductor help" for usage\n');
    process.exit(exitCodeOf(err));
  },
);
