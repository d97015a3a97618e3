/**
 * One NVMe/TCP queue pair: a TCP connection, its ICReq/ICResp, and the commands in flight on it.
 * Commands hold a CID from a fixed set (the queue's depth): a command waits for a free one, so the
 * host never has more in flight than the queue allows, and every way a command ends (its
 * completion, the queue's failure) gives its CID back. Data moves without copies on the way out
 * (header and the caller's buffer slice written together, corked) and with one copy on the way in
 * (from the socket's chunks into the read's destination).
 *
 * Any protocol error, a command past its deadline, a TermReq or a lost connection fails the whole
 * queue: a command whose state is unknown cannot be retried on it, and its CID cannot be reused.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { ConductorError, type ErrorCode } from '../errors.js';
import {
  type CommonHeader,
  DATA_HLEN,
  decodeDataHeader,
  decodeIcResp,
  decodeR2t,
  decodeTermReq,
  encodeCapsuleCmd,
  encodeH2CData,
  encodeIcReq,
  encodeTermReq,
  FES,
  FLAG,
  fesName,
  IC_BYTES,
  type IcResp,
  MAXH2CDATA_MIN,
  PDU,
  PDU_NAMES,
  R2T_HLEN,
  CAPSULE_RESP_HLEN,
  TERM_REQ_HLEN,
} from './pdu.js';
import { type DataSink, NvmeTcpProtocolError, PduReader } from './pdu-reader.js';
import { type Cqe, decodeCqe, SUCCESS, setCid } from './sqe.js';

export interface QueueOptions {
  readonly address: string;
  readonly port: number;
  readonly qid: number;
  /** Commands in flight at most (CIDs 0..depth-1). */
  readonly depth: number;
  /** The per-command deadline. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

export interface CommandOptions {
  /** Words for messages: "write of 131072 bytes at 4096". */
  readonly what: string;
  /** Data sent inside the capsule (after the SQE). */
  readonly inCapsule?: Buffer;
  /** Data the target asks for with R2Ts. */
  readonly outData?: Buffer;
  /** Where C2HData lands. */
  readonly inData?: Buffer;
  /**
   * Given: the target may send less than inData's length (Authentication Receive answers with
   * its message's size, not AL), and the bytes it sent are set here when the command completes.
   */
  readonly received?: { bytes: number };
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly cid: number;
  readonly what: string;
  readonly outData: Buffer | undefined;
  readonly inData: Buffer | undefined;
  readonly shortIn: { bytes: number } | undefined;
  readonly deadline: number;
  received: number;
  /** The caller stopped waiting (abort): the completion is dropped when it comes. */
  abandoned: boolean;
  resolve(cqe: Cqe): void;
  reject(error: Error): void;
  cleanup(): void;
}

interface SlotWaiter {
  resolve(cid: number): void;
  reject(error: Error): void;
}

/** How long close() waits by default for the target to close its end after the FIN. */
const END_GRACE_MS = 1000;

