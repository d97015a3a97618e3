/**
 * One NVMe/TCP connection (a qpair) on a simulator listener, as SPDK v26.05's lib/nvmf/tcp.c
 * receives it: ICReq/ICResp, then capsules. PDU headers are checked as nvmf_tcp_pdu_ch_handle
 * and its helpers check them; a bad one gets a C2HTermReq and the connection is closed. Data of
 * writes arrives in the capsule (up to in_capsule_data_size) or after one R2T for the whole
 * transfer; reads go back as one C2HData (SUCCESS flag instead of a response capsule when
 * c2h_success). Commands go to ./target.ts.
 */
import type { Socket } from 'node:net';
import { type NamespaceInfo, type Notice, Op } from '../../fabric/protocol.js';
import type { QpairLink } from '../subsystem.js';
import { fail, Sc, Sct, type Completion, type TcpTransportLimits } from './admin.js';
import {
  ByteQueue,
  c2hDataHeader,
  c2hTermReq,
  capsuleResp,
  CH_BYTES,
  CONTROL_ICD_MAX,
  crc32c,
  DIGEST_BYTES,
  Fes,
  HLEN,
  icResp,
  PDA_MAX,
  PDO_MAX,
  PduType,
  r2t,
  readCommonHeader,
  TERM_REQ_DATA_MAX,
  type CommonHeader,
} from './pdu.js';

/** SPDK_NVME_TCP_QPAIR_EXIT_TIMEOUT: how long the target waits for the host to close after a C2HTermReq. */
const TERM_WAIT_MS = 30_000;
const OPC_FABRIC = 0x7f;
/** SGL descriptor type/subtype byte: transport data block (R2T), or data block at an offset (in-capsule). */
const SGL_TRANSPORT = 0x5a;
const SGL_IN_CAPSULE = 0x01;

/** Data direction of a command (opcode bits 1:0; fctype for fabrics commands). */
export const Xfer = { NONE: 0, HOST_TO_CTRLR: 1, CTRLR_TO_HOST: 2, BIDIRECTIONAL: 3 } as const;

export interface Request {
  readonly cmd: Buffer;
  readonly cid: number;
  readonly opcode: number;
  readonly xfer: number;
  /** The SGL's data length (0 without data). */
  readonly length: number;
  /** Host-to-controller data, once all of it arrived. */
  data?: Buffer;
  /** `data` is the connection's to reuse once the command completed (the bdev copied it). */
  pooled?: boolean;
}

/** Receive buffers kept per size for R2T transfers (max_io_size ones, mostly): no GC churn. */
const POOL_PER_SIZE = 8;

interface PendingWrite {
  readonly req: Request;
  readonly ttag: number;
  received: number;
  /** A data digest did not match: the command completes with a transient transport error. */
  failed: boolean;
}

/** What the connection needs from the target (tcp/target.ts). */
export interface ConnectionEnv {
  limits(): TcpTransportLimits | null;
  /** Runs a command; resolves with its completion. */
  execute(conn: TcpConnection, req: Request): Promise<Completion> | Completion;
  log(event: string, fields?: Record<string, unknown>): void;
}

type Stage =
  | { kind: 'header' }
  | { kind: 'psh'; ch: CommonHeader; pshLen: number }
  | { kind: 'payload'; need: number; sink: (payload: Buffer) => void }
  /** H2CData without a data digest: copied as it arrives into the request's buffer. */
  | { kind: 'stream'; target: Buffer; offset: number; remaining: number; done: () => void };

export class TcpConnection implements QpairLink {
  private readonly rx = new ByteQueue();
  private stage: Stage = { kind: 'header' };
  private state: 'await-icreq' | 'running' | 'terminating' | 'closed' = 'await-icreq';
  hdgst = false;
  ddgst = false;
  private cpda = 0;
  /** Set by Connect: the qpair's id and 0-based SQ size (sq head wraps there). */
  qid = 0;
  private sqHeadMax = 0;
  private sqHead = 0;
  private outstanding = 0;
  private readonly writes = new Map<number, PendingWrite>();
  private nextTtag = 1;
  private stalled = false;
  /** PDUs to send, written together (one writev) at the next turn of the event loop. */
  private outgoing: Buffer[] = [];
  private flushScheduled = false;
  private readonly spare = new Map<number, Buffer[]>();
  private closeHandlers: Array<() => void> = [];
  /** Set by the command layer once Connect succeeded: the controller and qpair state. */
  session: unknown = null;

