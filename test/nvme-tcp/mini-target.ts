/**
 * A small RAM-backed NVMe/TCP target for the host's tests, configurable where spdk_tgt v26.05 is
 * not: a CPDA, a MAXH2CDATA below the transfer size, several R2Ts per command, C2HData in several
 * PDUs, and reads ended by a CapsuleResp instead of the SUCCESS flag. Everything it received is
 * kept for the test to inspect. One namespace (nsid 1) of 4 KiB blocks; no keep alive (KAS 0).
 * With `auth`, every Connect asks for DH-HMAC-CHAP (AUTHREQ.ATR) and the queue answers as a
 * controller (NULL DH group, the hash asked for), or stalls where told to.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { dhchapResponse, encodeFailure, transformKey } from '../../src/nvme-tcp/auth.js';
import { decodeSecret } from '../../src/validation/nvme-secrets.js';
import { decodeCommonHeader, decodeDataHeader, encodeC2HData, encodeCapsuleResp, encodeIcResp, encodeR2t, FLAG, PDU, type CommonHeader } from '../../src/nvme-tcp/pdu.js';
import { PduReader } from '../../src/nvme-tcp/pdu-reader.js';
import { encodeCqe, OPC } from '../../src/nvme-tcp/sqe.js';

export interface MiniTargetOptions {
  readonly cpda: number;
  readonly maxh2cdata: number;
  /** Bytes asked for by each R2T. */
  readonly r2tBytes: number;
  /** Data bytes in each C2HData PDU. */
  readonly c2hBytes: number;
  /** End reads with C2HData SUCCESS (no CapsuleResp). */
  readonly success: boolean;
  readonly blocks: number;
  readonly auth?: MiniAuth;
}

export interface MiniAuth {
  readonly hostnqn: string;
  readonly subnqn: string;
  /** The host's secret the controller checks R1 with. */
  readonly key: string;
  /** The controller's secret for bidirectional (none: a host asking for it gets AUTH_Failure1). */
  readonly ctrlrKey?: string;
  /** HASHID chosen (default 3, SHA-512). */
  readonly hash?: number;
  /** Set AUTHREQ.ASCR too. */
  readonly ascr?: boolean;
  /** Never answer this Authentication Receive. */
  readonly stallAt?: 'challenge' | 'success1';
  /** Ask on the admin queue's Connect only (the I/O queue connects without authenticating). */
  readonly adminOnly?: boolean;
}

/** One queue's DH-HMAC-CHAP state on the controller side. */
interface AuthState {
  tid: number;
  challenge?: Buffer;
  seqnum: number;
  failure?: number;
  r2?: Buffer;
  done: boolean;
}

interface Write {
  readonly lba: number;
  readonly data: Buffer;
  received: number;
  asked: number;
}

