/**
 * A userspace NVMe/TCP host: one controller of one subsystem, its admin queue and one I/O queue,
 * each on its own TCP connection. Connect as the NVMe-oF specification orders it: ICReq/ICResp,
 * Fabrics Connect on the admin queue (CNTLID FFFFh: a dynamic controller) with a keep-alive
 * timeout, CAP, CC.EN and CSTS.RDY, Identify Controller, then Connect of I/O queue 1 with the
 * controller's ID. Writes and reads are split at the controller's transfer limit and wait for a
 * queue slot (backpressure); Keep Alive runs on the admin queue so spdk_tgt drops the controller
 * of a host that stopped (spdk_tgt v26.05 keeps a controller connected with KATO 0 forever).
 * When a Connect's completion asks for authentication (AUTHREQ.ATR), the queue runs DH-HMAC-CHAP
 * (./auth.ts) with the keys given before any other command.
 */
import { randomInt, randomUUID } from 'node:crypto';
import net from 'node:net';
import pino from 'pino';
import { ConductorError } from '../errors.js';
import { nqnProblem } from '../validation/nqn.js';
import { type DecodedSecret, decodeSecret, secretProblem } from '../validation/nvme-secrets.js';
import { AUTH_RECEIVE_BYTES, type AuthChannel, type AuthOutcome, authenticate, DH_GROUP_NAMES, type DhGroupName } from './auth.js';
import { QueuePair, reasonText } from './queue.js';
import {
  CC_ENABLE,
  CC_SHUTDOWN,
  type Capabilities,
  authReceiveSqe,
  authSendSqe,
  CNS,
  type ControllerData,
  connectSqe,
  type Cqe,
  decodeCap,
  decodeCsts,
  decodeIdentifyController,
  decodeIdentifyNamespace,
  decodeNamespaceList,
  encodeConnectData,
  encodeSqe,
  IDENTIFY_BYTES,
  identifySqe,
  ioSqe,
  OPC,
  PROP,
  propertyGetSqe,
  propertySetSqe,
} from './sqe.js';
import { commandError } from './status.js';

export interface NvmeTcpConnectOptions {
  readonly address: string;
  readonly port: number;
  readonly subnqn: string;
  readonly hostnqn: string;
  /** A UUID string; default: random. */
  readonly hostid?: string;
  /** I/O commands in flight on the one I/O queue (default 32; bounded by the target's). */
  readonly queueDepth?: number;
  /** Connect deadline and per-command deadline (default 30_000). */
  readonly timeoutMs?: number;
  /** Keep-alive timeout asked of the controller, ms (default 10_000; 0: none, the controller then lives until the connections close). */
  readonly keepAliveTimeoutMs?: number;
  /**
   * DH-HMAC-CHAP secrets in their interchange form (DHHC-1:<hh>:<base64>:), used when a Connect
   * asks for authentication: `key` proves this host, `ctrlrKey` (bidirectional) makes the
   * controller prove itself. Never logged. `dhgroups`: the DH groups offered (names as SPDK spells
   * them; default all: 'null' and the RFC 7919 groups 'ffdhe2048' ... 'ffdhe8192'); the
   * controller picks one (spdk_tgt its strongest allowed), and with an FFDHE group both
   * responses cover an ephemeral Diffie-Hellman secret, so a recorded exchange does not let the
   * key be guessed offline. Offering only 'null' turns it off.
   */
  readonly dhchap?: { readonly key: string; readonly ctrlrKey?: string; readonly dhgroups?: readonly DhGroupName[] };
  /**
   * close()'s bounds (default 2_000 and 500 ms, see CLOSE_DEADLINE_MS and IO_FIN_GRACE_MS): the
   * whole close, and how long the target gets to answer the I/O queue's FIN before it is taken as
   * not answering.
   */
  readonly close?: { readonly deadlineMs?: number; readonly finGraceMs?: number };
  /** Aborts the connect; after connect, close() is the way out. */
  readonly signal?: AbortSignal;
  readonly log?: pino.Logger;
}