  constructor(
    readonly socket: Socket,
    private readonly env: ConnectionEnv,
  ) {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => this.fireClose());
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  onClose(handler: () => void): void {
    if (this.state === 'closed') handler();
    else this.closeHandlers.push(handler);
  }

  /** Set on an admin connection: the subsystem's namespaces changed (tcp/events.ts). */
  onNotice: ((namespaces: NamespaceInfo[]) => void) | null = null;

  /** The target's SIMF notice (namespaces or ANA states changed) becomes asynchronous events. */
  send(opcode: number, _id: number, _status: number, payload?: Buffer): void {
    if (opcode !== Op.NOTICE || !payload || !this.onNotice) return;
    this.onNotice((JSON.parse(payload.toString('utf8')) as Notice).namespaces);
  }

  setStalled(stalled: boolean): void {
    if (this.stalled === stalled || this.state === 'closed') return;
    this.stalled = stalled;
    if (stalled) {
      this.socket.pause();
      return;
    }
    this.flush();
    this.socket.resume();
    this.pump();
  }

  close(): void {
    this.socket.destroy();
    this.fireClose();
  }

  /**
   * spdk_nvmf_qpair_disconnect: what was already answered still goes out, then the socket is
   * closed (the host sees the connection end); nothing more is read or answered.
   */
  disconnect(): void {
    if (this.state === 'closed') return;
    this.flush();
    this.fireClose();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Sets the sizes Connect negotiated. */
  connected(qid: number, sqsize: number): void {
    this.qid = qid;
    this.sqHeadMax = sqsize;
  }

  private fireClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.rx.clear();
    this.writes.clear();
    const handlers = this.closeHandlers;
    this.closeHandlers = [];
    for (const h of handlers) h();
  }

  /** A read, lent for this call only (ports.ts): what is not consumed now is copied. */
  receive(view: Buffer): void {
    if (this.state === 'closed' || this.state === 'terminating') return;
    this.rx.push(view);
    try {
      if (!this.stalled) this.pump();
    } catch (err) {
      // A host's bytes must never take the simulator down: a bug here drops this connection only.
      this.env.log('nvmf_tcp_connection_error', { qid: this.qid, reason: err instanceof Error ? err.message : String(err) });
      this.close();
      return;
    }
    this.rx.keep(view);
  }

  private pump(): void {
    while (this.state === 'await-icreq' || this.state === 'running') {
      if (this.stalled) return;
      const stage = this.stage;
      if (stage.kind === 'header') {
        if (this.rx.length < CH_BYTES) return;
        const ch = readCommonHeader(this.rx.peek(CH_BYTES));
        const err = this.checkCommonHeader(ch);
        if (err) return this.terminate(err.fes, err.fei, this.rx.peek(CH_BYTES), ch.hlen);
        this.stage = { kind: 'psh', ch, pshLen: this.pshLength(ch) };
      } else if (stage.kind === 'psh') {
        if (this.rx.length < CH_BYTES + stage.pshLen) return;
        const header = this.rx.take(CH_BYTES + stage.pshLen);
        this.stage = { kind: 'header' };
        this.onHeader(stage.ch, header);
      } else if (stage.kind === 'stream') {
        const n = Math.min(this.rx.length, stage.remaining);
        if (n === 0) return;
        this.rx.readInto(stage.target, stage.offset, n);
        stage.offset += n;
        stage.remaining -= n;
        if (stage.remaining > 0) return;
        this.stage = { kind: 'header' };
        stage.done();
      } else {
        if (this.rx.length < stage.need) return;
        const payload = this.rx.take(stage.need);
        this.stage = { kind: 'header' };
        stage.sink(payload);
      }
    }
  }

  /** nvmf_tcp_pdu_ch_handle. */
  private checkCommonHeader(ch: CommonHeader): { fes: number; fei: number } | null {
    let expected: number;
    let plenError = false;
    let pdoError = false;
    const pdoMisaligned = () => this.cpda !== 0 && ch.pdo % ((this.cpda + 1) << 2) !== 0;
    if (ch.type === PduType.IC_REQ) {
      if (this.state !== 'await-icreq') return { fes: Fes.PDU_SEQUENCE_ERROR, fei: 0 };
      expected = HLEN.IC;
      plenError = ch.plen !== HLEN.IC;
    } else {
      if (this.state !== 'running') return { fes: Fes.PDU_SEQUENCE_ERROR, fei: 0 };
      if (ch.type === PduType.CAPSULE_CMD || ch.type === PduType.H2C_DATA) {
        expected = ch.type === PduType.CAPSULE_CMD ? HLEN.CAPSULE_CMD : HLEN.DATA;
        pdoError = pdoMisaligned();
        plenError = ch.plen < expected;
      } else if (ch.type === PduType.H2C_TERM_REQ) {
        expected = HLEN.TERM_REQ;
        plenError = ch.plen <= expected || ch.plen > HLEN.TERM_REQ + TERM_REQ_DATA_MAX;
      } else return { fes: Fes.INVALID_HEADER_FIELD, fei: 0 };
    }
    if (ch.hlen !== expected) return { fes: Fes.INVALID_HEADER_FIELD, fei: 2 };
    if (pdoError) return { fes: Fes.INVALID_HEADER_FIELD, fei: 3 };
    if (plenError) return { fes: Fes.INVALID_HEADER_FIELD, fei: 4 };
    return null;
  }

