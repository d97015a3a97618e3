/**
 * NVMe submission and completion queue entries as the NVMe base and over-Fabrics specifications
 * lay them out (little-endian), the commands this host sends, and the Identify data it reads.
 *
 *   SQE (64 bytes): opcode u8 @0, flags u8 @1 (PSDT in bits 7:6), cid u16 @2, nsid u32 @4,
 *     SGL1 @24 (address u64 @24, length u32 @32, type/subtype u8 @39), cdw10..cdw15 u32 @40..@60
 *   Fabrics SQE: opcode 0x7f @0, cid @2, fctype u8 @4, SGL1 @24, type-specific from @40
 *     Connect: recfmt u16 @40, qid u16 @42, sqsize u16 @44, cattr u8 @46, kato u32 @48
 *     Property Get/Set: attrib u8 @40 (size: 0 = 4 bytes, 1 = 8 bytes), offset u32 @44, value u64 @48 (Set)
 *     Authentication Send/Receive: spsp0 u8 @41, spsp1 u8 @42, secp u8 @43, TL/AL u32 @44
 *   Connect data (1024 bytes): hostid[16] @0, cntlid u16 @16, subnqn[256] @256, hostnqn[256] @512
 *   CQE (16 bytes): dw0 u32 @0, dw1 u32 @4, sqhd u16 @8, sqid u16 @10, cid u16 @12, status u16 @14
 *     status: phase bit 0, SC bits 8:1, SCT bits 11:9, CRD bits 13:12, M bit 14, DNR bit 15
 */

export const SQE_BYTES = 64;
export const CQE_BYTES = 16;
export const CONNECT_DATA_BYTES = 1024;
export const NQN_FIELD_BYTES = 256;
export const IDENTIFY_BYTES = 4096;

export const OPC = {
  FLUSH: 0x00,
  WRITE: 0x01,
  READ: 0x02,
  IDENTIFY: 0x06,
  GET_FEATURES: 0x0a,
  KEEP_ALIVE: 0x18,
  FABRICS: 0x7f,
} as const;

export const FCTYPE = { PROPERTY_SET: 0x00, CONNECT: 0x01, PROPERTY_GET: 0x04, AUTH_SEND: 0x05, AUTH_RECV: 0x06 } as const;

/** SECP of the NVMe in-band authentication protocol; SPSP0 and SPSP1 are 01h for DH-HMAC-CHAP's messages. */
export const SECP_NVME = 0xe9;

/** Controller properties (register offsets) this host reads and sets. */
export const PROP = { CAP: 0x00, VS: 0x08, CC: 0x14, CSTS: 0x1c } as const;

/** SGL descriptor identifier byte (type in bits 7:4, subtype in bits 3:0). */
export const SGL = {
  /** Data Block, Offset: the data is in the capsule, at the given offset from its start. */
  IN_CAPSULE: 0x01,
  /** Transport Data Block, Transport specific: the data moves in H2CData/C2HData PDUs. */
  TRANSPORT: 0x5a,
} as const;

/** PSDT 01b (SGLs, metadata pointer contiguous) in the SQE's flags byte. */
const PSDT_SGL = 0x40;

export const CNS = { NAMESPACE: 0x00, CONTROLLER: 0x01, ACTIVE_NSIDS: 0x02 } as const;

export interface Sqe {
  readonly opcode: number;
  readonly nsid?: number;
  /** Where the command's data is: in the capsule, or moved by the transport; none without data. */
  readonly sgl?: { readonly kind: 'in-capsule' | 'transport'; readonly length: number };
  readonly cdw10?: number;
  readonly cdw11?: number;
  readonly cdw12?: number;
}