export interface NamespaceInfo {
  readonly nsid: number;
  readonly blockBytes: number;
  readonly blocks: number;
}

export const DEFAULT_QUEUE_DEPTH = 32;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 10_000;
/** Admin queue entries (the minimum a controller must accept as its admin queue's maximum). */
const ADMIN_DEPTH = 32;
/** The transfer limit when the controller reports none (MDTS 0). */
const UNLIMITED_TRANSFER_CAP = 1024 * 1024;
/** NLB is 16 bits. */
const MAX_BLOCKS_PER_COMMAND = 65_536;
/**
 * All of close(), the shutdown notification and both FINs included: past it the connections are
 * cut. A live target takes a few ms (spdk_tgt answers CC.SHN and a FIN within a poll or two).
 */
const CLOSE_DEADLINE_MS = 2000;
/**
 * How long close() waits for the target to answer the I/O queue's FIN. A target that does not is
 * taken as not answering (stopped, hung): it gets no shutdown notification and the admin
 * connection is cut at once, so such a close takes about this long, not the whole deadline.
 */
const IO_FIN_GRACE_MS = 500;
const POLL_MS = 10;

/**
 * How the controller's queues authenticated: undefined unless every queue did (a controller that
 * asked on none, or on the admin queue and not the I/O queue, is not an authenticated one).
 * `digest` is the admin queue's; `bidirectional` when every queue's controller proved its key.
 */
export interface HostAuthentication {
  readonly digest: AuthOutcome['digest'];
  /** The admin queue's DH group. */
  readonly dhgroup: DhGroupName;
  readonly bidirectional: boolean;
}

export class NvmeTcpHost {
  readonly cntlid: number;
  readonly authentication: HostAuthentication | undefined;
  readonly maxTransferBytes: number;
  /** Data up to this size goes inside the write's capsule (no R2T round trip). */
  readonly inCapsuleBytes: number;
  readonly queueDepth: number;
  /** The keep-alive timeout asked for, ms (0: none). */
  readonly keepAliveTimeoutMs: number;
  private readonly namespaces = new Map<number, NamespaceInfo>();
  private keepAlive: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** One queue failed (and took the other with it). */
  private gone = false;

  private constructor(
    private readonly admin: QueuePair,
    private readonly io: QueuePair,
    private readonly log: pino.Logger,
    init: { cntlid: number; maxTransferBytes: number; inCapsuleBytes: number; queueDepth: number; keepAliveTimeoutMs: number; authentication: HostAuthentication | undefined },
    private readonly closeBounds: { readonly deadlineMs: number; readonly finGraceMs: number },
  ) {
    this.cntlid = init.cntlid;
    this.authentication = init.authentication;
    this.maxTransferBytes = init.maxTransferBytes;
    this.inCapsuleBytes = init.inCapsuleBytes;
    this.queueDepth = init.queueDepth;
    this.keepAliveTimeoutMs = init.keepAliveTimeoutMs;
    // One queue's failure is the controller's: the other goes with it
    admin.onFailed((e) => this.lost('admin', e));
    io.onFailed((e) => this.lost('I/O', e));
  }

