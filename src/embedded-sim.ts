/**
 * Starts spdk-conductor's simulator as a child process, for a service with no spdk_tgt configured,
 * and keeps it running: a simulator that exits without being asked (a crash, kill -9, the OOM
 * killer) is started again on the same socket and directory, after an exponential backoff that is
 * capped and starts over once a simulator has stayed up a while. Its disks live in their files, so
 * what it had comes back when they are attached again; the spdk client reconnects by itself.
 * The service never imports the simulator: it only runs the built program next to its own.
 */
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultPromise } from 'execa';
import type { Logger } from 'pino';

export interface EmbeddedSim {
  readonly socketPath: string;
  /** The running (after stop: the last) simulator's pid; it changes when the simulator is restarted. */
  readonly pid: number | undefined;
  /** How many times it was restarted after exiting unexpectedly. */
  readonly restarts: number;
  /** Stops it for good: no restart follows. */
  stop(): Promise<void>;
}

export interface SupervisionOptions {
  /** The first restart's delay; each unexpected exit in a row doubles it. */
  restartMinMs: number;
  restartMaxMs: number;
  /** A simulator up this long is healthy: the next restart's delay starts over from the minimum. */
  healthyAfterMs: number;
  readyTimeoutMs: number;
}

const DEFAULT_SUPERVISION: SupervisionOptions = { restartMinMs: 100, restartMaxMs: 30_000, healthyAfterMs: 60_000, readyTimeoutMs: 10_000 };

/** The delay before the restart that follows `failures` unexpected exits in a row (1: the first). */
export function restartDelayMs(failures: number, options: Pick<SupervisionOptions, 'restartMinMs' | 'restartMaxMs'>): number {
  return Math.min(options.restartMaxMs, options.restartMinMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/** The built simulator: beside this module in dist/, or in dist/ when this module runs from source (vitest). */
const SIM_MAIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../dist/spdk/sim/main.js' : '../spdk/sim/main.js', import.meta.url));

/** What the simulator is started with: sim.memMib, sim.interruptMode. */
export interface EmbeddedSimOptions {
  memMib: number;
  interruptMode?: boolean;
}

export async function startEmbeddedSim(log: Logger, sim: EmbeddedSimOptions, supervision: Partial<SupervisionOptions> = {}): Promise<EmbeddedSim> {
  if (!fs.existsSync(SIM_MAIN)) throw new Error(`the simulator is not built (${SIM_MAIN} is missing): run npm run build`);
  const options = { ...DEFAULT_SUPERVISION, ...supervision };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spdk-conductor-sim-'));
  const socketPath = path.join(dir, 'spdk.sock');
  // Its memory dump goes beside its socket: two embedded simulators on one host (two developers'
  // services, parallel tests) must not read each other's /tmp/spdk_mem_dump.txt.
  // The lifeline is the child's stdin, a pipe this process holds: when the service dies, even by
  // SIGKILL, the pipe closes and the simulator stops and removes its directory.
  const args = [
    SIM_MAIN,
    '--socket',
    socketPath,
    '--name',
    'embedded',
    '--mem-mib',
    String(sim.memMib),
    ...(sim.interruptMode ? ['--interrupt-mode'] : []),
    '--mem-dump',
    path.join(dir, 'mem-dump.txt'),
    '--lifeline',
    '--owned-dir',
    dir,
  ];

  let child: ResultPromise | undefined;
  let stopping = false;
  let restarts = 0;
  /** Unexpected exits since the last healthy run. */
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  /** Starts one simulator and waits for its socket; throws (leaving no process) if it never opens it. */
  const spawn = async (): Promise<void> => {
    // Loaded here, not at the top: serve against a real spdk_tgt never imports execa at start.
    const { execa } = await import('execa');
    // A socket left by a simulator that was killed: waiting for "the" socket must see the new one.
    fs.rmSync(socketPath, { force: true });
    const started: ResultPromise = execa(process.execPath, args, { stdio: ['pipe', 'ignore', 'pipe'], reject: false, cleanup: true });
    child = started;
    // The lifeline must not keep this process alive by itself.
    (started.stdin as net.Socket | null)?.unref();
    started.stderr?.on('data', (chunk: Buffer) => log.debug({ sim: chunk.toString().trimEnd() }, 'simulator'));
    let exited = false;
    let ready = false;
    const startedAt = Date.now();
    void started.then((result) => {
      exited = true;
      // One that never opened its socket is spawn's failure, handled by whoever awaited it.
      if (stopping || !ready || child !== started) return;
      started.stdin?.destroy();
      child = undefined;
      if (Date.now() - startedAt >= options.healthyAfterMs) failures = 0;
      failures++;
      const delayMs = restartDelayMs(failures, options);
      const reason = result.signal ? `killed by ${result.signal}` : `exit code ${String(result.exitCode)}`;
      log.error({ pid: started.pid, exitCode: result.exitCode, signal: result.signal, reason, delayMs, failures }, `embedded simulator exited unexpectedly (${reason}); restarting in ${delayMs} ms`);
      restartTimer = setTimeout(restart, delayMs);
    });
    const fail = async (problem: string): Promise<never> => {
      if (child === started) child = undefined;
      started.kill('SIGKILL');
      await started;
      started.stdin?.destroy();
      throw new Error(problem);
    };
    const deadline = Date.now() + options.readyTimeoutMs;
    for (;;) {
      // Exited is checked first: a simulator that opened its socket and died at once is not up.
      if (exited) await fail('the embedded simulator exited before it was up');
      if (fs.existsSync(socketPath)) break;
      if (Date.now() > deadline) await fail(`the embedded simulator did not open ${socketPath} within ${options.readyTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    ready = true;
  };

  const restart = (): void => {
    restartTimer = undefined;
    if (stopping) return;
    spawn().then(
      () => {
        restarts++;
        log.warn({ socket: socketPath, pid: child?.pid, restarts }, 'embedded simulator restarted');
      },
      (err: unknown) => {
        if (stopping) return;
        failures++;
        const delayMs = restartDelayMs(failures, options);
        log.error({ err: (err as Error).message, delayMs, failures }, `embedded simulator restart failed; trying again in ${delayMs} ms`);
        restartTimer = setTimeout(restart, delayMs);
      },
    );
  };

  try {
    await spawn();
  } catch (err) {
    // Nothing of a simulator that never came up stays behind: neither the process nor its directory.
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  log.info({ socket: socketPath, pid: child?.pid }, 'embedded simulator started (no spdk.socket configured)');
  return {
    socketPath,
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const running = child;
      if (running) {
        running.kill('SIGTERM');
        await running;
        running.stdin?.destroy();
      }
      fs.rmSync(dir, { recursive: true, force: true });
      log.debug({ restarts }, 'embedded simulator stopped');
    },
  };
}
