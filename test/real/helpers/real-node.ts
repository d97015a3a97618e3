/**
 * Real spdk_tgt targets for test/real, several on one machine: all on one core mask with
 * --disable-cpumask-locks (spdk_tgt busy-polls its cores; the mask is SPDK_CORE_MASK, default
 * 0x1), each with its own hugepage file prefix (--shm-id N makes it spdkN), and --no-huge -s 1024
 * when /proc/meminfo shows no free hugepages. A RealNode is a target with the service over it,
 * started as serve starts it, its gRPC API on TCP so that other nodes reach it as a peer.
 * spdk_dd, when it sits beside SPDK_TGT, writes and reads an export over NVMe/TCP loopback as a
 * third process, as the recordings did (../shared/spdk/README.md, files 17-21).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import type { NodeService } from '../../../src/domain/node/node-service.js';
import { startService, type ServiceHandle } from '../../../src/service.js';
import { portBlock } from '../../helpers/ports.js';

export const SPDK_TGT = process.env.SPDK_TGT;
export const SPDK_DD = SPDK_TGT ? path.join(path.dirname(SPDK_TGT), 'spdk_dd') : '';
export const HAS_DD = SPDK_TGT !== undefined && fs.existsSync(SPDK_DD);
/** nvmf_tgt of the same build: spdk_tgt without iSCSI, whose reactors idle in --interrupt-mode (spdk_tgt's iSCSI poller keeps its core busy). */
export const NVMF_TGT = SPDK_TGT ? path.join(path.dirname(SPDK_TGT), 'nvmf_tgt') : '';
export const HAS_NVMF_TGT = SPDK_TGT !== undefined && fs.existsSync(NVMF_TGT);
export const MIB = 1024 * 1024;
const CORE_MASK = process.env.SPDK_CORE_MASK ?? '0x1';
const START_MS = 60_000;

/** shm ids (hugepage file prefixes) unique on this machine for this run: the pid's range. */
let nextShmId = (process.pid % 10_000) * 10;

function freeHugepages(): number {
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  return Number(/^HugePages_Free:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
}

/**
 * The memory options an SPDK process of the suite gets (-s caps only --no-huge memory): hugepages
 * when the machine has enough free for it, else (or with `noHuge`) --no-huge.
 */
export function memoryArgs(mib: number, noHuge = false): string[] {
  // -R (--huge-unlink): the hugepage files are unlinked once mapped, so the pages go back when the
  // process ends, however it ends (kill -9 included). Without it a whole run of the suite left two
  // targets' files holding all 1,024 pages in /dev/hugepages, their processes gone, and every later
  // SPDK process on the machine fell back to --no-huge.
  return noHuge || freeHugepages() * 2 < mib ? ['--no-huge', '-s', String(mib)] : ['-s', String(mib), '-R'];
}

/**
 * What DPDK says when the hugepages it saw free were taken meanwhile by another SPDK process of the
 * suite (files run in parallel, each target checking before any has reserved its pages).
 */
const HUGEPAGES_TAKEN = /No free \d+ kB hugepages|Cannot get hugepage information|Not enough memory available|Cannot init memory|Cannot allocate memory/;

/** Whether an SPDK process given hugepages (no --no-huge in `args`) failed for want of them: then it runs again without. */
function hugepagesTaken(args: readonly string[], output: string): boolean {
  return !args.includes('--no-huge') && HUGEPAGES_TAKEN.test(output);
}

/**
 * spdk_tgt gets 1024 MiB (~176 MiB of it free after its own pools with --no-huge); spdk_dd, which
 * makes no iSCSI or NVMe-oF target pools, 512 (256 fails: "could not allocate spdk_bdev_io pool"): its start-up maps and
 * touches every MiB, seconds each on a loaded machine.
 */
export function commonArgs(mib = 1024, noHuge = false): string[] {
  return ['-m', CORE_MASK, '--disable-cpumask-locks', '--shm-id', String(nextShmId++), ...memoryArgs(mib, noHuge)];
}

export async function until<T>(what: string, deadlineMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 50): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** One spdk_tgt process on a fixed socket: started, killed (-9) and started again on it. */
export class RealTarget {
  private proc: ChildProcess | null = null;
  private stderr = '';

  constructor(
    readonly name: string,
    readonly socket: string,
    /** More spdk_tgt arguments (e.g. --wait-for-rpc). */
    readonly extraArgs: readonly string[] = [],
    /** The SPDK application (default SPDK_TGT; e.g. NVMF_TGT). */
    readonly binary: string = SPDK_TGT!,
  ) {}

  async start(): Promise<void> {
    const args = commonArgs();
    try {
      await this.spawn(args);
    } catch (error) {
      if (!hugepagesTaken(args, this.stderr)) throw error;
      await this.spawn(commonArgs(1024, true));
    }
  }

  private async spawn(args: readonly string[]): Promise<void> {
    // A kill -9 leaves the socket file: the new target must not find it in the way.
    fs.rmSync(this.socket, { force: true });
    this.stderr = '';
    const proc = spawn(this.binary, ['-r', this.socket, ...args, ...this.extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-65_536)));
    await until(`spdk_tgt ${this.name} on ${this.socket}`, START_MS, () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`spdk_tgt ${this.name} exited ${proc.exitCode ?? proc.signalCode}: ${this.stderr}`);
      return fs.existsSync(this.socket);
    });
  }

  /** The running process's id (to stop and continue it). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  }
}

/**
 * Two nodes started side by side. If one fails to start, the other is closed before the error is
 * thrown: a beforeAll that destructures the pair never sees the one that started, and its
 * afterAll could not stop it (a failed start once left spdk_tgt polling a core for the rest of the run).
 */
