/**
 * The node's kernel NVMe/TCP initiator, driven with nvme-cli. Every command runs through execa
 * with an argv array (no shell ever sees user input), a timeout that SIGKILLs the tool, LC_ALL=C
 * so the kernel's strerror texts can be recognised, and its stderr carried into the error.
 *
 * Two sources, each for what it is good at:
 * - sysfs (NvmeSysfs) decides "already connected?" and "which /dev/nvmeXnY?": it is the kernel's
 *   own state, needs no subprocess while polling for a device, and has one shape on every kernel.
 * - `nvme list-subsys -o json` gives the listing, as the tool operators use reports it; its JSON
 *   changed shape between 1.x and 2.x and never reliably carried namespaces, so those come
 *   from sysfs.
 *
 * Commands are idempotent: connecting what is connected returns its device without running
 * `nvme connect`, disconnecting what is not connected succeeds without running anything.
 */
import fsp from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecaError } from 'execa';
import type { Logger } from 'pino';
import { ConductorError, type ErrorCode } from '../errors.js';
import { portProblem } from '../validation/network.js';
import { nqnProblem } from '../validation/nqn.js';
import { parseListSubsys, type ListedController } from './nvme-list-subsys.js';
import { isUsable, normalizeIp, NvmeSysfs, parseAddress, type SysfsController, type SysfsSubsystem } from './nvme-sysfs.js';

export interface NvmeCliOptions {
  /** The nvme-cli executable, looked up on PATH unless it is a path (default `nvme`). */
  binary?: string;
  sysfsRoot?: string;
  devRoot?: string;
  /** Deadline of each nvme-cli run (default 30 s). */
  commandTimeoutMs?: number;
  /** How long a connect waits for the namespace's block device to appear (default 10 s). */
  deviceTimeoutMs?: number;
  /** sysfs polling period while waiting (default 100 ms). */
  pollIntervalMs?: number;
  logger: Logger;
}

export interface ConnectParams {
  nqn: string;
  /** The target's IP address: the kernel does not resolve names. */
  address: string;
  port: number;
  /** The initiator's NQN; nvme-cli falls back to /etc/nvme/hostnqn without it. */
  hostNqn?: string;
  ctrlLossTmoSec: number;
  reconnectDelaySec: number;
  keepAliveTmoSec: number;
}

export interface NvmeConnection {
  /** `/dev/nvme3n1` under devRoot */
  device: string;
  /** `nvme3`: the controller of this address and port */
  controller: string;
}

export interface NvmeSubsystem {
  nqn: string;
  controllers: ListedController[];
  /** `nvme3n1` */
  namespaces: string[];
}

function invalid(field: string, message: string, code: ErrorCode = 'INVALID_ARGUMENT'): ConductorError {
  return new ConductorError(code, message, { field });
}

/**
 * nvme-cli hands the kernel one comma-separated `key=value` string; the NQN rule admits no ',' or
 * whitespace, so an NQN cannot inject options of its own.
 */
export function checkNqn(nqn: unknown, field = 'nqn'): string {
  const problem = nqnProblem(nqn);
  if (problem) throw invalid(field, `${field}: ${problem}`, 'INVALID_NQN');
  return nqn as string;
}

function checkSeconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(field, `${field} must be a whole number of seconds of at least 1, not ${String(value)}`, 'INVALID_TIMEOUTS');
  }
  return value;
}

/** Validates everything before anything runs; throws INVALID_ARGUMENT naming the field. */
export function checkConnectParams(p: ConnectParams): void {
  checkNqn(p.nqn);
  if (p.hostNqn !== undefined) checkNqn(p.hostNqn, 'hostNqn');
  if (typeof p.address !== 'string' || isIP(p.address) === 0) throw invalid('address', `address "${String(p.address)}" is not an IP address`, 'INVALID_ADDRESS');
  const portTrouble = portProblem(p.port);
  if (portTrouble) throw invalid('port', `port ${portTrouble}`, 'INVALID_ADDRESS');
  const ctrlLoss = checkSeconds(p.ctrlLossTmoSec, 'ctrlLossTmoSec');
  const delay = checkSeconds(p.reconnectDelaySec, 'reconnectDelaySec');
  checkSeconds(p.keepAliveTmoSec, 'keepAliveTmoSec');
  // A delay longer than the loss window leaves at most one reconnect attempt: never what the budget means.
  if (delay > ctrlLoss) throw invalid('reconnectDelaySec', `reconnectDelaySec (${delay}) must not exceed ctrlLossTmoSec (${ctrlLoss})`, 'INVALID_TIMEOUTS');
}

