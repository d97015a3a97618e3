/**
 * startSim: starts the built simulator (dist/spdk/sim/main.js; run `npx tsc -p tsconfig.json`
 * first, this helper builds nothing) as a real process on a real Unix socket and resolves once the
 * socket accepts connections, or rejects with the process's stderr after a deadline.
 *
 *   const a = await startSim({ name: 'A' });            // socket in a fresh temp dir
 *   const b = await startSim({ name: 'B', args: ['--mem-mib', '1024'] });
 *   ...
 *   await a.stop();   // SIGTERM, then SIGKILL after 5 s; resolves when the process is gone
 *   await b.kill();   // SIGKILL (a crash, as far as clients can tell)
 *
 * Unless `args` says otherwise, env_dpdk_get_mem_stats writes into the temp dir (not the shared
 * /tmp/spdk_mem_dump.txt) so parallel simulators do not overwrite each other's dumps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/temp-dir.js';

export const SIM_MAIN = fileURLToPath(new URL('../../../dist/spdk/sim/main.js', import.meta.url));

export interface StartSimOptions {
  readonly name: string;
  /** Socket path; default `<fresh temp dir>/<name>.sock`. */
  readonly socket?: string;
  /** Extra command-line arguments (see `node dist/spdk/sim/main.js --help`). */
  readonly args?: readonly string[];
  /** How long to wait for the socket, default 10 s. */
  readonly timeoutMs?: number;
}

export interface RunningSim {
  readonly name: string;
  readonly socket: string;
  readonly proc: ChildProcess;
  /** The last 64 KiB of the process's stderr (its log lines). */
  stderr(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startSim(options: StartSimOptions): Promise<RunningSim> {
  const socket = options.socket ?? join(tempDir(`sim-${options.name}-`), `${options.name}.sock`);
  const args = [...(options.args ?? [])];
  if (!args.includes('--mem-dump')) args.push('--mem-dump', join(dirname(socket), `${options.name}-mem-dump.txt`));
  // --lifeline: a test runner killed mid-run (a timeout, Ctrl-C) takes its simulators with it.
  const proc = spawn(process.execPath, [SIM_MAIN, '--socket', socket, '--name', options.name, ...args, '--lifeline'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  (proc.stdin as Socket | null)?.unref();
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    err = (err + d).slice(-65536);
  });
  const running: RunningSim = {
    name: options.name,
    socket,
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited(proc);
      clearTimeout(timer);
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited(proc);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`simulator ${options.name} exited (${proc.exitCode ?? proc.signalCode}) before listening:\n${err}`);
    }
    if (await canConnect(socket)) return running;
    if (Date.now() > deadline) {
      await running.kill();
      throw new Error(`simulator ${options.name} did not listen on ${socket} within the deadline:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
