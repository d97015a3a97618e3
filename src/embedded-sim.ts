/**
 * Starts spdk-conductor's simulator as a child process, for a service with no spdk_tgt configured.
 * The service never imports the simulator: it only runs the built program next to its own.
 */
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from 'pino';

export interface EmbeddedSim {
  readonly socketPath: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** The built simulator: beside this module in dist/, or in dist/ when this module runs from source (vitest). */
const SIM_MAIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../dist/spdk/sim/main.js' : '../spdk/sim/main.js', import.meta.url));

export async function startEmbeddedSim(log: Logger, memMib: number, readyTimeoutMs = 10_000): Promise<EmbeddedSim> {
  if (!fs.existsSync(SIM_MAIN)) throw new Error(`the simulator is not built (${SIM_MAIN} is missing): run npm run build`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spdk-conductor-sim-'));
  const socketPath = path.join(dir, 'spdk.sock');
  // Its memory dump goes beside its socket: two embedded simulators on one host (two developers'
  // services, parallel tests) must not read each other's /tmp/spdk_mem_dump.txt.
  // The lifeline is the child's stdin, a pipe this process holds: when the service dies, even by
  // SIGKILL, the pipe closes and the simulator stops and removes its directory.
  const args = [SIM_MAIN, '--socket', socketPath, '--name', 'embedded', '--mem-mib', String(memMib), '--mem-dump', path.join(dir, 'mem-dump.txt'), '--lifeline', '--owned-dir', dir];
  const child: ResultPromise = execa(process.execPath, args, {
    stdio: ['pipe', 'ignore', 'pipe'],
    reject: false,
    cleanup: true,
  });
  // The lifeline must not keep this process alive by itself.
  (child.stdin as net.Socket | null)?.unref();
  child.stderr?.on('data', (chunk: Buffer) => log.debug({ sim: chunk.toString().trimEnd() }, 'simulator'));
  let exited = false;
  let stopping = false;
  void child.then((result) => {
    exited = true;
    if (stopping) log.debug({ exitCode: result.exitCode }, 'embedded simulator stopped');
    else log.error({ exitCode: result.exitCode, signal: result.signal }, 'embedded simulator exited unexpectedly');
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (!fs.existsSync(socketPath)) {
    const problem = exited
      ? 'the embedded simulator exited before opening its socket'
      : Date.now() > deadline
        ? `the embedded simulator did not open ${socketPath} within ${readyTimeoutMs} ms`
        : undefined;
    if (problem) {
      // Nothing of a simulator that never came up stays behind: neither the process nor its directory.
      child.kill('SIGKILL');
      await child;
      child.stdin?.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(problem);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  log.info({ socket: socketPath, pid: child.pid }, 'embedded simulator started (no spdk.socket configured)');
  return {
    socketPath,
    pid: child.pid,
    async stop() {
      stopping = true;
      if (!exited) {
        child.kill('SIGTERM');
        await child;
      }
      child.stdin?.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
