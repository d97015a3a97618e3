#!/usr/bin/env node
/**
 * spdk-conductor's command line.
 *
 *   spdk-conductor serve [--config FILE] [--spdk-socket PATH] ...          run the service
 *   spdk-conductor disk|replica|snapshot|engine <command> ... [--json]   the node API, over gRPC
 *   spdk-conductor spdk info|call ...                                      spdk_tgt through the running service
 *   spdk-conductor config show [--json]                                    the effective configuration
 *   spdk-conductor timeouts check [--json]                                 the timeout budget and its verdict
 *   spdk-conductor health [--liveness] [--json]                            an exec probe: exit 0 ready (live), 3 not
 *   spdk-conductor help [COMMAND] | COMMAND --help | --version
 */
import { parseArgs } from 'node:util';
import { configFlags, configSource, loadConfig, redactedConfig } from '../config/load.js';
import type { Config, ConfigKey } from '../config/schema.js';
import { ConductorError, SpdkTransportError } from '../errors.js';
import { startService } from '../service.js';
import { CONDUCTOR_VERSION } from '../version.js';
import { healthCommand } from './commands/health.js';
import { takeEarlyHealth } from './early-health.js';
import { timeoutsCheck } from './commands/timeouts.js';
import { helpFor, USAGE } from './help.js';
import { API_GROUPS, checkNoCommandOptions, COMMAND_OPTIONS, runApiCommand, splitCommandValues, UsageError } from './commands/index.js';
import { EXIT } from './exit-codes.js';
import { joinNegativeValues } from './negative-values.js';

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
    version: { type: 'boolean' },
  } as const;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), allowPositionals: true, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ');
  if (values.version) {
    process.stdout.write(`spdk-conductor ${CONDUCTOR_VERSION}\n`);
    return EXIT.OK;
  }
  if (values.help || positionals[0] === 'help') {
    const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
    const help = helpFor(words);
    if (help === undefined) throw new UsageError(`no command "${words.join(' ')}"`);
    process.stdout.write(help);
    return EXIT.OK;
  }
  if (command === '') {
    process.stdout.write(USAGE);
    return EXIT.USAGE;
  }
  const { config: file, json, help: _help, version: _version, liveness, ...rest } = values;
  const { commandValues, flags } = splitCommandValues(rest);
  const config = loadConfig({ file: file as string | undefined, env: process.env, flags });
  if (API_GROUPS.includes(positionals[0]!)) return runApiCommand({ positionals, values: commandValues, json: Boolean(json), config });
  checkNoCommandOptions(commandValues, command);
  if (liveness && command !== 'health') throw new UsageError('--liveness applies only to "health"');
  switch (command) {
    case 'serve':
      return serve(config);
    case 'config show':
      return configShow(config, Boolean(json));
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

/** Every key, its value (secrets redacted) and where it came from; --json: the values only, by key. */
function configShow(config: Config, json: boolean): number {
  const values = redactedConfig(config);
  if (json) {
    process.stdout.write(JSON.stringify(values, null, 2) + '\n');
    return EXIT.OK;
  }
  const rows = Object.entries(values).map(([key, v]) => [key, v === undefined ? '-' : String(v), configSource(config, key as ConfigKey)] as const);
  const keyWidth = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.min(48, Math.max(...rows.map(([, v]) => v.length)));
  for (const [key, value, from] of rows) process.stdout.write(`${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${from}\n`);
  return EXIT.OK;
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
