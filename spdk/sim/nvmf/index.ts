/**
 * The NVMe-oF target module (nvmf_tgt): one TCP transport, subsystems with namespaces over the
 * registry's bdevs, listeners that are real TCP ports on 127.0.0.1, host allow-lists and ANA
 * states. Hosts are other simulators' bdev_nvme, speaking the simulator's own fabric protocol
 * (SIMF), or NVMe/TCP hosts (tcp/): each connection's first byte tells which.
 */
import { POLL_GROUP_THREAD, type SimBdev, type SimModule, type SimTarget } from '../core/contract.js';
import { fabricFaults } from '../fabric/faults.js';
import { Keyring } from '../keyring/keyring.js';
import { Ports } from './ports.js';
import { registerNvmfRpcs } from './rpc.js';
import { registerNvmfPathRpcs } from './rpc-paths.js';
import { TargetSessions } from './session.js';
import { TcpTarget } from './tcp/target.js';
import type { Namespace, Subsystem } from './subsystem.js';

/** nvmf_get_transports' dump of the TCP transport with spdk_tgt's defaults (transcript 14). */
export type TransportOptions = Record<string, unknown> & { trtype: 'TCP' };

export const TCP_TRANSPORT_DEFAULTS = {
  max_queue_depth: 128,
  max_io_qpairs_per_ctrlr: 127,
  in_capsule_data_size: 4096,
  max_io_size: 131072,
  max_aq_depth: 128,
  iobuf_small_cache_size: 4294967295,
  iobuf_large_cache_size: 4294967295,
  dif_insert_or_strip: false,
  zcopy: false,
  c2h_success: true,
  sock_priority: 0,
  abort_timeout_sec: 1,
  ack_timeout: 0,
  data_wr_pool_size: 0,
  disable_command_passthru: false,
  kas: 100,
  min_kato: 10000,
} as const;

/** spdk_tgt's default max_subsystems, the discovery subsystem included. */
export const DEFAULT_MAX_SUBSYSTEMS = 1024;

export class NvmfModule implements SimModule {
  readonly name = 'nvmf';
  transport: TransportOptions | null = null;
  readonly subsystems = new Map<string, Subsystem>();
  readonly sessions: TargetSessions;
  /** Hosts speaking real NVMe/TCP (a userspace host, nvme-cli's kernel initiator). */
  readonly tcp: TcpTarget;
  readonly ports: Ports;
  private target: SimTarget | null = null;
  private unsubscribe: (() => void) | null = null;

  /**
   * spdk_tgt raises the limit only at start-up (nvmf_set_max_subsystems under --wait-for-rpc,
   * before framework_start_init); the simulator's equivalent is its --max-subsystems flag.
   */
  constructor(
    readonly maxSubsystems = DEFAULT_MAX_SUBSYSTEMS,
    private readonly keyringOf: () => Keyring = ownKeyring(),
  ) {
    this.sessions = new TargetSessions({
      subsystem: (nqn) => this.subsystems.get(nqn),
      subsystems: () => this.subsystems.values(),
      readKey: (key) => this.keyring.read(key),
      log: (event, fields) => this.target?.log(event, fields),
      onPollGroup: (fn) => (this.target ? this.target.onThread(POLL_GROUP_THREAD, fn) : fn()),
      acceptNvmeTcp: (socket, address) => this.tcp.accept(socket, address),
    });
    this.tcp = new TcpTarget({
      subsystem: (nqn) => this.subsystems.get(nqn),
      transport: () => this.transport,
      onPollGroup: (fn) => (this.target ? this.target.onThread(POLL_GROUP_THREAD, fn) : fn()),
      log: (event, fields) => this.target?.log(event, fields),
      readKey: (key) => this.keyring.read(key),
    });
    this.ports = new Ports((socket, address, lend) => this.sessions.accept(socket, address, lend));
  }

  log(event: string, fields?: Record<string, unknown>): void {
    this.target?.log(event, fields);
  }

  /** spdk_tgt's keyring, shared with bdev_nvme. */
  get keyring(): Keyring {
    return this.keyringOf();
  }

