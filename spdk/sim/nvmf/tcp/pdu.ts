/**
 * NVMe/TCP PDUs (NVMe/TCP transport spec, TP 8000) as the target sends and checks them, with the
 * values and checks of SPDK v26.05's lib/nvmf/tcp.c. All fields are little-endian.
 *
 * Common header (8 bytes): 0 type, 1 flags, 2 hlen, 3 pdo, 4 plen (u32).
 */

export const PduType = {
  IC_REQ: 0x00,
  IC_RESP: 0x01,
  H2C_TERM_REQ: 0x02,
  C2H_TERM_REQ: 0x03,
  CAPSULE_CMD: 0x04,
  CAPSULE_RESP: 0x05,
  H2C_DATA: 0x06,
  C2H_DATA: 0x07,
  R2T: 0x09,
} as const;

export const CH_BYTES = 8;
/** Header lengths (hlen) the target expects and sends. */
export const HLEN = { IC: 128, CAPSULE_CMD: 72, CAPSULE_RESP: 24, DATA: 24, R2T: 24, TERM_REQ: 24 } as const;
export const DIGEST_BYTES = 4;
export const FLAG_HDGST = 1 << 0;
export const FLAG_DDGST = 1 << 1;
/** C2HData: last PDU of the transfer; SUCCESS also stands for the response capsule (c2h_success). */
export const C2H_LAST_PDU = 1 << 2;
export const C2H_SUCCESS = 1 << 3;
/** SPDK_NVME_TCP_CPDA_MAX / HPDA_MAX, and the largest pdo a capsule may carry ((31 + 1) << 2). */
export const PDA_MAX = 31;
export const PDO_MAX = (PDA_MAX + 1) << 2;
/** SPDK_NVME_TCP_IN_CAPSULE_DATA_MAX_SIZE: admin and fabrics commands may carry this much in-capsule. */
export const CONTROL_ICD_MAX = 8192;
/** SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE: the bad header bytes a C2HTermReq echoes. */
export const TERM_REQ_DATA_MAX = 128;

/** spdk_nvme_tcp_term_req_fes. */
export const Fes = {
  INVALID_HEADER_FIELD: 0x01,
  PDU_SEQUENCE_ERROR: 0x02,
  HDGST_ERROR: 0x03,
  DATA_TRANSFER_OUT_OF_RANGE: 0x04,
  DATA_TRANSFER_LIMIT_EXCEEDED: 0x05,
  INVALID_DATA_UNSUPPORTED_PARAMETER: 0x06,
} as const;

export interface CommonHeader {
  readonly type: number;
  readonly flags: number;
  readonly hlen: number;
  readonly pdo: number;
  readonly plen: number;
}

export function readCommonHeader(b: Buffer): CommonHeader {
  return { type: b[0]!, flags: b[1]!, hlen: b[2]!, pdo: b[3]!, plen: b.readUInt32LE(4) };
}

function commonHeader(size: number, type: number, flags: number, hlen: number, pdo: number, plen: number): Buffer {
  const b = Buffer.alloc(size);
  b[0] = type;
  b[1] = flags;
  b[2] = hlen;
  b[3] = pdo;
  b.writeUInt32LE(plen, 4);
  return b;
}

/** ICResp as nvmf_tcp_icreq_handle fills it: PFV 0, CPDA = the host's HPDA, digests as asked. */
export function icResp(cpda: number, hdgst: boolean, ddgst: boolean, maxh2cdata: number): Buffer {
  const b = commonHeader(HLEN.IC, PduType.IC_RESP, 0, HLEN.IC, 0, HLEN.IC);
  b.writeUInt16LE(0, 8);
  b[10] = cpda;
  b[11] = (hdgst ? 1 : 0) | (ddgst ? 2 : 0);
  b.writeUInt32LE(maxh2cdata, 12);
  return b;
}

/** C2HTermReq: fes, fei (for header-field and parameter errors), then the bad PDU's header bytes. */
export function c2hTermReq(fes: number, fei: number, badHeader: Buffer): Buffer {
  const b = commonHeader(HLEN.TERM_REQ + badHeader.length, PduType.C2H_TERM_REQ, 0, HLEN.TERM_REQ, 0, HLEN.TERM_REQ + badHeader.length);
  b.writeUInt16LE(fes, 8);
  if (fes === Fes.INVALID_HEADER_FIELD || fes === Fes.INVALID_DATA_UNSUPPORTED_PARAMETER) b.writeUInt32LE(fei, 10);
  badHeader.copy(b, HLEN.TERM_REQ);
  return b;
}

