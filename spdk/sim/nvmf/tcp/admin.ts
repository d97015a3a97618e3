/**
 * The controller side of an NVMe/TCP association as SPDK v26.05's lib/nvmf/ctrlr.c and
 * ctrlr_bdev.c answer it: properties (CAP, VS, CC, CSTS...), Identify, Get/Set Features. Values
 * come from the transport's options (nvmf_create_transport) and the subsystem, as spdk computes them.
 */
import type { Subsystem, TargetController } from '../subsystem.js';

/** Status field of a completion (dword 3 bits 31:17 as a u16 at byte 14): sc, sct, dnr. */
export function status(sct: number, sc: number, dnr = false): number {
  return ((sc & 0xff) << 1) | ((sct & 0x7) << 9) | (dnr ? 1 << 15 : 0);
}

export const Sct = { GENERIC: 0, COMMAND_SPECIFIC: 1, MEDIA: 2, PATH: 3 } as const;
export const Sc = {
  SUCCESS: 0x00,
  INVALID_OPCODE: 0x01,
  INVALID_FIELD: 0x02,
  INTERNAL_DEVICE_ERROR: 0x06,
  INVALID_NAMESPACE_OR_FORMAT: 0x0b,
  COMMAND_SEQUENCE_ERROR: 0x0c,
  DATA_SGL_LENGTH_INVALID: 0x0f,
  LBA_OUT_OF_RANGE: 0x80,
  // command specific
  INVALID_QUEUE_IDENTIFIER: 0x01,
  ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: 0x05,
  FEATURE_ID_NOT_SAVEABLE: 0x0d,
  FEATURE_NOT_CHANGEABLE: 0x0e,
  KEEP_ALIVE_INVALID: 0x1a,
  FABRIC_INCOMPATIBLE_FORMAT: 0x80,
  FABRIC_INVALID_PARAM: 0x82,
  FABRIC_INVALID_HOST: 0x84,
  FABRIC_AUTH_REQUIRED: 0x91,
  // path
  ANA_INACCESSIBLE: 0x02,
} as const;

/** What a command completes with: dword 0, status, and for controller-to-host data the data. */
export interface Completion {
  readonly cdw0?: number;
  /** Dword 1 (a Property Get's upper half). */
  readonly cdw1?: number;
  readonly status: number;
  readonly data?: Buffer;
  /** Bytes of data to send back when fewer than the command's SGL length (an Authentication Receive's message). */
  readonly length?: number;
}

export const ok = (cdw0 = 0, data?: Buffer): Completion => ({ cdw0, status: 0, ...(data ? { data } : {}) });
export const fail = (sct: number, sc: number, dnr = false): Completion => ({ status: status(sct, sc, dnr) });

/** The transport options the controller reads (nvmf_create_transport's, with v26.05's defaults). */
export interface TcpTransportLimits {
  readonly maxQueueDepth: number;
  readonly maxAqDepth: number;
  /** max_qpairs_per_ctrlr: the admin qpair plus max_io_qpairs_per_ctrlr. */
  readonly maxQpairsPerCtrlr: number;
  readonly inCapsuleDataSize: number;
  readonly maxIoSize: number;
  readonly kas: number;
  readonly minKato: number;
  readonly c2hSuccess: boolean;
}

export function limitsOf(opts: Record<string, unknown>): TcpTransportLimits {
  const n = (k: string) => Number(opts[k]);
  return {
    maxQueueDepth: n('max_queue_depth'),
    maxAqDepth: n('max_aq_depth'),
    maxQpairsPerCtrlr: n('max_io_qpairs_per_ctrlr') + 1,
    inCapsuleDataSize: n('in_capsule_data_size'),
    maxIoSize: n('max_io_size'),
    kas: n('kas'),
    minKato: n('min_kato'),
    c2hSuccess: opts.c2h_success !== false,
  };
}

/** Controller registers as nvmf_ctrlr_create sets them up, and what Property Set changed. */
export interface Registers {
  cc: number;
  csts: number;
  aqa: number;
  asq: bigint;
  acq: bigint;
}

export const newRegisters = (): Registers => ({ cc: 0, csts: 0, aqa: 0, asq: 0n, acq: 0n });

/** NVMF_CTRLR_RESET_SHN_TIMEOUT_IN_MS / 500: CAP.TO and CRTO.CRWMT. */
const CAP_TO = 15000 / 500;
const CC_EN = 1;
const CSTS_RDY = 1;
/** CSTS.SHST = 2 (shutdown complete). */
const CSTS_SHST_COMPLETE = 2 << 2;

