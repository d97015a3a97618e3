/**
 * `serve`'s health worker, started before the rest of the service is loaded. Importing the
 * service (gRPC, protobuf, ajv, the domain) takes a second or more on a busy node, and a probe
 * that meets no listener meanwhile counts as a failure; so bin.ts starts the worker from the
 * command line's configuration first (a few light modules; not even the logger: pino and its
 * redaction cost more than the rest, and the worker holds its log lines until serve gives it one),
 * then loads main.ts, whose `serve` takes the worker over. Anything unexpected (another command, a
 * flag this quick parse does not know, a bad configuration) starts nothing here: main.ts then
 * starts as it always does and reports the problem itself.
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { healthWorkerFor, type HealthWorker } from '../api/health-worker.js';
import { configFlags, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

interface Early {
  worker: HealthWorker;
  /** What the worker was started from; serve's own configuration must say the same. */
  key: string;
  level: Config['log.level'];
  logger?: Logger;
}

let early: Early | undefined;

/** The settings the worker depends on, as one comparable string. */
function workerKey(config: Config): string {
  const keys = ['http.address', 'health.grpcAddress', 'health.livenessStallSec', 'health.threadNice', 'api.socket', 'api.tls.cert', 'api.tls.key', 'api.tls.clientCa', 'log.level'] as const;
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
    early = { worker: healthWorkerFor(config), key: workerKey(config), level: config['log.level'] };
  } catch {
    early = undefined;
  }
}

/** The logger, made while the worker's thread starts (pino's load overlaps the thread's); the worker's held lines go to it. */
export async function startEarlyLogger(): Promise<void> {
  if (!early) return;
  const { componentLogger, createLogger } = await import('../log.js');
  early.logger = createLogger({ level: early.level });
  early.worker.setLogger(componentLogger(early.logger, 'health-worker'));
}

/** The early worker and its logger when they were started from `config`; else none (and closed). */
export function takeEarlyHealth(config: Config): { worker: HealthWorker; logger: Logger } | undefined {
  const taken = early;
  early = undefined;
  if (!taken) return undefined;
  if (taken.logger && taken.key === workerKey(config)) return { worker: taken.worker, logger: taken.logger };
  void taken.worker.close();
  return undefined;
}
