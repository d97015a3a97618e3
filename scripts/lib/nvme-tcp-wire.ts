/**
 * A scripted NVMe/TCP host for tests and benchmarks of the simulator's target: PDUs built byte by
 * byte per the NVMe/TCP spec (TP 8000) and NVMe-oF, every field at its explicit offset, no digests.
 * Not the service's host (src/nvme-tcp/): it checks the target, so it trusts nothing of it.
 *
 *   const h = await WireHost.connect(port);
 *   const ic = await h.icReq();                         // ICResp fields
 *   const c = await h.command(connectSqe(...), connectData(...));
 */
import { createDiffieHellman, createHash, createHmac, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const T = { IC_REQ: 0, IC_RESP: 1, H2C_TERM: 2, C2H_TERM: 3, CMD: 4, RESP: 5, H2C_DATA: 6, C2H_DATA: 7, R2T: 9 } as const;

export interface IcResp {
  readonly hlen: number;
  readonly plen: number;
  readonly pfv: number;
  readonly cpda: number;
  readonly dgst: number;
  readonly maxh2cdata: number;
}

export interface Cqe {
  readonly cdw0: number;
  readonly cdw1: number;
  readonly sqhd: number;
  readonly cid: number;
  /** Status field (bits 15:1 of dword 3's upper half, phase bit dropped): sc, sct, dnr. */
  readonly sc: number;
  readonly sct: number;
  readonly dnr: boolean;
}

export interface Done {
  readonly cqe: Cqe;
  /** C2HData received for the command (reads, identify). */
  readonly data: Buffer;
  /** The completion came as a C2HData SUCCESS flag, without a response capsule. */
  readonly viaC2hSuccess: boolean;
}

export interface TermReq {
  readonly fes: number;
  readonly fei: number;
  readonly echoed: Buffer;
}

interface Pending {
  readonly resolve: (d: Done) => void;
  readonly reject: (e: Error) => void;
  data: Buffer;
  readonly writeData: Buffer | undefined;
}

/** A 64-byte submission queue entry. */
export function sqe(f: { opcode: number; cid?: number; nsid?: number; fctype?: number; cdw10?: number; cdw11?: number; cdw12?: number; cdw13?: number; sglLength?: number; sglType?: number }): Buffer {
  const b = Buffer.alloc(64);
  b[0] = f.opcode;
  b.writeUInt16LE(f.cid ?? 0, 2);
  b.writeUInt32LE(f.nsid ?? 0, 4);
  if (f.fctype !== undefined) b[4] = f.fctype;
  // SGL1 at 24: address 24 (8), length 32 (4), type/subtype byte 39.
  b.writeUInt32LE(f.sglLength ?? 0, 32);
  b[39] = f.sglType ?? 0x5a;
  b.writeUInt32LE(f.cdw10 ?? 0, 40);
  b.writeUInt32LE(f.cdw11 ?? 0, 44);
  b.writeUInt32LE(f.cdw12 ?? 0, 48);
  b.writeUInt32LE(f.cdw13 ?? 0, 52);
  return b;
}

/** Fabrics Connect: recfmt 40, qid 42, sqsize 44, cattr 46, kato 48; data in-capsule (type 0x01). */
export function connectSqe(qid: number, sqsize: number, kato: number): Buffer {
  const b = sqe({ opcode: 0x7f, fctype: 0x01, sglLength: 1024, sglType: 0x01 });
  b.writeUInt16LE(0, 40);
  b.writeUInt16LE(qid, 42);
  b.writeUInt16LE(sqsize, 44);
  b.writeUInt32LE(kato, 48);
  return b;
}

/** Connect data: hostid 0 (16), cntlid 16, subnqn 256, hostnqn 512. */
export function connectData(subnqn: string, hostnqn: string, cntlid = 0xffff, hostid = '2b2c0f2e-6c4b-4c6a-9f0e-0d5f1b7a9c11'): Buffer {
  const b = Buffer.alloc(1024);
  Buffer.from(hostid.replace(/-/g, ''), 'hex').copy(b, 0);
  b.writeUInt16LE(cntlid, 16);
  b.write(subnqn, 256, 'utf8');
  b.write(hostnqn, 512, 'utf8');
  return b;
}

/** Property Get (fctype 4) / Set (fctype 0): attrib 40 (size: 0 = 4 bytes, 1 = 8), offset 44, value 48. */
export function propertySqe(set: boolean, ofst: number, size8: boolean, value = 0n): Buffer {
  const b = sqe({ opcode: 0x7f, fctype: set ? 0x00 : 0x04, sglLength: 0, sglType: 0 });
  b[40] = size8 ? 1 : 0;
  b.writeUInt32LE(ofst, 44);
  b.writeBigUInt64LE(value, 48);
  return b;
}

/** Common header: type at 0, flags 1, hlen 2, pdo 3, plen (u32) 4. */
export function commonHeader(type: number, flags: number, hlen: number, pdo: number, plen: number): Buffer {
  const b = Buffer.from([type, flags, hlen, pdo, 0, 0, 0, 0]);
  b.writeUInt32LE(plen, 4);
  return b;
}

export function icReqPdu(hpda = 0, dgst = 0, maxr2t = 0): Buffer {
  const b = Buffer.alloc(128);
  commonHeader(T.IC_REQ, 0, 128, 0, 128).copy(b, 0);
  b.writeUInt16LE(0, 8); // PFV
  b[10] = hpda;
  b[11] = dgst;
  b.writeUInt32LE(maxr2t, 12);
  return b;
}

export class WireHost {
  private rx: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private icWaiter: ((r: IcResp) => void) | null = null;
  private nextCid = 1;
  maxh2cdata = 0;
  term: TermReq | null = null;
  /** The last PDU received, whole (for checks of digests and raw fields). */
  lastPdu: Buffer | null = null;
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireHost> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => resolve(new WireHost(s)));
      s.once('error', reject);
    });
  }

  get gone(): boolean {
    return this.isClosed;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  async icReq(hpda = 0, dgst = 0): Promise<IcResp> {
    const got = new Promise<IcResp>((resolve) => (this.icWaiter = resolve));
    this.send(icReqPdu(hpda, dgst));
    const r = await got;
    this.maxh2cdata = r.maxh2cdata;
    return r;
  }

  /**
   * Sends a command capsule and resolves with its completion. `inCapsule` data rides in the
   * capsule (pdo 72); `writeData` goes in H2CData PDUs when the target asks with an R2T.
   */
  command(entry: Buffer, opts: { inCapsule?: Buffer; writeData?: Buffer } = {}): Promise<Done> {
    const cid = this.nextCid;
    this.nextCid = cid >= 0xfffe ? 1 : cid + 1;
    entry.writeUInt16LE(cid, 2);
    const icd = opts.inCapsule;
    const done = new Promise<Done>((resolve, reject) => {
      if (this.isClosed) reject(new Error('connection closed'));
      this.pending.set(cid, { resolve, reject, data: Buffer.alloc(0), writeData: opts.writeData });
    });
    const header = commonHeader(T.CMD, 0, 72, icd ? 72 : 0, 72 + (icd?.length ?? 0));
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(entry);
    if (icd) this.socket.write(icd);
    this.socket.uncork();
    return done;
  }

  private onData(chunk: Buffer): void {
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    for (;;) {
      if (this.rx.length < 8) return;
      const plen = this.rx.readUInt32LE(4);
      if (this.rx.length < plen) return;
      const pdu = this.rx.subarray(0, plen);
      this.rx = this.rx.subarray(plen);
      this.onPdu(pdu);
    }
  }

  private onPdu(pdu: Buffer): void {
    this.lastPdu = Buffer.from(pdu);
    const type = pdu[0]!;
    if (type === T.IC_RESP) {
      this.icWaiter?.({ hlen: pdu[2]!, plen: pdu.readUInt32LE(4), pfv: pdu.readUInt16LE(8), cpda: pdu[10]!, dgst: pdu[11]!, maxh2cdata: pdu.readUInt32LE(12) });
      this.icWaiter = null;
    } else if (type === T.RESP) {
      const cqe = parseCqe(pdu.subarray(8, 24));
      const p = this.pending.get(cqe.cid);
      this.pending.delete(cqe.cid);
      p?.resolve({ cqe, data: p.data, viaC2hSuccess: false });
    } else if (type === T.C2H_DATA) {
      const cid = pdu.readUInt16LE(8);
      const datao = pdu.readUInt32LE(12);
      const datal = pdu.readUInt32LE(16);
      const p = this.pending.get(cid);
      if (!p) return;
      const piece = pdu.subarray(pdu[3]!, pdu[3]! + datal);
      if (p.data.length < datao + datal) {
        const grown = Buffer.alloc(datao + datal);
        p.data.copy(grown);
        p.data = grown;
      }
      piece.copy(p.data, datao);
      if (pdu[1]! & 0x08) {
        this.pending.delete(cid);
        p.resolve({ cqe: { cdw0: 0, cdw1: 0, sqhd: -1, cid, sc: 0, sct: 0, dnr: false }, data: p.data, viaC2hSuccess: true });
      }
    } else if (type === T.R2T) {
      const cid = pdu.readUInt16LE(8);
      const ttag = pdu.readUInt16LE(10);
      const r2to = pdu.readUInt32LE(12);
      const r2tl = pdu.readUInt32LE(16);
      const data = this.pending.get(cid)?.writeData ?? Buffer.alloc(r2tl);
      this.socket.cork();
      for (let off = 0; off < r2tl; off += this.maxh2cdata || r2tl) {
        const len = Math.min(this.maxh2cdata || r2tl, r2tl - off);
        const last = off + len >= r2tl;
        const h = Buffer.alloc(24);
        commonHeader(T.H2C_DATA, last ? 0x04 : 0, 24, 24, 24 + len).copy(h, 0);
        h.writeUInt16LE(cid, 8);
        h.writeUInt16LE(ttag, 10);
        h.writeUInt32LE(r2to + off, 12);
        h.writeUInt32LE(len, 16);
        this.socket.write(h);
        this.socket.write(data.subarray(r2to + off, r2to + off + len));
      }
      this.socket.uncork();
    } else if (type === T.C2H_TERM) {
      this.term = { fes: pdu.readUInt16LE(8), fei: pdu.readUInt32LE(10), echoed: Buffer.from(pdu.subarray(24)) };
    }
  }
}