/** A 64-byte SQE without its CID (the queue sets it when it sends). */
export function encodeSqe(s: Sqe): Buffer {
  const b = Buffer.alloc(SQE_BYTES);
  b[0] = s.opcode;
  if (s.sgl) b[1] = PSDT_SGL;
  b.writeUInt32LE(s.nsid ?? 0, 4);
  if (s.sgl) writeSgl(b, s.sgl);
  b.writeUInt32LE((s.cdw10 ?? 0) >>> 0, 40);
  b.writeUInt32LE((s.cdw11 ?? 0) >>> 0, 44);
  b.writeUInt32LE((s.cdw12 ?? 0) >>> 0, 48);
  return b;
}

function writeSgl(b: Buffer, sgl: NonNullable<Sqe['sgl']>): void {
  // address (@24) stays 0: the in-capsule offset, or nothing for the transport's data block
  b.writeUInt32LE(sgl.length, 32);
  b[39] = sgl.kind === 'in-capsule' ? SGL.IN_CAPSULE : SGL.TRANSPORT;
}

export function setCid(sqe: Buffer, cid: number): void {
  sqe.writeUInt16LE(cid, 2);
}

export function readCid(sqe: Buffer): number {
  return sqe.readUInt16LE(2);
}

/** Read or Write of `blocks` logical blocks from `lba` (NLB is 0's based in CDW12 bits 15:0). */
export function ioSqe(opcode: typeof OPC.READ | typeof OPC.WRITE, nsid: number, lba: number, blocks: number, length: number, inCapsule: boolean): Buffer {
  return encodeSqe({
    opcode,
    nsid,
    sgl: { kind: inCapsule ? 'in-capsule' : 'transport', length },
    cdw10: lba % 2 ** 32,
    cdw11: Math.floor(lba / 2 ** 32),
    cdw12: (blocks - 1) & 0xffff,
  });
}

export interface ConnectCommand {
  readonly qid: number;
  /** 0's based submission queue size. */
  readonly sqsize: number;
  /** Keep-alive timeout in ms (0: none); the admin queue's only. */
  readonly kato: number;
}

export function connectSqe(c: ConnectCommand): Buffer {
  const b = fabricsSqe(FCTYPE.CONNECT);
  writeSgl(b, { kind: 'in-capsule', length: CONNECT_DATA_BYTES });
  b.writeUInt16LE(0, 40); // RECFMT 0
  b.writeUInt16LE(c.qid, 42);
  b.writeUInt16LE(c.sqsize, 44);
  b[46] = 0; // CATTR
  b.writeUInt32LE(c.kato >>> 0, 48);
  return b;
}

export interface ConnectData {
  /** 16 bytes. */
  readonly hostid: Buffer;
  /** 0xFFFF on the admin queue (a dynamic controller), the controller's ID on an I/O queue. */
  readonly cntlid: number;
  readonly subnqn: string;
  readonly hostnqn: string;
}

export function encodeConnectData(d: ConnectData): Buffer {
  const b = Buffer.alloc(CONNECT_DATA_BYTES);
  d.hostid.copy(b, 0, 0, 16);
  b.writeUInt16LE(d.cntlid, 16);
  // NQN fields are NUL-terminated UTF-8 (an NQN is at most 223 bytes, so the NUL always fits)
  b.write(d.subnqn, 256, NQN_FIELD_BYTES - 1, 'utf8');
  b.write(d.hostnqn, 512, NQN_FIELD_BYTES - 1, 'utf8');
  return b;
}

export function decodeConnectData(b: Buffer): ConnectData {
  const nqn = (at: number): string => {
    const field = b.subarray(at, at + NQN_FIELD_BYTES);
    const end = field.indexOf(0);
    return field.subarray(0, end < 0 ? NQN_FIELD_BYTES : end).toString('utf8');
  };
  return { hostid: Buffer.from(b.subarray(0, 16)), cntlid: b.readUInt16LE(16), subnqn: nqn(256), hostnqn: nqn(512) };
}

/** Property Get (size 4 or 8 bytes) of the property at `offset`. */
export function propertyGetSqe(offset: number, size: 4 | 8): Buffer {
  const b = fabricsSqe(FCTYPE.PROPERTY_GET);
  b[40] = size === 8 ? 1 : 0;
  b.writeUInt32LE(offset, 44);
  return b;
}

