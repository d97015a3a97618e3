/**
 * `serve`'s health worker, started before the rest of the service is loaded. Importing the
 * service (gRPC, protobuf, ajv, the domain) takes a second or more on a busy node, and a probe
 * that meets no listener meanwhile counts as a failure; so bin.ts starts the worker from the
 * command line's configuration first (a few light modules), then loads main.ts, whose `serve`
 * takes the worker over. Anything unexpected (another command, a flag this quick parse does not
 * know, a bad configuration) starts nothing here: main.ts then starts as it always does and
 * reports the problem itself.
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { healthWorkerFor, type HealthWorker } from '../api/health-worker.js';
import { configFlags, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { componentLogger, createLogger } from '../log.js';

interface Early {
  worker: HealthWorker;
  logger: Logger;
  /** What the worker was started from; serve's own configuration must say the same. */
  key: string;
}

let early: Early | undefined;

/** The settings the worker depends on, as one comparable string. */
function workerKey(config: Config): string {
  const keys = ['http.address', 'health.grpcAddress', 'health.livenessStallSec', 'api.socket', 'api.tls.cert', 'api.tls.key', 'api.tls.clientCa', 'log.level'] as const;
  return JSON.stringify(keys.map((k) => config[k]));
}

/** Starts the worker when `argv` is a plain `serve`; otherwise does nothing. */
export function startEarlyHealth(argv: readonly string[]): void {
  if (argv[0] !== 'serve') return;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { ...configFlags(), config: { type: 'string' } } });
    if (positionals.length !== 1) return;
    const { config: file, ...flags } = values;
    const config = loadConfig({ file, env: process.env, flags });
    const logger = createLogger({ level: config['log.level'] });
    early = { worker: healthWorkerFor(config, componentLogger(logger, 'health-worker')), logger, key: workerKey(config) };
  } catch {
    early = undefined;
  }
}

/** The early worker and its logger when they were started from `config`; else none (and closed). */
export function takeEarlyHealth(config: Config): { worker: HealthWorker; logger: Logger } | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  if (taken.key === workerKey(config)) return taken;
  void taken.worker.close();
  return undefined;
}
