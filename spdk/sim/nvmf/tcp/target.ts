/**
 * The NVMe/TCP side of the simulator's nvmf target: connections that began with an ICReq
 * (session.ts tells them from SIMF by the first byte) run the commands a host needs, as SPDK
 * v26.05's ctrlr.c and ctrlr_bdev.c answer them: fabrics Connect (dynamic cntlid, the allow-list
 * and listener checks SIMF's CONNECT uses), Property Get/Set, Identify, Get/Set Features, Keep
 * Alive, Get Log Page (a few pages), Async Event Requests (tcp/events.ts), and Read/Write/Write Zeroes/Flush through the namespace's bdev on the
 * poll group's thread (so bdev_get_iostat counts them as it counts SIMF I/O).
 */
import type { Socket } from 'node:net';
import { writeZeroesBuffer } from '../../core/io-stats.js';
import type { KeyContent, SimKey } from '../../keyring/keyring.js';
import { NO_CNTLID, type ListenAddress, type Namespace, type Subsystem, type TargetController, type TargetQpair } from '../subsystem.js';
import * as A from './admin.js';
import { QpairAuthentication } from './auth.js';
import { fail, ok, Sc, Sct, type Completion, type TcpTransportLimits } from './admin.js';
import { TcpConnection, type Request } from './connection.js';
import { AsyncEvents } from './events.js';

const OPC_FABRIC = 0x7f;
const Fctype = { PROPERTY_SET: 0x00, CONNECT: 0x01, PROPERTY_GET: 0x04, AUTH_SEND: 0x05, AUTH_RECV: 0x06 } as const;
const Admin = { GET_LOG_PAGE: 0x02, IDENTIFY: 0x06, SET_FEATURES: 0x09, GET_FEATURES: 0x0a, ASYNC_EVENT: 0x0c, KEEP_ALIVE: 0x18 } as const;
const Io = { FLUSH: 0x00, WRITE: 0x01, READ: 0x02, WRITE_ZEROES: 0x08 } as const;
/** Write Zeroes goes to the bdev in pieces of at most this much (a zero buffer reused). */
const ZEROES_PIECE = 1024 * 1024;
/** spdk_nvmf_fabric_connect_data: hostid 0, cntlid 16, subnqn 256, hostnqn 512 (1024 bytes). */
const CONNECT_DATA_BYTES = 1024;
/** offsetof(connect_cmd, qid) and offsetof(connect_cmd, sqsize), reported in Invalid Parameter. */
const IPO_QID = 42;
const IPO_SQSIZE = 44;
/** How long after a CC change the controller's CSTS follows (a round of poll group messages). */
const SETTLE_MS = 2;

export interface TcpTargetEnv {
  subsystem(nqn: string): Subsystem | undefined;
  transport(): Record<string, unknown> | null;
  onPollGroup<T>(fn: () => Promise<T>): Promise<T>;
  log(event: string, fields?: Record<string, unknown>): void;
  /** Reads a key file through the keyring (DH-HMAC-CHAP secrets; never logged). */
  readKey(key: SimKey): KeyContent;
}

/** Per controller: registers, and AERs held. */
interface ControllerState {
  readonly regs: A.Registers;
  readonly events: AsyncEvents;
}

/** What a connection is once Connect succeeded. */
interface Session {
  readonly sub: Subsystem;
  readonly ctrl: TargetController;
  readonly state: ControllerState;
  readonly qpair: TargetQpair;
  /** The qpair is AUTHENTICATING (ATR set at Connect): every command but authentication is refused. */
  authenticating: boolean;
  /** The qpair's DH-HMAC-CHAP transaction (auth.c's qpair->auth), kept once begun. */
  auth: QpairAuthentication | null;
}

export class TcpTarget {
  private readonly states = new WeakMap<TargetController, ControllerState>();

  constructor(private readonly env: TcpTargetEnv) {}

