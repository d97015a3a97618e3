/**
 * One NVMe-oF subsystem as spdk_tgt keeps it: allow-list, listeners (newest first) with their ANA
 * states per group, namespaces, connected controllers and the cntlid allocator. Pure state; the
 * sockets live in ports.ts and session.ts.
 */
import type { SimBdev } from '../core/contract.js';
import type { AnaState, NamespaceInfo } from '../fabric/protocol.js';
import type { SimKey } from '../keyring/keyring.js';
import type { Secret } from '../keyring/secrets.js';

export const MIN_CNTLID = 1;
export const MAX_CNTLID = 0xffef;
/** nvmf_subsystem_gen_cntlid's "all in use". */
export const NO_CNTLID = 0xffff;

export interface ListenAddress {
  readonly trtype: 'TCP';
  readonly adrfam: string;
  readonly traddr: string;
  readonly trsvcid: string;
}

export interface Listener {
  readonly address: ListenAddress;
  /** secure_channel: only TLS connections with a PSK the subsystem knows for the host. */
  readonly secureChannel: boolean;
  /** ANA state per ANA group 1..maxNamespaces. */
  readonly anaStates: AnaState[];
}

export interface Namespace {
  readonly nsid: number;
  readonly bdev: SimBdev;
  readonly uuid: string;
  readonly nguid: string;
  readonly anagrpid: number;
}

/** A qpair's DH-HMAC-CHAP outcome, as nvmf_subsystem_get_qpairs shows it. */
export interface QpairAuth {
  /** auth.c's state names: negotiate, challenge, reply, success1, success2, failure1, completed, error. */
  readonly state: string;
  readonly digest: string;
  readonly dhgroup: string;
}

/**
 * What the target needs of a qpair's connection, whichever protocol it speaks: a SIMF Link
 * (fabric/link.ts) or an NVMe/TCP connection (tcp/connection.ts).
 */
export interface QpairLink {
  readonly remotePort: number;
  /** Closes now; the controller's close handlers run. */
  close(): void;
  /** sim_fabric_blackhole: hold traffic both ways (or let it flow again). */
  setStalled(stalled: boolean): void;
  /** A SIMF notice (namespaces, ANA); an NVMe/TCP connection has none to send. */
  send(opcode: number, id: number, status: number, payload?: Buffer): void;
}

export interface TargetQpair {
  readonly qid: number;
  readonly link: QpairLink;
  auth?: QpairAuth;
  /** nvmf_qpair_state_str when not "enabled" (an NVMe/TCP qpair still authenticating). */
  state?: 'authenticating';
}

/**
 * The keys a host entry holds (spdk_nvmf_host's dhchap keys, tcp.c's PSK entry). The PSK is read
 * and parsed when the host is added, as tcp.c does; DH-HMAC-CHAP keys are read at each
 * authentication.
 */
export interface HostKeys {
  dhchapKey: SimKey | null;
  dhchapCtrlrKey: SimKey | null;
  psk: { readonly key: SimKey; readonly secret: Secret } | null;
}

export interface TargetController {
  readonly cntlid: number;
  readonly hostnqn: string;
  readonly hostid: string;
  readonly listener: Listener;
  readonly admin: TargetQpair;
  readonly io: TargetQpair[];
  /** Keep-alive timeout the target enforces (ms, 0 = none) and when the host was last heard. */
  kato: number;
  lastHeard: number;
  /**
   * NVMe/TCP controllers: when spdk's keep-alive poller started (it fires every `kato` ms from
   * there, so a silent host is dropped at the first tick at or after lastHeard + kato). SIMF controllers
   * have none: they are dropped as soon as the host has been silent for longer than `kato`.
   */
  kaPollStart?: number;
  /** Connected over NVMe/TCP (nvmf/tcp/) rather than SIMF. */
  readonly nvmeTcp?: boolean;
  /**
   * NVMe/TCP: the admin qpair is gone but I/O qpairs remain. v26.05 destroys a controller with
   * its last qpair, not with its admin qpair (nvmf.c `_nvmf_ctrlr_free_from_qpair`).
   */
  adminClosed?: boolean;
}

export interface SubsystemOptions {
  readonly nqn: string;
  readonly serialNumber: string;
  readonly modelNumber: string;
  readonly maxNamespaces: number;
  readonly allowAnyHost: boolean;
  readonly anaReporting: boolean;
  readonly minCntlid: number;
  readonly maxCntlid: number;
  /** The poll from which its start (subsystem.c: INACTIVE -> ACTIVATING -> ACTIVE) is done. */
  readonly activeFromPoll: number;
}

export class Subsystem {
  readonly nqn: string;
  readonly serialNumber: string;
  readonly modelNumber: string;
  readonly maxNamespaces: number;
  readonly anaReporting: boolean;
  readonly minCntlid: number;
  readonly maxCntlid: number;
  allowAnyHost: boolean;
  /** Newest first, as spdk_tgt inserts them. */
  readonly hosts: string[] = [];
  /** Keys of the hosts that have any. */
  readonly hostKeys = new Map<string, HostKeys>();
  readonly listeners: Listener[] = [];
  readonly namespaces = new Map<number, Namespace>();
  readonly controllers: TargetController[] = [];
  /** sim_fabric_blackhole: the subsystem stopped answering. */
  stalled = false;
  private nextCntlid: number;

  private readonly activeFromPoll: number;

  constructor(opts: SubsystemOptions) {
    this.activeFromPoll = opts.activeFromPoll;
    this.nqn = opts.nqn;
    this.serialNumber = opts.serialNumber;
    this.modelNumber = opts.modelNumber;
    this.maxNamespaces = opts.maxNamespaces;
    this.allowAnyHost = opts.allowAnyHost;
    this.anaReporting = opts.anaReporting;
    this.minCntlid = opts.minCntlid;
    this.maxCntlid = opts.maxCntlid;
    this.nextCntlid = opts.minCntlid;
  }