export function propertySetSqe(offset: number, value: number): Buffer {
  const b = fabricsSqe(FCTYPE.PROPERTY_SET);
  b[40] = 0; // 4 bytes: CC is the only property this host sets
  b.writeUInt32LE(offset, 44);
  b.writeUInt32LE(value >>> 0, 48);
  return b;
}

/** Authentication Send of a `length`-byte message, in the capsule (TL = the SGL's length, as the controller checks). */
export function authSendSqe(length: number): Buffer {
  const b = authSqe(FCTYPE.AUTH_SEND, length);
  writeSgl(b, { kind: 'in-capsule', length });
  return b;
}

/** Authentication Receive of at most `length` bytes (AL), moved in C2HData. */
export function authReceiveSqe(length: number): Buffer {
  const b = authSqe(FCTYPE.AUTH_RECV, length);
  writeSgl(b, { kind: 'transport', length });
  return b;
}

function authSqe(fctype: number, length: number): Buffer {
  const b = fabricsSqe(fctype);
  b[41] = 1; // SPSP0
  b[42] = 1; // SPSP1
  b[43] = SECP_NVME;
  b.writeUInt32LE(length, 44);
  return b;
}

function fabricsSqe(fctype: number): Buffer {
  const b = Buffer.alloc(SQE_BYTES);
  b[0] = OPC.FABRICS;
  b[4] = fctype;
  return b;
}

export function identifySqe(cns: number, nsid = 0): Buffer {
  return encodeSqe({ opcode: OPC.IDENTIFY, nsid, sgl: { kind: 'transport', length: IDENTIFY_BYTES }, cdw10: cns });
}

export interface Cqe {
  readonly dw0: number;
  readonly dw1: number;
  readonly sqhd: number;
  readonly sqid: number;
  readonly cid: number;
  readonly status: Status;
}

export interface Status {
  readonly sct: number;
  readonly sc: number;
  readonly dnr: boolean;
  readonly more: boolean;
  readonly crd: number;
}

export const SUCCESS: Status = { sct: 0, sc: 0, dnr: false, more: false, crd: 0 };

export function decodeStatus(raw: number): Status {
  return { sc: (raw >> 1) & 0xff, sct: (raw >> 9) & 0x7, crd: (raw >> 12) & 0x3, more: (raw & 0x4000) !== 0, dnr: (raw & 0x8000) !== 0 };
}

export function encodeStatus(s: Pick<Status, 'sct' | 'sc'> & Partial<Status>): number {
  return ((s.sc & 0xff) << 1) | ((s.sct & 0x7) << 9) | (((s.crd ?? 0) & 0x3) << 12) | (s.more ? 0x4000 : 0) | (s.dnr ? 0x8000 : 0);
}

export function decodeCqe(b: Buffer): Cqe {
  return { dw0: b.readUInt32LE(0), dw1: b.readUInt32LE(4), sqhd: b.readUInt16LE(8), sqid: b.readUInt16LE(10), cid: b.readUInt16LE(12), status: decodeStatus(b.readUInt16LE(14)) };
}

/** Test and simulator side. */
export function encodeCqe(c: Partial<Omit<Cqe, 'status'>> & { cid: number; status?: Pick<Status, 'sct' | 'sc'> & Partial<Status> }): Buffer {
  const b = Buffer.alloc(CQE_BYTES);
  b.writeUInt32LE((c.dw0 ?? 0) >>> 0, 0);
  b.writeUInt32LE((c.dw1 ?? 0) >>> 0, 4);
  b.writeUInt16LE(c.sqhd ?? 0, 8);
  b.writeUInt16LE(c.sqid ?? 0, 10);
  b.writeUInt16LE(c.cid, 12);
  b.writeUInt16LE(encodeStatus(c.status ?? SUCCESS), 14);
  return b;
}