export function parseCqe(b: Buffer): Cqe {
  const st = b.readUInt16LE(14);
  return { cdw0: b.readUInt32LE(0), cdw1: b.readUInt32LE(4), sqhd: b.readUInt16LE(8), cid: b.readUInt16LE(12), sc: (st >> 1) & 0xff, sct: (st >> 9) & 7, dnr: (st & 0x8000) !== 0 };
}

/** Connects a qpair: ICReq, then Connect; resolves with the host and the Connect completion. */
export async function connectQpair(
  port: number,
  subnqn: string,
  hostnqn: string,
  qid: number,
  opts: { cntlid?: number; sqsize?: number; kato?: number } = {},
): Promise<{ host: WireHost; done: Done }> {
  const host = await WireHost.connect(port);
  await host.icReq();
  const done = await host.command(connectSqe(qid, opts.sqsize ?? 31, opts.kato ?? 0), { inCapsule: connectData(subnqn, hostnqn, opts.cntlid ?? 0xffff) });
  return { host, done };
}

/** Brings an admin qpair's controller up: CC with EN, IOSQES 6, IOCQES 4. */
export async function enable(admin: WireHost): Promise<Done> {
  return admin.command(propertySqe(true, 0x14, false, 0x460001n));
}

export function readSqe(nsid: number, lba: number, blocks: number, blockSize: number): Buffer {
  return sqe({ opcode: 0x02, nsid, cdw10: lba % 0x1_0000_0000, cdw11: Math.floor(lba / 0x1_0000_0000), cdw12: blocks - 1, sglLength: blocks * blockSize });
}

