/**
 * A real spdk_tgt (or nvmf_tgt) started by a benchmark itself (`--spdk-tgt PATH`), so that the
 * figures against real SPDK are reproduced from the repository with one command, not with a
 * wrapper script kept somewhere else. The binary is one the user built; nothing here builds SPDK.
 *
 * The target gets its own socket in the benchmark's scratch directory and, unless `--spdk-args`
 * says otherwise, one core (`-m 0x1`: the reactor on core 0, as the issues' figures were taken)
 * and hugepages when the machine has 1 GiB of them free (`-s 1024 -R`: unlinked, so that a kill
 * leaves no hugepage files behind), else `--no-huge -s 2048`. It is stopped (SIGTERM, then
 * SIGKILL after 10 s) when the benchmark ends, and killed on every other way out: an exception,
 * SIGINT, SIGTERM or SIGHUP. A target that exits early or does not answer within a minute fails
 * the start with the tail of its output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseMeminfo } from '../../src/host/hugepages.js';
import { connectRaw } from './raw-rpc.js';

export interface StartedTarget {
  readonly socket: string;
  readonly pid: number;
  /** What it was started with, for the benchmark's header line. */
  readonly description: string;
  stop(): Promise<void>;
}

const START_MS = 60_000;
const STOP_MS = 10_000;
const HUGE_MIB = 1024;

function freeHugepageMib(): number {
  const meminfo = parseMeminfo(fs.readFileSync('/proc/meminfo', 'utf8'));
  return meminfo ? (meminfo.free * meminfo.pageSizeBytes) / (1024 * 1024) : 0;
}

/** The arguments a target gets when the caller gives none: one core, hugepages when there are enough. */
export function defaultTargetArgs(): string[] {
  const memory = freeHugepageMib() >= HUGE_MIB ? ['-s', String(HUGE_MIB), '-R'] : ['--no-huge', '-s', '2048'];
  return ['-m', '0x1', ...memory];
}

const running = new Set<ChildProcess>();
let hooked = false;

/** Kills what is still running on every way out; signals exit with 128 + their number after it. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => process.exit(code));
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether the target on `socket` answers framework_wait_init within 5 s (it answers once its subsystems are up). */
async function initialized(socket: string): Promise<boolean> {
  const rpc = await connectRaw(socket).catch(() => undefined);
  if (!rpc) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 5000, false)));
    return await Promise.race([rpc.call('framework_wait_init').then(() => true), gaveUp]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    rpc.close();
  }
}

/**
 * Starts `binary` on a socket in `dir` and resolves once its RPC server answers and its framework
 * is initialized. `args` replaces the defaults (defaultTargetArgs) when given; `-r` is always ours.
 */
export async function startSpdkTarget(binary: string, dir: string, args?: readonly string[]): Promise<StartedTarget> {
  if (!fs.existsSync(binary)) throw new Error(`--spdk-tgt ${binary}: no such file`);
  hookExit();
  const socket = path.join(dir, `${path.basename(binary)}.sock`);
  fs.rmSync(socket, { force: true });
  const targetArgs = args ?? defaultTargetArgs();
  const child = spawn(binary, ['-r', socket, ...targetArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (gone()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const deadline = Date.now() + START_MS;
    for (;;) {
      if (gone()) throw new Error(`${binary} exited (${child.exitCode ?? child.signalCode}) before it answered:\n${output}`);
      if (Date.now() > deadline) throw new Error(`${binary} did not answer on ${socket} within ${START_MS / 1000} s:\n${output}`);
      if (fs.existsSync(socket) && (await initialized(socket))) break;
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, pid: child.pid!, description: `${path.basename(binary)} ${targetArgs.join(' ')} (pid ${child.pid}, started by the benchmark)`, stop };
}

/** `--spdk-args` as a list: split on white space (no quoting: SPDK's options take none). */
export function splitArgs(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(/\s+/).filter((a) => a.length > 0);
}
