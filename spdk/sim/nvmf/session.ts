/**
 * The target side of the fabric: every accepted connection is a qpair that must first CONNECT.
 * qid 0 creates a controller (subsystem reachable through this listener, host allowed, a cntlid
 * free in the subsystem's range), qid 1 joins it as its I/O qpair. The controller then serves
 * block I/O against the namespaces' bdevs, answers keep-alives, pushes notices when namespaces or
 * ANA states change, and is destroyed when its admin qpair closes or the host falls silent for
 * longer than the keep-alive timeout.
 */
import type { Socket } from 'node:net';
import { SimIoError } from '../core/contract.js';
import { chapResponse, negotiate, pskBinder, sameProof, type ChapOffer, type ChapResult } from '../fabric/auth.js';
import { EINVAL, EIO } from '../fabric/errno.js';
import { Link } from '../fabric/link.js';
import type { ChunkSink } from './ports.js';
import { decodeIo, FabricStatus, jsonPayload, MAGIC, Op, parseJson, RESPONSE_BIT, type ConnectAccept, type ConnectRequest, type Frame, type ReauthRequest } from '../fabric/protocol.js';
import type { KeyContent, SimKey } from '../keyring/keyring.js';
import { parseDhchapKey, type Secret } from '../keyring/secrets.js';
import { NO_CNTLID, type HostKeys, type Listener, type ListenAddress, type QpairAuth, type Subsystem, type TargetController, type TargetQpair } from './subsystem.js';

type AuthOutcome = { readonly result: ChapResult; readonly auth: QpairAuth } | { readonly status: number; readonly reason: string };

/** The transport's min_kato: a host asking for less gets this much (ctrlr.c). */
const MIN_KATO_MS = 10_000;
/** spdk_tgt's host notices an ANA change ~55 ms after set_ana_state (transcript 15). */
const ANA_NOTICE_DELAY_MS = 50;

export interface SessionEnv {
  subsystem(nqn: string): Subsystem | undefined;
  subsystems(): Iterable<Subsystem>;
  /** Reads a key file through the keyring (never logged). */
  readKey(key: SimKey): KeyContent;
  log(event: string, fields?: Record<string, unknown>): void;
  /** Runs block I/O as the poll group's thread does (its bdev channels count it). */
  onPollGroup<T>(fn: () => Promise<T>): Promise<T>;
  /** A connection whose first byte is not SIMF's: NVMe/TCP (nvmf/tcp/); it gets the reads. */
  acceptNvmeTcp(socket: Socket, address: ListenAddress): { receive(view: Buffer): void };
}

/** The first byte of every SIMF frame (MAGIC 0x5346, big-endian). */
const SIMF_FIRST_BYTE = MAGIC >> 8;