  limits(): TcpTransportLimits | null {
    const opts = this.env.transport();
    return opts ? A.limitsOf(opts) : null;
  }

  accept(socket: Socket, address: ListenAddress): TcpConnection {
    return new TcpConnection(socket, {
      limits: () => this.limits(),
      execute: (conn, req) => this.execute(conn, address, req),
      log: (event, fields) => this.env.log(event, { ...fields, trsvcid: address.trsvcid }),
    });
  }

  private execute(conn: TcpConnection, address: ListenAddress, req: Request): Promise<Completion> | Completion {
    const limits = this.limits();
    if (!limits) return fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR);
    const session = conn.session as Session | null;
    const fabric = req.opcode === OPC_FABRIC;
    const fctype = req.cmd[4]!;
    if (!session) {
      // nvmf_check_qpair_active: only Connect before Connect.
      if (!fabric || fctype !== Fctype.CONNECT) return fail(Sct.GENERIC, Sc.COMMAND_SEQUENCE_ERROR);
      return this.connect(conn, address, req, limits);
    }
    if (session.authenticating && !(fabric && (fctype === Fctype.AUTH_SEND || fctype === Fctype.AUTH_RECV))) {
      return fail(Sct.COMMAND_SPECIFIC, Sc.FABRIC_AUTH_REQUIRED);
    }
    if (fabric) return this.fabric(conn, session, fctype, req, limits);
    if (conn.qid === 0) return this.admin(conn, session, req, limits);
    return this.io(session, req, limits);
  }

  /** nvmf_ctrlr_process_fabrics_cmd after Connect. */
  private fabric(conn: TcpConnection, s: Session, fctype: number, req: Request, limits: TcpTransportLimits): Completion {
    if (fctype === Fctype.AUTH_SEND || fctype === Fctype.AUTH_RECV) return this.authenticate(conn, s, req);
    if (conn.qid !== 0 || (fctype !== Fctype.PROPERTY_GET && fctype !== Fctype.PROPERTY_SET)) return fail(Sct.GENERIC, Sc.INVALID_OPCODE);
    if (fctype === Fctype.PROPERTY_GET) return A.propertyGet(req.cmd, s.state.regs, limits);
    const { completion, effect } = A.propertySet(req.cmd, s.state.regs);
    if (effect === 'reset' || effect === 'shutdown') {
      this.env.log('nvmf_tcp_ctrlr_disable', { subnqn: s.sub.nqn, cntlid: s.ctrl.cntlid, reason: effect === 'reset' ? 'CC.EN cleared' : 'CC.SHN set' });
      for (const q of [...s.ctrl.io]) q.link.close();
      // From a shutdown on the keep-alive timer is stopped.
      if (effect === 'shutdown') s.ctrl.kato = 0;
      // spdk settles CSTS (SHST complete; or CC and CSTS cleared) once every poll group has
      // dropped the I/O qpairs, a message round later: a Property Get right after still sees the
      // old CSTS (real spdk_tgt: SHST 0 just after the Set), hosts poll it.
      const regs = s.state.regs;
      setTimeout(() => A.settle(regs, effect), SETTLE_MS).unref();
    }
    return completion;
  }

  /**
   * nvmf_auth_request_exec: an AUTHENTICATING qpair goes on with its transaction; an enabled one
   * whose last transaction completed (or that never had one) begins a new one (re-authentication).
   */
  private authenticate(conn: TcpConnection, s: Session, req: Request): Completion {
    if (!s.authenticating && (!s.auth || s.auth.done)) {
      if (s.auth) s.auth.restart();
      else s.auth = this.newAuth(conn, s);
    }
    return s.auth!.exec(req.cmd, req.length, req.data);
  }

  private newAuth(conn: TcpConnection, s: Session): QpairAuthentication {
    return new QpairAuthentication(
      {
        sub: s.sub,
        ctrl: s.ctrl,
        qid: conn.qid,
        enabled: () => !s.authenticating,
        enable: () => {
          s.authenticating = false;
          delete s.qpair.state;
        },
        disconnect: () => conn.disconnect(),
        report: (auth) => {
          s.qpair.auth = auth;
        },
      },
      { readKey: (key) => this.env.readKey(key), log: (event, fields) => this.env.log(event, fields) },
    );
  }

  /** nvmf_ctrlr_send_connect_rsp: a host entry with a DH-HMAC-CHAP key makes the qpair AUTHENTICATING and sets ATR. */
  private open(conn: TcpConnection, sub: Subsystem, ctrl: TargetController, state: ControllerState, qpair: TargetQpair): Completion {
    const authenticating = Boolean(sub.hostKeys.get(ctrl.hostnqn)?.dhchapKey);
    const session: Session = { sub, ctrl, state, qpair, authenticating, auth: null };
    if (authenticating) {
      qpair.state = 'authenticating';
      session.auth = this.newAuth(conn, session);
    }
    conn.onClose(() => session.auth?.destroy());
    conn.session = session;
    return { cdw0: ctrl.cntlid | (authenticating ? 0x2_0000 : 0), status: 0 };
  }

  /** nvmf_ctrlr_cmd_connect and _nvmf_ctrlr_connect, in their order of checks. */
  private connect(conn: TcpConnection, address: ListenAddress, req: Request, limits: TcpTransportLimits): Completion {
    const data = req.data;
    if (!data || req.length < CONNECT_DATA_BYTES) return fail(Sct.GENERIC, Sc.INVALID_FIELD);
    const subnqn = cString(data, 256);
    const sub = this.env.subsystem(subnqn);
    if (!sub) return invalidConnectParam(1, 256);
    const hostnqnEnd = data.indexOf(0, 512);
    if (hostnqnEnd < 0 || hostnqnEnd > 512 + 223) return invalidConnectParam(1, 512);
    const hostnqn = cString(data, 512);
    const listener = sub.findListener(address.traddr, address.trsvcid);
    if (!sub.hostAllowed(hostnqn) || !listener) {
      this.env.log('nvmf_connect_rejected', { subnqn, hostnqn, reason: `Subsystem '${subnqn}' does not allow host '${hostnqn}'` });
      return fail(Sct.COMMAND_SPECIFIC, Sc.FABRIC_INVALID_HOST);
    }
    const recfmt = req.cmd.readUInt16LE(40);
    const qid = req.cmd.readUInt16LE(42);
    const sqsize = req.cmd.readUInt16LE(44);
    if (recfmt !== 0) return fail(Sct.COMMAND_SPECIFIC, Sc.FABRIC_INCOMPATIBLE_FORMAT);
    if (sqsize === 0 || sqsize >= (qid === 0 ? limits.maxAqDepth : limits.maxQueueDepth)) return invalidConnectParam(0, IPO_SQSIZE);
    const cntlid = data.readUInt16LE(16);
    if (qid === 0) {
      if (cntlid !== 0xffff) return invalidConnectParam(1, 16);
      return this.createController(conn, sub, listener, data, hostnqn, req.cmd.readUInt32LE(48), sqsize, limits);
    }
    const ctrl = sub.controllers.find((c) => c.cntlid === cntlid);
    const state = ctrl && this.states.get(ctrl);
    if (!ctrl || !state) return invalidConnectParam(1, 16);
    // "Inactive admin qpair": the controller lingers for its I/O qpairs but takes no new one.
    if (ctrl.adminClosed) return invalidConnectParam(0, IPO_QID);
    if (sub.anaReporting && ctrl.listener !== listener) return invalidConnectParam(0, IPO_QID);
    if (!A.isEnabled(state.regs) || !A.queueEntrySizesSet(state.regs)) return invalidConnectParam(0, IPO_QID);
    if (qid >= limits.maxQpairsPerCtrlr || ctrl.io.some((q) => q.qid === qid)) return fail(Sct.COMMAND_SPECIFIC, Sc.INVALID_QUEUE_IDENTIFIER);
    const qpair = { qid, link: conn };
    ctrl.io.push(qpair);
    conn.onClose(() => {
      const i = ctrl.io.indexOf(qpair);
      if (i >= 0) ctrl.io.splice(i, 1);
      if (ctrl.adminClosed && ctrl.io.length === 0) this.dropController(sub, ctrl, 'last qpair closed');
    });
    conn.connected(qid, sqsize);
    return this.open(conn, sub, ctrl, state, qpair);
  }

  private createController(
    conn: TcpConnection,
    sub: Subsystem,
    listener: TargetController['listener'],
    data: Buffer,
    hostnqn: string,
    kato: number,
    sqsize: number,
    limits: TcpTransportLimits,
  ): Completion {
    const cntlid = sub.allocCntlid();
    if (cntlid === NO_CNTLID) return fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR);
    const now = Date.now();
    const effective = A.effectiveKato(kato, limits);
    const ctrl: TargetController = {
      cntlid,
      hostnqn,
      hostid: uuidOf(data.subarray(0, 16)),
      listener,
      admin: { qid: 0, link: conn },
      io: [],
      kato: effective,
      lastHeard: now,
      nvmeTcp: true,
      ...(effective > 0 ? { kaPollStart: now } : {}),
    };
    const state: ControllerState = { regs: A.newRegisters(), events: new AsyncEvents(sub.anaReporting, sub.namespaceInfo(listener)) };
    conn.onNotice = (namespaces) => state.events.namespacesNow(namespaces);
    this.states.set(ctrl, state);
    sub.controllers.push(ctrl);
    // The controller goes with its last qpair: I/O qpairs outlive the admin qpair (v26.05).
    conn.onClose(() => {
      ctrl.adminClosed = true;
      if (ctrl.io.length === 0) this.dropController(sub, ctrl, 'admin qpair closed, no I/O qpair left');
    });
    conn.connected(0, sqsize);
    this.env.log('nvmf_tcp_ctrlr_created', { subnqn: sub.nqn, hostnqn, cntlid, kato: effective, reason: 'admin connect' });
    return this.open(conn, sub, ctrl, state, ctrl.admin);
  }

  private writeZeroes(bdev: Namespace['bdev'], lba: number, count: number): Promise<Completion> {
    return this.env
      .onPollGroup(() => writeZeroesThrough(bdev, lba, count))
      .then(
        () => ok(),
        () => fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR),
      );
  }

  private dropController(sub: Subsystem, ctrl: TargetController, reason: string): void {
    const i = sub.controllers.indexOf(ctrl);
    if (i < 0) return;
    sub.controllers.splice(i, 1);
    this.env.log('nvmf_tcp_ctrlr_gone', { subnqn: sub.nqn, cntlid: ctrl.cntlid, reason });
  }

  /** nvmf_ctrlr_process_admin_cmd. */
  private admin(_conn: TcpConnection, s: Session, req: Request, limits: TcpTransportLimits): Promise<Completion> | Completion {
    const cmd = req.cmd;
    if ((cmd[1]! & 3) !== 0 || ((req.opcode === Admin.KEEP_ALIVE || req.opcode === Admin.ASYNC_EVENT) && cmd.readUInt32LE(4) !== 0)) {
      return fail(Sct.GENERIC, Sc.INVALID_FIELD);
    }
    if (!A.isEnabled(s.state.regs)) return fail(Sct.GENERIC, Sc.COMMAND_SEQUENCE_ERROR);
    const nsid = cmd.readUInt32LE(4);
    const cdw10 = cmd.readUInt32LE(40);
    const cdw11 = cmd.readUInt32LE(44);
    switch (req.opcode) {
      case Admin.IDENTIFY: {
        if (req.length < 4096) return fail(Sct.GENERIC, Sc.INVALID_FIELD);
        const cns = cdw10 & 0xff;
        if (cns === 0x01) return ok(0, A.identifyController(s.sub, s.ctrl, limits));
        if (cns === 0x00) return A.identifyNamespace(s.sub, s.ctrl, nsid, limits);
        if (cns === 0x02) return A.activeNamespaces(s.sub, nsid);
        if (cns === 0x03) return A.namespaceDescriptors(s.sub, nsid);
        return fail(Sct.GENERIC, Sc.INVALID_FIELD);
      }
      case Admin.KEEP_ALIVE:
        s.ctrl.lastHeard = Date.now();
        return ok();
      case Admin.GET_LOG_PAGE:
        return A.getLogPage(cmd, req.length, s.sub.anaReporting, (rae) => s.state.events.changedNamespaces(rae));
      case Admin.SET_FEATURES:
        return this.setFeatures(s, cdw10, cdw11, limits);
      case Admin.GET_FEATURES:
        return getFeatures(s, cdw10 & 0xff, cdw11, limits);
      case Admin.ASYNC_EVENT:
        return s.state.events.request();
      default:
        return fail(Sct.GENERIC, Sc.INVALID_OPCODE);
    }
  }

  private setFeatures(s: Session, cdw10: number, cdw11: number, limits: TcpTransportLimits): Completion {
    if (cdw10 & 0x8000_0000) return fail(Sct.COMMAND_SPECIFIC, Sc.FEATURE_ID_NOT_SAVEABLE);
    switch (cdw10 & 0xff) {
      case A.Feature.NUMBER_OF_QUEUES:
        if ((cdw11 & 0xffff) === 0xffff || cdw11 >>> 16 === 0xffff) return fail(Sct.GENERIC, Sc.INVALID_FIELD);
        if (s.ctrl.io.length > 0) return fail(Sct.GENERIC, Sc.COMMAND_SEQUENCE_ERROR);
        return ok(A.numberOfQueues(limits));
      case A.Feature.KEEP_ALIVE_TIMER: {
        if (cdw11 === 0) return fail(Sct.COMMAND_SPECIFIC, Sc.KEEP_ALIVE_INVALID);
        s.ctrl.kato = cdw11 <= limits.minKato ? limits.minKato : Math.ceil(cdw11 / (limits.kas * 100)) * limits.kas * 100;
        s.ctrl.kaPollStart = Date.now();
        return ok();
      }
      case A.Feature.ASYNC_EVENT_CONFIGURATION:
        s.state.events.config = cdw11;
        return ok();
      case A.Feature.VOLATILE_WRITE_CACHE:
        return ok();
      case A.Feature.INTERRUPT_COALESCING:
        return fail(Sct.COMMAND_SPECIFIC, Sc.FEATURE_NOT_CHANGEABLE);
      default:
        return fail(Sct.GENERIC, Sc.INVALID_FIELD);
    }
  }

  /** nvmf_ctrlr_process_io_cmd with nvmf_check_subsystem_active's namespace check first. */
  private io(s: Session, req: Request, _limits: TcpTransportLimits): Promise<Completion> | Completion {
    const cmd = req.cmd;
    const nsid = cmd.readUInt32LE(4);
    if (nsid === 0 || nsid > s.sub.maxNamespaces) return fail(Sct.GENERIC, Sc.INVALID_NAMESPACE_OR_FORMAT, true);
    if (!A.isEnabled(s.state.regs)) return fail(Sct.GENERIC, Sc.COMMAND_SEQUENCE_ERROR);
    const ns = s.sub.namespaces.get(nsid);
    if (!ns) return fail(Sct.GENERIC, Sc.INVALID_NAMESPACE_OR_FORMAT, true);
    if (s.ctrl.listener.anaStates[ns.anagrpid - 1] === 'inaccessible') return fail(Sct.PATH, Sc.ANA_INACCESSIBLE);
    if (req.opcode === Io.FLUSH) return ok();
    if (req.opcode !== Io.READ && req.opcode !== Io.WRITE && req.opcode !== Io.WRITE_ZEROES) return fail(Sct.GENERIC, Sc.INVALID_OPCODE, true);
    const lba = cmd.readUInt32LE(40) + cmd.readUInt32LE(44) * 0x1_0000_0000;
    const count = (cmd.readUInt32LE(48) & 0xffff) + 1;
    const bdev = ns.bdev;
    if (lba + count > bdev.numBlocks) return fail(Sct.GENERIC, Sc.LBA_OUT_OF_RANGE);
    if (req.opcode === Io.WRITE_ZEROES) return this.writeZeroes(bdev, lba, count);
    const bytes = count * bdev.blockSize;
    if (bytes > req.length) return fail(Sct.GENERIC, Sc.DATA_SGL_LENGTH_INVALID);
    const failed = () => fail(Sct.GENERIC, Sc.INTERNAL_DEVICE_ERROR);
    if (req.opcode === Io.READ) {
      return this.env.onPollGroup(() => bdev.read(lba, count)).then((data) => ok(0, data), failed);
    }
    const data = req.data!.length === bytes ? req.data! : req.data!.subarray(0, bytes);
    return this.env.onPollGroup(() => bdev.write(lba, data)).then(() => ok(), failed);
  }
}