/** CAP: MQES = max_queue_depth - 1, CQR, TO, CSS = NVM, CRWMS (NVMe 2.0). */
export function capOf(limits: TcpTransportLimits): bigint {
  const low = ((limits.maxQueueDepth - 1) & 0xffff) | (1 << 16) | (CAP_TO << 24);
  // Upper dword: CSS bit 37 (NVM command set) and CRWMS bit 59.
  const high = (1 << (37 - 32)) | (1 << (59 - 32));
  return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
}

const VS_2_0 = 0x0002_0000;

interface Prop {
  readonly ofst: number;
  readonly size: 4 | 8;
  get(r: Registers, limits: TcpTransportLimits): bigint;
  set?(r: Registers, value: number, upper: boolean): PropEffect | false;
}

/** What a Property Set asks the target to do beyond storing the value. */
export type PropEffect = 'none' | 'enable' | 'reset' | 'shutdown';

/** nvmf_prop_set_cc: EN, SHN, IOSQES/IOCQES; AMS and MPS changes are refused. */
function setCc(r: Registers, value: number): PropEffect | false {
  const diff = (value ^ r.cc) >>> 0;
  const bits = (v: number, shift: number, width: number) => (v >>> shift) & ((1 << width) - 1);
  let effect: PropEffect = 'none';
  if (diff & CC_EN) {
    if (value & CC_EN) {
      r.cc |= CC_EN;
      r.csts |= CSTS_RDY;
      effect = 'enable';
    } else effect = 'reset';
  }
  if (bits(diff, 14, 2)) {
    const shn = bits(value, 14, 2);
    if (shn === 1 || shn === 2) {
      r.cc = (r.cc & ~(3 << 14)) | (shn << 14);
      effect = 'shutdown';
    } else if (shn === 0) r.cc &= ~(3 << 14);
    else return false;
  }
  for (const [shift, width] of [
    [16, 4],
    [20, 4],
  ] as const) {
    if (bits(diff, shift, width)) r.cc = (r.cc & ~(((1 << width) - 1) << shift)) | (bits(value, shift, width) << shift);
  }
  if (bits(diff, 11, 3) || bits(diff, 7, 4)) return false;
  if (bits(diff, 4, 3)) {
    if (bits(value, 4, 3) > 6) return false;
    r.cc = (r.cc & ~(7 << 4)) | (bits(value, 4, 3) << 4);
  }
  r.cc >>>= 0;
  return effect;
}

const PROPS: Prop[] = [
  { ofst: 0x00, size: 8, get: (_r, l) => capOf(l) },
  { ofst: 0x08, size: 4, get: () => BigInt(VS_2_0) },
  { ofst: 0x14, size: 4, get: (r) => BigInt(r.cc >>> 0), set: (r, v) => setCc(r, v) },
  { ofst: 0x1c, size: 4, get: (r) => BigInt(r.csts >>> 0), set: () => 'none' },
  { ofst: 0x20, size: 4, get: () => 0n, set: () => 'none' },
  { ofst: 0x24, size: 4, get: (r) => BigInt(r.aqa >>> 0), set: (r, v) => ((r.aqa = v >>> 0), 'none') },
  { ofst: 0x28, size: 8, get: (r) => r.asq, set: (r, v, up) => ((r.asq = half(r.asq, v, up)), 'none') },
  { ofst: 0x30, size: 8, get: (r) => r.acq, set: (r, v, up) => ((r.acq = half(r.acq, v, up)), 'none') },
  { ofst: 0x68, size: 4, get: () => BigInt(CAP_TO) },
];

function half(current: bigint, value: number, upper: boolean): bigint {
  const v = BigInt(value >>> 0);
  return upper ? (current & 0xffff_ffffn) | (v << 32n) : (current & ~0xffff_ffffn) | v;
}

function findProp(ofst: number, size: number): Prop | undefined {
  return PROPS.find((p) => ofst >= p.ofst && ofst + size <= p.ofst + p.size);
}

const sizeOf = (attrib: number): 4 | 8 | null => ((attrib & 7) === 0 ? 4 : (attrib & 7) === 1 ? 8 : null);
const invalidParam = () => fail(Sct.COMMAND_SPECIFIC, Sc.FABRIC_INVALID_PARAM);

