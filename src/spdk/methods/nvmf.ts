/**
 * nvmf_*: the target side, exporting replicas and engines as NVMe-oF/TCP subsystems.
 * Contracts: rpc-schemas/spdk/nvmf_*.json. Every subsystem call is keyed by `nqn`, so the client
 * never pipelines two calls on one subsystem: an add_ns sent right behind the create of its
 * subsystem fails with -32603 "Internal error".
 */

import type { CallOptions, SpdkCaller } from '../call.js';

export type AnaState = 'optimized' | 'non_optimized' | 'inaccessible';

/** A listen address as sent. spdk_tgt reports it back as `TCP` / `IPv4`. */
export interface NvmfListenAddress {
  /** "tcp" */
  trtype: string;
  /** "ipv4" */
  adrfam?: string;
  traddr: string;
  trsvcid?: string;
}

export interface NvmfCreateTransportParams {
  /** "TCP"; a second transport of a type is refused with -32603 "Transport type 'TCP' already exists". */
  trtype: string;
  tgt_name?: string;
  max_queue_depth?: number;
  max_io_qpairs_per_ctrlr?: number;
  in_capsule_data_size?: number;
  max_io_size?: number;
  io_unit_size?: number;
  max_aq_depth?: number;
  num_shared_buffers?: number;
  buf_cache_size?: number;
  iobuf_small_cache_size?: number;
  iobuf_large_cache_size?: number;
  zcopy?: boolean;
  num_cqe?: number;
  max_srq_depth?: number;
  no_srq?: boolean;
  c2h_success?: boolean;
  dif_insert_or_strip?: boolean;
  sock_priority?: number;
  acceptor_backlog?: number;
  abort_timeout_sec?: number;
  no_wr_batching?: boolean;
  control_msg_num?: number;
  disable_mappable_bar0?: boolean;
  disable_adaptive_irq?: boolean;
  disable_shadow_doorbells?: boolean;
  acceptor_poll_rate?: number;
  ack_timeout?: number;
  data_wr_pool_size?: number;
  disable_command_passthru?: boolean;
  kas?: number;
  min_kato?: number;
  masked_oncs?: Array<'nvmcmps' | 'nvmdsmsv' | 'nvmwzsv' | 'reservs' | 'nvmcpys'>;
  masked_fuses?: Array<'fcws'>;
}

export interface NvmfTransport {
  trtype: string;
}

export interface NvmfCreateSubsystemParams {
  nqn: string;
  tgt_name?: string;
  /** Printable ASCII, at most 20 characters (the contract refuses more before sending). */
  serial_number?: string;
  /** Printable ASCII, at most 40 characters. */
  model_number?: string;
  max_namespaces?: number;
  allow_any_host?: boolean;
  ana_reporting?: boolean;
  /** 1..65519, and min <= max (spdk_tgt checks that: -32602 "Invalid cntlid range [..]"). */
  min_cntlid?: number;
  max_cntlid?: number;
  max_discard_size_kib?: number;
  max_write_zeroes_size_kib?: number;
  dmrsl?: number;
  wzsl?: number;
  passthrough?: boolean;
  enable_nssr?: boolean;
}

export interface NvmfNamespaceParams {
  nsid?: number;
  bdev_name: string;
  nguid?: string;
  eui64?: string;
  uuid?: string;
  ptpl_file?: string;
  anagrpid?: number;
  no_auto_visible?: boolean;
  hide_metadata?: boolean;
}

export interface NvmfAddNsParams {
  nqn: string;
  namespace: NvmfNamespaceParams;
  tgt_name?: string;
}

export interface NvmfRemoveNsParams {
  nqn: string;
  nsid: number;
  tgt_name?: string;
}

export interface NvmfAddListenerParams {
  nqn: string;
  listen_address: NvmfListenAddress;
  tgt_name?: string;
  /** TLS only; refused on an allow_any_host subsystem (-32603 "Cannot establish secure channel, …"). */
  secure_channel?: boolean;
  ana_state?: AnaState;
  sock_impl?: string;
  numa_id?: number;
}

export interface NvmfRemoveListenerParams {
  nqn: string;
  listen_address: NvmfListenAddress;
  tgt_name?: string;
}

export interface NvmfAddHostParams {
  nqn: string;
  host: string;
  tgt_name?: string;
  /** TLS: a keyring name, for a listener with secure_channel; anything else is -32603. */
  psk?: string;
  /** DH-HMAC-CHAP: keyring names; an unknown one is -32602, a ctrlr key alone -32603. */
  dhchap_key?: string;
  dhchap_ctrlr_key?: string;
}

export interface NvmfSetKeysParams {
  nqn: string;
  host: string;
  tgt_name?: string;
  dhchap_key?: string;
  dhchap_ctrlr_key?: string;
}

export interface NvmfRemoveHostParams {
  nqn: string;
  host: string;
  tgt_name?: string;
  timeout_ms?: number;
}

export interface NvmfAllowAnyHostParams {
  nqn: string;
  allow_any_host: boolean;
  tgt_name?: string;
}

export interface NvmfSetAnaStateParams {
  nqn: string;
  listen_address: NvmfListenAddress;
  ana_state: AnaState;
  tgt_name?: string;
  anagrpid?: number;
}

export interface NvmfSubsystemParams {
  nqn: string;
  tgt_name?: string;
}

export interface NvmfNamespace {
  nsid: number;
  bdev_name: string;
  uuid?: string;
  nguid?: string;
  anagrpid?: number;
}

