/**
 * NVMe/TCP PDUs (the NVMe/TCP transport specification, TP 8000), as bytes: the common header every
 * PDU starts with, the headers this host sends (ICReq, CapsuleCmd, H2CData, H2CTermReq) and the
 * ones it receives (ICResp, CapsuleResp, C2HData, R2T, C2HTermReq). All fields are little-endian.
 *
 *   common header (8 bytes): type u8 @0, flags u8 @1, hlen u8 @2, pdo u8 @3, plen u32 @4
 *   ICReq/ICResp (hlen 128): pfv u16 @8, hpda/cpda u8 @10, digest bits u8 @11, maxr2t/maxh2cdata u32 @12
 *   CapsuleCmd (hlen 72):    the 64-byte SQE @8, then in-capsule data at pdo
 *   CapsuleResp (hlen 24):   the 16-byte CQE @8
 *   H2CData/C2HData (24):    cccid u16 @8, ttag u16 @10 (H2C only), datao u32 @12, datal u32 @16
 *   R2T (hlen 24):           cccid u16 @8, ttag u16 @10, r2to u32 @12, r2tl u32 @16
 *   TermReq (hlen 24):       fes u16 @8, fei u32 @10, then up to 128 bytes of the offending PDU
 *
 * No header or data digests: this host asks for none and refuses a target that turns them on.
 */