export class QueuePair {
  private readonly socket: net.Socket;
  private readonly reader: PduReader;
  private readonly pending: (Pending | undefined)[];
  private readonly freeCids: number[];
  private readonly waiters: SlotWaiter[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private corked = false;
  private failure: ConductorError | undefined;
  private icWait: { resolve(r: IcResp): void; reject(e: Error): void } | undefined;
  private failedListener: ((error: ConductorError) => void) | undefined;
  private closing = false;
  private connected = false;
  /** Set by ICResp. */
  cpda = 0;
  maxh2cdata = MAXH2CDATA_MIN;

  private constructor(
    private readonly options: QueueOptions,
    socket: net.Socket,
  ) {
    this.socket = socket;
    this.pending = new Array(options.depth).fill(undefined);
    this.freeCids = Array.from({ length: options.depth }, (_, i) => options.depth - 1 - i);
    this.reader = new PduReader({ onHeader: (c, h) => this.onHeader(c, h), onPdu: (c, h, d) => this.onPdu(c, h, d) });
    socket.on('data', (chunk: Buffer) => {
      if (this.failure) return;
      try {
        this.reader.push(chunk);
      } catch (error) {
        this.protocolFailure(error);
      }
    });
    socket.once('connect', () => (this.connected = true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const cause = error.code ?? error.message;
      if (this.connected) this.fail('UNAVAILABLE', `${this.label} lost: ${cause}`);
      else this.fail('UNAVAILABLE', `cannot connect to ${options.address}:${options.port} (NVMe/TCP queue ${options.qid}): ${cause}`);
    });
    socket.on('close', () => this.fail('UNAVAILABLE', `${this.label} closed by the target`));
    const period = Math.max(50, Math.min(1000, Math.floor(options.timeoutMs / 10)));
    this.sweeper = setInterval(() => this.sweep(), period);
    this.sweeper.unref();
  }

  /** Connects and exchanges ICReq/ICResp; `signal` aborts it (the caller's deadline or cancel). */
  static async open(options: QueueOptions, signal: AbortSignal): Promise<QueuePair> {
    signal.throwIfAborted();
    const socket = net.createConnection({ host: options.address, port: options.port, noDelay: true });
    const queue = new QueuePair(options, socket);
    const onAbort = () => queue.fail(abortCode(signal), `${queue.label}: ${reasonText(signal)}`);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        // fail() rejects it: a refused connection, the deadline, an abort
        queue.icWait = { resolve: () => undefined, reject };
        socket.once('connect', () => resolve());
      });
      const ic = await new Promise<IcResp>((resolve, reject) => {
        queue.icWait = { resolve, reject };
        queue.send([encodeIcReq({ hpda: 0, maxr2t: 0 })]);
      });
      queue.icWait = undefined;
      if (ic.pfv !== 0) throw queue.fail('INTERNAL', `${queue.label}: ICResp with PDU format version ${ic.pfv}, not 0`);
      if (ic.headerDigest || ic.dataDigest) throw queue.fail('INTERNAL', `${queue.label}: the target turned on digests this host did not ask for`);
      if (ic.maxh2cdata < MAXH2CDATA_MIN) throw queue.fail('INTERNAL', `${queue.label}: ICResp MAXH2CDATA ${ic.maxh2cdata} is below ${MAXH2CDATA_MIN}`);
      if (ic.cpda > 31) throw queue.fail('INTERNAL', `${queue.label}: ICResp CPDA ${ic.cpda} above 31`);
      queue.cpda = ic.cpda;
      queue.maxh2cdata = ic.maxh2cdata;
      options.log.debug({ qid: options.qid, cpda: ic.cpda, maxh2cdata: ic.maxh2cdata }, 'NVMe/TCP connection initialized');
      return queue;
    } catch (error) {
      const failure = queue.fail('UNAVAILABLE', `${queue.label}: ${(error as Error).message}`);
      throw error instanceof ConductorError ? error : failure;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  get label(): string {
    return `NVMe/TCP queue ${this.options.qid} to ${this.options.address}:${this.options.port}`;
  }

  get failed(): ConductorError | undefined {
    return this.failure;
  }

  /** Called once when the queue fails (not when close() ends it). */
  onFailed(listener: (error: ConductorError) => void): void {
    this.failedListener = listener;
  }

  get inFlight(): number {
    return this.options.depth - this.freeCids.length;
  }

  /**
   * Sends one command and resolves with its completion (any status: the caller judges it).
   * Waits for a free CID first. Rejects when the queue fails, the deadline passes, or `signal` aborts.
   */
  async command(sqe: Buffer, options: CommandOptions): Promise<Cqe> {
    return (await this.submit(sqe, options)).done;
  }

  /**
   * Like command(), in two steps: resolves once the command is sent (its CID taken: the
   * backpressure point), with `done` for its completion. `done` always has a handler attached by
   * the caller's code path or rejects harmlessly: callers must await or catch it.
   */
  async submit(sqe: Buffer, options: CommandOptions): Promise<{ done: Promise<Cqe> }> {
    const cid = await this.acquire(options.signal);
    // It failed, or the caller gave up, between the CID's release and this continuation
    if (this.failure) throw this.failure;
    if (options.signal?.aborted) {
      this.release(cid);
      throw new ConductorError('CANCELLED', `${options.what} cancelled before it was sent: ${reasonText(options.signal)}`, { qid: this.options.qid });
    }
    const done = new Promise<Cqe>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        const p = this.pending[cid];
        if (!p || p.abandoned) return;
        p.abandoned = true;
        p.cleanup();
        reject(new ConductorError('CANCELLED', `${options.what} cancelled: ${reasonText(signal!)} (the command stays in flight until the target answers)`, { qid: this.options.qid, cid }));
      };
      const entry: Pending = {
        cid,
        what: options.what,
        outData: options.outData,
        inData: options.inData,
        shortIn: options.received,
        deadline: Date.now() + this.options.timeoutMs,
        received: 0,
        abandoned: false,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      this.pending[cid] = entry;
      signal?.addEventListener('abort', onAbort, { once: true });
      setCid(sqe, cid);
      const data = options.inCapsule;
      const header = encodeCapsuleCmd(sqe, data?.length ?? 0, this.cpda);
      this.send(data ? [header, data] : [header]);
    });
    return { done };
  }

  private acquire(signal: AbortSignal | undefined): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new ConductorError('CANCELLED', `cancelled before it was sent: ${reasonText(signal)}`));
    const cid = this.freeCids.pop();
    if (cid !== undefined) return Promise.resolve(cid);
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new ConductorError('CANCELLED', `cancelled while waiting for a queue slot: ${reasonText(signal!)}`));
      };
      const waiter: SlotWaiter = {
        resolve: (c) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(cid: number): void {
    this.pending[cid] = undefined;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(cid);
    else this.freeCids.push(cid);
  }

  private complete(p: Pending, cqe: Cqe): void {
    this.release(p.cid);
    if (p.shortIn) p.shortIn.bytes = p.received;
    if (p.abandoned) return;
    p.cleanup();
    p.resolve(cqe);
  }

  /** Writes PDUs; writes of one tick go out together (cork until the next tick). */
  private send(buffers: Buffer[]): void {
    if (this.failure) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const b of buffers) this.socket.write(b);
  }

  private onHeader(common: CommonHeader, header: Buffer): DataSink {
    if (common.flags & (FLAG.HDGSTF | FLAG.DDGSTF) && common.type !== PDU.IC_RESP) {
      throw new NvmeTcpProtocolError(`${PDU_NAMES[common.type]} with a digest this host did not negotiate`, FES.INVALID_HEADER_FIELD, 1, header);
    }
    switch (common.type) {
      case PDU.IC_RESP:
        expectLength(common, header, IC_BYTES, IC_BYTES);
        if (!this.icWait) throw new NvmeTcpProtocolError('ICResp outside the connection set-up', FES.PDU_SEQUENCE_ERROR, 0, header);
        return 'collect';
      case PDU.CAPSULE_RESP:
        expectLength(common, header, CAPSULE_RESP_HLEN, CAPSULE_RESP_HLEN);
        return 'collect';
      case PDU.R2T:
        expectLength(common, header, R2T_HLEN, R2T_HLEN);
        return 'collect';
      case PDU.C2H_TERM_REQ:
        if (common.hlen !== TERM_REQ_HLEN) throw new NvmeTcpProtocolError(`C2HTermReq with header length ${common.hlen}`, FES.INVALID_HEADER_FIELD, 2, header);
        return 'collect';
      case PDU.C2H_DATA: {
        if (common.hlen !== DATA_HLEN) throw new NvmeTcpProtocolError(`C2HData with header length ${common.hlen}`, FES.INVALID_HEADER_FIELD, 2, header);
        const d = decodeDataHeader(header);
        const p = this.pending[d.cccid];
        if (!p?.inData) throw new NvmeTcpProtocolError(`C2HData for CID ${d.cccid}, which has no read in flight`, FES.PDU_SEQUENCE_ERROR, 8, header);
        if (d.datao !== p.received || d.datao + d.datal > p.inData.length || common.plen - (common.pdo || DATA_HLEN) !== d.datal) {
          throw new NvmeTcpProtocolError(
            `C2HData for CID ${d.cccid} at ${d.datao}+${d.datal} (PDU length ${common.plen}), expected data at ${p.received} within ${p.inData.length} bytes`,
            FES.DATA_OUT_OF_RANGE,
            12,
            header,
          );
        }
        return { buffer: p.inData, offset: d.datao };
      }
      default:
        throw new NvmeTcpProtocolError(`unexpected ${PDU_NAMES[common.type] ?? `PDU type ${common.type}`} from the target`, FES.INVALID_HEADER_FIELD, 0, header);
    }
  }

  private onPdu(common: CommonHeader, header: Buffer, data: Buffer | undefined): void {
    switch (common.type) {
      case PDU.IC_RESP:
        this.icWait?.resolve(decodeIcResp(header));
        return;
      case PDU.CAPSULE_RESP: {
        const cqe = decodeCqe(header.subarray(8, 24));
        const p = this.pending[cqe.cid];
        if (!p) throw new NvmeTcpProtocolError(`CapsuleResp for CID ${cqe.cid}, which has no command in flight`, FES.PDU_SEQUENCE_ERROR, 20, header);
        this.complete(p, cqe);
        return;
      }
      case PDU.C2H_DATA: {
        const d = decodeDataHeader(header);
        const p = this.pending[d.cccid]!;
        p.received += d.datal;
        if (d.flags & FLAG.SUCCESS) {
          if (!(d.flags & FLAG.LAST_PDU) || (p.shortIn ? p.received > p.inData!.length : p.received !== p.inData!.length)) {
            throw new NvmeTcpProtocolError(`C2HData SUCCESS for CID ${d.cccid} after ${p.received} of ${p.inData!.length} bytes`, FES.INVALID_HEADER_FIELD, 1, header);
          }
          this.complete(p, { dw0: 0, dw1: 0, sqhd: 0, sqid: this.options.qid, cid: d.cccid, status: SUCCESS });
        }
        return;
      }
      case PDU.R2T:
        this.onR2t(header);
        return;
      case PDU.C2H_TERM_REQ: {
        const t = decodeTermReq(header, data ?? Buffer.alloc(0));
        this.fail('UNAVAILABLE', `${this.label}: the target ended the connection with C2HTermReq: ${fesName(t.fes)} (FEI ${t.fei})`, { fes: t.fes, fei: t.fei });
        return;
      }
    }
  }

  private onR2t(header: Buffer): void {
    const r = decodeR2t(header);
    const p = this.pending[r.cccid];
    const out = p?.outData;
    if (!out) throw new NvmeTcpProtocolError(`R2T for CID ${r.cccid}, which has no write waiting for one`, FES.PDU_SEQUENCE_ERROR, 8, header);
    if (r.r2tl === 0 || r.r2to + r.r2tl > out.length) {
      throw new NvmeTcpProtocolError(`R2T for CID ${r.cccid} asks for ${r.r2tl} bytes at ${r.r2to} of a ${out.length}-byte write`, FES.DATA_OUT_OF_RANGE, 12, header);
    }
    const buffers: Buffer[] = [];
    const end = r.r2to + r.r2tl;
    for (let at = r.r2to; at < end; at += this.maxh2cdata) {
      const datal = Math.min(this.maxh2cdata, end - at);
      const last = at + datal === end;
      buffers.push(encodeH2CData({ cccid: r.cccid, ttag: r.ttag, datao: at, datal, flags: last ? FLAG.LAST_PDU : 0 }, this.cpda), out.subarray(at, at + datal));
    }
    this.send(buffers);
  }

  private sweep(): void {
    if (this.inFlight === 0) return;
    const now = Date.now();
    for (const p of this.pending) {
      if (p && p.deadline <= now) {
        this.fail('DEADLINE_EXCEEDED', `${this.label}: ${p.what} (CID ${p.cid}) got no answer within ${this.options.timeoutMs} ms; the queue is torn down`, {
          cid: p.cid,
          timeoutMs: this.options.timeoutMs,
        });
        return;
      }
    }
  }

  private protocolFailure(error: unknown): void {
    if (!(error instanceof NvmeTcpProtocolError)) {
      this.fail('INTERNAL', `${this.label}: ${(error as Error).message}`);
      return;
    }
    // Tell the target why before going (best effort: it may be gone)
    if (!this.failure) {
      this.socket.write(encodeTermReq({ type: PDU.H2C_TERM_REQ, fes: error.fes, fei: error.fei, data: error.pdu ?? Buffer.alloc(8) }));
    }
    this.fail('INTERNAL', `${this.label}: protocol error from the target: ${error.message} (sent H2CTermReq: ${fesName(error.fes)})`, { fes: error.fes });
  }

  /**
   * Fails the queue once: every command in flight and every waiter rejects with the error, the
   * socket is destroyed, the timer cleared. Later calls return the first failure.
   */
  fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ConductorError {
    if (this.failure) return this.failure;
    const error = new ConductorError(code, message, { qid: this.options.qid, address: this.options.address, port: this.options.port, ...details });
    this.failure = error;
    clearInterval(this.sweeper);
    const failed = this.pending.filter((p): p is Pending => p !== undefined);
    this.options.log[this.closing ? 'debug' : 'warn']({ qid: this.options.qid, inFlight: failed.length, reason: message }, 'NVMe/TCP queue failed');
    for (const p of failed) {
      this.pending[p.cid] = undefined;
      if (p.abandoned) continue;
      p.cleanup();
      p.reject(error);
    }
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.icWait?.reject(error);
    this.icWait = undefined;
    // An end() in progress lets the FIN go out; anything else is cut now
    if (!this.closing) this.socket.destroy();
    if (!this.closing) this.failedListener?.(error);
    return error;
  }

  /**
   * Ends the queue: outstanding commands fail with `reason`, the socket is ended (FIN) and
   * destroyed once the target closes its end or `graceMs` passes (0: destroyed at once, no wait).
   * Resolves once the socket is closed: true when the target answered the FIN within the grace,
   * false when it did not (a stopped target) or the connection was already gone.
   */
  async close(reason: string, graceMs = END_GRACE_MS): Promise<boolean> {
    if (this.closing) return false;
    this.closing = true;
    if (this.socket.destroyed) {
      this.fail('CANCELLED', reason);
      return false;
    }
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.fail('CANCELLED', reason);
    if (graceMs <= 0) {
      this.socket.destroy();
      await closed;
      return false;
    }
    let answered = true;
    this.socket.end();
    const timer = setTimeout(() => {
      answered = false;
      this.socket.destroy();
    }, graceMs);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
    return answered;
  }

  /** Nothing of the queue is left: its socket destroyed, its sweeper stopped (fail() clears it once), no command or waiter held. */
  get released(): boolean {
    return this.socket.destroyed && this.failure !== undefined && this.pending.every((p) => p === undefined) && this.waiters.length === 0;
  }
}

function expectLength(common: CommonHeader, header: Buffer, hlen: number, plen: number): void {
  if (common.hlen !== hlen || common.plen !== plen) {
    throw new NvmeTcpProtocolError(
      `${PDU_NAMES[common.type]} with header length ${common.hlen} and PDU length ${common.plen}, expected ${hlen} and ${plen}`,
      FES.INVALID_HEADER_FIELD,
      common.hlen !== hlen ? 2 : 4,
      header,
    );
  }
}

export function reasonText(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted';
}

function abortCode(signal: AbortSignal): ErrorCode {
  const r: unknown = signal.reason;
  return r instanceof ConductorError ? r.code : 'CANCELLED';
}