export class MiniTarget {
  readonly h2c: CommonHeader[] = [];
  /** DH-HMAC-CHAP messages the host sent (Authentication Send data), in order. */
  readonly authSent: Buffer[] = [];
  /** Queues whose authentication succeeded. */
  authenticated = 0;
  readonly media: Buffer;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(readonly options: MiniTargetOptions) {
    this.media = Buffer.alloc(options.blocks * 4096);
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async start(options: MiniTargetOptions): Promise<MiniTarget> {
    const t = new MiniTarget(options);
    await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', resolve));
    return t;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const writes = new Map<number, Write>();
    const auth: AuthState = { tid: 0, seqnum: 0, done: false };
    let cc = 0;
    const respond = (cid: number, dw0 = 0, dw1 = 0) => socket.write(encodeCapsuleResp(encodeCqe({ cid, dw0, dw1 })));
    const askMore = (cid: number, w: Write) => {
      const r2tl = Math.min(this.options.r2tBytes, w.data.length - w.asked);
      socket.write(encodeR2t({ cccid: cid, ttag: cid + 1, r2to: w.asked, r2tl }));
      w.asked += r2tl;
    };
    const reader = new PduReader({
      onHeader: () => 'collect',
      onPdu: (common, header, data) => {
        if (common.type === PDU.IC_REQ) {
          socket.write(encodeIcResp({ cpda: this.options.cpda, headerDigest: false, dataDigest: false, maxh2cdata: this.options.maxh2cdata }));
        } else if (common.type === PDU.H2C_DATA) {
          this.h2c.push(decodeCommonHeader(header));
          const d = decodeDataHeader(header);
          const w = writes.get(d.cccid)!;
          data!.copy(w.data, d.datao);
          w.received += d.datal;
          if (w.received < w.asked) return;
          if (w.asked < w.data.length) askMore(d.cccid, w);
          else {
            w.data.copy(this.media, w.lba * 4096);
            writes.delete(d.cccid);
            respond(d.cccid);
          }
        } else if (common.type === PDU.CAPSULE_CMD) {
          this.command(header.subarray(8, 72), data!, {
            respond,
            setCc: (v) => (cc = v),
            cc: () => cc,
            startWrite: (cid, w) => {
              writes.set(cid, w);
              askMore(cid, w);
            },
            send: (b) => socket.write(b),
            auth,
          });
        }
      },
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  private command(
    sqe: Buffer,
    data: Buffer,
    io: {
      respond(cid: number, dw0?: number, dw1?: number): void;
      setCc(v: number): void;
      cc(): number;
      startWrite(cid: number, w: Write): void;
      send(b: Buffer): void;
      auth: AuthState;
    },
  ): void {
    const cid = sqe.readUInt16LE(2);
    const opcode = sqe[0]!;
    if (opcode === OPC.FABRICS) {
      const fctype = sqe[4]!;
      const a = this.options.auth;
      if (fctype === 0x01) {
        // Connect: CNTLID 1, AUTHREQ.ATR (bit 17) and ASCR (bit 18) when authenticating (QID at byte 42)
        const asks = a !== undefined && !(a.adminOnly && sqe.readUInt16LE(42) !== 0);
        io.respond(cid, 1 | (asks ? 1 << 17 : 0) | (asks && a?.ascr ? 1 << 18 : 0));
      } else if (fctype === 0x05 && a) {
        this.authSend(a, io.auth, data);
        io.respond(cid);
      } else if (fctype === 0x06 && a) {
        const message = this.authReceive(a, io.auth);
        if (message) this.read(cid, message, io);
      } else if (fctype === 0x00) {
        io.setCc(sqe.readUInt32LE(48)); // Property Set CC
        io.respond(cid);
      } else if (sqe.readUInt32LE(44) === 0x00) {
        io.respond(cid, 0x0101003f, 0); // CAP: MQES 63, CQR, TO 1 (500 ms)
      } else {
        io.respond(cid, (io.cc() & 1) | ((io.cc() >> 14) & 3 ? 0b1000 : 0)); // CSTS: RDY while enabled, SHST complete after SHN
      }
      return;
    }
    const lba = sqe.readUInt32LE(40) + sqe.readUInt32LE(44) * 2 ** 32;
    const bytes = ((sqe.readUInt32LE(48) & 0xffff) + 1) * 4096;
    switch (opcode) {
      case OPC.IDENTIFY:
        this.read(cid, identify(sqe.readUInt32LE(40) & 0xff, this.options.blocks), io);
        return;
      case OPC.WRITE:
        if (sqe[39] === 0x01) {
          data.copy(this.media, lba * 4096);
          io.respond(cid);
        } else io.startWrite(cid, { lba, data: Buffer.alloc(bytes), received: 0, asked: 0 });
        return;
      case OPC.READ:
        this.read(cid, this.media.subarray(lba * 4096, lba * 4096 + bytes), io);
        return;
      default:
        io.respond(cid); // flush, keep alive
    }
  }

  private authSend(a: MiniAuth, st: AuthState, data: Buffer): void {
    this.authSent.push(Buffer.from(data));
    const hash = a.hash ?? 3;
    if (data[0] === 0 && data[1] === 0) {
      st.tid = data.readUInt16LE(4);
      return;
    }
    if (data[0] === 1 && data[1] === 2 && st.challenge) {
      const hl = data[6]!;
      const r1 = dhchapResponse({
        hash,
        key: transformKey(decodeSecret('dhchap', a.key), a.hostnqn),
        challenge: st.challenge,
        seqnum: st.seqnum,
        tid: st.tid,
        role: 'HostHost',
        nqn1: a.hostnqn,
        nqn2: a.subnqn,
      });
      if (!r1.equals(data.subarray(16, 16 + hl))) st.failure = 1;
      else if (data[8] === 1) {
        if (!a.ctrlrKey) st.failure = 1;
        else
          st.r2 = dhchapResponse({
            hash,
            key: transformKey(decodeSecret('dhchap', a.ctrlrKey), a.subnqn),
            challenge: data.subarray(16 + hl, 16 + 2 * hl),
            seqnum: data.readUInt32LE(12),
            tid: st.tid,
            role: 'Controller',
            nqn1: a.subnqn,
            nqn2: a.hostnqn,
          });
      }
      return;
    }
    if (data[0] === 1 && data[1] === 4) {
      st.done = true;
      this.authenticated++;
    }
    // AUTH_Failure2: nothing to do but keep it (authSent)
  }

  /** The message of an Authentication Receive, or undefined to stall. */
  private authReceive(a: MiniAuth, st: AuthState): Buffer | undefined {
    const hash = a.hash ?? 3;
    const hl = { 1: 32, 2: 48, 3: 64 }[hash] ?? 64;
    if (st.failure !== undefined) return encodeFailure(0xf1, st.tid, st.failure);
    if (!st.challenge) {
      if (a.stallAt === 'challenge') return undefined;
      st.challenge = randomBytes(hl);
      st.seqnum = 0x1000 + this.authSent.length;
      const m = Buffer.alloc(16 + hl);
      m[0] = 1;
      m[1] = 1;
      m.writeUInt16LE(st.tid, 4);
      m[6] = hl;
      m[8] = hash;
      m.writeUInt32LE(st.seqnum, 12);
      st.challenge.copy(m, 16);
      return m;
    }
    if (a.stallAt === 'success1') return undefined;
    const m = Buffer.alloc(16 + (st.r2 ? hl : 0));
    m[0] = 1;
    m[1] = 3;
    m.writeUInt16LE(st.tid, 4);
    m[6] = hl;
    if (st.r2) {
      m[8] = 1;
      st.r2.copy(m, 16);
    } else this.authenticated++;
    return m;
  }

  private read(cid: number, bytes: Buffer, io: { respond(cid: number): void; send(b: Buffer): void }): void {
    for (let at = 0; at < bytes.length; at += this.options.c2hBytes) {
      const datal = Math.min(this.options.c2hBytes, bytes.length - at);
      const last = at + datal === bytes.length;
      io.send(encodeC2HData({ cccid: cid, datao: at, datal, flags: last ? FLAG.LAST_PDU | (this.options.success ? FLAG.SUCCESS : 0) : 0 }));
      io.send(Buffer.from(bytes.subarray(at, at + datal)));
    }
    if (!this.options.success) io.respond(cid);
  }
}

/** Identify data: controller (MDTS 5, KAS 0, MAXCMD 64, IOCCSZ 260: 4 KiB in capsule), namespace (4 KiB blocks), active list [1]. */
function identify(cns: number, blocks: number): Buffer {
  const b = Buffer.alloc(4096);
  if (cns === 0x01) {
    b[77] = 5;
    b.writeUInt16LE(1, 78);
    b.writeUInt16LE(64, 514);
    b.writeUInt32LE(1, 516);
    b.writeUInt32LE(260, 1792);
    b.writeUInt32LE(1, 1796);
  } else if (cns === 0x00) {
    b.writeBigUInt64LE(BigInt(blocks), 0);
    b.writeUInt32LE(12 << 16, 128);
  } else b.writeUInt32LE(1, 0);
  return b;
}
