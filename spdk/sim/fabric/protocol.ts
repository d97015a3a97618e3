/**
 * SIMF: the simulator's own fabric protocol between simulator processes. It is NOT NVMe/TCP and
 * nothing but another simulator speaks it. It carries just what bdev_nvme and the nvmf target need
 * to behave like spdk_tgt's over a real TCP connection: a fabric CONNECT carrying the host NQN (so
 * the allow-list and the cntlid range decide), keep-alive, block read/write with request ids, and
 * target notices (namespace list and ANA state changed), and in-band authentication (fabric/auth.ts:
 * DH-HMAC-CHAP proofs in CONNECT and REAUTH, a TLS PSK proof for secure_channel listeners).
 *
 * Frame = 16-byte header + payload, big-endian:
 *   0  u16 magic 0x5346 ("SF")    2 u8 version (1)    3 u8 opcode
 *   4  u32 request id (0 for notices)
 *   8  i32 status: 0, or a negative errno / FabricStatus on a response
 *   12 u32 payload length
 * A response carries the request's opcode | 0x80 and its id.
 */
import type { ChapOffer, ChapResult, TlsOffer } from './auth.js';

export const MAGIC = 0x5346;
export const VERSION = 1;
export const HEADER_BYTES = 16;
/** Larger than any window or I/O the simulator moves; a bigger length means a corrupt stream. */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

export const Op = {
  /** JSON ConnectRequest → JSON ConnectAccept, or status < 0 with JSON ConnectReject. */
  CONNECT: 0x01,
  KEEP_ALIVE: 0x02,
  /** IoHeader → block data. */
  READ: 0x03,
  /** IoHeader + block data → empty. */
  WRITE: 0x04,
  /** JSON ReauthRequest → JSON ChapResult, or status < 0 (bdev_nvme_set_keys on a live qpair). */
  REAUTH: 0x05,
  /** Target → host, id 0: JSON Notice (namespaces or ANA states changed). */
  NOTICE: 0x10,
} as const;
export type Opcode = (typeof Op)[keyof typeof Op];

export const RESPONSE_BIT = 0x80;

/** Why a CONNECT was refused; the host turns every one into attach -5 "Input/output error". */
export const FabricStatus = {
  /** No such subsystem, or it is not reachable through this listener. */
  INVALID_SUBSYSTEM: -1001,
  /** Host NQN not on the allow-list (NVMe sct 1 / sc 0x84 "INVALID HOST"). */
  INVALID_HOST: -1002,
  /** Every cntlid in [min_cntlid, max_cntlid] is in use (sct 0 / sc 6 "INTERNAL DEVICE ERROR"). */
  CONTROLLER_LIMIT: -1003,
  /** An I/O qpair named a controller that does not exist (any more). */
  INVALID_CONTROLLER: -1004,
  /** I/O through a listener whose ANA state for the namespace is inaccessible. */
  ANA_INACCESSIBLE: -1005,
  /** The namespace does not exist (any more). */
  INVALID_NAMESPACE: -1006,
  /** The host must authenticate (DH-HMAC-CHAP) and offered no key. */
  AUTH_REQUIRED: -1007,
  /** DH-HMAC-CHAP failed: wrong key, no controller key for a bidirectional host, no common digest. */
  AUTH_FAILED: -1008,
  /** TLS handshake failed: no PSK for the host, a wrong one, or a plain host on a secure listener. */
  TLS_FAILED: -1009,
  /** A TLS ClientHello arrived on a listener without secure_channel. */
  TLS_UNEXPECTED: -1010,
} as const;

export interface Frame {
  readonly opcode: number;
  readonly id: number;
  readonly status: number;
  readonly payload: Buffer;
}

export interface ConnectRequest {
  readonly subnqn: string;
  readonly hostnqn: string;
  readonly hostid: string;
  /** 0 = admin qpair (creates the controller), 1 = I/O qpair of `cntlid`. */
  readonly qid: number;
  readonly cntlid?: number;
  /** Host keep-alive timeout, ms (0 = none). */
  readonly kato: number;
  /** Fresh per connect: what the authentication proofs are computed over. */
  readonly nonce?: string;
  readonly chap?: ChapOffer;
  readonly tls?: TlsOffer;
}