/** A write whose data comes after an R2T (transport SGL, 0x5a) or in the capsule (0x01). */
export function writeSqe(nsid: number, lba: number, blocks: number, blockSize: number, inCapsule = false): Buffer {
  return sqe({ opcode: 0x01, nsid, cdw10: lba % 0x1_0000_0000, cdw11: Math.floor(lba / 0x1_0000_0000), cdw12: blocks - 1, sglLength: blocks * blockSize, sglType: inCapsule ? 0x01 : 0x5a });
}

// --- DH-HMAC-CHAP (NVMe Base 2.0 8.13.5, NVMe-oF 1.1 fabrics Authentication Send/Receive), built
// here from the specification, independently of the simulator's target.

type AuthFields = { secp?: number; spsp0?: number; spsp1?: number; sglLength?: number };

/** Authentication Send or Receive: spsp0 41, spsp1 42, secp 43, tl / al 44. */
function authSqe(fctype: 0x05 | 0x06, length: number, sglType: number, f: AuthFields): Buffer {
  const b = sqe({ opcode: 0x7f, fctype, sglLength: f.sglLength ?? length, sglType });
  b[41] = f.spsp0 ?? 1;
  b[42] = f.spsp1 ?? 1;
  b[43] = f.secp ?? 0xe9;
  b.writeUInt32LE(length, 44);
  return b;
}

