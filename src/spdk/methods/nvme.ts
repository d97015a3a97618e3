/**
 * bdev_nvme_*: the initiator side, attaching remote replicas over NVMe/TCP as bdevs.
 * Contracts: rpc-schemas/spdk/bdev_nvme_*.json.
 */

import type { CallOptions, SpdkCaller } from '../call.js';

/** A transport ID as spdk_tgt reports it (upper-case `TCP`, `IPv4`; requests take either case). */
export interface NvmeTransportId {
  trtype: string;
  adrfam: string;
  traddr: string;
  trsvcid: string;
  subnqn?: string;
}

export type NvmeMultipathMode = 'failover' | 'multipath' | 'disable';

export interface NvmeMultipathOpts {
  policy?: 'active_passive' | 'active_active';
  selector?: 'round_robin' | 'queue_depth';
  min_io?: number;
}

export interface NvmeAttachControllerParams {
  /** Controller name; its bdevs are named `<name>n<nsid>`. */
  name: string;
  /** "tcp" (a bad trtype reads -19 "No such device"). */
  trtype: string;
  traddr: string;
  adrfam?: string;
  trsvcid?: string;
  priority?: string;
  subnqn?: string;
  hostnqn?: string;
  hostaddr?: string;
  hostsvcid?: string;
  prchk_reftag?: boolean;
  prchk_guard?: boolean;
  hdgst?: boolean;
  ddgst?: boolean;
  fabrics_connect_timeout_us?: number;
  /** `multipath` adds a second path to an existing controller of the same name. */
  multipath?: NvmeMultipathMode;
  num_io_queues?: number;
  /** -1 retries forever; 0 (default) never reconnects. */
  ctrlr_loss_timeout_sec?: number;
  reconnect_delay_sec?: number;
  fast_io_fail_timeout_sec?: number;
  /** TLS: a keyring name (a path or an unknown name is -126, a DH-HMAC-CHAP key -19). */
  psk?: string;
  max_bdevs?: number;
  /** DH-HMAC-CHAP: keyring names; a wrong or missing key reads -5 like an unreachable target. */
  dhchap_key?: string;
  dhchap_ctrlr_key?: string;
  allow_unrecognized_csi?: boolean;
  multipath_opts?: NvmeMultipathOpts;
}

export interface NvmeDetachControllerParams {
  name: string;
  /** With the path fields below: detach only that path of a multipath controller. */
  trtype?: string;
  traddr?: string;
  adrfam?: string;
  trsvcid?: string;
  subnqn?: string;
  hostaddr?: string;
  hostsvcid?: string;
}

export interface NvmeSetKeysParams {
  name: string;
  dhchap_key?: string;
  dhchap_ctrlr_key?: string;
}

export interface NvmeSetOptionsParams {
  action_on_timeout?: 'none' | 'reset' | 'abort';
  timeout_us?: number;
  timeout_admin_us?: number;
  keep_alive_timeout_ms?: number;
  arbitration_burst?: number;
  low_priority_weight?: number;
  medium_priority_weight?: number;
  high_priority_weight?: number;
  nvme_adminq_poll_period_us?: number;
  nvme_ioq_poll_period_us?: number;
  io_queue_requests?: number;
  delay_cmd_submit?: boolean;
  transport_retry_count?: number;
  bdev_retry_count?: number;
  transport_ack_timeout?: number;
  ctrlr_loss_timeout_sec?: number;
  reconnect_delay_sec?: number;
  fast_io_fail_timeout_sec?: number;
  disable_auto_failback?: boolean;
  generate_uuids?: boolean;
  transport_tos?: number;
  nvme_error_stat?: boolean;
  rdma_srq_size?: number;
  io_path_stat?: boolean;
  allow_accel_sequence?: boolean;
  rdma_max_cq_size?: number;
  rdma_cm_event_timeout_ms?: number;
  dhchap_digests?: Array<'sha256' | 'sha384' | 'sha512'>;
  dhchap_dhgroups?: Array<'null' | 'ffdhe2048' | 'ffdhe3072' | 'ffdhe4096' | 'ffdhe6144' | 'ffdhe8192'>;
  rdma_umr_per_io?: boolean;
  tcp_connect_timeout_ms?: number;
  enable_flush?: boolean;
  multipath_opts?: NvmeMultipathOpts;
}

/** One path (controller) of a bdev_nvme controller. */
export interface NvmeCtrlrPath {
  /** `enabled`, `resetting`, `reconnect_is_delayed` while a lost path waits to retry, … */
  state: string;
  trid: NvmeTransportId;
  cntlid: number;
  host?: { nqn: string };
}

export interface NvmeController {
  name: string;
  ctrlrs: NvmeCtrlrPath[];
}

export interface NvmeIoPath {
  bdev_name: string;
  cntlid: number;
  current: boolean;
  connected: boolean;
  accessible: boolean;
  transport: NvmeTransportId;
}

export interface NvmeIoPaths {
  /** Empty until something opened the bdevs (an I/O channel creates the poll group's paths). */
  poll_groups: Array<{ thread: string; io_paths: NvmeIoPath[] }>;
}

export class NvmeMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /**
   * Connects to a controller and resolves with the names of the bdevs it created. The timeouts
   * must satisfy spdk_tgt's rules or the call fails with -22 "Invalid argument":
   * fast_io_fail <= ctrlr_loss; reconnect_delay != 0 when ctrlr_loss != 0; reconnect_delay <=
   * ctrlr_loss; reconnect_delay <= fast_io_fail when that is non-zero; ctrlr_loss >= -1;
   * ctrlr_loss 0 forces the other two to 0. The duplicate checks run first: a taken name is -114,
   * a path already attached under another name is -17 (masking bad timeouts). A host not on the
   * subsystem's allow-list, a closed port or a missing subsystem all read -5. Near DMA exhaustion
   * an attach may fail with -19 or "succeed" while its qpairs failed to allocate.
   */
  attachController(params: NvmeAttachControllerParams, options?: CallOptions): Promise<string[]> {
    return this.caller.call('bdev_nvme_attach_controller', params, options);
  }

  /** Disconnects a controller (or one path of it) and deletes its bdevs. */
  detachController(params: NvmeDetachControllerParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_nvme_detach_controller', params, options);
  }

  /**
   * Lists controllers with the state of each path. A name that does not exist is an error
   * (-22 "Controller <name> does not exist"), not an empty list. A lost path shows
   * `reconnect_is_delayed` until ctrlr_loss_timeout_sec passes, then the controller vanishes.
   */
  getControllers(params?: { name?: string }, options?: CallOptions): Promise<NvmeController[]> {
    return this.caller.call('bdev_nvme_get_controllers', params, options);
  }

  /**
   * Re-authenticates a live controller with other keys. A wrong key is -13 "Permission denied" and
   * leaves the controller resetting until it is detached; an unknown controller is -19.
   */
  setKeys(params: NvmeSetKeysParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_nvme_set_keys', params, options);
  }

  /** Sets module-wide defaults; send it before the first attach. */
  setOptions(params: NvmeSetOptionsParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('bdev_nvme_set_options', params, options);
  }

  /**
   * Lists I/O paths per poll group with current/connected/accessible flags. The ANA state of a
   * path is not here: it is in bdev_get_bdevs → driver_specific.nvme[i].ns_data.ana_state.
   */
  getIoPaths(params?: { name?: string }, options?: CallOptions): Promise<NvmeIoPaths> {
    return this.caller.call('bdev_nvme_get_io_paths', params, options);
  }
}