export interface NvmfSubsystem {
  nqn: string;
  /** "NVMe", or "Discovery" for the discovery subsystem, which has no namespaces list. */
  subtype: string;
  listen_addresses: Array<Required<NvmfListenAddress>>;
  allow_any_host: boolean;
  /** Key names are shown for DH-HMAC-CHAP, never the PSK. */
  hosts: Array<{ nqn: string; dhchap_key?: string; dhchap_ctrlr_key?: string }>;
  serial_number?: string;
  model_number?: string;
  max_namespaces?: number;
  min_cntlid?: number;
  max_cntlid?: number;
  namespaces?: NvmfNamespace[];
}

export interface NvmfController {
  cntlid: number;
  hostnqn: string;
  cntrltype?: string;
  hostid?: string;
  num_io_qpairs?: number;
}

export interface NvmfListener {
  address: Required<NvmfListenAddress>;
  /** Present when the subsystem has ana_reporting. */
  ana_states?: Array<{ ana_group: number; ana_state: string }>;
}

export interface NvmfQpair {
  cntlid: number;
  qid: number;
  state: string;
  thread?: string;
  hostnqn?: string;
  listen_address?: Required<NvmfListenAddress>;
  peer_address?: Required<NvmfListenAddress>;
}

export class NvmfMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /** Creates a transport; needed once per target before any listener of that type. */
  createTransport(params: NvmfCreateTransportParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_create_transport', params, options);
  }

  getTransports(params?: { tgt_name?: string; trtype?: string }, options?: CallOptions): Promise<NvmfTransport[]> {
    return this.caller.call('nvmf_get_transports', params, options);
  }

  /**
   * Creates a subsystem. An existing NQN, a malformed NQN and the 1024th subsystem all read
   * -32603 "Unable to create subsystem <nqn>": read the subsystems to tell them apart.
   */
  createSubsystem(params: NvmfCreateSubsystemParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_create_subsystem', params, options);
  }

  /** Deletes a subsystem and drops its hosts' connections. A missing one is -32602 "Invalid parameters". */
  deleteSubsystem(params: NvmfSubsystemParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_delete_subsystem', params, options);
  }

  /** Lists subsystems (the discovery subsystem included), or the one named. */
  getSubsystems(params?: { nqn?: string; tgt_name?: string }, options?: CallOptions): Promise<NvmfSubsystem[]> {
    return this.caller.call('nvmf_get_subsystems', params, options);
  }

  /**
   * Exports a bdev as a namespace and resolves with its nsid. A bdev already exported, a missing
   * bdev and a missing subsystem all read -32602 "Invalid parameters".
   */
  addNs(params: NvmfAddNsParams, options?: CallOptions): Promise<number> {
    return this.caller.call('nvmf_subsystem_add_ns', params, options);
  }

  removeNs(params: NvmfRemoveNsParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_remove_ns', params, options);
  }

  /**
   * Adds a listener. A listener that exists, a transport not created, and an address the host
   * does not have all read -32602 "Invalid parameters".
   */
  addListener(params: NvmfAddListenerParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_add_listener', params, options);
  }

  /**
   * Removes a listener. Hosts connected through it see a lost path within a poll
   * (`reconnect_is_delayed`) and drop it when their ctrlr_loss_timeout_sec runs out.
   */
  removeListener(params: NvmfRemoveListenerParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_remove_listener', params, options);
  }

  /** Allows a host NQN. Adding one already allowed (or a non-NQN) is -32603 "Internal error". */
  addHost(params: NvmfAddHostParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_add_host', params, options);
  }

  /**
   * Disallows a host NQN and drops that host's controllers at once. Removing a host that is not
   * allowed is -32603 "Internal error".
   */
  removeHost(params: NvmfRemoveHostParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_remove_host', params, options);
  }

  /**
   * Changes a host's DH-HMAC-CHAP keys (later connections use them). `true` even for a host not on
   * the subsystem; an unknown key is -32602.
   */
  setKeys(params: NvmfSetKeysParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_set_keys', params, options);
  }

  /** Sets allow_any_host. Turning it off keeps hosts that are already connected. */
  allowAnyHost(params: NvmfAllowAnyHostParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_allow_any_host', params, options);
  }

  /**
   * Sets the ANA state of a listener. Needs a subsystem created with `ana_reporting: true`;
   * without it, or for a listener that does not exist, spdk_tgt answers -32603
   * "error setting ANA state: -22". Hosts read the state from bdev_get_bdevs
   * driver_specific.nvme[i].ns_data.ana_state.
   */
  setListenerAnaState(params: NvmfSetAnaStateParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('nvmf_subsystem_listener_set_ana_state', params, options);
  }

  /** The controllers (one per connected host path) of a subsystem. */
  getControllers(params: NvmfSubsystemParams, options?: CallOptions): Promise<NvmfController[]> {
    return this.caller.call('nvmf_subsystem_get_controllers', params, options);
  }

  getListeners(params: NvmfSubsystemParams, options?: CallOptions): Promise<NvmfListener[]> {
    return this.caller.call('nvmf_subsystem_get_listeners', params, options);
  }

  getQpairs(params: NvmfSubsystemParams, options?: CallOptions): Promise<NvmfQpair[]> {
    return this.caller.call('nvmf_subsystem_get_qpairs', params, options);
  }
}