/**
 * Zeroes written through the bdev: a thin lvol allocates the clusters, as the blobstore does for
 * write_zeroes. They go as a Write Zeroes (writeZeroesBuffer): bdev_get_iostat does not count them
 * and QoS does not hold them, on the namespace's bdev and the bdevs under it, as in v26.05.
 */
async function writeZeroesThrough(bdev: Namespace['bdev'], lba: number, count: number): Promise<void> {
  const perPiece = Math.max(1, Math.floor(ZEROES_PIECE / bdev.blockSize));
  const zeros = writeZeroesBuffer(Math.min(count, perPiece) * bdev.blockSize);
  for (let at = 0; at < count; at += perPiece) {
    const n = Math.min(perPiece, count - at);
    await bdev.write(lba + at, n * bdev.blockSize === zeros.length ? zeros : zeros.subarray(0, n * bdev.blockSize));
  }
}

function getFeatures(s: Session, fid: number, cdw11: number, limits: TcpTransportLimits): Completion {
  switch (fid) {
    case A.Feature.NUMBER_OF_QUEUES:
      return ok(A.numberOfQueues(limits));
    case A.Feature.KEEP_ALIVE_TIMER:
      return ok(s.ctrl.kato);
    case A.Feature.VOLATILE_WRITE_CACHE:
      return ok(1);
    case A.Feature.ASYNC_EVENT_CONFIGURATION:
      return ok(s.state.events.config);
    case A.Feature.INTERRUPT_VECTOR_CONFIGURATION:
      // The vector asked for, with Coalescing Disable set (nvmf_ctrlr_create).
      return ok((0x1_0000 | (cdw11 & 0xffff)) >>> 0);
    case A.Feature.TEMPERATURE_THRESHOLD:
    case A.Feature.ARBITRATION:
    case A.Feature.POWER_MANAGEMENT:
    case A.Feature.ERROR_RECOVERY:
    case A.Feature.INTERRUPT_COALESCING:
    case A.Feature.WRITE_ATOMICITY:
      return ok(0);
    default:
      return fail(Sct.GENERIC, Sc.INVALID_FIELD);
  }
}

/** SPDK_NVMF_INVALID_CONNECT_CMD / _DATA: Invalid Parameter with the field's offset. */
function invalidConnectParam(iattr: number, ipo: number): Completion {
  return { cdw0: ipo | (iattr << 16), status: A.status(Sct.COMMAND_SPECIFIC, Sc.FABRIC_INVALID_PARAM) };
}

function cString(b: Buffer, offset: number): string {
  const end = b.indexOf(0, offset);
  return b.toString('utf8', offset, end < 0 || end > offset + 256 ? offset + 256 : end);
}

function uuidOf(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