/** A header (with room for its digest when `hdgst`) whose digest is filled by `sealHeader`. */
function pduHeader(type: number, hlen: number, hdgst: boolean, extraFlags = 0, pdo = 0, dataPlen = 0): Buffer {
  const size = hlen + (hdgst ? DIGEST_BYTES : 0);
  return commonHeader(size, type, extraFlags | (hdgst ? FLAG_HDGST : 0), hlen, pdo, size + dataPlen);
}

function sealHeader(b: Buffer, hlen: number, hdgst: boolean): Buffer {
  if (hdgst) b.writeUInt32LE(crc32c(b.subarray(0, hlen)), hlen);
  return b;
}

export function capsuleResp(cqe: Buffer, hdgst: boolean): Buffer {
  const b = pduHeader(PduType.CAPSULE_RESP, HLEN.CAPSULE_RESP, hdgst);
  cqe.copy(b, CH_BYTES, 0, 16);
  return sealHeader(b, HLEN.CAPSULE_RESP, hdgst);
}

export function r2t(cccid: number, ttag: number, r2to: number, r2tl: number, hdgst: boolean): Buffer {
  const b = pduHeader(PduType.R2T, HLEN.R2T, hdgst);
  b.writeUInt16LE(cccid, 8);
  b.writeUInt16LE(ttag, 10);
  b.writeUInt32LE(r2to, 12);
  b.writeUInt32LE(r2tl, 16);
  return sealHeader(b, HLEN.R2T, hdgst);
}

/**
 * One C2HData header for a whole read (as tcp.c sends it without DIF): data at pdo, padded to the
 * CPDA alignment; the caller writes the padding, the data and (with DDGST) its digest after it.
 */
export function c2hDataHeader(cccid: number, datal: number, cpda: number, hdgst: boolean, ddgst: boolean, success: boolean): { header: Buffer; padding: number } {
  const headerBytes = HLEN.DATA + (hdgst ? DIGEST_BYTES : 0);
  let pdo = headerBytes;
  if (cpda !== 0) {
    const align = (cpda + 1) << 2;
    if (headerBytes % align !== 0) pdo = Math.floor((headerBytes + align) / align) * align;
  }
  const flags = C2H_LAST_PDU | (success ? C2H_SUCCESS : 0) | (ddgst ? FLAG_DDGST : 0);
  const b = pduHeader(PduType.C2H_DATA, HLEN.DATA, hdgst, flags, pdo, pdo - headerBytes + datal + (ddgst ? DIGEST_BYTES : 0));
  b.writeUInt16LE(cccid, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(datal, 16);
  return { header: sealHeader(b, HLEN.DATA, hdgst), padding: pdo - headerBytes };
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) as NVMe/TCP digests use it: initial and final XOR 0xffffffff. */
export function crc32c(data: Buffer, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Received bytes not yet parsed, as a queue of chunks: headers are copied out (they are small),
 * payloads are copied once, straight into the buffer they end in.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Copies `n` bytes (n <= length) into `target` at `offset` and drops them. */
  readInto(target: Buffer, offset: number, n: number): void {
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[0]!;
      const take = Math.min(n - done, chunk.length - this.head);
      chunk.copy(target, offset + done, this.head, this.head + take);
      done += take;
      this.advance(take);
    }
  }

  /** The next `n` bytes as a new buffer. */
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.readInto(out, 0, n);
    return out;
  }

  skip(n: number): void {
    let left = n;
    while (left > 0) {
      const take = Math.min(left, this.chunks[0]!.length - this.head);
      left -= take;
      this.advance(take);
    }
  }

  /** Copies up to `n` leading bytes without consuming them. */
  peek(n: number): Buffer {
    const out = Buffer.alloc(Math.min(n, this.length));
    let done = 0;
    let head = this.head;
    for (const chunk of this.chunks) {
      if (done >= out.length) break;
      const take = Math.min(out.length - done, chunk.length - head);
      chunk.copy(out, done, head, head + take);
      done += take;
      head = 0;
    }
    return out;
  }

  /** Replaces `lent` (a buffer about to be reused) with a copy of its unconsumed bytes. */
  keep(lent: Buffer): void {
    const i = this.chunks.lastIndexOf(lent);
    if (i < 0) return;
    const from = i === 0 ? this.head : 0;
    this.chunks[i] = Buffer.from(lent.subarray(from));
    if (i === 0) this.head = 0;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }

  private advance(n: number): void {
    this.head += n;
    this.length -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