export async function startPair(first: Promise<RealNode>, second: Promise<RealNode>): Promise<[RealNode, RealNode]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  await Promise.all([a, b].map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
}

export interface RealNodeOptions {
  env?: Record<string, string>;
  /** The target: another SPDK application than SPDK_TGT, and more arguments (e.g. --interrupt-mode). */
  target?: { binary?: string; args?: readonly string[] };
}

/** A real target and the service over it, as one node of a cluster. */
export class RealNode {
  service!: ServiceHandle;
  apiAddress = '';
  private apiPort = 0;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly target: RealTarget,
    private readonly env: Record<string, string>,
  ) {}

  static async start(name: string, options: RealNodeOptions = {}): Promise<RealNode> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `conductor-real-${name}-`));
    const target = new RealTarget(name, path.join(dir, 'spdk.sock'), options.target?.args, options.target?.binary);
    const ports = portBlock();
    const node = new RealNode(name, dir, target, {
      CONDUCTOR_SPDK_SOCKET: target.socket,
      CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
      CONDUCTOR_API_TCP_INSECURE: 'true',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
      CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1',
      CONDUCTOR_EXPORT_PORT_MIN: String(ports),
      CONDUCTOR_EXPORT_PORT_MAX: String(ports + 99),
      ...options.env,
    });
    try {
      await target.start();
      await node.startService();
    } catch (error) {
      await node.close();
      throw error;
    }
    return node;
  }

  get domain(): NodeService {
    return this.service.domain;
  }

  /** Starts the service (again), on the same API port, and waits for its recovery. */
  async startService(): Promise<void> {
    const config = loadConfig({ env: { ...this.env, CONDUCTOR_API_TCP: `127.0.0.1:${this.apiPort}` } });
    // An empty sysfs: the configured host io_timeout, whatever this machine's nvme_core says.
    this.service = await startService(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), sysfsRoot: this.dir, api: { shutdownGraceMs: 100 } });
    this.apiPort = this.service.api.tcp!.port;
    this.apiAddress = `127.0.0.1:${this.apiPort}`;
    if (!(await this.service.recovered)) throw new Error(`${this.name}: recovery did not finish: ${this.service.readiness().reason}`);
  }

  /** Closes the service and starts it again; `env` changes its configuration from now on. */
  async restartService(env: Record<string, string> = {}): Promise<void> {
    await this.service.close();
    Object.assign(this.env, env);
    await this.startService();
  }

  /** kill -9 of spdk_tgt and a new one on the same socket and disk files; resolves once the node is ready again. */
  async restartTarget(): Promise<void> {
    await this.target.kill();
    await until(`${this.name} NOT_SERVING`, START_MS, () => !this.service.readiness().ready);
    await this.target.start();
    await until(`${this.name} ready again`, 2 * START_MS, () => this.service.readiness().ready);
  }

  diskFile(name: string, mib: number): string {
    const file = path.join(this.dir, `${name}.img`);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, mib * MIB);
    return file;
  }

  async close(): Promise<void> {
    await this.service?.close().catch(() => undefined);
    await this.target.kill('SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Endpoint {
  address: string;
  port: number;
  nqn: string;
}

export interface DdOptions {
  hostnqn: string;
  /** The host's bdev_nvme budget: the replica-loss case must ride out a member's loss. */
  timeouts?: { ctrlr_loss_timeout_sec: number; reconnect_delay_sec: number; fast_io_fail_timeout_sec?: number };
  /** Read from this byte offset of the namespace (a raid member's data starts after its superblock). */
  skipBytes?: number;
}

/**
 * spdk_dd's block: every SPDK process of the suite busy-polls the same core, so each I/O costs
 * several scheduler slices per hop (host, engine, remote member): 4 KiB blocks wrote ~3 per second
 * on the loaded 2-core machine (16 MiB did not finish in 2 minutes), 128 KiB blocks are 32 times
 * fewer round trips. The raid's data offset (1 MiB) is a multiple of it.
 */
const DD_BLOCK = 128 * 1024;

/**
 * spdk_dd as an NVMe/TCP host of `endpoint`: `--if file --ob bdev` to write, `--ib bdev --of file`
 * to read, DD_BLOCK blocks. Resolves with its exit code and output (never throws on a failed run:
 * the callers' verdict).
 */
export function dd(
  dir: string,
  endpoint: Endpoint,
  io: { write: string } | { read: string },
  bytes: number,
  options: DdOptions,
  memory: readonly string[] = commonArgs(512),
): { done: Promise<{ code: number | null; output: string; memory: readonly string[] }>; proc: ChildProcess } {
  const conf = path.join(dir, `dd-${process.hrtime.bigint()}.json`);
  const config: Array<{ method: string; params: Record<string, unknown> }> = [];
  const attach = {
    name: 'h',
    trtype: 'tcp',
    adrfam: 'ipv4',
    traddr: endpoint.address,
    trsvcid: String(endpoint.port),
    subnqn: endpoint.nqn,
    hostnqn: options.hostnqn,
    ...options.timeouts,
  };
  config.push({ method: 'bdev_nvme_attach_controller', params: attach });
  fs.writeFileSync(conf, JSON.stringify({ subsystems: [{ subsystem: 'bdev', config }] }));
  const files = 'write' in io ? ['--if', io.write, '--ob', 'hn1'] : ['--ib', 'hn1', '--of', io.read, ...(options.skipBytes ? ['--skip', String(options.skipBytes / DD_BLOCK)] : [])];
  const proc = spawn(SPDK_DD, [...files, '--bs', String(DD_BLOCK), '--count', String(bytes / DD_BLOCK), '--json', conf, ...memory], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  proc.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-16_384)));
  const done = new Promise<{ code: number | null; output: string; memory: readonly string[] }>((resolve) => proc.once('exit', (code) => resolve({ code, output, memory })));
  return { done, proc };
}

/** spdk_dd to the end; throws with its output when it failed. */
export async function ddOk(dir: string, endpoint: Endpoint, io: { write: string } | { read: string }, bytes: number, options: DdOptions): Promise<void> {
  let { code, output, memory } = await dd(dir, endpoint, io, bytes, options).done;
  if (code !== 0 && hugepagesTaken(memory, output)) ({ code, output } = await dd(dir, endpoint, io, bytes, options, commonArgs(512, true)).done);
  if (code !== 0) throw new Error(`spdk_dd ${'write' in io ? 'write' : 'read'} to ${endpoint.nqn} failed (${code}): ${output}`);
}

export function md5(file: string): string {
  return createHash('md5').update(fs.readFileSync(file)).digest('hex');
}