/** Property Get (fctype 0x04): attrib at 40, offset at 44; the value in dwords 0-1. */
export function propertyGet(cmd: Buffer, r: Registers, limits: TcpTransportLimits): Completion {
  const size = sizeOf(cmd[40]!);
  const ofst = cmd.readUInt32LE(44);
  const prop = size === null ? undefined : findProp(ofst, size);
  if (!prop) return invalidParam();
  let value = prop.get(r, limits);
  if (size !== prop.size) value = ofst === prop.ofst ? value & 0xffff_ffffn : value >> 32n;
  return { cdw0: Number(value & 0xffff_ffffn), cdw1: Number(value >> 32n), status: 0 };
}

/** Property Set (fctype 0x00): value at 48. */
export function propertySet(cmd: Buffer, r: Registers): { completion: Completion; effect: PropEffect } {
  const size = sizeOf(cmd[40]!);
  const ofst = cmd.readUInt32LE(44);
  const prop = size === null ? undefined : findProp(ofst, size);
  if (!prop?.set) return { completion: invalidParam(), effect: 'none' };
  const low = cmd.readUInt32LE(48);
  const high = cmd.readUInt32LE(52);
  let effect: PropEffect | false;
  if (prop.size === 4 || size !== prop.size) effect = prop.set(r, low, ofst !== prop.ofst);
  else {
    effect = prop.set(r, low, false);
    if (effect !== false) effect = prop.set(r, high, true);
  }
  return effect === false ? { completion: invalidParam(), effect: 'none' } : { completion: ok(), effect };
}

/** What the target does to a controller once its CC change was accepted (ctrlr.c). */
export function settle(r: Registers, effect: PropEffect): void {
  if (effect === 'reset') {
    r.cc = 0;
    r.csts = 0;
  } else if (effect === 'shutdown') r.csts = (r.csts | CSTS_SHST_COMPLETE) >>> 0;
}

export const isEnabled = (r: Registers): boolean => (r.cc & CC_EN) !== 0;
/** CC.IOSQES = 6 and CC.IOCQES = 4, which an I/O connect needs. */
export const queueEntrySizesSet = (r: Registers): boolean => ((r.cc >>> 16) & 0xf) === 6 && ((r.cc >>> 20) & 0xf) === 4;

/** FW_VERSION: SPDK_VERSION_MAJOR_STRING SPDK_VERSION_MINOR_STRING (zero-padded) and no patch. */
const FIRMWARE = '26.05';
const INTEL = 0x8086;

function pad(b: Buffer, offset: number, length: number, text: string, fill: string): void {
  b.fill(fill, offset, offset + length);
  b.write(text.slice(0, length), offset, 'latin1');
}

const log2 = (n: number) => 31 - Math.clz32(n);