  /** nvme_tcp_pdu_calc_psh_len: header after the common part, its digest, padding up to pdo. */
  private pshLength(ch: CommonHeader): number {
    let len = ch.hlen;
    const hasDigest = this.hdgst && (ch.type === PduType.CAPSULE_CMD || ch.type === PduType.H2C_DATA);
    if (hasDigest) len += DIGEST_BYTES;
    if (ch.plen > len && (ch.type === PduType.CAPSULE_CMD || ch.type === PduType.H2C_DATA) && ch.pdo > len) len = ch.pdo;
    return len - CH_BYTES;
  }

  private onHeader(ch: CommonHeader, header: Buffer): void {
    if (this.hdgst && (ch.type === PduType.CAPSULE_CMD || ch.type === PduType.H2C_DATA)) {
      if (header.readUInt32LE(ch.hlen) !== crc32c(header.subarray(0, ch.hlen))) return this.terminate(Fes.HDGST_ERROR, 0, header, ch.hlen);
    }
    switch (ch.type) {
      case PduType.IC_REQ:
        return this.onIcReq(header);
      case PduType.CAPSULE_CMD:
        return this.onCapsule(ch, header);
      case PduType.H2C_DATA:
        return this.onH2cData(ch, header);
      default:
        return this.onH2cTermReq(ch, header);
    }
  }

  /** nvmf_tcp_icreq_handle: PFV 0, HPDA <= 31; ICResp echoes the digests and sets MAXH2CDATA. */
  private onIcReq(header: Buffer): void {
    const limits = this.env.limits();
    if (header.readUInt16LE(8) !== 0) return this.terminate(Fes.INVALID_HEADER_FIELD, 8, header, HLEN.IC);
    const hpda = header[10]!;
    if (hpda > PDA_MAX) return this.terminate(Fes.INVALID_HEADER_FIELD, 10, header, HLEN.IC);
    if (!limits) return this.close();
    this.hdgst = (header[11]! & 1) !== 0;
    this.ddgst = (header[11]! & 2) !== 0;
    this.cpda = hpda;
    this.state = 'running';
    this.write([icResp(this.cpda, this.hdgst, this.ddgst, limits.maxIoSize)]);
  }

  private onCapsule(ch: CommonHeader, header: Buffer): void {
    const limits = this.env.limits();
    if (!limits) return this.close();
    const depth = this.qid === 0 ? limits.maxAqDepth : limits.maxQueueDepth;
    // The host sent more commands than the queue holds: spdk quiesces the qpair (no TermReq).
    if (this.outstanding >= depth) return this.close();
    const cmd = Buffer.from(header.subarray(CH_BYTES, CH_BYTES + 64));
    const opcode = cmd[0]!;
    const cid = cmd.readUInt16LE(2);
    const sglLength = cmd.readUInt32LE(32);
    const sglType = cmd[39]!;
    let xfer = (opcode === OPC_FABRIC ? cmd[4]! : opcode) & 3;
    if (xfer !== Xfer.NONE && (sglType >> 4 === 0 || sglType >> 4 === 5) && sglLength === 0) xfer = Xfer.NONE;
    const req: Request = { cmd, cid, opcode, xfer, length: xfer === Xfer.NONE ? 0 : sglLength };
    this.outstanding++;
    if (xfer === Xfer.BIDIRECTIONAL) return this.complete(req, fail(Sct.GENERIC, Sc.INVALID_OPCODE));
    if (xfer === Xfer.NONE) return this.run(req);
    const inCapsule = ch.plen !== ch.hlen + (this.hdgst ? DIGEST_BYTES : 0);
    if (sglType === SGL_TRANSPORT) {
      if (sglLength > limits.maxIoSize) return this.terminate(Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 0, header, ch.hlen);
      if (xfer === Xfer.CTRLR_TO_HOST) return this.run(req);
      return this.requestData(req);
    }
    if (sglType === SGL_IN_CAPSULE && inCapsule) {
      const length = ch.plen - header.length - (this.ddgst ? DIGEST_BYTES : 0);
      if (length !== sglLength) return this.terminate(Fes.INVALID_HEADER_FIELD, 4, header, ch.hlen);
      if (cmd.readBigUInt64LE(24) !== 0n) return this.terminate(Fes.INVALID_DATA_UNSUPPORTED_PARAMETER, 8 + 24, header, ch.hlen);
      const control = length <= CONTROL_ICD_MAX && (opcode === OPC_FABRIC || this.qid === 0);
      if (length > limits.inCapsuleDataSize && !control) return this.terminate(Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 0, header, ch.hlen);
      if (ch.pdo > PDO_MAX) return this.terminate(Fes.INVALID_HEADER_FIELD, 3, header, ch.hlen);
      this.stage = {
        kind: 'payload',
        need: ch.plen - header.length,
        sink: (payload) => {
          if (this.ddgst && !this.digestMatches(payload, length)) return this.complete(req, transientError());
          req.data = payload.subarray(0, length);
          this.run(req);
        },
      };
      return;
    }
    this.terminate(Fes.INVALID_DATA_UNSUPPORTED_PARAMETER, 8 + 24 + 15, header, ch.hlen);
  }