/** REAUTH: the host authenticates a live qpair again with its current keys. */
export interface ReauthRequest {
  readonly nonce: string;
  readonly chap: ChapOffer;
}

export type AnaState = 'optimized' | 'non_optimized' | 'inaccessible';

export interface NamespaceInfo {
  readonly nsid: number;
  readonly uuid: string;
  readonly nguid: string;
  readonly blockSize: number;
  readonly numBlocks: number;
  /** ANA state of the namespace's group on the listener this connection came through. */
  readonly anaState: AnaState;
}

export interface ConnectAccept {
  readonly cntlid: number;
  readonly modelNumber: string;
  readonly serialNumber: string;
  readonly subnqn: string;
  readonly anaReporting: boolean;
  readonly namespaces: NamespaceInfo[];
  /** Present when the qpair was authenticated with DH-HMAC-CHAP. */
  readonly chap?: ChapResult;
}

export interface ConnectReject {
  readonly reason: string;
}

export interface Notice {
  readonly namespaces: NamespaceInfo[];
}

export interface IoHeader {
  readonly nsid: number;
  readonly lba: number;
  readonly count: number;
}

const IO_HEADER_BYTES = 16;

export function encodeFrame(opcode: number, id: number, status: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(MAGIC, 0);
  header.writeUInt8(VERSION, 2);
  header.writeUInt8(opcode, 3);
  header.writeUInt32BE(id >>> 0, 4);
  header.writeInt32BE(status, 8);
  header.writeUInt32BE(payload.length, 12);
  return payload.length === 0 ? header : Buffer.concat([header, payload]);
}

export function jsonPayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function parseJson<T>(payload: Buffer): T {
  return JSON.parse(payload.toString('utf8')) as T;
}

export function encodeIo(header: IoHeader, data?: Buffer): Buffer {
  const head = Buffer.alloc(IO_HEADER_BYTES);
  head.writeUInt32BE(header.nsid, 0);
  // LBAs of simulated bdevs stay far below 2^53, so a double written as two u32 halves is exact.
  head.writeUInt32BE(Math.floor(header.lba / 0x1_0000_0000), 4);
  head.writeUInt32BE(header.lba % 0x1_0000_0000, 8);
  head.writeUInt32BE(header.count, 12);
  return data ? Buffer.concat([head, data]) : head;
}

export function decodeIo(payload: Buffer): { header: IoHeader; data: Buffer } {
  if (payload.length < IO_HEADER_BYTES) throw new Error('short I/O header');
  return {
    header: {
      nsid: payload.readUInt32BE(0),
      lba: payload.readUInt32BE(4) * 0x1_0000_0000 + payload.readUInt32BE(8),
      count: payload.readUInt32BE(12),
    },
    data: payload.subarray(IO_HEADER_BYTES),
  };
}

/**
 * Reassembles frames from a TCP byte stream. A bad magic, version or length means the peer is not
 * a simulator (or the stream is corrupt): the caller drops the connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      if (head.readUInt16BE(0) !== MAGIC || head.readUInt8(2) !== VERSION) {
        throw new Error('not a SIMF stream');
      }
      const length = head.readUInt32BE(12);
      if (length > MAX_PAYLOAD) throw new Error(`SIMF payload of ${length} bytes`);
      if (this.buffered < HEADER_BYTES + length) return frames;
      const whole = this.take(HEADER_BYTES + length);
      frames.push({
        opcode: whole.readUInt8(3),
        id: whole.readUInt32BE(4),
        status: whole.readInt32BE(8),
        payload: whole.subarray(HEADER_BYTES),
      });
    }
  }

  private peek(bytes: number): Buffer {
    if (this.chunks[0] !== undefined && this.chunks[0].length >= bytes) return this.chunks[0];
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(bytes: number): Buffer {
    const joined = this.peek(bytes);
    const frame = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= bytes;
    return frame;
  }
}