/** spdk_nvmf_ctrlr_identify_ctrlr for an NVMe (not discovery) subsystem. */
export function identifyController(sub: Subsystem, ctrl: TargetController, limits: TcpTransportLimits): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt16LE(INTEL, 0);
  b.writeUInt16LE(INTEL, 2);
  pad(b, 4, 20, sub.serialNumber, ' ');
  pad(b, 24, 40, sub.modelNumber, ' ');
  pad(b, 64, 8, FIRMWARE, ' ');
  b[72] = 6; // RAB
  b[73] = 0xe4; // IEEE OUI (Intel)
  b[74] = 0xd2;
  b[75] = 0x5c;
  b[76] = sub.anaReporting ? 0x0b : 0x03; // CMIC: multi-port, multi-controller (+ ANA reporting)
  b[77] = log2(limits.maxIoSize / 4096); // MDTS
  b.writeUInt16LE(ctrl.cntlid, 78);
  b.writeUInt32LE(VS_2_0, 80);
  b.writeUInt32LE(sub.anaReporting ? 0x900 : 0x100, 92); // OAES: namespace attribute (+ ANA change) notices
  b.writeUInt32LE(0x1, 96); // CTRATT: 128-bit host identifier
  b[111] = 1; // CNTRLTYPE: I/O controller
  b[258] = 3; // ACL (NVMF_ABORT_COMMAND_LIMIT)
  b[259] = 3; // AERL (SPDK_NVMF_MAX_ASYNC_EVENTS - 1)
  b[260] = 0x03; // FRMW: slot 1 read-only, one slot
  b[261] = 0x26; // LPA: commands supported and effects, extended data, multiple pages (lpeds, cses, mlps)
  b[262] = 127; // ELPE
  b.writeUInt16LE(0x0157, 266); // WCTEMP
  b.writeUInt16LE(0x0175, 268); // CCTEMP
  b.writeUInt16LE(limits.kas, 320); // KAS
  if (sub.anaReporting) {
    b[342] = 10; // ANATT
    b[343] = 0x47; // ANACAP: optimized, non-optimized, inaccessible, no ANAGRPID change
    b.writeUInt32LE(sub.maxNamespaces, 344);
    b.writeUInt32LE(sub.maxNamespaces, 348);
  }
  b[512] = 0x66; // SQES
  b[513] = 0x44; // CQES
  b.writeUInt16LE(limits.maxQueueDepth, 514); // MAXCMD
  b.writeUInt32LE(sub.maxNamespaces, 516); // NN
  // ONCS: compare, dataset management, write zeroes, reservations, copy (all of the transport's
  // defaults; the simulator's bdevs all claim unmap and write zeroes).
  b.writeUInt16LE(0x012d, 520);
  b.writeUInt16LE(0x0001, 522); // FUSES: compare and write
  b[525] = 0x05; // VWC: present, flush broadcast not supported
  b.writeUInt16LE(0x0001, 534); // OCFS: copy format 0
  b.writeUInt32LE(0x0010_0005, 536); // SGLS: supported, keyed, offsets
  if (sub.anaReporting) b.writeUInt32LE(sub.maxNamespaces, 540); // MNAN
  pad(b, 768, 256, sub.nqn, '\0'); // SUBNQN
  // NVMe over Fabrics: IOCCSZ (SQE + in-capsule data, 16-byte units), IORCSZ, ICDOFF 0, dynamic model, MSDBD 1.
  b.writeUInt32LE(64 / 16 + limits.inCapsuleDataSize / 16, 1792);
  b.writeUInt32LE(16 / 16, 1796);
  b[1803] = 1;
  return b;
}

/** Identify Namespace (CNS 0) per nvmf_bdev_ctrlr_identify_ns; zeros for an inactive nsid. */
export function identifyNamespace(sub: Subsystem, ctrl: TargetController, nsid: number, limits: TcpTransportLimits): Completion {
  if (nsid === 0 || nsid > sub.maxNamespaces) return fail(Sct.GENERIC, Sc.INVALID_NAMESPACE_OR_FORMAT);
  const b = Buffer.alloc(4096);
  const ns = sub.namespaces.get(nsid);
  if (!ns) return ok(0, b);
  const blocks = BigInt(ns.bdev.numBlocks);
  const anaState = ctrl.listener.anaStates[ns.anagrpid - 1];
  b.writeBigUInt64LE(blocks, 0); // NSZE
  b.writeBigUInt64LE(blocks, 8); // NCAP
  b.writeBigUInt64LE(sub.anaReporting && anaState === 'inaccessible' ? 0n : blocks, 16); // NUSE
  b[24] = 0x12; // NSFEAT: optperf, atomic write unit
  const lbads = log2(ns.bdev.blockSize);
  const maxBlocks = Math.floor(limits.maxIoSize / ns.bdev.blockSize);
  b[30] = 0x01; // NMIC: shared
  b[31] = 0xfe; // RESCAP: every reservation type and IEKS, no persist through power loss (nvmf_ns_get_rescap)
  // NAWUPF, NPWG, NPWA, NPDG, NPDA (36, 64-70) stay 0: the physical block is the logical block.
  b.writeUInt16LE(maxBlocks - 1, 72); // NOWS: MDTS in blocks, 0-based
  b.writeUInt16LE(Math.min(ns.bdev.optimalIoBoundary ?? 0, maxBlocks), 46); // NOIOB
  const maxCopy = maxCopyBlocks(ns.bdev);
  b.writeUInt16LE(maxCopy, 74); // MSSRL
  b.writeUInt32LE(maxCopy, 76); // MCL
  if (sub.anaReporting) b.writeUInt32LE(ns.anagrpid, 92);
  Buffer.from(ns.nguid, 'hex').copy(b, 104); // NGUID
  b.writeUInt32LE(lbads << 16, 128); // LBAF0: LBADS, no metadata
  return ok(0, b);
}

/** iobuf's default large buffer (IOBUF_DEFAULT_LARGE_BUFSIZE, 132 KiB). */
const IOBUF_LARGE_BUFSIZE = 135168;