  private digestMatches(payload: Buffer, length: number): boolean {
    return payload.readUInt32LE(length) === crc32c(payload.subarray(0, length));
  }

  /** One R2T for the whole transfer (r2to 0, r2tl = length); H2CData PDUs fill the buffer. */
  private requestData(req: Request): void {
    const ttag = this.allocTtag();
    req.data = this.spare.get(req.length)?.pop() ?? Buffer.allocUnsafe(req.length);
    req.pooled = true;
    this.writes.set(ttag, { req, ttag, received: 0, failed: false });
    this.write([r2t(req.cid, ttag, 0, req.length, this.hdgst)]);
  }

  private allocTtag(): number {
    for (;;) {
      const ttag = this.nextTtag;
      this.nextTtag = ttag >= 0xfffe ? 1 : ttag + 1;
      if (!this.writes.has(ttag)) return ttag;
    }
  }

  /** nvmf_tcp_h2c_data_hdr_handle. */
  private onH2cData(ch: CommonHeader, header: Buffer): void {
    const cccid = header.readUInt16LE(8);
    const ttag = header.readUInt16LE(10);
    const datao = header.readUInt32LE(12);
    const datal = header.readUInt32LE(16);
    const pending = this.writes.get(ttag);
    if (!pending) return this.terminate(ttag === 0 || ttag > 0xfffe ? Fes.PDU_SEQUENCE_ERROR : Fes.INVALID_HEADER_FIELD, 10, header, ch.hlen);
    if (pending.req.cid !== cccid) return this.terminate(Fes.PDU_SEQUENCE_ERROR, 8, header, ch.hlen);
    if (pending.received !== datao || datao + datal > pending.req.length) return this.terminate(Fes.DATA_TRANSFER_OUT_OF_RANGE, 0, header, ch.hlen);
    // Bounded: the PDU must hold exactly the data it announces (and its digest).
    const need = ch.plen - header.length;
    if (need !== datal + (this.ddgst ? DIGEST_BYTES : 0)) return this.terminate(Fes.INVALID_HEADER_FIELD, 4, header, ch.hlen);
    const target = pending.req.data!;
    if (!this.ddgst) {
      if (datal === 0) return this.h2cReceived(pending, 0, true);
      // The common case: the payload is copied once, straight into the request's buffer.
      this.stage = { kind: 'stream', target, offset: datao, remaining: datal, done: () => this.h2cReceived(pending, datal, true) };
      return;
    }
    this.stage = {
      kind: 'payload',
      need,
      sink: (payload) => {
        const good = !this.ddgst || this.digestMatches(payload, datal);
        payload.copy(target, datao, 0, datal);
        this.h2cReceived(pending, datal, good);
      },
    };
  }

  private h2cReceived(pending: PendingWrite, datal: number, good: boolean): void {
    pending.received += datal;
    if (!good) pending.failed = true;
    if (pending.received < pending.req.length) return;
    this.writes.delete(pending.ttag);
    if (pending.failed) return this.complete(pending.req, transientError());
    this.run(pending.req);
  }