export const PDU = {
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

export const PDU_NAMES: Readonly<Record<number, string>> = {
  [PDU.IC_REQ]: 'ICReq',
  [PDU.IC_RESP]: 'ICResp',
  [PDU.H2C_TERM_REQ]: 'H2CTermReq',
  [PDU.C2H_TERM_REQ]: 'C2HTermReq',
  [PDU.CAPSULE_CMD]: 'CapsuleCmd',
  [PDU.CAPSULE_RESP]: 'CapsuleResp',
  [PDU.H2C_DATA]: 'H2CData',
  [PDU.C2H_DATA]: 'C2HData',
  [PDU.R2T]: 'R2T',
};

/** Common-header flags. */
export const FLAG = {
  HDGSTF: 0x01,
  DDGSTF: 0x02,
  /** H2CData/C2HData: the last data PDU of the transfer (of the R2T, for H2CData). */
  LAST_PDU: 0x04,
  /** C2HData: the command succeeded and no CapsuleResp follows. */
  SUCCESS: 0x08,
} as const;

export const COMMON_HEADER_BYTES = 8;
export const IC_BYTES = 128;
export const CAPSULE_CMD_HLEN = 72;
export const CAPSULE_RESP_HLEN = 24;
export const DATA_HLEN = 24;
export const R2T_HLEN = 24;
export const TERM_REQ_HLEN = 24;
/** A TermReq carries at most this many bytes of the PDU it complains about. */
export const TERM_REQ_DATA_MAX = 128;
/** The largest header this host accepts (ICResp's). */
export const HEADER_MAX = IC_BYTES;
/** The specification's floor for MAXH2CDATA. */
export const MAXH2CDATA_MIN = 4096;

/** Fatal error status of a TermReq. */
export const FES = {
  INVALID_HEADER_FIELD: 0x01,
  PDU_SEQUENCE_ERROR: 0x02,
  HEADER_DIGEST_ERROR: 0x03,
  DATA_OUT_OF_RANGE: 0x04,
  /** Also "R2T limit exceeded": the specification gives both the same value. */
  DATA_LIMIT_EXCEEDED: 0x05,
  UNSUPPORTED_PARAMETER: 0x06,
} as const;

const FES_NAMES: Readonly<Record<number, string>> = {
  [FES.INVALID_HEADER_FIELD]: 'invalid header field',
  [FES.PDU_SEQUENCE_ERROR]: 'PDU sequence error',
  [FES.HEADER_DIGEST_ERROR]: 'header digest error',
  [FES.DATA_OUT_OF_RANGE]: 'data transfer out of range',
  [FES.DATA_LIMIT_EXCEEDED]: 'data transfer limit exceeded',
  [FES.UNSUPPORTED_PARAMETER]: 'invalid data or unsupported parameter',
};

export function fesName(fes: number): string {
  return FES_NAMES[fes] ?? `fatal error status 0x${fes.toString(16)}`;
}

export interface CommonHeader {
  readonly type: number;
  readonly flags: number;
  readonly hlen: number;
  readonly pdo: number;
  readonly plen: number;
}

export function decodeCommonHeader(b: Buffer): CommonHeader {
  return { type: b[0]!, flags: b[1]!, hlen: b[2]!, pdo: b[3]!, plen: b.readUInt32LE(4) };
}

function writeCommonHeader(b: Buffer, type: number, flags: number, hlen: number, pdo: number, plen: number): void {
  b[0] = type;
  b[1] = flags;
  b[2] = hlen;
  b[3] = pdo;
  b.writeUInt32LE(plen, 4);
}

/** Bytes between a header of `hlen` and data aligned to (pda + 1) dwords: the PDO. */
export function dataOffset(hlen: number, pda: number): number {
  if (pda === 0) return hlen;
  const unit = (pda + 1) * 4;
  return Math.ceil(hlen / unit) * unit;
}

export interface IcReq {
  /** Host PDU data alignment, 0's based dwords (0: none). */
  readonly hpda: number;
  /** Outstanding R2Ts per command, 0's based. */
  readonly maxr2t: number;
  readonly headerDigest?: boolean;
  readonly dataDigest?: boolean;
}

export function encodeIcReq(req: IcReq): Buffer {
  // PFV 0, the only one defined
  return encodeIc(PDU.IC_REQ, 0, req.hpda, req.headerDigest, req.dataDigest, req.maxr2t);
}

/** ICReq and ICResp share a layout: PFV u16 @8, a PDA u8 @10, digest bits u8 @11, a u32 @12. */
function encodeIc(type: number, pfv: number, pda: number, headerDigest: boolean | undefined, dataDigest: boolean | undefined, word: number): Buffer {
  const b = Buffer.alloc(IC_BYTES);
  writeCommonHeader(b, type, 0, IC_BYTES, 0, IC_BYTES);
  b.writeUInt16LE(pfv, 8);
  b[10] = pda;
  b[11] = (headerDigest ? 1 : 0) | (dataDigest ? 2 : 0);
  b.writeUInt32LE(word, 12);
  return b;
}

export interface IcResp {
  readonly pfv: number;
  /** Controller PDU data alignment, 0's based dwords: data the host sends starts at a multiple of (cpda + 1) * 4. */
  readonly cpda: number;
  readonly headerDigest: boolean;
  readonly dataDigest: boolean;
  /** The most data bytes one H2CData PDU may carry. */
  readonly maxh2cdata: number;
}

/** `b` is the whole 128-byte ICResp. */
export function decodeIcResp(b: Buffer): IcResp {
  return { pfv: b.readUInt16LE(8), cpda: b[10]!, headerDigest: (b[11]! & 1) !== 0, dataDigest: (b[11]! & 2) !== 0, maxh2cdata: b.readUInt32LE(12) };
}

/** Test and simulator side: the ICResp a target sends. */
export function encodeIcResp(resp: Omit<IcResp, 'pfv'> & { pfv?: number }): Buffer {
  return encodeIc(PDU.IC_RESP, resp.pfv ?? 0, resp.cpda, resp.headerDigest, resp.dataDigest, resp.maxh2cdata);
}

/**
 * The CapsuleCmd header and SQE, plus the padding up to the data when `dataBytes` > 0 (in-capsule
 * data follows at pdo, aligned by the target's CPDA). The SQE is written by `sqe` into bytes 8..71.
 */
export function encodeCapsuleCmd(sqe: Buffer, dataBytes: number, cpda: number): Buffer {
  const pdo = dataBytes > 0 ? dataOffset(CAPSULE_CMD_HLEN, cpda) : 0;
  const b = Buffer.alloc(dataBytes > 0 ? pdo : CAPSULE_CMD_HLEN);
  writeCommonHeader(b, PDU.CAPSULE_CMD, 0, CAPSULE_CMD_HLEN, pdo, (dataBytes > 0 ? pdo : CAPSULE_CMD_HLEN) + dataBytes);
  sqe.copy(b, COMMON_HEADER_BYTES, 0, 64);
  return b;
}

/** Test and simulator side: the SQE and in-capsule data of a CapsuleCmd PDU. */
export function decodeCapsuleCmd(pdu: Buffer): { sqe: Buffer; data: Buffer } {
  const h = decodeCommonHeader(pdu);
  return { sqe: pdu.subarray(COMMON_HEADER_BYTES, CAPSULE_CMD_HLEN), data: h.plen > CAPSULE_CMD_HLEN ? pdu.subarray(h.pdo, h.plen) : Buffer.alloc(0) };
}

export interface DataHeader {
  readonly cccid: number;
  /** H2CData: the R2T's transfer tag; C2HData: reserved. */
  readonly ttag: number;
  readonly datao: number;
  readonly datal: number;
  readonly flags: number;
  readonly pdo: number;
}

/** The H2CData header and the padding up to its data, which follows at pdo. */
export function encodeH2CData(h: Omit<DataHeader, 'pdo'>, cpda: number): Buffer {
  return encodeDataPdu(PDU.H2C_DATA, h, cpda);
}

/** H2CData and C2HData headers (C2HData's TTAG bytes are reserved: 0), padded to the PDA. */
function encodeDataPdu(type: number, h: Omit<DataHeader, 'pdo'>, pda: number): Buffer {
  const pdo = dataOffset(DATA_HLEN, pda);
  const b = Buffer.alloc(pdo);
  writeCommonHeader(b, type, h.flags, DATA_HLEN, pdo, pdo + h.datal);
  writeTransfer(b, h.cccid, h.ttag, h.datao, h.datal);
  return b;
}

/** H2CData, C2HData and R2T alike: CCCID u16 @8, TTAG u16 @10, an offset u32 @12, a length u32 @16. */
function writeTransfer(b: Buffer, cccid: number, ttag: number, offset: number, length: number): void {
  b.writeUInt16LE(cccid, 8);
  b.writeUInt16LE(ttag, 10);
  b.writeUInt32LE(offset, 12);
  b.writeUInt32LE(length, 16);
}

/** H2CData or C2HData header fields (`b` holds at least the 24-byte header). */
export function decodeDataHeader(b: Buffer): DataHeader {
  return { cccid: b.readUInt16LE(8), ttag: b.readUInt16LE(10), datao: b.readUInt32LE(12), datal: b.readUInt32LE(16), flags: b[1]!, pdo: b[3]! };
}

/** Test and simulator side: a C2HData header (its data follows at pdo). */
export function encodeC2HData(h: Omit<DataHeader, 'pdo' | 'ttag'>, hpda = 0): Buffer {
  return encodeDataPdu(PDU.C2H_DATA, { ...h, ttag: 0 }, hpda);
}

export interface R2t {
  readonly cccid: number;
  readonly ttag: number;
  readonly r2to: number;
  readonly r2tl: number;
}

export function decodeR2t(b: Buffer): R2t {
  return { cccid: b.readUInt16LE(8), ttag: b.readUInt16LE(10), r2to: b.readUInt32LE(12), r2tl: b.readUInt32LE(16) };
}

/** Test and simulator side. */
export function encodeR2t(r: R2t): Buffer {
  const b = Buffer.alloc(R2T_HLEN);
  writeCommonHeader(b, PDU.R2T, 0, R2T_HLEN, 0, R2T_HLEN);
  writeTransfer(b, r.cccid, r.ttag, r.r2to, r.r2tl);
  return b;
}

/** A CapsuleResp PDU around a 16-byte CQE (target side, for tests). */
export function encodeCapsuleResp(cqe: Buffer): Buffer {
  const b = Buffer.alloc(CAPSULE_RESP_HLEN);
  writeCommonHeader(b, PDU.CAPSULE_RESP, 0, CAPSULE_RESP_HLEN, 0, CAPSULE_RESP_HLEN);
  cqe.copy(b, COMMON_HEADER_BYTES, 0, 16);
  return b;
}

export interface TermReq {
  /** H2C_TERM_REQ or C2H_TERM_REQ. */
  readonly type: number;
  readonly fes: number;
  /** Field error information: for an invalid header field, the byte offset of the field. */
  readonly fei: number;
  /** The start of the PDU in error (at most 128 bytes are sent). */
  readonly data: Buffer;
}

/** A whole TermReq PDU: header and the offending PDU's first bytes (a target refuses one without data). */
export function encodeTermReq(t: TermReq): Buffer {
  const data = t.data.subarray(0, TERM_REQ_DATA_MAX);
  const b = Buffer.alloc(TERM_REQ_HLEN + data.length);
  writeCommonHeader(b, t.type, 0, TERM_REQ_HLEN, 0, TERM_REQ_HLEN + data.length);
  b.writeUInt16LE(t.fes, 8);
  b.writeUInt32LE(t.fei >>> 0, 10);
  data.copy(b, TERM_REQ_HLEN);
  return b;
}

/** `header` is the 24-byte TermReq header. */
export function decodeTermReq(header: Buffer, data: Buffer): TermReq {
  return { type: header[0]!, fes: header.readUInt16LE(8), fei: header.readUInt32LE(10), data };
}
