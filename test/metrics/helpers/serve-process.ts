/**
 * The service as operators run it: `spdk-conductor serve` in its own process (the built CLI), on a
 * simulator process, with its API on a Unix socket and its HTTP listener (/livez, /readyz,
 * /metrics) on a TCP port of the test's block. Resolves once /readyz answers 200.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../api/helpers/api-server.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { portBlock } from '../../helpers/ports.js';
import { type RunningSim, startSim } from '../../sim/helpers/start-sim.js';

const CLI = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url));

export interface ServeProcess {
  dir: string;
  sim: RunningSim;
  proc: ChildProcess;
  apiSocket: string;
  httpBase: string;
  /** A sparse file in the state file's directory (an allowed disk path). */
  diskFile(name: string, sizeMib: number): string;
  /** The last 64 KiB of the service's log. */
  log(): string;
  stop(): Promise<void>;
}

/** With `readyOver: 'https'` the listener is waited for over TLS, trusting `ca`. */
export interface ServeOptions {
  readyOver?: 'http' | 'https';
  ca?: string;
  /** More simulator arguments (e.g. --interrupt-mode). */
  simArgs?: readonly string[];
}

/** The status of GET url over HTTPS, trusting `ca` and presenting no client certificate. */
function httpsStatus(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

export async function startServe(env: Record<string, string> = {}, options: ServeOptions = {}): Promise<ServeProcess> {
  const dir = tempDir('metrics-');
  const sim = await startSim({ name: 'node', socket: path.join(dir, 'spdk.sock'), args: options.simArgs });
  // Export ports from this worker's own blocks (test/helpers/ports.ts; CONDUCTOR_TEST_PORT_SLOT keeps
  // other checkouts' suites out of them). A random block above 61000 met test/domain/admission-churn's
  // ~1,930 listeners there (and bench:scale's 61000-64999) and failed setup with -32602 on every port.
  const ports = portBlock();
  const apiSocket = path.join(dir, 'api.sock');
  const proc = spawn(process.execPath, [CLI, 'serve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      CONDUCTOR_SPDK_SOCKET: sim.socket,
      CONDUCTOR_API_SOCKET: apiSocket,
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(ports),
      CONDUCTOR_EXPORT_PORT_MAX: String(ports + 90),
      // Port 0: another checkout's tests may hold any fixed one; the bound port is read from the log.
      CONDUCTOR_HTTP_ADDRESS: '127.0.0.1:0',
      CONDUCTOR_LOG_LEVEL: 'info',
      // Every scrape waits for its render: a value test must see the state after what it did, not
      // the last exposition a loaded machine's budget fell back on (test/metrics/stale-scrape.test.ts sets one).
      CONDUCTOR_METRICS_SCRAPE_WAIT_MS: '0',
      ...env,
    },
  });
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-65536);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const handle: ServeProcess = {
    dir,
    sim,
    proc,
    apiSocket,
    httpBase: '',
    diskFile(name, sizeMib) {
      const file = path.join(dir, `${name}.img`);
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, sizeMib * 1024 * 1024);
      fs.closeSync(fd);
      return file;
    },
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await sim.stop();
    },
  };
  try {
    const port = await waitFor(
      'the HTTP listener',
      () => {
        if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${log}`);
        return /"address":"127\.0\.0\.1:(\d+)"[^\n]*listening: \/livez/.exec(log)?.[1];
      },
      60_000,
    );
    handle.httpBase = `http://127.0.0.1:${port}`;
    await waitFor(
      'the service to be ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${log}`);
        if (options.readyOver === 'https') return (await httpsStatus(`https://127.0.0.1:${port}/readyz`, options.ca)) === 200;
        return (await fetch(`${handle.httpBase}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
      },
      60_000,
    );
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