/**
 * spdk_bdev_get_max_copy as the namespace reports it (MSSRL, MCL): unlimited (FFFFh) for a bdev
 * that copies natively (malloc); otherwise the bdev layer's emulation limit, one large iobuf of
 * blocks (33 for 4 KiB blocks: real spdk_tgt shows 0x21 for an lvol).
 */
function maxCopyBlocks(bdev: { productName: string; blockSize: number }): number {
  if (bdev.productName === 'Malloc disk') return 0xffff;
  return Math.min(0xffff, Math.floor(IOBUF_LARGE_BUFSIZE / bdev.blockSize));
}

/** Active namespace list (CNS 2): nsids above `nsid`, ascending. */
export function activeNamespaces(sub: Subsystem, nsid: number): Completion {
  if (nsid >= 0xffff_fffe) return fail(Sct.GENERIC, Sc.INVALID_NAMESPACE_OR_FORMAT);
  const b = Buffer.alloc(4096);
  const ids = [...sub.namespaces.keys()].filter((id) => id > nsid).sort((a, c) => a - c);
  for (const [i, id] of ids.slice(0, 1024).entries()) b.writeUInt32LE(id, i * 4);
  return ok(0, b);
}

/** Namespace identification descriptors (CNS 3): NGUID, UUID, CSI (NVM, all zero: left out). */
export function namespaceDescriptors(sub: Subsystem, nsid: number): Completion {
  if (nsid === 0 || nsid > sub.maxNamespaces) return fail(Sct.GENERIC, Sc.INVALID_NAMESPACE_OR_FORMAT);
  const ns = sub.namespaces.get(nsid);
  if (!ns) return fail(Sct.GENERIC, Sc.INVALID_FIELD);
  const b = Buffer.alloc(4096);
  let at = 0;
  for (const [type, id] of [
    [2, Buffer.from(ns.nguid, 'hex')],
    [3, Buffer.from(ns.uuid.replace(/-/g, ''), 'hex')],
  ] as const) {
    if (id.every((x) => x === 0)) continue;
    b[at] = type;
    b[at + 1] = id.length;
    id.copy(b, at + 4);
    at += 4 + id.length;
  }
  return ok(0, b);
}

export const Feature = {
  ARBITRATION: 0x01,
  POWER_MANAGEMENT: 0x02,
  TEMPERATURE_THRESHOLD: 0x04,
  ERROR_RECOVERY: 0x05,
  VOLATILE_WRITE_CACHE: 0x06,
  NUMBER_OF_QUEUES: 0x07,
  INTERRUPT_COALESCING: 0x08,
  INTERRUPT_VECTOR_CONFIGURATION: 0x09,
  WRITE_ATOMICITY: 0x0a,
  ASYNC_EVENT_CONFIGURATION: 0x0b,
  KEEP_ALIVE_TIMER: 0x0f,
} as const;

/** Log pages served (nvmf_ctrlr_get_log_page). */
export const LogPage = {
  SUPPORTED: 0x00,
  ERROR: 0x01,
  HEALTH: 0x02,
  FIRMWARE_SLOT: 0x03,
  CHANGED_NS_LIST: 0x04,
  COMMAND_EFFECTS: 0x05,
  ANA: 0x0c,
  FEATURE_IDS_EFFECTS: 0x12,
  NVME_MI_COMMANDS_EFFECTS: 0x13,
  RESERVATION_NOTIFICATION: 0x80,
} as const;
const INVALID_LOG_PAGE = 0x09;