/** Authentication Send (fctype 0x05): the message (tl bytes) in the capsule. */
export function authSendSqe(tl: number, f: AuthFields = {}): Buffer {
  return authSqe(0x05, tl, 0x01, f);
}

/** Authentication Receive (fctype 0x06): the message (at most al bytes) comes back as C2HData. */
export function authRecvSqe(al: number, f: AuthFields = {}): Buffer {
  return authSqe(0x06, al, 0x5a, f);
}

/** Hash ids (1 SHA-256, 2 SHA-384, 3 SHA-512) and DH group ids (0 NULL, 1-5 ffdhe2048-8192). */
export const DHCHAP_HASH = { sha256: 1, sha384: 2, sha512: 3 } as const;
export const DHCHAP_HASH_LEN: Record<number, number> = { 1: 32, 2: 48, 3: 64 };
const HASH_NAME: Record<number, string> = { 1: 'sha256', 2: 'sha384', 3: 'sha512' };

/** AUTH_Negotiate: type 0, id 0, T_ID 4, SC_C 6, NAPD 7, then 64-byte descriptors (authid 0, HALEN 2, DHLEN 3, ids at 4 and 34). */
export function negotiateMsg(tid: number, f: { hashes?: number[]; dhgroups?: number[]; scc?: number; authId?: number; napd?: number } = {}): Buffer {
  const b = Buffer.alloc(8 + 64);
  b[0] = 0x00;
  b[1] = 0x00;
  b.writeUInt16LE(tid, 4);
  b[6] = f.scc ?? 0;
  b[7] = f.napd ?? 1;
  const hashes = f.hashes ?? [1, 2, 3];
  const groups = f.dhgroups ?? [0];
  b[8] = f.authId ?? 0x01;
  b[10] = hashes.length;
  b[11] = groups.length;
  Buffer.from(hashes).copy(b, 12);
  Buffer.from(groups).copy(b, 42);
  return b;
}

export interface AuthMessage {
  readonly type: number;
  readonly id: number;
  readonly tid: number;
  readonly raw: Buffer;
}

/** DH-HMAC-CHAP_Challenge fields: HL 6, HASHID 8, DHGID 9, DHVLEN 10, SEQNUM 12, C1 at 16. */
export function parseChallenge(b: Buffer): { hl: number; hashId: number; dhgId: number; dhvlen: number; seqnum: number; c1: Buffer } {
  const hl = b[6]!;
  return { hl, hashId: b[8]!, dhgId: b[9]!, dhvlen: b.readUInt16LE(10), seqnum: b.readUInt32LE(12), c1: Buffer.from(b.subarray(16, 16 + hl)) };
}

