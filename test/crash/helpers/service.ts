/**
 * The service as a real process (`node dist/src/cli/main.js serve`) on a simulator socket, its API
 * on a fresh Unix socket per run (a SIGKILLed run leaves its socket file behind), with or without
 * a kill point. Waits are conditions with deadlines; a run that exits early fails the wait at
 * once with its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiClients, type ApiClients } from '../../../src/api/client.js';

export const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url));

export interface ServiceOptions {
  /** spdk_tgt's socket as the service sees it (the recording proxy). */
  spdkSocket: string;
  /** Holds the state file and the API sockets. */
  dir: string;
  portMin: number;
  portMax: number;
  /** CONDUCTOR_KILL_AFTER: `<operation>:<n>`. */
  killAfter?: string;
  /** More environment (over the defaults below). */
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceRun {
  readonly proc: ChildProcess;
  readonly clients: ApiClients;
  readonly apiSocket: string;
  readonly exited: Promise<Exit>;
  /** The last 64 KiB of stdout and stderr (log lines). */
  output(): string;
  /** SIGTERM, resolves with how it ended (SIGKILL after 10 s). */
  stop(): Promise<Exit>;
  /** Resolves with how it ended, or rejects after `deadlineMs`. */
  waitExit(deadlineMs: number): Promise<Exit>;
}

let runs = 0;
/** Runs not yet exited: killed if the test process exits first, so none outlives the suite. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/**
 * Starts a run and resolves once health says SERVING (recovery done), or with `until: 'socket'`
 * as soon as the API socket exists.
 */
export async function startService(options: ServiceOptions, { until: stage = 'serving', deadlineMs = 40_000 }: { until?: 'socket' | 'serving'; deadlineMs?: number } = {}): Promise<ServiceRun> {
  const apiSocket = path.join(options.dir, `api-${++runs}.sock`);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (options.killAfter) env.CONDUCTOR_KILL_AFTER = options.killAfter;
  // Health readings run on their own clock; the first is taken at start-up, before health says
  // SERVING, and none after: an operation's recorded calls are then its own.
  env.CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS = '600000';
  // So does the monitor, whose pass asks spdk_tgt for each recorded disk's bdev (the reconcile check).
  env.CONDUCTOR_ENGINE_MONITOR_PERIOD_MS = '600000';
  Object.assign(env, options.env);
  const args = [
    CLI,
    'serve',
    '--spdk-socket',
    options.spdkSocket,
    '--api-socket',
    apiSocket,
    '--api-tcp',
    'off',
    '--state-file',
    path.join(options.dir, 'state.json'),
    '--export-port-min',
    String(options.portMin),
    '--export-port-max',
    String(options.portMax),
    '--log-level',
    process.env.TEST_LOG_LEVEL ?? 'info',
  ];
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (d: Buffer): void => {
    out = (out + d.toString()).slice(-65536);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  live.add(proc);
  const exited = new Promise<Exit>((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    }),
  );
  let exit: Exit | undefined;
  void exited.then((e) => (exit = e));

  const run: ServiceRun = {
    proc,
    apiSocket,
    clients: undefined as unknown as ApiClients,
    exited,
    output: () => out,
    async stop() {
      run.clients?.close();
      if (!exit) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    async waitExit(ms) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the service (pid ${proc.pid}) did not exit within ${ms} ms:\n${out}`)), ms);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };

  const until = Date.now() + deadlineMs;
  const check = (what: string): void => {
    if (exit) throw new Error(`the service exited (${exit.code ?? exit.signal}) while waiting for ${what}:\n${out}`);
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`the service did not reach ${what} within ${deadlineMs} ms:\n${out}`);
    }
  };
  // Connect only once the socket exists: a refused first connect costs gRPC a reconnect backoff.
  while (!isSocket(apiSocket)) {
    check('its API socket');
    await tick();
  }
  const clients = createApiClients({ unixSocket: apiSocket });
  (run as { clients: ApiClients }).clients = clients;
  if (stage === 'socket') return run;
  for (;;) {
    check('health SERVING');
    const status = await clients.healthCheck('', { deadlineMs: 1000 }).catch(() => undefined);
    if (status === 'SERVING') return run;
    await tick(25);
  }
}

function isSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

function tick(ms = 10): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