/** Commands Supported and Effects entries: CSUPP bit 0, LBCC bit 1, NSCPE bit 20, CSCPE bit 21. */
const CSUPP = 1;
const LBCC = 2;
const NSCPE = 1 << 20;
const CSCPE = 1 << 21;
/** v26.05's table without the zoned commands (no zoned namespace here); admin opcodes, then I/O (at 1024). */
const COMMAND_EFFECTS: ReadonlyArray<readonly [number, number]> = [
  [0x02, CSUPP | NSCPE | CSCPE], // Get Log Page
  [0x06, CSUPP | NSCPE | CSCPE], // Identify
  [0x08, CSUPP | CSCPE], // Abort
  [0x09, CSUPP | NSCPE | CSCPE], // Set Features
  [0x0a, CSUPP | NSCPE | CSCPE], // Get Features
  [0x0c, CSUPP | CSCPE], // Asynchronous Event Request
  [0x18, CSUPP | CSCPE], // Keep Alive
  [256 + 0x00, CSUPP | LBCC | NSCPE], // Flush
  [256 + 0x01, CSUPP | LBCC | NSCPE], // Write
  [256 + 0x02, CSUPP | NSCPE], // Read
  [256 + 0x05, CSUPP | NSCPE], // Compare
  [256 + 0x08, CSUPP | LBCC | NSCPE], // Write Zeroes
  [256 + 0x09, CSUPP | LBCC | NSCPE], // Dataset Management
  [256 + 0x0d, CSUPP | NSCPE], // Reservation Register
  [256 + 0x0e, CSUPP | NSCPE], // Reservation Report
  [256 + 0x11, CSUPP | NSCPE], // Reservation Acquire
  [256 + 0x15, CSUPP | NSCPE], // Reservation Release
  [256 + 0x19, CSUPP | LBCC | NSCPE], // Copy
];

function dwordTable(entries: Iterable<readonly [number, number]>, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (const [i, v] of entries) b.writeUInt32LE(v >>> 0, i * 4);
  return b;
}

/**
 * Get Log Page: offset (dwords 12-13) 4-byte aligned, length ((NUMDU << 16) + NUMDL + 1) dwords
 * within the SGL. Supported pages and command effects as v26.05 lists them; error, health,
 * NVMe-MI effects and reservation notification pages are zeros (no errors; spdk fills no health
 * data), the firmware slot page has slot 1 active with "26.05", the changed namespace list is the
 * controller's (tcp/events.ts). Not served: ANA (0x0c) and
 * feature identifiers effects (0x12): Invalid Log Page.
 */
export function getLogPage(cmd: Buffer, sglLength: number, anaReporting: boolean, changedNamespaces: (retainEvent: boolean) => Buffer): Completion {
  const cdw10 = cmd.readUInt32LE(40);
  const lid = cdw10 & 0xff;
  const offset = cmd.readUInt32LE(48) + cmd.readUInt32LE(52) * 0x1_0000_0000;
  const len = (cmd.readUInt16LE(44) * 0x1_0000 + (cdw10 >>> 16) + 1) * 4;
  if (offset % 4 !== 0 || len > sglLength) return fail(Sct.GENERIC, Sc.INVALID_FIELD);
  let page: Buffer;
  switch (lid) {
    case LogPage.SUPPORTED: {
      const lids: number[] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x12, 0x13, 0x80, ...(anaReporting ? [0x0c] : [])];
      page = dwordTable(
        lids.map((l) => [l, 1] as const),
        1024,
      );
      break;
    }
    case LogPage.COMMAND_EFFECTS:
      page = dwordTable(COMMAND_EFFECTS, 4096);
      break;
    case LogPage.CHANGED_NS_LIST:
      // RAE (dword 10 bit 15): keep the event masked (and the list) for another read.
      page = changedNamespaces((cdw10 & 0x8000) !== 0);
      break;
    case LogPage.ERROR:
    case LogPage.HEALTH:
    case LogPage.NVME_MI_COMMANDS_EFFECTS:
    case LogPage.RESERVATION_NOTIFICATION:
      page = Buffer.alloc(4096);
      break;
    case LogPage.FIRMWARE_SLOT:
      page = Buffer.alloc(512);
      page[0] = 1; // AFI: slot 1 active
      pad(page, 8, 8, FIRMWARE, ' ');
      break;
    default:
      return fail(Sct.COMMAND_SPECIFIC, INVALID_LOG_PAGE);
  }
  const out = Buffer.alloc(len);
  if (offset < page.length) page.copy(out, 0, offset, Math.min(page.length, offset + len));
  return ok(0, out);
}

/** Number of Queues as nvmf_ctrlr_create fixes it: max_qpairs_per_ctrlr - 2, both halves. */
export function numberOfQueues(limits: TcpTransportLimits): number {
  const n = limits.maxQpairsPerCtrlr - 2;
  return ((n << 16) | n) >>> 0;
}

/** The keep-alive timeout a requested KATO becomes (nvmf_ctrlr_create, set features). */
export function effectiveKato(requested: number, limits: TcpTransportLimits): number {
  if (requested === 0 || limits.kas === 0) return 0;
  if (requested <= limits.minKato) return limits.minKato;
  const unit = limits.kas * 100;
  return Math.ceil(requested / unit) * unit;
}