export function parseAuth(b: Buffer): AuthMessage {
  return { type: b[0]!, id: b[1]!, tid: b.readUInt16LE(4), raw: b };
}

/** DH-HMAC-CHAP_Reply: HL 6, CVALID 8, DHVLEN 10, SEQNUM 12, then R1, C2 (HL each), the host's DH value. */
export function replyMsg(tid: number, r1: Buffer, f: { c2?: Buffer; seqnum?: number; hl?: number; cvalid?: number; dhv?: Buffer } = {}): Buffer {
  const hl = f.hl ?? r1.length;
  const dhv = f.dhv ?? Buffer.alloc(0);
  const b = Buffer.alloc(16 + 2 * r1.length + dhv.length);
  b[0] = 0x01;
  b[1] = 0x02;
  b.writeUInt16LE(tid, 4);
  b[6] = hl;
  b[8] = f.cvalid ?? (f.c2 ? 1 : 0);
  b.writeUInt16LE(dhv.length, 10);
  b.writeUInt32LE(f.seqnum ?? 0, 12);
  r1.copy(b, 16);
  f.c2?.copy(b, 16 + r1.length);
  dhv.copy(b, 16 + 2 * r1.length);
  return b;
}

/** RFC 7919 ffdhe primes by DH group id (1-5): 2^b - 2^(b-64) + (floor(2^(b-130) e) + X) * 2^64 - 1. */
export function ffdhePrime(id: number): Buffer {
  const [bits, x] = (
    [
      [2048, 560316n],
      [3072, 2625351n],
      [4096, 5736041n],
      [6144, 15705020n],
      [8192, 10965728n],
    ] as const
  )[id - 1]!;
  let term = 1n << BigInt(bits - 130 + 64);
  let e = 0n;
  for (let k = 1n; term > 0n; k++) {
    e += term;
    term /= k;
  }
  const b = BigInt(bits);
  const p = (1n << b) - (1n << (b - 64n)) + (((e >> 64n) + x) << 64n) - 1n;
  return Buffer.from(p.toString(16).padStart(bits / 4, '0'), 'hex');
}

/** The host's side of the exchange: its public value and the shared secret, both padded to the prime's size. */
export function ffdheHost(id: number, ctrlrPub: Buffer): { pub: Buffer; secret: Buffer } {
  const prime = ffdhePrime(id);
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  dh.generateKeys();
  const pad = (v: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, prime.length - v.length)), v]);
  return { pub: pad(dh.getPublicKey()), secret: pad(dh.computeSecret(ctrlrPub)) };
}

/** The challenge augmented with the DH secret: HMAC(H(secret), C); the challenge itself with the NULL group. */
export function augmented(hash: number, challenge: Buffer, secret: Buffer | null): Buffer {
  if (!secret) return challenge;
  const name = HASH_NAME[hash]!;
  return createHmac(name, createHash(name).update(secret).digest()).update(challenge).digest();
}

export function success2Msg(tid: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0x01;
  b[1] = 0x04;
  b.writeUInt16LE(tid, 4);
  return b;
}

/** The secret of a `DHHC-1:<hh>:<base64(secret + crc32)>:` key, transformed for `nqn` as <hh> says. */
export function dhchapSecret(key: string, nqn: string): Buffer {
  const m = /^DHHC-1:([0-9a-fA-F]{2}):([^:]+):/.exec(key);
  if (!m) throw new Error('not a DHHC-1 key');
  const raw = Buffer.from(m[2]!, 'base64');
  const secret = raw.subarray(0, raw.length - 4);
  const hh = Number.parseInt(m[1]!, 16);
  if (hh === 0) return secret;
  return createHmac(HASH_NAME[hh]!, secret).update(nqn).update('NVMe-over-Fabrics').digest();
}

