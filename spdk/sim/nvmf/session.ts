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
import { EINVAL, EIO } from '../fabric/errno.js';
import { Link } from '../fabric/link.js';
import { decodeIo, FabricStatus, jsonPayload, Op, parseJson, RESPONSE_BIT, type ConnectAccept, type ConnectRequest, type Frame } from '../fabric/protocol.js';
import { NO_CNTLID, type ListenAddress, type Subsystem, type TargetController } from './subsystem.js';

/** The transport's min_kato: a host asking for less gets this much (ctrlr.c). */
const MIN_KATO_MS = 10_000;
/** spdk_tgt's host notices an ANA change ~55 ms after set_ana_state (transcript 15). */
const ANA_NOTICE_DELAY_MS = 50;

export interface SessionEnv {
  subsystem(nqn: string): Subsystem | undefined;
  subsystems(): Iterable<Subsystem>;
  log(event: string, fields?: Record<string, unknown>): void;
  /** Runs block I/O as the poll group's thread does (its bdev channels count it). */
  onPollGroup<T>(fn: () => Promise<T>): Promise<T>;
}

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

  accept(socket: Socket, address: ListenAddress): void {
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
    if (!sub.hostAllowed(req.hostnqn)) {
      return reject(FabricStatus.INVALID_HOST, `Subsystem '${sub.nqn}' does not allow host '${req.hostnqn}'`);
    }

    if (req.qid !== 0) {
      const ctrl = sub.controllers.find((c) => c.cntlid === req.cntlid && c.hostnqn === req.hostnqn);
      if (!ctrl) return reject(FabricStatus.INVALID_CONTROLLER, `no controller ${String(req.cntlid)}`);
      const qpair = { qid: req.qid, link };
      ctrl.io.push(qpair);
      link.onClose(() => {
        const i = ctrl.io.indexOf(qpair);
        if (i >= 0) ctrl.io.splice(i, 1);
      });
      link.onFrame((f) => this.serve(sub, ctrl, link, f));
      link.send(Op.CONNECT | RESPONSE_BIT, frame.id, 0, jsonPayload(this.accepted(sub, ctrl)));
      return;
    }

    const cntlid = sub.allocCntlid();
    if (cntlid === NO_CNTLID) return reject(FabricStatus.CONTROLLER_LIMIT, 'Reached max simultaneous ctrlrs');
    const ctrl: TargetController = {
      cntlid,
      hostnqn: req.hostnqn,
      hostid: req.hostid,
      listener,
      admin: { qid: 0, link },
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
    link.onFrame((f) => this.serve(sub, ctrl, link, f));
    link.send(Op.CONNECT | RESPONSE_BIT, frame.id, 0, jsonPayload(this.accepted(sub, ctrl)));
  }

  private accepted(sub: Subsystem, ctrl: TargetController): ConnectAccept {
    return {
      cntlid: ctrl.cntlid,
      modelNumber: sub.modelNumber,
      serialNumber: sub.serialNumber,
      subnqn: sub.nqn,
      anaReporting: sub.anaReporting,
      namespaces: sub.namespaceInfo(ctrl.listener),
    };
  }

  private serve(sub: Subsystem, ctrl: TargetController, link: Link, frame: Frame): void {
    ctrl.lastHeard = Date.now();
    const respond = (status: number, payload?: Buffer) => link.send(frame.opcode | RESPONSE_BIT, frame.id, status, payload);
    switch (frame.opcode) {
      case Op.KEEP_ALIVE:
        return respond(0);
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
        if (ctrl.kato === 0 || now - ctrl.lastHeard <= ctrl.kato) continue;
        this.env.log('nvmf_keep_alive_timeout', { subnqn: sub.nqn, cntlid: ctrl.cntlid });
        this.disconnect(ctrl);
      }
    }
  }
}