/** CAP: MQES (0's based) bits 15:0, TO (500 ms units) bits 31:24, MPSMIN bits 51:48. */
export interface Capabilities {
  readonly mqes: number;
  readonly timeoutMs: number;
  readonly mpsminBytes: number;
}

export function decodeCap(low: number, high: number): Capabilities {
  return { mqes: low & 0xffff, timeoutMs: ((low >>> 24) & 0xff) * 500, mpsminBytes: 2 ** (12 + ((high >>> 16) & 0xf)) };
}

/** CC for an enabled controller: EN, NVM command set, 4 KiB pages, IOSQES 6 (64 B), IOCQES 4 (16 B). */
export const CC_ENABLE = 0x1 | (6 << 16) | (4 << 20);
/** CC.SHN = 01b, a normal shutdown, with the rest of CC_ENABLE kept. */
export const CC_SHUTDOWN = CC_ENABLE | (1 << 14);

/** CSTS: RDY bit 0, CFS bit 1, SHST bits 3:2 (2 = shutdown complete). */
export function decodeCsts(raw: number): { ready: boolean; fatal: boolean; shutdownComplete: boolean } {
  return { ready: (raw & 1) !== 0, fatal: (raw & 2) !== 0, shutdownComplete: ((raw >> 2) & 3) === 2 };
}

/** Identify Controller fields: MDTS @77, CNTLID @78, KAS @320, MAXCMD @514, NN @516, IOCCSZ @1792, IORCSZ @1796, ICDOFF @1800. */
export interface ControllerData {
  /** Max data transfer as a power of two of the minimum page size; 0: no limit. */
  readonly mdts: number;
  readonly cntlid: number;
  /** Keep-alive granularity in 100 ms units; 0: no keep alive. */
  readonly kas: number;
  readonly maxcmd: number;
  readonly nn: number;
  /** I/O command capsule size in 16-byte units (SQE included). */
  readonly ioccsz: number;
  readonly iorcsz: number;
  /** In-capsule data offset in 16-byte units. */
  readonly icdoff: number;
  readonly model: string;
  readonly serial: string;
}

export function decodeIdentifyController(b: Buffer): ControllerData {
  return {
    serial: b.toString('latin1', 4, 24).trim(),
    model: b.toString('latin1', 24, 64).trim(),
    mdts: b[77]!,
    cntlid: b.readUInt16LE(78),
    kas: b.readUInt16LE(320),
    maxcmd: b.readUInt16LE(514),
    nn: b.readUInt32LE(516),
    ioccsz: b.readUInt32LE(1792),
    iorcsz: b.readUInt32LE(1796),
    icdoff: b.readUInt16LE(1800),
  };
}

/** Identify Namespace: NSZE u64 @0, NLBAF u8 @25, FLBAS u8 @26, LBAF[i] u32 @128 + 4i (MS bits 15:0, LBADS bits 23:16). */
export interface NamespaceData {
  readonly blocks: number;
  readonly blockBytes: number;
  readonly metadataBytes: number;
}

export function decodeIdentifyNamespace(b: Buffer): NamespaceData {
  const nlbaf = b[25]!;
  const flbas = b[26]!;
  // The format index: bits 3:0, and bits 6:5 above them when NLBAF (0's based) is above 16
  const index = (flbas & 0xf) | (nlbaf > 16 ? ((flbas >> 5) & 0x3) << 4 : 0);
  const lbaf = b.readUInt32LE(128 + 4 * index);
  return { blocks: Number(b.readBigUInt64LE(0)), blockBytes: 2 ** ((lbaf >>> 16) & 0xff), metadataBytes: lbaf & 0xffff };
}

/** Active namespace IDs (CNS 02h): a list of u32, ending at the first 0. */
export function decodeNamespaceList(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 4 <= b.length; at += 4) {
    const nsid = b.readUInt32LE(at);
    if (nsid === 0) break;
    out.push(nsid);
  }
  return out;
}