/** The argv of `nvme connect` for these params (validated): the one place it is spelled. */
export function connectArgs(p: ConnectParams): string[] {
  checkConnectParams(p);
  return [
    'connect',
    '-t',
    'tcp',
    '-a',
    p.address,
    '-s',
    String(p.port),
    '-n',
    p.nqn,
    ...(p.hostNqn === undefined ? [] : ['--hostnqn', p.hostNqn]),
    '--ctrl-loss-tmo',
    String(p.ctrlLossTmoSec),
    '--reconnect-delay',
    String(p.reconnectDelaySec),
    '--keep-alive-tmo',
    String(p.keepAliveTmoSec),
  ];
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** What a failed command was doing, for the error's message and details. */
interface CommandContext {
  what: string;
  nqn?: string;
  target?: string;
}

const STDERR_MAX = 1000;

/**
 * nvme-cli 1.x exits with 256-errno of the failed write; 2.x exits 1 and says it in words. The
 * exit code is read only when stderr said nothing recognisable.
 */
const ERRNO_EXITS: Record<number, ErrorCode> = {
  [256 - 22]: 'INVALID_ARGUMENT',
  [256 - 101]: 'NVME_TARGET_UNREACHABLE', // ENETUNREACH
  [256 - 110]: 'NVME_TARGET_UNREACHABLE', // ETIMEDOUT: the target, not our deadline
  [256 - 111]: 'NVME_TARGET_UNREACHABLE', // ECONNREFUSED
  [256 - 113]: 'NVME_TARGET_UNREACHABLE', // EHOSTUNREACH
  [256 - 114]: 'NVME_ALREADY_CONNECTED', // EALREADY
};

const ALREADY = /already connected|operation already in progress/i;
const NO_FABRICS = /(failed to open|no such file or directory).*nvme-fabrics|failed to open nvme-fabrics/i;
const BAD_ARGS = /invalid argument|invalid arguments|unrecognized option|invalid option|required argument|usage:/i;
const UNREACHABLE = /connection refused|no route to host|network is unreachable|host is down|connection timed out|failed to write to (\/dev\/)?nvme-fabrics/i;

/** execa's failure of a run (its class is named, so the check needs no loaded execa). */
function isExecaError(err: unknown): err is ExecaError {
  return err instanceof Error && err.name === 'ExecaError';
}

/** Maps a failed run to a ConductorError; exported for the table test. */
export function commandError(err: unknown, binary: string, ctx: CommandContext): ConductorError {
  if (!isExecaError(err)) {
    return new ConductorError('NVME_CLI_FAILED', `${ctx.what} failed: ${String(err)}`, { ...ctx }, { cause: err });
  }
  const stderr = (err.stderr === undefined ? '' : String(err.stderr)).trim().slice(0, STDERR_MAX);
  const details = { ...ctx, exitCode: err.exitCode, stderr };
  const where = ctx.target ? ` to ${ctx.target}` : '';
  const tail = stderr === '' ? `exit code ${String(err.exitCode)}` : stderr;
  if (err.code === 'ENOENT' || err.code === 'EACCES') {
    return new ConductorError(
      'HOST_NVME_UNAVAILABLE',
      `nvme-cli is not installed: cannot run "${binary}" (${err.code}); install the nvme-cli package (apt-get install nvme-cli / dnf install nvme-cli)`,
      details,
      { cause: err },
    );
  }
  if (err.timedOut) {
    return new ConductorError('NVME_CLI_TIMEOUT', `${ctx.what}${where} did not finish within its timeout and was killed${stderr ? `: ${stderr}` : ''}`, details, { cause: err });
  }
  const byText: Array<[RegExp, ConductorError['code'], string]> = [
    [ALREADY, 'NVME_ALREADY_CONNECTED', `${ctx.what}${where}: already connected`],
    [NO_FABRICS, 'HOST_NVME_UNAVAILABLE', `${ctx.what}${where} failed: /dev/nvme-fabrics is missing; run \`modprobe nvme-tcp\` (it loads nvme-fabrics): ${tail}`],
    [BAD_ARGS, 'INVALID_ARGUMENT', `${ctx.what}${where} was refused as invalid: ${tail}`],
    [UNREACHABLE, 'NVME_TARGET_UNREACHABLE', `${ctx.what}${where} failed, the target is unreachable or refused: ${tail}`],
  ];
  for (const [pattern, code, message] of byText) {
    if (pattern.test(stderr)) return new ConductorError(code, message, details, { cause: err });
  }
  const byExit = err.exitCode === undefined ? undefined : ERRNO_EXITS[err.exitCode];
  if (byExit) return new ConductorError(byExit, `${ctx.what}${where} failed: ${tail}`, details, { cause: err });
  return new ConductorError('NVME_CLI_FAILED', `${ctx.what}${where} failed: ${tail}`, details, { cause: err });
}

type Probe<T> = { done: T } | { pending: string };

export class NvmeCli {
  private readonly binary: string;
  private readonly sysfsRoot: string;
  private readonly devRoot: string;
  private readonly commandTimeoutMs: number;
  private readonly deviceTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly sysfs: NvmeSysfs;
  private readonly log: Logger;

  constructor(options: NvmeCliOptions) {
    this.binary = options.binary ?? 'nvme';
    this.sysfsRoot = options.sysfsRoot ?? '/sys';
    this.devRoot = options.devRoot ?? '/dev';
    this.commandTimeoutMs = positiveMs(options.commandTimeoutMs ?? 30_000, 'commandTimeoutMs');
    this.deviceTimeoutMs = positiveMs(options.deviceTimeoutMs ?? 10_000, 'deviceTimeoutMs');
    this.pollIntervalMs = positiveMs(options.pollIntervalMs ?? 100, 'pollIntervalMs');
    this.sysfs = new NvmeSysfs(this.sysfsRoot);
    this.log = options.logger;
  }

  /** Fails with FAILED_PRECONDITION saying what to install or load when the node cannot connect. */
  async preflight(): Promise<void> {
    const version = await this.run(['version'], { what: 'nvme version' });
    await this.requireTcpModule();
    this.log.info({ binary: this.binary, version: version.split('\n')[0] }, 'nvme-cli and nvme_tcp present');
  }

  async connect(params: ConnectParams): Promise<NvmeConnection> {
    const args = connectArgs(params);
    const target = hostPort(params.address, params.port);
    await this.requireTcpModule();
    const existing = this.matching(await this.sysfs.subsystem(params.nqn), params);
    if (existing) {
      this.log.info({ nqn: params.nqn, target, controller: existing.name }, 'already connected; not running nvme connect');
      return this.awaitDevice(params, target);
    }
    try {
      await this.run(args, { what: 'nvme connect', nqn: params.nqn, target });
      this.log.info({ nqn: params.nqn, target }, 'nvme connect done');
    } catch (err) {
      // Someone connected between the sysfs check and the write; sysfs decides below.
      if (!(err instanceof ConductorError && err.code === 'NVME_ALREADY_CONNECTED')) throw err;
      this.log.info({ nqn: params.nqn, target }, 'nvme connect says already connected; reading sysfs');
    }
    return this.awaitDevice(params, target);
  }

  /** Disconnects every controller of the NQN; not connected is success. */
  async disconnect(nqn: string): Promise<void> {
    checkNqn(nqn);
    const before = await this.sysfs.subsystem(nqn);
    if (!before || before.controllers.length === 0) {
      this.log.debug({ nqn }, 'not connected; nothing to disconnect');
      return;
    }
    try {
      await this.run(['disconnect', '-n', nqn], { what: 'nvme disconnect', nqn });
    } catch (err) {
      const after = await this.sysfs.subsystem(nqn);
      if (!after || after.controllers.length === 0) return;
      throw err;
    }
    await this.waitFor(`disconnect of ${nqn}`, this.commandTimeoutMs, async () => {
      const left = (await this.sysfs.subsystem(nqn))?.controllers ?? [];
      return left.length === 0 ? { done: undefined } : { pending: `controllers ${left.map((c) => c.name).join(', ')} still present` };
    });
    this.log.info({ nqn, controllers: before.controllers.map((c) => c.name) }, 'nvme disconnect done');
  }

  async listSubsystems(): Promise<NvmeSubsystem[]> {
    const [stdout, fromSysfs] = await Promise.all([this.run(['list-subsys', '-o', 'json'], { what: 'nvme list-subsys' }), this.sysfs.subsystems()]);
    const namespaces = new Map(fromSysfs.map((s) => [s.nqn, s.namespaces]));
    return parseListSubsys(stdout).map((s) => ({ nqn: s.nqn, controllers: s.controllers, namespaces: namespaces.get(s.nqn) ?? [] }));
  }

  /** The device path of the NQN's (lowest) namespace, once its node exists under devRoot. */
  async deviceOf(nqn: string): Promise<string | undefined> {
    checkNqn(nqn);
    const subsystem = await this.sysfs.subsystem(nqn);
    return subsystem ? this.openableDevice(subsystem) : undefined;
  }

  private async requireTcpModule(): Promise<void> {
    const dir = path.join(this.sysfsRoot, 'module', 'nvme_tcp');
    try {
      await fsp.stat(dir);
    } catch {
      throw new ConductorError(
        'HOST_NVME_UNAVAILABLE',
        `the nvme_tcp kernel module is not loaded (${dir} is missing): run \`modprobe nvme-tcp\` on the node, and list it in /etc/modules-load.d to keep it across reboots`,
        { module: 'nvme_tcp' },
      );
    }
  }

  private matching(subsystem: SysfsSubsystem | undefined, p: ConnectParams): SysfsController | undefined {
    const ip = normalizeIp(p.address);
    return subsystem?.controllers.find((c) => {
      const fields = parseAddress(c.address);
      return (
        c.transport === 'tcp' &&
        isUsable(c) &&
        normalizeIp(fields.get('traddr') ?? '') === ip &&
        fields.get('trsvcid') === String(p.port) &&
        (p.hostNqn === undefined || c.hostNqn === undefined || c.hostNqn === p.hostNqn)
      );
    });
  }

  private async openableDevice(subsystem: SysfsSubsystem): Promise<string | undefined> {
    for (const ns of subsystem.namespaces) {
      const device = path.join(this.devRoot, ns);
      if (await exists(device)) return device;
    }
    return undefined;
  }

  /**
   * The controller shows in sysfs when the connect write returns, but the namespace scan and
   * udev's device node follow asynchronously: poll (sysfs has no inotify) until all three exist.
   */
  private awaitDevice(p: ConnectParams, target: string): Promise<NvmeConnection> {
    return this.waitFor<NvmeConnection>(`block device of ${p.nqn} at ${target}`, this.deviceTimeoutMs, async () => {
      const subsystem = await this.sysfs.subsystem(p.nqn);
      const controller = this.matching(subsystem, p);
      if (!subsystem || !controller) return { pending: `no live controller of ${p.nqn} at ${target} in sysfs` };
      if (subsystem.namespaces.length === 0) return { pending: `controller ${controller.name} has no namespace yet` };
      const device = await this.openableDevice(subsystem);
      if (!device) return { pending: `no device node for ${subsystem.namespaces.join(', ')} under ${this.devRoot}` };
      return { done: { device, controller: controller.name } };
    });
  }

  private async waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<Probe<T>>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await probe();
      if ('done' in seen) return seen.done;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ConductorError('NVME_CLI_TIMEOUT', `${what}: gave up after ${timeoutMs} ms, ${seen.pending}`, { what, timeoutMs });
      }
      await sleep(Math.min(this.pollIntervalMs, left));
    }
  }

  private async run(args: string[], ctx: CommandContext): Promise<string> {
    this.log.debug({ binary: this.binary, args }, 'running nvme-cli');
    try {
      // Loaded at the first command: a node that never attaches a host does not import execa at start.
      const { execa } = await import('execa');
      const result = await execa(this.binary, args, {
        timeout: this.commandTimeoutMs,
        // nvme-cli has nothing to clean up, and a tool stuck on the kernel would ignore SIGTERM.
        killSignal: 'SIGKILL',
        stdin: 'ignore',
        env: { LC_ALL: 'C' },
        maxBuffer: 4 * 1024 * 1024,
      });
      return result.stdout;
    } catch (err) {
      throw commandError(err, this.binary, ctx);
    }
  }
}

function positiveMs(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(field, `${field} must be a positive whole number of milliseconds, not ${value}`);
  return value;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.stat(file);
    return true;
  } catch {
    return false;
  }
}