  install(target: SimTarget): void {
    this.target = target;
    registerNvmfRpcs(target, this);
    registerNvmfPathRpcs(target, this);
    target.addConfigSource('nvmf', () => this.configEntries());
    const offRemove = target.bdevs.onRemove((bdev) => this.bdevGone(bdev));
    const offResize = target.bdevs.onResize?.((bdev) => this.bdevResized(bdev));
    this.unsubscribe = () => {
      offRemove();
      offResize?.();
    };
    fabricFaults(target).add({
      cutSubsystem: (nqn) => {
        const sub = this.subsystems.get(nqn);
        if (!sub) return false;
        for (const ctrl of [...sub.controllers]) this.sessions.disconnect(ctrl);
        return true;
      },
      blackholeSubsystem: (nqn, enable) => {
        const sub = this.subsystems.get(nqn);
        if (!sub) return false;
        this.sessions.setStalled(sub, enable);
        return true;
      },
      killListeners: () => this.ports.kill(),
      restoreListeners: () => this.ports.restore(),
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.sessions.close();
    await this.ports.close();
  }

  /**
   * framework_get_config's nvmf part as nvmf_subsystem_write_config_json (nvmf_tgt.c) and
   * spdk_nvmf_tgt_write_config_json (nvmf.c) begin it: the target's options with spdk_tgt's
   * defaults, its max_subsystems (the configured one), crdt, and the transport as
   * nvmf_transport_dump_opts writes it (nvmf_get_transports shows the same). The per-subsystem
   * entries that follow in spdk_tgt are not given (see README).
   */
  configEntries(): Array<{ method: string; params?: Record<string, unknown> }> {
    const passthru = ['identify_ctrlr', 'identify_uuid_list', 'get_log_page', 'get_set_features', 'sanitize', 'security_send_recv', 'fw_update', 'nvme_mi', 'vendor_specific'];
    return [
      {
        method: 'nvmf_set_config',
        params: {
          discovery_filter: 'match_any',
          admin_cmd_passthru: Object.fromEntries(passthru.map((k) => [k, false])),
          dhchap_digests: ['sha256', 'sha384', 'sha512'],
          dhchap_dhgroups: ['null', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'],
          dup_host_policy: 'allow',
        },
      },
      { method: 'nvmf_set_max_subsystems', params: { max_subsystems: this.maxSubsystems } },
      { method: 'nvmf_set_crdt', params: { crdt1: 0, crdt2: 0, crdt3: 0 } },
      ...(this.transport ? [{ method: 'nvmf_create_transport', params: { ...this.transport } }] : []),
    ];
  }

  /** Subsystems in NQN order (spdk_tgt keeps them in a tree keyed by NQN). */
  sorted(): Subsystem[] {
    return [...this.subsystems.values()].sort((a, b) => (a.nqn < b.nqn ? -1 : a.nqn > b.nqn ? 1 : 0));
  }

  /** Takes a namespace out, releasing its bdev, and tells the hosts. */
  removeNamespace(sub: Subsystem, ns: Namespace): void {
    sub.namespaces.delete(ns.nsid);
    const target = this.target;
    if (target && target.bdevs.get(ns.bdev.name) === ns.bdev && ns.bdev.claim?.holder === sub.nqn) {
      target.bdevs.release(ns.bdev.name, sub.nqn);
    }
    this.sessions.notify(sub);
  }

  /** Deletes a subsystem: hosts are dropped, namespaces released, ports closed if unused. */
  deleteSubsystem(sub: Subsystem): void {
    this.subsystems.delete(sub.nqn);
    for (const ctrl of [...sub.controllers]) this.sessions.disconnect(ctrl);
    for (const ns of [...sub.namespaces.values()]) this.removeNamespace(sub, ns);
    for (const listener of sub.listeners.splice(0)) this.ports.unlisten(listener.address);
    if (sub.stalled) this.sessions.setStalled(sub, false);
    for (const host of [...sub.hostKeys.keys()]) this.releaseHostKeys(sub, host);
  }

  /** The host left the subsystem: its keys' references go back to the keyring. */
  releaseHostKeys(sub: Subsystem, hostnqn: string): void {
    const keys = sub.hostKeys.get(hostnqn);
    if (!keys) return;
    sub.hostKeys.delete(hostnqn);
    this.keyring.put(keys.dhchapKey);
    this.keyring.put(keys.dhchapCtrlrKey);
    this.keyring.put(keys.psk?.key);
  }

  /** A namespace's bdev changed size: its hosts are told (the namespace attribute changed notice). */
  private bdevResized(bdev: SimBdev): void {
    for (const sub of this.subsystems.values()) {
      if ([...sub.namespaces.values()].some((ns) => ns.bdev === bdev)) this.sessions.notify(sub);
    }
  }

  /** A namespace's bdev was deleted or hot-removed: the namespace goes with it. */
  private bdevGone(bdev: SimBdev): void {
    for (const sub of this.subsystems.values()) {
      for (const ns of [...sub.namespaces.values()]) if (ns.bdev === bdev) this.removeNamespace(sub, ns);
    }
  }
}

/** A keyring of the module's own, for a target assembled without the keyring module (tests). */
function ownKeyring(): () => Keyring {
  const keyring = new Keyring(() => undefined);
  return () => keyring;
}

export const nvmfModule = (maxSubsystems?: number, keyring?: () => Keyring): NvmfModule => new NvmfModule(maxSubsystems, keyring);