  /** nvmf_tcp_h2c_term_req_hdr_handle: the host gives up; the connection goes. */
  private onH2cTermReq(ch: CommonHeader, header: Buffer): void {
    const fes = header.readUInt16LE(8);
    if (fes > Fes.INVALID_DATA_UNSUPPORTED_PARAMETER) return this.terminate(Fes.INVALID_HEADER_FIELD, 8, header, ch.hlen);
    this.stage = {
      kind: 'payload',
      need: ch.plen - ch.hlen,
      sink: () => {
        this.env.log('nvmf_tcp_h2c_term_req', { fes, qid: this.qid });
        this.close();
      },
    };
  }

  private run(req: Request): void {
    let result: Promise<Completion> | Completion;
    try {
      result = this.env.execute(this, req);
    } catch {
      result = fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR);
    }
    if (result instanceof Promise) {
      result.then(
        (c) => this.complete(req, c),
        () => this.complete(req, fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR)),
      );
    } else this.complete(req, result);
  }

  /** request_transfer_out: C2HData for successful reads (and admin data), else a response capsule. */
  complete(req: Request, c: Completion): void {
    if (this.state === 'closed') return;
    this.outstanding--;
    if (req.pooled && req.data) this.recycle(req.data);
    this.sqHead = this.sqHead === this.sqHeadMax ? 0 : this.sqHead + 1;
    const cqe = Buffer.alloc(16);
    cqe.writeUInt32LE((c.cdw0 ?? 0) >>> 0, 0);
    cqe.writeUInt32LE((c.cdw1 ?? 0) >>> 0, 4);
    cqe.writeUInt16LE(this.sqHead, 8);
    cqe.writeUInt16LE(req.cid, 12);
    cqe.writeUInt16LE(c.status, 14);
    if (c.status === 0 && req.xfer === Xfer.CTRLR_TO_HOST && req.length > 0) {
      const limits = this.env.limits();
      const success = (limits?.c2hSuccess ?? true) && (c.cdw0 ?? 0) === 0 && (c.cdw1 ?? 0) === 0;
      this.sendData(req, c.data ?? Buffer.alloc(0), success, Math.min(c.length ?? req.length, req.length));
      if (success) return;
    }
    this.write([capsuleResp(cqe, this.hdgst)]);
  }

  private sendData(req: Request, data: Buffer, success: boolean, length: number): void {
    let payload = data;
    if (payload.length > length) payload = payload.subarray(0, length);
    else if (payload.length < length) payload = Buffer.concat([payload, Buffer.alloc(length - payload.length)]);
    const { header, padding } = c2hDataHeader(req.cid, length, this.cpda, this.hdgst, this.ddgst, success);
    const parts = [header];
    if (padding > 0) parts.push(Buffer.alloc(padding));
    parts.push(payload);
    if (this.ddgst) {
      const digest = Buffer.alloc(DIGEST_BYTES);
      digest.writeUInt32LE(crc32c(payload), 0);
      parts.push(digest);
    }
    this.write(parts);
  }

  private recycle(data: Buffer): void {
    let list = this.spare.get(data.length);
    if (!list) this.spare.set(data.length, (list = []));
    if (list.length < POOL_PER_SIZE) list.push(data);
  }

  private write(parts: Buffer[]): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    for (const p of parts) this.outgoing.push(p);
    if (this.flushScheduled || this.stalled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Everything queued in one corked burst; held while stalled (sim_fabric_blackhole). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.stalled || this.outgoing.length === 0 || this.socket.destroyed) return;
    const parts = this.outgoing;
    this.outgoing = [];
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }

  /**
   * nvmf_tcp_send_c2h_term_req: the bad PDU's header (as far as received, up to 128 bytes of
   * its hlen) goes back; the qpair reads nothing more and waits for the host to close the
   * connection, closing it itself after 30 s (SPDK_NVME_TCP_QPAIR_EXIT_TIMEOUT), as spdk_tgt does.
   */
  private terminate(fes: number, fei: number, received: Buffer, hlen: number): void {
    const echo = Buffer.alloc(Math.min(hlen, TERM_REQ_DATA_MAX));
    received.copy(echo, 0, 0, Math.min(received.length, echo.length));
    this.env.log('nvmf_tcp_c2h_term_req', { fes, fei, qid: this.qid, reason: 'bad PDU' });
    this.write([c2hTermReq(fes, fei, echo)]);
    this.flush();
    this.state = 'terminating';
    this.rx.clear();
    const timer = setTimeout(() => this.close(), TERM_WAIT_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }
}

/** A data digest mismatch: spdk completes the command with Transient Transport Error. */
const transientError = (): Completion => fail(Sct.GENERIC, 0x22);