/** HMAC(K, C || SEQNUM || T_ID || SC_C || type || nqn1 || 00h || nqn2), C already augmented. */
export function dhchapMac(hash: number, key: Buffer, challenge: Buffer, seqnum: number, tid: number, type: 'HostHost' | 'Controller', nqn1: string, nqn2: string): Buffer {
  const f = Buffer.alloc(7);
  f.writeUInt32LE(seqnum >>> 0, 0);
  f.writeUInt16LE(tid, 4);
  return createHmac(HASH_NAME[hash]!, key)
    .update(Buffer.concat([challenge, f, Buffer.from(type), Buffer.from(nqn1), Buffer.from([0]), Buffer.from(nqn2)]))
    .digest();
}

export interface AuthRun {
  readonly negotiate: Done;
  readonly challenge?: ReturnType<typeof parseChallenge>;
  /** The first message received that was not a Challenge (Failure1), or the Success1. */
  readonly received: AuthMessage[];
  readonly reply?: Done;
  readonly success2?: Done;
  /** Success1's RVAL matched the controller's expected response (bidirectional). */
  readonly ctrlrVerified?: boolean;
}

/**
 * Runs a whole DH-HMAC-CHAP transaction on a connected qpair as a host does, stopping at the
 * first AUTH_Failure1: Negotiate, Challenge, Reply (R1 with `key`; C2 when `ctrlrKey`),
 * Success1, and Success2 when the controller's response checks out.
 */
export async function dhchap(h: WireHost, f: { hostnqn: string; subnqn: string; key: string; ctrlrKey?: string; hashes?: number[]; dhgroups?: number[]; tid?: number; al?: number }): Promise<AuthRun> {
  const tid = f.tid ?? 1;
  const al = f.al ?? 4096;
  const neg = negotiateMsg(tid, { hashes: f.hashes ?? [1, 2, 3], dhgroups: f.dhgroups ?? [0] });
  const negotiate = await h.command(authSendSqe(neg.length), { inCapsule: neg });
  const received: AuthMessage[] = [];
  const c1 = await h.command(authRecvSqe(al));
  const first = parseAuth(c1.data);
  received.push(first);
  if (first.type !== 0x01 || first.id !== 0x01) return { negotiate, received };
  const challenge = parseChallenge(c1.data);
  const dh = challenge.dhgId !== 0 ? ffdheHost(challenge.dhgId, c1.data.subarray(16 + challenge.hl, 16 + challenge.hl + challenge.dhvlen)) : null;
  const secret = dh?.secret ?? null;
  const r1 = dhchapMac(challenge.hashId, dhchapSecret(f.key, f.hostnqn), augmented(challenge.hashId, challenge.c1, secret), challenge.seqnum, tid, 'HostHost', f.hostnqn, f.subnqn);
  const c2 = f.ctrlrKey ? randomBytes(challenge.hl) : undefined;
  const seqnum = f.ctrlrKey ? 0x1234_5678 : 0;
  const replyBytes = replyMsg(tid, r1, { ...(c2 ? { c2 } : {}), seqnum, ...(dh ? { dhv: dh.pub } : {}) });
  const reply = await h.command(authSendSqe(replyBytes.length), { inCapsule: replyBytes });
  const s1 = await h.command(authRecvSqe(al));
  const second = parseAuth(s1.data);
  received.push(second);
  if (second.type !== 0x01 || second.id !== 0x03 || !f.ctrlrKey || !c2) return { negotiate, challenge, received, reply };
  const expected = dhchapMac(challenge.hashId, dhchapSecret(f.ctrlrKey, f.subnqn), augmented(challenge.hashId, c2, secret), seqnum, tid, 'Controller', f.subnqn, f.hostnqn);
  const ctrlrVerified = s1.data[8] === 1 && s1.data.subarray(16, 16 + challenge.hl).equals(expected);
  if (!ctrlrVerified) return { negotiate, challenge, received, reply, ctrlrVerified };
  const s2 = success2Msg(tid);
  const success2 = await h.command(authSendSqe(s2.length), { inCapsule: s2 });
  return { negotiate, challenge, received, reply, success2, ctrlrVerified };
}