  static async connect(options: NvmeTcpConnectOptions): Promise<NvmeTcpHost> {
    const problem = connectProblem(options);
    if (problem) throw new ConductorError('INVALID_ARGUMENT', `NVMe/TCP connect: ${problem}`);
    const secrets = dhchapSecrets(options.dhchap);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const kato = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
    const target = `${options.subnqn} at ${options.address}:${options.port}`;
    const log = (options.log ?? pino({ level: 'silent' })).child({ component: 'nvme-tcp-host', subnqn: options.subnqn, address: `${options.address}:${options.port}` });
    const hostid = Buffer.from((options.hostid ?? randomUUID()).replaceAll('-', ''), 'hex');
    const started = Date.now();

    // The deadline and the caller's signal fail whatever queue is open: its commands reject with the reason
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ConductorError('DEADLINE_EXCEEDED', `NVMe/TCP connect to ${target} did not finish within ${timeoutMs} ms`)), timeoutMs);
    const onCallerAbort = () => controller.abort(new ConductorError('CANCELLED', `NVMe/TCP connect to ${target} cancelled: ${reasonText(options.signal!)}`));
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (options.signal?.aborted) onCallerAbort();
    const queues: QueuePair[] = [];
    const onAbort = () => {
      const reason = controller.signal.reason as ConductorError;
      for (const q of queues) q.fail(reason.code, reason.message);
    };
    controller.signal.addEventListener('abort', onAbort, { once: true });
    const open = async (qid: number, depth: number): Promise<QueuePair> => {
      const q = await QueuePair.open({ address: options.address, port: options.port, qid, depth, timeoutMs, log }, controller.signal);
      queues.push(q);
      return q;
    };
    // T_IDs of this controller's transactions: one per queue
    const firstTid = randomInt(0x10000);
    // Each queue's outcome, by qid (undefined: the controller did not ask on that queue)
    const authenticated: (HostAuthentication | undefined)[] = [];
    const connectQueue = async (q: QueuePair, qid: number, sqsize: number, cntlid: number, keepAlive: number): Promise<number> => {
      const what = `Connect of queue ${qid} to ${target} as ${options.hostnqn}`;
      const data = encodeConnectData({ hostid, cntlid, subnqn: options.subnqn, hostnqn: options.hostnqn });
      const cqe = await q.command(connectSqe({ qid, sqsize, kato: keepAlive }), { what, inCapsule: data });
      if (!ok(cqe)) throw commandError(what, cqe.status, { qid, ...connectRefusal(cqe) }, true);
      // AUTHREQ (dw0 bits 31:16): ATR bit 1 (authentication), ASCR bit 2 (secure channel concatenation)
      const atr = ((cqe.dw0 >>> 17) & 1) === 1;
      const ascr = ((cqe.dw0 >>> 18) & 1) === 1;
      if (ascr) throw new ConductorError('FAILED_PRECONDITION', `${what} asks for secure channel concatenation (AUTHREQ.ASCR), which this host does not do`, { qid });
      if (atr && !secrets) throw new ConductorError('FAILED_PRECONDITION', `${what} asks for authentication; no DH-HMAC-CHAP key given`, { qid });
      if (atr && secrets) {
        const started = Date.now();
        const tid = (firstTid + qid) & 0xffff;
        const outcome = await authenticate(authChannel(q, qid), { qid, tid, hostnqn: options.hostnqn, subnqn: options.subnqn, ...secrets, target, log });
        authenticated[qid] = { digest: outcome.digest, dhgroup: outcome.dhgroup, bidirectional: outcome.bidirectional };
        log.debug(
          { qid, tid, digest: outcome.digest, dhgroup: outcome.dhgroup, bidirectional: outcome.bidirectional, messages: outcome.messages, ms: Date.now() - started },
          'NVMe/TCP queue authenticated (DH-HMAC-CHAP)',
        );
      } else if (secrets) {
        log.debug({ qid }, 'the controller did not ask for authentication on this queue; the DH-HMAC-CHAP keys were not used');
      }
      return cqe.dw0 & 0xffff;
    };

    try {
      const admin = await open(0, ADMIN_DEPTH);
      const cntlid = await connectQueue(admin, 0, ADMIN_DEPTH - 1, 0xffff, kato);
      const cap = await readCap(admin);
      await setProperty(admin, PROP.CC, CC_ENABLE);
      await waitReady(admin, cap, started + timeoutMs, controller.signal);
      const id = await identifyController(admin);
      const keepAliveMs = id.kas === 0 ? 0 : kato;
      const limits = transferLimits(id, cap);
      // SQSIZE is 0's based and below CAP.MQES + 1; one entry of slack so `depth` commands never fill the queue
      const depth = Math.max(1, Math.min(options.queueDepth ?? DEFAULT_QUEUE_DEPTH, cap.mqes, id.maxcmd > 0 ? id.maxcmd : Number.MAX_SAFE_INTEGER));
      const io = await open(1, depth);
      await connectQueue(io, 1, depth, cntlid, 0);
      const authentication = controllerAuthentication(authenticated, 2);
      if (authenticated.some((a) => a !== undefined) && !authentication) {
        log.warn(
          { cntlid, authenticatedQueues: authenticated.flatMap((a, qid) => (a ? [qid] : [])) },
          'the controller asked for authentication on some of its queues only: taken as not authenticated',
        );
      }
      const host = new NvmeTcpHost(
        admin,
        io,
        log,
        { cntlid, ...limits, queueDepth: depth, keepAliveTimeoutMs: keepAliveMs, authentication },
        {
          deadlineMs: options.close?.deadlineMs ?? CLOSE_DEADLINE_MS,
          finGraceMs: options.close?.finGraceMs ?? IO_FIN_GRACE_MS,
        },
      );
      host.startKeepAlive();
      log.info(
        {
          cntlid,
          queueDepth: depth,
          maxTransferBytes: limits.maxTransferBytes,
          inCapsuleBytes: limits.inCapsuleBytes,
          maxh2cdata: io.maxh2cdata,
          cpda: io.cpda,
          keepAliveTimeoutMs: keepAliveMs,
          authentication: authentication ? `DH-HMAC-CHAP ${authentication.digest} ${authentication.dhgroup}${authentication.bidirectional ? ' bidirectional' : ''}` : 'none',
          ms: Date.now() - started,
        },
        'NVMe/TCP host connected',
      );
      return host;
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as ConductorError) : undefined;
      await Promise.all(queues.map((q) => q.close(`the connect failed: ${(error as Error).message}`)));
      log.warn({ reason: (error as Error).message }, 'NVMe/TCP connect failed');
      throw reason && !(error instanceof ConductorError && error.code === reason.code) ? reason : error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
      controller.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Identify Namespace of `nsid` (default: the first active namespace). */
  async namespace(nsid?: number): Promise<NamespaceInfo> {
    let id = nsid;
    if (id === undefined) {
      const list = decodeNamespaceList(await identify(this.admin, CNS.ACTIVE_NSIDS, 0, 'Identify of the active namespaces'));
      if (list.length === 0) throw new ConductorError('FAILED_PRECONDITION', `controller ${this.cntlid} has no active namespace`);
      id = list[0]!;
    }
    const data = decodeIdentifyNamespace(await identify(this.admin, CNS.NAMESPACE, id, `Identify Namespace ${id}`));
    if (data.blocks === 0) throw new ConductorError('INVALID_ARGUMENT', `namespace ${id} is not active on controller ${this.cntlid}`, { nsid: id });
    if (data.metadataBytes !== 0)
      throw new ConductorError('FAILED_PRECONDITION', `namespace ${id} has ${data.metadataBytes} bytes of metadata per block, which this host does not handle`, { nsid: id });
    const info = { nsid: id, blockBytes: data.blockBytes, blocks: data.blocks };
    this.namespaces.set(id, info);
    return info;
  }

  /** Writes `data` at `offsetBytes`; both multiples of the block size. Resolves when every part completed. */
  async write(nsid: number, offsetBytes: number, data: Buffer, signal?: AbortSignal): Promise<void> {
    const ns = await this.checkedRange(nsid, offsetBytes, data.length, 'write');
    await this.transfer(ns, offsetBytes, data.length, signal, (at, length, lba, blocks) => {
      const part = data.subarray(at, at + length);
      const inCapsule = length <= this.inCapsuleBytes;
      return {
        sqe: ioSqe(OPC.WRITE, nsid, lba, blocks, length, inCapsule),
        options: { what: `write of ${length} bytes at ${offsetBytes + at} to namespace ${nsid}`, ...(inCapsule ? { inCapsule: part } : { outData: part }), signal },
      };
    });
  }

  async read(nsid: number, offsetBytes: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const ns = await this.checkedRange(nsid, offsetBytes, length, 'read');
    const out = Buffer.allocUnsafe(length);
    await this.transfer(ns, offsetBytes, length, signal, (at, partLength, lba, blocks) => ({
      sqe: ioSqe(OPC.READ, nsid, lba, blocks, partLength, false),
      options: { what: `read of ${partLength} bytes at ${offsetBytes + at} from namespace ${nsid}`, inData: out.subarray(at, at + partLength), signal },
    }));
    return out;
  }

  async flush(nsid: number): Promise<void> {
    const what = `Flush of namespace ${nsid}`;
    const cqe = await this.io.command(encodeSqe({ opcode: OPC.FLUSH, nsid }), { what });
    if (!ok(cqe)) throw commandError(what, cqe.status, { nsid });
  }

  /**
   * Idempotent, never throws, bounded (CLOSE_DEADLINE_MS): fails what is in flight, ends the I/O
   * connection, shuts the controller down (CC.SHN) when the target answers, ends the admin
   * connection. A target that has shown it does not answer (a queue failed: a command or Keep
   * Alive past its deadline, a lost connection; or no FIN back on the I/O queue within
   * IO_FIN_GRACE_MS) gets no shutdown notification and its connections are cut.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Nothing of the host is left: both queues released (sockets destroyed, timers stopped, no command held) and no Keep Alive timer. */
  get released(): boolean {
    return this.keepAlive === undefined && this.admin.released && this.io.released;
  }

  private async shutdown(): Promise<void> {
    this.stopKeepAlive();
    const started = Date.now();
    const { deadlineMs, finGraceMs } = this.closeBounds;
    const left = () => Math.max(0, started + deadlineMs - Date.now());
    const reason = `NVMe/TCP host of controller ${this.cntlid} closed`;
    // Why the controller gets no shutdown notification, when it gets none
    let silent: string | undefined = this.gone ? 'the controller was already lost' : undefined;
    let notified = false;
    try {
      const answered = await this.io.close(reason, Math.min(finGraceMs, left()));
      if (!silent && !answered) silent = `the target did not answer the I/O queue's FIN within ${finGraceMs} ms`;
      if (!silent && this.admin.failed) silent = `the admin queue failed: ${this.admin.failed.message}`;
      if (!silent) notified = await this.notifyShutdown(left());
      await this.admin.close(reason, silent ? 0 : left());
      this.log.info({ cntlid: this.cntlid, ms: Date.now() - started, shutdownNotified: notified, ...(silent ? { reason: `no shutdown notification: ${silent}` } : {}) }, 'NVMe/TCP host closed');
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'NVMe/TCP host close had an error; connections destroyed');
      await this.admin.close(reason, 0).catch(() => undefined);
    }
  }

  /** CC.SHN normal, then CSTS.SHST complete, within `waitMs`; a slow or failing one is only logged. True when it completed. */
  private async notifyShutdown(waitMs: number): Promise<boolean> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no shutdown within the ${waitMs} ms left of the close`)), waitMs);
    const started = Date.now();
    try {
      await setProperty(this.admin, PROP.CC, CC_SHUTDOWN, controller.signal);
      while (!decodeCsts(await getProperty(this.admin, PROP.CSTS, 4, controller.signal)).shutdownComplete) await sleep(POLL_MS, controller.signal);
      this.log.debug({ cntlid: this.cntlid, ms: Date.now() - started }, 'NVMe/TCP controller shut down (CSTS.SHST complete)');
      return true;
    } catch (error) {
      this.log.debug({ reason: (error as Error).message }, 'NVMe/TCP shutdown notification did not complete');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** I/O commands sent and not yet completed. */
  get inFlight(): number {
    return this.io.inFlight;
  }

  private lost(which: string, error: ConductorError): void {
    if (this.gone) return;
    this.gone = true;
    this.stopKeepAlive();
    const other = which === 'admin' ? this.io : this.admin;
    other.fail(error.code, `the ${which} queue failed: ${error.message}`, { ...error.details });
    if (!this.closing) this.log.warn({ cntlid: this.cntlid, reason: error.message }, 'NVMe/TCP controller lost');
  }

  private startKeepAlive(): void {
    if (this.keepAliveTimeoutMs === 0) return;
    // Half the timeout: one Keep Alive may be slow or lost to a busy loop without the controller expiring
    this.keepAlive = setInterval(() => void this.sendKeepAlive(), Math.max(100, Math.floor(this.keepAliveTimeoutMs / 2)));
    this.keepAlive.unref();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private async sendKeepAlive(): Promise<void> {
    try {
      const cqe = await this.admin.command(encodeSqe({ opcode: OPC.KEEP_ALIVE }), { what: 'Keep Alive' });
      if (!ok(cqe)) this.admin.fail('UNAVAILABLE', `Keep Alive refused: ${commandError('Keep Alive', cqe.status).message}`);
    } catch {
      // the queue's failure already says why, and fails the host
    }
  }

  private async checkedRange(nsid: number, offsetBytes: number, length: number, what: string): Promise<NamespaceInfo> {
    const ns = this.namespaces.get(nsid) ?? (await this.namespace(nsid));
    const problem =
      !Number.isSafeInteger(offsetBytes) || offsetBytes < 0
        ? `offset ${offsetBytes} is not a whole number of bytes`
        : offsetBytes % ns.blockBytes !== 0 || length % ns.blockBytes !== 0
          ? `offset ${offsetBytes} and length ${length} must be multiples of the ${ns.blockBytes}-byte block`
          : offsetBytes + length > ns.blocks * ns.blockBytes
            ? `${length} bytes at ${offsetBytes} pass the end of the namespace (${ns.blocks * ns.blockBytes} bytes)`
            : undefined;
    if (problem) throw new ConductorError('INVALID_ARGUMENT', `${what} of namespace ${nsid}: ${problem}`, { nsid, offsetBytes, length });
    return ns;
  }

  /**
   * Issues the parts of a transfer as slots free up (never more than the queue holds), stops
   * issuing at the first failure, and settles once every issued part has.
   */
  private async transfer(
    ns: NamespaceInfo,
    offsetBytes: number,
    length: number,
    signal: AbortSignal | undefined,
    part: (at: number, length: number, lba: number, blocks: number) => { sqe: Buffer; options: Parameters<QueuePair['submit']>[1] },
  ): Promise<void> {
    const step = Math.min(this.maxTransferBytes, MAX_BLOCKS_PER_COMMAND * ns.blockBytes);
    let failure: Error | undefined;
    const issued: Promise<void>[] = [];
    for (let at = 0; at < length && !failure; at += step) {
      const partLength = Math.min(step, length - at);
      const { sqe, options } = part(at, partLength, (offsetBytes + at) / ns.blockBytes, partLength / ns.blockBytes);
      let sent: { done: Promise<Cqe> };
      try {
        sent = await this.io.submit(sqe, options);
      } catch (error) {
        failure ??= error as Error;
        break;
      }
      issued.push(
        sent.done.then(
          (cqe) => {
            if (!ok(cqe)) failure ??= commandError(options.what, cqe.status, { nsid: ns.nsid });
          },
          (error: Error) => {
            failure ??= error;
          },
        ),
      );
    }
    await Promise.all(issued);
    if (failure) throw failure;
  }
}

/** The controller's authentication from its `queues` queues' (qid 0..queues-1): only when every one authenticated. */
function controllerAuthentication(byQueue: readonly (HostAuthentication | undefined)[], queues: number): HostAuthentication | undefined {
  const all = Array.from({ length: queues }, (_, qid) => byQueue[qid]);
  if (all.some((a) => a === undefined)) return undefined;
  return { digest: all[0]!.digest, dhgroup: all[0]!.dhgroup, bidirectional: all.every((a) => a!.bidirectional) };
}

/** The secrets decoded (and the DH groups offered), or undefined without any; a malformed one is INVALID_SECRET (never quoted). */
function dhchapSecrets(dhchap: NvmeTcpConnectOptions['dhchap']): { key: DecodedSecret; ctrlrKey?: DecodedSecret; dhgroups?: readonly DhGroupName[] } | undefined {
  if (dhchap === undefined) return undefined;
  const keyProblem = secretProblem('dhchap', dhchap.key);
  if (keyProblem) throw new ConductorError('INVALID_SECRET', `NVMe/TCP connect: dhchap.key: ${keyProblem}`, { field: 'dhchap.key' });
  const groups = dhchap.dhgroups === undefined ? {} : { dhgroups: dhchap.dhgroups };
  if (dhchap.ctrlrKey === undefined) return { key: decodeSecret('dhchap', dhchap.key), ...groups };
  const ctrlrProblem = secretProblem('dhchap', dhchap.ctrlrKey);
  if (ctrlrProblem) throw new ConductorError('INVALID_SECRET', `NVMe/TCP connect: dhchap.ctrlrKey: ${ctrlrProblem}`, { field: 'dhchap.ctrlrKey' });
  return { key: decodeSecret('dhchap', dhchap.key), ctrlrKey: decodeSecret('dhchap', dhchap.ctrlrKey), ...groups };
}

/** Authentication Send and Receive on queue `qid`: a refused command is its status's error. */
function authChannel(q: QueuePair, qid: number): AuthChannel {
  return {
    async send(message, what) {
      const cqe = await q.command(authSendSqe(message.length), { what, inCapsule: message });
      if (!ok(cqe)) throw commandError(what, cqe.status, { qid });
    },
    async receive(what) {
      const data = Buffer.alloc(AUTH_RECEIVE_BYTES);
      const received = { bytes: 0 };
      const cqe = await q.command(authReceiveSqe(AUTH_RECEIVE_BYTES), { what, inData: data, received });
      if (!ok(cqe)) throw commandError(what, cqe.status, { qid });
      return data.subarray(0, received.bytes);
    },
  };
}

function ok(cqe: Cqe): boolean {
  return cqe.status.sct === 0 && cqe.status.sc === 0;
}

/** Connect's INVALID PARAMETER names the field: IATTR (dw0 bits 23:16) 1 = in the data, IPO (bits 15:0) its offset. */
function connectRefusal(cqe: Cqe): Record<string, unknown> {
  if (cqe.status.sct !== 1 || cqe.status.sc !== 0x82) return {};
  const inData = ((cqe.dw0 >>> 16) & 0xff) === 1;
  const ipo = cqe.dw0 & 0xffff;
  const field = inData ? ({ 0: 'hostid', 16: 'cntlid', 256: 'subnqn', 512: 'hostnqn' } as Record<number, string>)[ipo] : ({ 42: 'qid', 44: 'sqsize', 48: 'kato' } as Record<number, string>)[ipo];
  return { invalidField: field ?? `${inData ? 'data' : 'command'} byte ${ipo}` };
}

async function readCap(admin: QueuePair): Promise<Capabilities> {
  const cqe = await admin.command(propertyGetSqe(PROP.CAP, 8), { what: 'Property Get CAP' });
  if (!ok(cqe)) throw commandError('Property Get CAP', cqe.status);
  return decodeCap(cqe.dw0, cqe.dw1);
}

async function getProperty(admin: QueuePair, offset: number, size: 4 | 8, signal?: AbortSignal): Promise<number> {
  const what = `Property Get 0x${offset.toString(16)}`;
  const cqe = await admin.command(propertyGetSqe(offset, size), { what, signal });
  if (!ok(cqe)) throw commandError(what, cqe.status);
  return cqe.dw0;
}

async function setProperty(admin: QueuePair, offset: number, value: number, signal?: AbortSignal): Promise<void> {
  const what = `Property Set 0x${offset.toString(16)} = 0x${value.toString(16)}`;
  const cqe = await admin.command(propertySetSqe(offset, value), { what, signal });
  if (!ok(cqe)) throw commandError(what, cqe.status);
}

/** Polls CSTS until RDY, within CAP.TO and the connect's deadline. */
async function waitReady(admin: QueuePair, cap: Capabilities, deadline: number, signal: AbortSignal): Promise<void> {
  const until = Math.min(deadline, Date.now() + (cap.timeoutMs || DEFAULT_TIMEOUT_MS));
  for (;;) {
    const csts = decodeCsts(await getProperty(admin, PROP.CSTS, 4));
    if (csts.fatal) throw new ConductorError('UNAVAILABLE', 'the controller reports a fatal status (CSTS.CFS) after CC.EN');
    if (csts.ready) return;
    if (Date.now() > until) throw new ConductorError('DEADLINE_EXCEEDED', `the controller was not ready (CSTS.RDY) within ${cap.timeoutMs} ms of CC.EN (CAP.TO)`);
    await sleep(POLL_MS, signal);
  }
}

async function identify(admin: QueuePair, cns: number, nsid: number, what: string): Promise<Buffer> {
  const data = Buffer.alloc(IDENTIFY_BYTES);
  const cqe = await admin.command(identifySqe(cns, nsid), { what, inData: data });
  if (!ok(cqe)) throw commandError(what, cqe.status, { nsid });
  return data;
}

async function identifyController(admin: QueuePair): Promise<ControllerData> {
  return decodeIdentifyController(await identify(admin, CNS.CONTROLLER, 0, 'Identify Controller'));
}

function transferLimits(id: ControllerData, cap: Capabilities): { maxTransferBytes: number; inCapsuleBytes: number } {
  const maxTransferBytes = id.mdts === 0 ? UNLIMITED_TRANSFER_CAP : Math.min(2 ** id.mdts * cap.mpsminBytes, 2 ** 31);
  // NVMe/TCP puts in-capsule data right after the SQE; a controller asking for an offset gets none
  const inCapsuleBytes = id.icdoff === 0 ? Math.max(0, id.ioccsz * 16 - 64) : 0;
  return { maxTransferBytes, inCapsuleBytes };
}

function connectProblem(o: NvmeTcpConnectOptions): string | undefined {
  if (!net.isIPv4(o.address)) return `address ${JSON.stringify(o.address)} is not an IPv4 address`;
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) return `port ${o.port} is not a TCP port`;
  const nqn = nqnProblem(o.subnqn) ?? nqnProblem(o.hostnqn);
  if (nqn) return nqn;
  if (o.hostid !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(o.hostid)) return 'hostid is not a UUID';
  if (o.queueDepth !== undefined && (!Number.isInteger(o.queueDepth) || o.queueDepth < 1 || o.queueDepth > 65_535)) return `queueDepth ${o.queueDepth} is not 1..65535`;
  if (o.timeoutMs !== undefined && (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0)) return `timeoutMs ${o.timeoutMs} is not positive`;
  if (o.keepAliveTimeoutMs !== undefined && (!Number.isInteger(o.keepAliveTimeoutMs) || o.keepAliveTimeoutMs < 0)) return `keepAliveTimeoutMs ${o.keepAliveTimeoutMs} is not a whole number of ms`;
  const groups = o.dhchap?.dhgroups;
  if (groups !== undefined) {
    if (!Array.isArray(groups) || groups.length === 0) return `dhchap.dhgroups must list at least one of ${DH_GROUP_NAMES.join(', ')}`;
    const unknown = groups.find((g) => !(DH_GROUP_NAMES as readonly string[]).includes(g));
    if (unknown !== undefined) return `dhchap.dhgroups: ${JSON.stringify(unknown)} is not a DH group (${DH_GROUP_NAMES.join(', ')})`;
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
