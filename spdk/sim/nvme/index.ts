/**
 * The bdev_nvme module: NVMe-oF/TCP host. bdev_nvme_attach_controller opens a real TCP connection
 * to another simulator's listener (the simulator's own fabric protocol), registers one bdev per
 * namespace and keeps the controller alive through losses with spdk_tgt's reconnect timing.
 * Controllers sharing a name are the paths of one multipath bdev.
 */
import type { SimModule, SimTarget } from '../core/contract.js';
import { fabricFaults } from '../fabric/faults.js';
import { Keyring } from '../keyring/keyring.js';
import { ATTACH_STEPS } from './attach-memory.js';
import { NvmeBdev, RR_MIN_IO_DEFAULT } from './bdev.js';
import { DELETE_DELAY_MS, NvmeCtrlr, type CtrlrEvents, type CtrlrOptions, type TransportId } from './controller.js';
import { registerNvmeRpcs } from './rpc.js';

/** bdev_nvme_set_options values, with spdk_tgt's defaults (framework_get_config, transcript 03). */
export const NVME_OPTION_DEFAULTS = {
  action_on_timeout: 'none',
  timeout_us: 0,
  timeout_admin_us: 0,
  keep_alive_timeout_ms: 10000,
  arbitration_burst: 0,
  low_priority_weight: 0,
  medium_priority_weight: 0,
  high_priority_weight: 0,
  nvme_adminq_poll_period_us: 10000,
  nvme_ioq_poll_period_us: 0,
  // 0 until the first controller raises it to its own qpair size (bdev_nvme.c).
  io_queue_requests: 0,
  delay_cmd_submit: true,
  transport_retry_count: 4,
  bdev_retry_count: 3,
  transport_ack_timeout: 0,
  ctrlr_loss_timeout_sec: 0,
  reconnect_delay_sec: 0,
  fast_io_fail_timeout_sec: 0,
  disable_auto_failback: false,
  generate_uuids: false,
  transport_tos: 0,
  nvme_error_stat: false,
  rdma_srq_size: 0,
  io_path_stat: false,
  allow_accel_sequence: false,
  rdma_max_cq_size: 0,
  rdma_cm_event_timeout_ms: 0,
  dhchap_digests: ['sha256', 'sha384', 'sha512'],
  dhchap_dhgroups: ['null', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'],
  rdma_umr_per_io: false,
  tcp_connect_timeout_ms: 0,
  enable_flush: false,
  multipath_opts: { policy: 'active_passive' },
} as const satisfies Record<string, unknown>;

/** A controller's qpair requests; the global option grows to it on the first attach. */
const CTRLR_IO_QUEUE_REQUESTS = 512;
/** num_io_queues as negotiated with a target whose max_io_qpairs_per_ctrlr is 127. */
const NEGOTIATED_IO_QUEUES = 127;

/** fabrics_connect_timeout_us default of spdk_nvme_ctrlr_get_default_ctrlr_opts. */
export const CONNECT_TIMEOUT_MS = 500;

export interface Path {
  readonly ctrlr: NvmeCtrlr;
  readonly memoryTag: string;
}

export class NvmeModule implements SimModule {
  readonly name = 'bdev_nvme';
  readonly hostid = crypto.randomUUID();
  readonly defaultHostnqn = `nqn.2014-08.org.nvmexpress:uuid:${this.hostid}`;
  readonly options: Record<string, unknown> = { ...NVME_OPTION_DEFAULTS };
  /** Controller name → its paths, in attach order; names in attach order. */
  readonly controllers = new Map<string, Path[]>();
  /** Controller name → its namespace bdevs. */
  readonly namespaceBdevs = new Map<string, NvmeBdev[]>();
  /** Controller name → attached with multipath "multipath" (all paths of a name agree). */
  readonly multipathByName = new Map<string, boolean>();
  private target: SimTarget | null = null;
  private nextTag = 1;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly keyringOf: () => Keyring = ownKeyring()) {}

  /** spdk_tgt's keyring, shared with the nvmf target. */
  get keyring(): Keyring {
    return this.keyringOf();
  }

  install(target: SimTarget): void {
    this.target = target;
    registerNvmeRpcs(target, this);
    target.addConfigSource('bdev', () => this.configEntries());
    fabricFaults(target).add({
      cutController: (name) => this.eachPath(name, (p) => p.ctrlr.cut()),
      blackholeController: (name, enable) => this.eachPath(name, (p) => p.ctrlr.setStalled(enable)),
    });
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const paths of this.controllers.values()) for (const p of paths) p.ctrlr.detach();
  }

  get sim(): SimTarget {
    if (!this.target) throw new Error('bdev_nvme module not installed');
    return this.target;
  }

  /** A new path's controller, wired to this module's bookkeeping. */
  newController(name: string, trid: TransportId, opts: CtrlrOptions): NvmeCtrlr {
    const events: CtrlrEvents = {
      namespacesChanged: (ctrlr) => this.syncNamespaces(ctrlr),
      lost: (ctrlr) => this.ctrlrLost(ctrlr),
      log: (event, fields) => this.sim.log(event, fields),
    };
    return new NvmeCtrlr(name, trid, opts, events);
  }

  /**
   * Makes the DMA heap allocations of one path's controller in SPDK's order (attach-memory.ts),
   * short-lived buffers included; null, with nothing kept, when one does not fit.
   */
  takeQpairMemory(name: string): string | null {
    const tag = `nvme-ctrlr:${name}#${this.nextTag++}`;
    const buffer = (b: string) => `${tag}/${b}`;
    const held = new Set<string>();
    for (const step of ATTACH_STEPS) {
      if ('release' in step) {
        this.sim.memory.free(buffer(step.release));
        held.delete(step.release);
        continue;
      }
      const { take } = step;
      if (!this.sim.memory.alloc(step.buffer === undefined ? tag : buffer(step.buffer), take.bytes, { align: take.align })) {
        for (const b of held) this.sim.memory.free(buffer(b));
        this.sim.memory.free(tag);
        this.sim.log('nvme_attach_no_memory', { name, failed: take.what, bytes: take.bytes });
        return null;
      }
      if (step.buffer !== undefined) held.add(step.buffer);
    }
    return tag;
  }

  /** Registers a connected path and its namespaces; returns the bdev names it created or joined. */
  addPath(path: Path, multipath: boolean): string[] {
    this.multipathByName.set(path.ctrlr.name, multipath);
    this.options.io_queue_requests = Math.max(this.options.io_queue_requests as number, CTRLR_IO_QUEUE_REQUESTS);
    const paths = this.controllers.get(path.ctrlr.name) ?? [];
    paths.push(path);
    this.controllers.set(path.ctrlr.name, paths);
    return this.syncNamespaces(path.ctrlr);
  }

  /** Detaches paths of `name` (all, or those `match` picks); false when none matched. */
  detach(name: string, match: (ctrlr: NvmeCtrlr) => boolean = () => true): boolean {
    const paths = this.controllers.get(name);
    const chosen = paths?.filter((p) => match(p.ctrlr)) ?? [];
    if (chosen.length === 0) return false;
    for (const path of chosen) {
      path.ctrlr.detach();
      this.dropPath(path);
    }
    return true;
  }

  /** Cuts the connections of every TLS path to `traddr`: each resets and reconnects. */
  dropTlsPaths(traddr: string): void {
    for (const paths of this.controllers.values()) {
      for (const { ctrlr } of paths) {
        if (ctrlr.trid.traddr !== traddr || !ctrlr.opts.credentials?.usesTls || !ctrlr.usable) continue;
        this.sim.log('nvme_ctrlr_tls_dropped', { name: ctrlr.name, trsvcid: ctrlr.trid.trsvcid, reason: 'a TLS attempt to a listener without secure_channel failed' });
        ctrlr.cut();
      }
    }
  }

  /**
   * framework_get_config's bdev_nvme part: options, one attach per path, the multipath policy of
   * each bdev that is not at the defaults (bdev_nvme_multipath_config_json), hotplug.
   */
  private configEntries(): Array<{ method: string; params: Record<string, unknown> }> {
    const attaches = [...this.controllers].flatMap(([name, paths]) =>
      paths.map(({ ctrlr }) => ({
        method: 'bdev_nvme_attach_controller',
        params: {
          name,
          ...ctrlr.trid,
          prchk_reftag: false,
          prchk_guard: false,
          ctrlr_loss_timeout_sec: ctrlr.opts.ctrlrLossTimeoutSec,
          reconnect_delay_sec: ctrlr.opts.reconnectDelaySec,
          fast_io_fail_timeout_sec: ctrlr.opts.fastIoFailTimeoutSec,
          ...ctrlr.opts.credentials?.configNames,
          hostnqn: ctrlr.opts.hostnqn,
          hdgst: false,
          ddgst: false,
          ...(this.multipathByName.get(name) ? { multipath: 'multipath' } : {}),
          fabrics_connect_timeout_us: CONNECT_TIMEOUT_MS * 1000,
          num_io_queues: NEGOTIATED_IO_QUEUES,
          multipath_opts: { policy: 'active_passive' },
        },
      })),
    );
    const policies = [...this.namespaceBdevs.values()].flat().flatMap((b) =>
      b.mpPolicy === 'active_passive' && b.mpSelector === 'round_robin' && b.rrMinIo === RR_MIN_IO_DEFAULT
        ? []
        : [
            {
              method: 'bdev_nvme_set_multipath_policy',
              params: {
                name: b.name,
                policy: b.mpPolicy,
                ...(b.mpPolicy === 'active_active' ? { selector: b.mpSelector } : {}),
                ...(b.mpPolicy === 'active_active' && b.mpSelector === 'round_robin' ? { rr_min_io: b.rrMinIo } : {}),
              },
            },
          ],
    );
    return [{ method: 'bdev_nvme_set_options', params: { ...this.options } }, ...attaches, ...policies, { method: 'bdev_nvme_set_hotplug', params: { period_us: 100000, enable: false } }];
  }

  private eachPath(name: string, fn: (p: Path) => void): boolean {
    const paths = this.controllers.get(name);
    if (!paths) return false;
    paths.forEach(fn);
    return true;
  }

  /** Brings the namespace bdevs of `ctrlr`'s name in line with what the path reports. */
  private syncNamespaces(ctrlr: NvmeCtrlr): string[] {
    const registry = this.sim.bdevs;
    const bdevs = this.namespaceBdevs.get(ctrlr.name) ?? [];
    this.namespaceBdevs.set(ctrlr.name, bdevs);
    const names: string[] = [];
    for (const ns of ctrlr.namespaces) {
      let bdev = bdevs.find((b) => b.nsid === ns.nsid);
      if (bdev && bdev.uuid !== ns.uuid) {
        this.leaveBdev(bdev, ctrlr);
        bdev = undefined;
      }
      if (!bdev) {
        bdev = new NvmeBdev(ctrlr.name, ns.nsid, ns.uuid, ns.blockSize, ns.numBlocks);
        bdev.paths.push(ctrlr);
        try {
          registry.add(bdev);
        } catch {
          // spdk_tgt logs "Bdev name <uuid> already exists" and the attach answers without it.
          this.sim.log('nvme_bdev_register_failed', { bdev: bdev.name, uuid: ns.uuid });
          continue;
        }
        bdevs.push(bdev);
      } else if (!bdev.paths.includes(ctrlr)) {
        bdev.paths.push(ctrlr);
      }
      if (bdev.numBlocks !== ns.numBlocks) {
        bdev.numBlocks = ns.numBlocks;
        // bdev_nvme's namespace resize: whatever holds the bdev (a raid) sees the new size.
        registry.resized?.(bdev);
      }
      names.push(bdev.name);
    }
    for (const bdev of [...bdevs]) {
      if (!ctrlr.namespaces.some((n) => n.nsid === bdev.nsid && n.uuid === bdev.uuid)) this.leaveBdev(bdev, ctrlr);
    }
    return names;
  }

  /** `ctrlr` no longer serves `bdev`; the bdev is hot-removed when no path is left. */
  private leaveBdev(bdev: NvmeBdev, ctrlr: NvmeCtrlr): void {
    const i = bdev.paths.indexOf(ctrlr);
    if (i >= 0) bdev.paths.splice(i, 1);
    if (bdev.paths.length > 0) return;
    const bdevs = this.namespaceBdevs.get(ctrlr.name);
    if (bdevs?.includes(bdev)) bdevs.splice(bdevs.indexOf(bdev), 1);
    if (this.sim.bdevs.get(bdev.name) === bdev) this.sim.bdevs.remove(bdev.name, 'hot-remove');
  }

  /** ctrlr_loss_timeout_sec expired: the bdev goes now, the controller a moment later. */
  private ctrlrLost(ctrlr: NvmeCtrlr): void {
    for (const bdev of [...(this.namespaceBdevs.get(ctrlr.name) ?? [])]) this.leaveBdev(bdev, ctrlr);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const path = this.controllers.get(ctrlr.name)?.find((p) => p.ctrlr === ctrlr);
      if (path) this.dropPath(path);
    }, DELETE_DELAY_MS);
    this.timers.add(timer);
  }

  private dropPath(path: Path): void {
    const { ctrlr } = path;
    for (const bdev of [...(this.namespaceBdevs.get(ctrlr.name) ?? [])]) this.leaveBdev(bdev, ctrlr);
    const paths = this.controllers.get(ctrlr.name);
    if (paths) {
      const i = paths.indexOf(path);
      if (i >= 0) paths.splice(i, 1);
      if (paths.length === 0) {
        this.controllers.delete(ctrlr.name);
        this.namespaceBdevs.delete(ctrlr.name);
        this.multipathByName.delete(ctrlr.name);
      }
    }
    this.sim.memory.free(path.memoryTag);
    ctrlr.opts.credentials?.release();
  }
}

/** A keyring of the module's own, for a target assembled without the keyring module (tests). */
function ownKeyring(): () => Keyring {
  const keyring = new Keyring(() => undefined);
  return () => keyring;
}

export const nvmeModule = (keyring?: () => Keyring): NvmeModule => new NvmeModule(keyring);