  /**
   * Still ACTIVATING in `poll`: nvmf_create_subsystem registered it (found by NQN, listed) but
   * its start on the poll groups completes in a later poll, and a state change asked meanwhile
   * (every pause: namespaces, listeners, ANA, the controller/qpair/listener queries; a stop)
   * fails as spdk_tgt fails it.
   */
  activating(poll: number): boolean {
    return poll < this.activeFromPoll;
  }

  hostAllowed(hostnqn: string): boolean {
    return this.allowAnyHost || this.hosts.includes(hostnqn);
  }

  findListener(traddr: string, trsvcid: string): Listener | undefined {
    return this.listeners.find((l) => l.address.traddr === traddr && l.address.trsvcid === trsvcid);
  }

  /** Sequential from the last one handed out, wrapping, skipping those in use (subsystem.c). */
  allocCntlid(): number {
    for (let n = 0; n <= this.maxCntlid - this.minCntlid; n++) {
      const cntlid = this.nextCntlid;
      this.nextCntlid = cntlid + 1 > this.maxCntlid ? this.minCntlid : cntlid + 1;
      if (!this.controllers.some((c) => c.cntlid === cntlid)) return cntlid;
    }
    return NO_CNTLID;
  }

  /** Lowest free nsid, or 0 when none is free. */
  freeNsid(): number {
    for (let nsid = 1; nsid <= this.maxNamespaces; nsid++) if (!this.namespaces.has(nsid)) return nsid;
    return 0;
  }

  /** The namespaces as a host connected through `listener` sees them. */
  namespaceInfo(listener: Listener): NamespaceInfo[] {
    return [...this.namespaces.values()]
      .sort((a, b) => a.nsid - b.nsid)
      .map((ns) => ({
        nsid: ns.nsid,
        uuid: ns.uuid,
        nguid: ns.nguid,
        blockSize: ns.bdev.blockSize,
        numBlocks: ns.bdev.numBlocks,
        anaState: listener.anaStates[ns.anagrpid - 1] ?? 'optimized',
      }));
  }

  /** nvmf_get_subsystems' entry. */
  toJson(): Record<string, unknown> {
    return {
      nqn: this.nqn,
      subtype: 'NVMe',
      listen_addresses: this.listeners.map((l) => ({ ...l.address })),
      allow_any_host: this.allowAnyHost,
      // The PSK is the transport's, never shown here.
      hosts: this.hosts.map((nqn) => {
        const keys = this.hostKeys.get(nqn);
        return {
          nqn,
          ...(keys?.dhchapKey ? { dhchap_key: keys.dhchapKey.name } : {}),
          ...(keys?.dhchapCtrlrKey ? { dhchap_ctrlr_key: keys.dhchapCtrlrKey.name } : {}),
        };
      }),
      serial_number: this.serialNumber,
      model_number: this.modelNumber,
      max_namespaces: this.maxNamespaces,
      passthrough: false,
      min_cntlid: this.minCntlid,
      max_cntlid: this.maxCntlid,
      dmrsl: 2097152,
      wzsl: 12,
      namespaces: [...this.namespaces.values()]
        .sort((a, b) => a.nsid - b.nsid)
        .map((ns) => ({
          nsid: ns.nsid,
          bdev_name: ns.bdev.name,
          name: ns.bdev.name,
          nguid: ns.nguid,
          uuid: ns.uuid,
          ...(this.anaReporting ? { anagrpid: ns.anagrpid } : {}),
        })),
    };
  }

  /** nvmf_subsystem_get_listeners' entries. */
  listenersJson(): Array<Record<string, unknown>> {
    return this.listeners.map((l) => ({
      address: { ...l.address },
      ...(this.anaReporting ? { ana_states: l.anaStates.map((state, i) => ({ ana_group: i + 1, ana_state: state })) } : {}),
    }));
  }

  /** nvmf_subsystem_get_controllers' entries. */
  controllersJson(): Array<Record<string, unknown>> {
    return this.controllers.map((c) => ({
      cntlid: c.cntlid,
      cntrltype: 'io',
      hostnqn: c.hostnqn,
      hostid: c.hostid,
      // v26.05 counts the bits of the controller's qpair mask, the admin qpair's included
      // (real spdk_tgt: 2 for one I/O qpair). SIMF controllers keep the count the SIMF tests expect.
      num_io_qpairs: c.io.length + (c.nvmeTcp && !c.adminClosed ? 1 : 0),
    }));
  }

  /** nvmf_subsystem_get_qpairs' entries: the admin qpairs, then the I/O qpairs. */
  qpairsJson(): Array<Record<string, unknown>> {
    const entry = (c: TargetController, q: TargetQpair) => ({
      cntlid: c.cntlid,
      qid: q.qid,
      state: q.state ?? 'enabled',
      thread: 'nvmf_tgt_poll_group_000',
      hostnqn: c.hostnqn,
      listen_address: { ...c.listener.address },
      peer_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: String(q.link.remotePort) },
      ...(q.auth ? { auth: { ...q.auth } } : {}),
    });
    return [...this.controllers.filter((c) => !c.adminClosed).map((c) => entry(c, c.admin)), ...this.controllers.flatMap((c) => c.io.map((q) => entry(c, q)))];
  }
}

/** nguid as spdk_tgt prints it: the uuid's 16 bytes in upper-case hex. */
export function nguidOf(uuid: string): string {
  return uuid.replace(/-/g, '').toUpperCase();
}
