/**
 * nvmf_* methods for what hangs off a subsystem: namespaces, listeners and their ANA states, and
 * the queries of connected controllers, qpairs and listeners (nvmf_rpc.c, transcripts 08, 15, 16).
 * These pause the subsystem in spdk_tgt, so they fail with "Internal error" while it is still
 * starting (created in the same poll).
 */
import { isIPv4 } from 'node:net';
import { SimRpcError, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { NVMF_INVALID_PARAMS, record } from '../fabric/decode.js';
import type { AnaState } from '../fabric/protocol.js';
import type { NvmfModule } from './index.js';
import { DEFAULT_TGT } from './rpc.js';
import { nguidOf, type ListenAddress, type Subsystem } from './subsystem.js';
import { NVMF_VALIDATION } from './validation.js';

const internal = (message = 'Internal error') => new SimRpcError(-32603, message);
const invalidParams = () => new SimRpcError(NVMF_INVALID_PARAMS.code, NVMF_INVALID_PARAMS.message);
const ADRFAMS = ['ipv4', 'ipv6', 'ib', 'fc', 'intra_host'];
const ADRFAM_NAMES: Record<string, string> = { ipv4: 'IPv4', ipv6: 'IPv6', ib: 'IB', fc: 'FC', intra_host: 'INTRA_HOST' };
const NSID_GLOBAL = 0xffff_ffff;

/** rpc_listen_address_to_trid: null when spdk_tgt could not make a transport id of it. */
function toAddress(raw: unknown): ListenAddress | null {
  const a = record(raw);
  const adrfam = ((a.adrfam as string | undefined) ?? 'ipv4').toLowerCase();
  if (!ADRFAMS.includes(adrfam)) return null;
  const traddr = a.traddr as string;
  const trsvcid = (a.trsvcid as string | undefined) ?? '';
  if (traddr.length > 256 || trsvcid.length > 32) return null;
  return { trtype: (a.trtype as string).toUpperCase() as 'TCP', adrfam: ADRFAM_NAMES[adrfam]!, traddr, trsvcid };
}

export function registerNvmfPathRpcs(target: SimTarget, nvmf: NvmfModule): void {
  /** The subsystem of `params.nqn` once it may be paused, or the spdk_tgt error. */
  const pausable = (p: Record<string, unknown>, missing = invalidParams): Subsystem => {
    if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw internal('Unable to find a target.');
    const sub = nvmf.subsystems.get(p.nqn as string);
    if (!sub) throw missing();
    if (sub.activating(target.currentPoll())) throw internal();
    return sub;
  };

  target.register('nvmf_subsystem_add_ns', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_add_ns'),
    handler: (params) => {
      const p = record(params);
      const sub = pausable(p);
      const spec = record(p.namespace);
      let nsid = (spec.nsid as number | undefined) ?? 0;
      if (nsid === NSID_GLOBAL) throw invalidParams();
      if (nsid === 0) nsid = sub.freeNsid();
      if (nsid === 0 || nsid > sub.maxNamespaces || sub.namespaces.has(nsid)) throw invalidParams();
      const anagrpid = (spec.anagrpid as number | undefined) || nsid;
      if (anagrpid > sub.maxNamespaces) throw invalidParams();
      const bdev = target.bdevs.get(spec.bdev_name as string);
      if (!bdev || bdev.claim !== null) throw invalidParams();
      target.bdevs.claim(bdev.name, { module: 'nvmf_tgt', holder: sub.nqn, claimType: 'exclusive_write' });
      const uuid = ((spec.uuid as string | undefined) ?? bdev.uuid).toLowerCase();
      const nguid = typeof spec.nguid === 'string' ? spec.nguid.replace(/-/g, '').toUpperCase() : nguidOf(uuid);
      sub.namespaces.set(nsid, { nsid, bdev, uuid, nguid, anagrpid });
      nvmf.sessions.notify(sub);
      return nsid;
    },
  });

  target.register('nvmf_subsystem_remove_ns', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_remove_ns'),
    handler: (params) => {
      const p = record(params);
      const sub = pausable(p);
      const ns = sub.namespaces.get(p.nsid as number);
      if (!ns) throw invalidParams();
      nvmf.removeNamespace(sub, ns);
      return true;
    },
  });

  target.register('nvmf_subsystem_add_listener', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_add_listener'),
    handler: async (params) => {
      const p = record(params);
      if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw internal('Unable to find a target.');
      const sub = nvmf.subsystems.get(p.nqn as string);
      if (!sub) throw invalidParams();
      const address = toAddress(p.listen_address);
      if (!address) throw invalidParams();
      if (sub.allowAnyHost && p.secure_channel === true) {
        throw internal("Cannot establish secure channel, when 'allow_any_host' is set");
      }
      if (sub.activating(target.currentPoll())) throw internal();
      if (sub.findListener(address.traddr, address.trsvcid)) throw invalidParams();
      // spdk_tgt listens through the transport of that trtype: it must exist and bind.
      if (address.trtype !== 'TCP' || !nvmf.transport) throw invalidParams();
      // The TCP transport's listen fails for an IPv4 traddr with adrfam ipv6 (issue 15, real spdk_tgt).
      if (address.adrfam === 'IPv6' && isIPv4(address.traddr)) throw invalidParams();
      if (!(await nvmf.ports.listen(address))) throw invalidParams();
      if (!nvmf.subsystems.has(sub.nqn)) {
        nvmf.ports.unlisten(address);
        throw invalidParams();
      }
      const state = (p.ana_state as AnaState | undefined) ?? 'optimized';
      const secureChannel = p.secure_channel === true;
      if (secureChannel) target.log('nvmf_tls_listener', { subnqn: sub.nqn, trsvcid: address.trsvcid, note: 'TLS support is considered experimental' });
      sub.listeners.unshift({ address, secureChannel, anaStates: Array.from({ length: sub.maxNamespaces }, () => state) });
      return true;
    },
  });

  target.register('nvmf_subsystem_remove_listener', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_remove_listener'),
    handler: (params) => {
      const p = record(params);
      if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw internal('Unable to find a target.');
      const sub = nvmf.subsystems.get(p.nqn as string);
      if (!sub) throw invalidParams();
      const address = toAddress(p.listen_address);
      if (!address || address.trtype !== 'TCP' || !nvmf.transport) throw invalidParams();
      if (sub.activating(target.currentPoll())) throw internal();
      const listener = sub.findListener(address.traddr, address.trsvcid);
      if (!listener) throw invalidParams();
      sub.listeners.splice(sub.listeners.indexOf(listener), 1);
      // Hosts connected through it lose their connection at once (transcript 15).
      for (const ctrl of sub.controllers.filter((c) => c.listener === listener)) nvmf.sessions.disconnect(ctrl);
      nvmf.ports.unlisten(listener.address);
      return true;
    },
  });

  target.register('nvmf_subsystem_listener_set_ana_state', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_listener_set_ana_state'),
    handler: (params) => {
      const p = record(params);
      const nqn = p.nqn as string;
      const sub = pausable(p, () => new SimRpcError(-32602, `Unable to find subsystem with NQN ${nqn}`));
      const address = toAddress(p.listen_address);
      if (!address) throw invalidParams();
      const failed = () => internal('error setting ANA state: -22');
      const anagrpid = (p.anagrpid as number | undefined) ?? 0;
      if (!sub.anaReporting || anagrpid > sub.maxNamespaces) throw failed();
      const listener = sub.findListener(address.traddr, address.trsvcid);
      if (!listener) throw failed();
      const state = p.ana_state as AnaState;
      listener.anaStates.forEach((_, i) => {
        if (anagrpid === 0 || i + 1 === anagrpid) listener.anaStates[i] = state;
      });
      nvmf.sessions.notifyAna(sub);
      return true;
    },
  });

  target.register('nvmf_subsystem_get_controllers', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_get_controllers'),
    handler: (params) => pausable(record(params)).controllersJson(),
  });

  target.register('nvmf_subsystem_get_qpairs', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_get_qpairs'),
    handler: (params) => pausable(record(params)).qpairsJson(),
  });

  target.register('nvmf_subsystem_get_listeners', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_get_listeners'),
    handler: (params) => pausable(record(params)).listenersJson(),
  });
}