export class TargetSessions {
  private readonly links = new Set<Link>();
  /** Connections whose CONNECT arrived while their subsystem was blackholed. */
  private readonly stalledConnects = new Map<Subsystem, Set<Link>>();
  private readonly katoTimer: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly env: SessionEnv) {
    this.katoTimer = setInterval(() => this.checkKeepAlive(), 250);
    this.katoTimer.unref();
  }

  /**
   * A new connection on a listener: its first byte says what it speaks. A simulator's SIMF frame
   * opens with its magic 0x5346 (first byte 0x53, 'S'); an NVMe/TCP host with an ICReq (PDU type
   * 0x00, hlen 128). No NVMe/TCP PDU type is 0x53 (they are 0x00-0x09), so one byte decides;
   * anything but 0x53 is NVMe/TCP, whose target answers a first PDU other than an ICReq with a
   * C2HTermReq as spdk_tgt does.
   */
  accept(socket: Socket, address: ListenAddress, lend: (sink: ChunkSink) => void): void {
    socket.on('error', () => {});
    lend((first) => {
      if (first[0] !== SIMF_FIRST_BYTE) {
        // A secure_channel listener speaks TLS: a plain NVMe/TCP host fails the handshake (not simulated: closed).
        if (this.secureAt(address)) {
          lend(() => {});
          socket.destroy();
          return;
        }
        const conn = this.env.acceptNvmeTcp(socket, address);
        lend((view) => conn.receive(view));
        conn.receive(first);
        return;
      }
      // SIMF keeps what it reads (Link frames it from 'data' events): each read is copied once.
      lend((view) => socket.emit('data', Buffer.from(view)));
      this.acceptSimf(socket, address);
      socket.emit('data', Buffer.from(first));
    });
  }

  private secureAt(address: ListenAddress): boolean {
    for (const sub of this.env.subsystems()) if (sub.findListener(address.traddr, address.trsvcid)?.secureChannel) return true;
    return false;
  }

  private acceptSimf(socket: Socket, address: ListenAddress): void {
    const link = new Link(socket);
    this.links.add(link);
    link.onClose(() => this.links.delete(link));
    link.onFrame((frame) => {
      if (frame.opcode !== Op.CONNECT) {
        link.send(frame.opcode | RESPONSE_BIT, frame.id, -EINVAL);
        return;
      }
      this.connect(link, address, frame);
    });
  }

  /** Tells every host of `sub` its current namespaces (after a delay for ANA changes). */
  notify(sub: Subsystem, delayMs = 0): void {
    const send = () => {
      for (const ctrl of sub.controllers) {
        ctrl.admin.link.send(Op.NOTICE, 0, 0, jsonPayload({ namespaces: sub.namespaceInfo(ctrl.listener) }));
      }
    };
    if (delayMs === 0) return send();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delayMs);
    this.timers.add(timer);
  }

  notifyAna(sub: Subsystem): void {
    this.notify(sub, ANA_NOTICE_DELAY_MS);
  }

  /** Drops a controller at once: its qpairs close, the host sees the connection go. */
  disconnect(ctrl: TargetController): void {
    ctrl.admin.link.close();
    for (const q of ctrl.io) q.link.close();
  }

  /** sim_fabric_blackhole on a subsystem: it neither answers nor reads until resumed. */
  setStalled(sub: Subsystem, stalled: boolean): void {
    sub.stalled = stalled;
    for (const ctrl of sub.controllers) {
      ctrl.admin.link.setStalled(stalled);
      for (const q of ctrl.io) q.link.setStalled(stalled);
      ctrl.lastHeard = Date.now();
    }
    if (!stalled) {
      const pending = this.stalledConnects.get(sub);
      this.stalledConnects.delete(sub);
      for (const link of pending ?? []) link.setStalled(false);
    }
  }

  close(): void {
    clearInterval(this.katoTimer);
    for (const timer of this.timers) clearTimeout(timer);
    for (const link of [...this.links]) link.close();
  }

  private connect(link: Link, address: ListenAddress, frame: Frame): void {
    let req: ConnectRequest;
    try {
      req = parseJson<ConnectRequest>(frame.payload);
    } catch {
      link.close();
      return;
    }
    const reject = (status: number, reason: string) => {
      this.env.log('nvmf_connect_rejected', { subnqn: req.subnqn, hostnqn: req.hostnqn, reason });
      link.send(Op.CONNECT | RESPONSE_BIT, frame.id, status, jsonPayload({ reason }));
    };
    const sub = this.env.subsystem(req.subnqn);
    const listener = sub?.findListener(address.traddr, address.trsvcid);
    if (!sub || !listener) return reject(FabricStatus.INVALID_SUBSYSTEM, `no subsystem ${req.subnqn} here`);
    if (sub.stalled) {
      link.setStalled(true);
      link.defer(frame);
      let pending = this.stalledConnects.get(sub);
      if (!pending) this.stalledConnects.set(sub, (pending = new Set()));
      pending.add(link);
      return;
    }
    const keys = sub.hostKeys.get(req.hostnqn);
    // The TLS handshake comes before any NVMe/TCP PDU.
    if (!listener.secureChannel && req.tls) return reject(FabricStatus.TLS_UNEXPECTED, 'TLS ClientHello on a listener without secure_channel');
    const tlsRefused = this.checkTls(listener, keys, req);
    if (tlsRefused !== null) return reject(FabricStatus.TLS_FAILED, tlsRefused);
    if (!sub.hostAllowed(req.hostnqn)) {
      return reject(FabricStatus.INVALID_HOST, `Subsystem '${sub.nqn}' does not allow host '${req.hostnqn}'`);
    }
    // DH-HMAC-CHAP only where the host entry has a key: the target then requires it.
    let outcome: AuthOutcome | null = null;
    if (keys?.dhchapKey) {
      outcome = this.authenticate(keys, req.nonce ?? '', req.chap, req.hostnqn, sub.nqn);
      if ('status' in outcome) return reject(outcome.status, outcome.reason);
    }
    const chap = outcome && 'result' in outcome ? outcome : null;

    if (req.qid !== 0) {
      const ctrl = sub.controllers.find((c) => c.cntlid === req.cntlid && c.hostnqn === req.hostnqn);
      if (!ctrl) return reject(FabricStatus.INVALID_CONTROLLER, `no controller ${String(req.cntlid)}`);
      const qpair: TargetQpair = { qid: req.qid, link, ...(chap ? { auth: chap.auth } : {}) };
      ctrl.io.push(qpair);
      link.onClose(() => {
        const i = ctrl.io.indexOf(qpair);
        if (i >= 0) ctrl.io.splice(i, 1);
      });
      link.onFrame((f) => this.serve(sub, ctrl, qpair, f));
      link.send(Op.CONNECT | RESPONSE_BIT, frame.id, 0, jsonPayload(this.accepted(sub, ctrl, chap?.result)));
      return;
    }

    const cntlid = sub.allocCntlid();
    if (cntlid === NO_CNTLID) return reject(FabricStatus.CONTROLLER_LIMIT, 'Reached max simultaneous ctrlrs');
    const ctrl: TargetController = {
      cntlid,
      hostnqn: req.hostnqn,
      hostid: req.hostid,
      listener,
      admin: { qid: 0, link, ...(chap ? { auth: chap.auth } : {}) },
      io: [],
      kato: req.kato === 0 ? 0 : Math.max(req.kato, MIN_KATO_MS),
      lastHeard: Date.now(),
    };
    sub.controllers.push(ctrl);
    link.onClose(() => {
      const i = sub.controllers.indexOf(ctrl);
      if (i >= 0) sub.controllers.splice(i, 1);
      for (const q of ctrl.io) q.link.close();
    });
    link.onFrame((f) => this.serve(sub, ctrl, ctrl.admin, f));
    link.send(Op.CONNECT | RESPONSE_BIT, frame.id, 0, jsonPayload(this.accepted(sub, ctrl, chap?.result)));
  }

  /**
   * Why a connection's TLS handshake on a secure listener fails, or null: it takes only TLS with
   * the PSK the subsystem holds for the host (found by the PSK identity: host and subsystem NQN).
   */
  private checkTls(listener: Listener, keys: HostKeys | undefined, req: ConnectRequest): string | null {
    if (!listener.secureChannel) return null;
    if (!req.tls) return 'plain connection to a secure_channel listener';
    if (!keys?.psk) return `Could not find PSK for identity: NVMe0R01 ${req.hostnqn} ${req.subnqn}`;
    const expected = pskBinder(keys.psk.secret, req.nonce ?? '', req.hostnqn, req.subnqn);
    return sameProof(req.tls.binder, expected) ? null : 'TLS handshake failed (PSK mismatch)';
  }

  private loadSecret(key: SimKey): Secret | null {
    const read = this.env.readKey(key);
    return 'content' in read ? parseDhchapKey(read.content) : null;
  }

  /** nvmf auth.c's DH-HMAC-CHAP transaction, decided in one step. */
  private authenticate(keys: HostKeys, nonce: string, offer: ChapOffer | undefined, hostnqn: string, subnqn: string): AuthOutcome {
    if (offer?.response === undefined) return { status: FabricStatus.AUTH_REQUIRED, reason: 'host offered no DH-HMAC-CHAP key' };
    const picked = negotiate(offer);
    if (!picked) return { status: FabricStatus.AUTH_FAILED, reason: 'no usable digests or dhgroups found' };
    const secret = keys.dhchapKey ? this.loadSecret(keys.dhchapKey) : null;
    if (!secret) return { status: FabricStatus.AUTH_FAILED, reason: `failed to load DH-HMAC-CHAP key ${keys.dhchapKey?.name ?? ''}` };
    if (!sameProof(offer.response, chapResponse(secret, 'host', nonce, hostnqn, subnqn))) {
      return { status: FabricStatus.AUTH_FAILED, reason: 'challenge response mismatch' };
    }
    let ctrlrResponse: string | undefined;
    if (offer.bidirectional) {
      if (!keys.dhchapCtrlrKey) return { status: FabricStatus.AUTH_FAILED, reason: 'missing DH-HMAC-CHAP ctrlr key' };
      const ctrlrSecret = this.loadSecret(keys.dhchapCtrlrKey);
      if (!ctrlrSecret) return { status: FabricStatus.AUTH_FAILED, reason: `failed to load DH-HMAC-CHAP ctrlr key ${keys.dhchapCtrlrKey.name}` };
      ctrlrResponse = chapResponse(ctrlrSecret, 'ctrlr', nonce, hostnqn, subnqn);
    }
    return {
      result: { ...picked, ...(ctrlrResponse !== undefined ? { ctrlrResponse } : {}) },
      auth: { state: 'completed', ...picked },
    };
  }

  /** REAUTH (bdev_nvme_set_keys): authenticates a live qpair with the keys the target holds now. */
  private reauthenticate(sub: Subsystem, ctrl: TargetController, qpair: TargetQpair, frame: Frame): void {
    let req: ReauthRequest;
    try {
      req = parseJson<ReauthRequest>(frame.payload);
    } catch {
      qpair.link.send(frame.opcode | RESPONSE_BIT, frame.id, -EINVAL);
      return;
    }
    const keys = sub.hostKeys.get(ctrl.hostnqn);
    const outcome: AuthOutcome = keys?.dhchapKey
      ? this.authenticate(keys, req.nonce, req.chap, ctrl.hostnqn, sub.nqn)
      : { status: FabricStatus.AUTH_FAILED, reason: 'no DH-HMAC-CHAP key for the host' };
    if ('status' in outcome) {
      this.env.log('nvmf_reauth_failed', { subnqn: sub.nqn, hostnqn: ctrl.hostnqn, cntlid: ctrl.cntlid, reason: outcome.reason });
      qpair.link.send(frame.opcode | RESPONSE_BIT, frame.id, outcome.status, jsonPayload({ reason: outcome.reason }));
      // A qpair that failed to authenticate is disconnected, and its controller with it.
      this.disconnect(ctrl);
      return;
    }
    qpair.auth = outcome.auth;
    qpair.link.send(frame.opcode | RESPONSE_BIT, frame.id, 0, jsonPayload(outcome.result));
  }

  private accepted(sub: Subsystem, ctrl: TargetController, chap?: ChapResult): ConnectAccept {
    return {
      cntlid: ctrl.cntlid,
      modelNumber: sub.modelNumber,
      serialNumber: sub.serialNumber,
      subnqn: sub.nqn,
      anaReporting: sub.anaReporting,
      namespaces: sub.namespaceInfo(ctrl.listener),
      ...(chap ? { chap } : {}),
    };
  }

  private serve(sub: Subsystem, ctrl: TargetController, qpair: TargetQpair, frame: Frame): void {
    ctrl.lastHeard = Date.now();
    const respond = (status: number, payload?: Buffer) => qpair.link.send(frame.opcode | RESPONSE_BIT, frame.id, status, payload);
    switch (frame.opcode) {
      case Op.KEEP_ALIVE:
        return respond(0);
      case Op.REAUTH:
        return this.reauthenticate(sub, ctrl, qpair, frame);
      case Op.READ:
      case Op.WRITE:
        void this.io(sub, ctrl, frame).then(
          (data) => respond(0, data),
          (status: number) => respond(status),
        );
        return;
      default:
        return respond(-EINVAL);
    }
  }

  /** Resolves with the read data (or nothing for a write); rejects with a negative status. */
  private async io(sub: Subsystem, ctrl: TargetController, frame: Frame): Promise<Buffer | undefined> {
    let header;
    let data: Buffer;
    try {
      ({ header, data } = decodeIo(frame.payload));
    } catch {
      throw -EINVAL;
    }
    const ns = sub.namespaces.get(header.nsid);
    if (!ns) throw FabricStatus.INVALID_NAMESPACE;
    if (ctrl.listener.anaStates[ns.anagrpid - 1] === 'inaccessible') throw FabricStatus.ANA_INACCESSIBLE;
    if (header.lba + header.count > ns.bdev.numBlocks || header.count === 0) throw -EINVAL;
    try {
      if (frame.opcode === Op.READ) return await this.env.onPollGroup(() => ns.bdev.read(header.lba, header.count));
      await this.env.onPollGroup(() => ns.bdev.write(header.lba, Buffer.from(data)));
      return undefined;
    } catch (err) {
      throw err instanceof SimIoError ? -Math.abs(err.errno) : -EIO;
    }
  }

  private checkKeepAlive(): void {
    const now = Date.now();
    for (const sub of this.env.subsystems()) {
      if (sub.stalled) continue;
      for (const ctrl of [...sub.controllers]) {
        if (ctrl.kato === 0 || now < expiryOf(ctrl)) continue;
        this.env.log('nvmf_keep_alive_timeout', { subnqn: sub.nqn, cntlid: ctrl.cntlid });
        this.disconnect(ctrl);
      }
    }
  }
}

/** When the target drops a silent controller (see TargetController.kaPollStart). */
function expiryOf(ctrl: TargetController): number {
  const deadline = ctrl.lastHeard + ctrl.kato;
  if (ctrl.kaPollStart === undefined) return deadline + 1;
  // spdk's poller checks `now > deadline` at each tick, and a tick runs a little after its time: the
  // first tick at or after the deadline (real spdk_tgt: a silent host's controller goes 10.0 s after
  // Connect with KATO 10 s).
  const ticks = Math.max(1, Math.ceil((deadline - ctrl.kaPollStart) / ctrl.kato));
  return ctrl.kaPollStart + ticks * ctrl.kato;
}
