/**
 * nvmf_* methods for what hangs off a subsystem: namespaces, listeners and their ANA states, and
 * the queries of connected controllers, qpairs and listeners (nvmf_rpc.c, transcripts 08, 15, 16).
 * These pause the subsystem in spdk_tgt, so they fail with "Internal error" while it is still
 * starting (created in the same poll).
 */
import { SimRpcError, type SimTarget } from '../core/contract.js';
import { NVMF_INVALID_PARAMS, objectDecoder, record, relaxedDecoder, type ParamSpec } from '../fabric/decode.js';
import type { AnaState } from '../fabric/protocol.js';
import type { NvmfModule } from './index.js';
import { DEFAULT_TGT } from './rpc.js';
import { nguidOf, type ListenAddress, type Subsystem } from './subsystem.js';

const internal = (message = 'Internal error') => new SimRpcError(-32603, message);
const invalidParams = () => new SimRpcError(NVMF_INVALID_PARAMS.code, NVMF_INVALID_PARAMS.message);
const ANA_STATES = ['optimized', 'non_optimized', 'inaccessible'] as const;
const ADRFAMS = ['ipv4', 'ipv6', 'ib', 'fc', 'intra_host'];
const ADRFAM_NAMES: Record<string, string> = { ipv4: 'IPv4', ipv6: 'IPv6', ib: 'IB', fc: 'FC', intra_host: 'INTRA_HOST' };
const NSID_GLOBAL = 0xffff_ffff;

const LISTEN_ADDRESS = {
  object: [
    { name: 'trtype', type: 'string', required: true },
    { name: 'adrfam', type: 'string' },
    { name: 'traddr', type: 'string', required: true },
    { name: 'trsvcid', type: 'string' },
  ],
} as const;

const NAMESPACE = {
  object: [
    { name: 'nsid', type: 'uint32' },
    { name: 'bdev_name', type: 'string', required: true },
    { name: 'nguid', type: 'string' },
    { name: 'eui64', type: 'string' },
    { name: 'uuid', type: 'uuid' },
    { name: 'ptpl_file', type: 'string' },
    { name: 'anagrpid', type: 'uint32' },
    { name: 'no_auto_visible', type: 'boolean' },
    { name: 'hide_metadata', type: 'boolean' },
  ],
} as const;

const ADD_NS: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'namespace', type: NAMESPACE, required: true },
  { name: 'tgt_name', type: 'string' },
];
const REMOVE_NS: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'nsid', type: 'uint32', required: true },
  { name: 'tgt_name', type: 'string' },
];
const ADD_LISTENER: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'listen_address', type: LISTEN_ADDRESS, required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'secure_channel', type: 'boolean' },
  { name: 'ana_state', type: { enum: ANA_STATES } },
  { name: 'sock_impl', type: 'string' },
];
const REMOVE_LISTENER: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'listen_address', type: LISTEN_ADDRESS, required: true },
  { name: 'tgt_name', type: 'string' },
];
const SET_ANA: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'listen_address', type: LISTEN_ADDRESS, required: true },
  { name: 'ana_state', type: { enum: ANA_STATES }, required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'anagrpid', type: 'uint32' },
];
const QUERY: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
];

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

const HEX = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);

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
    decode: (params) => {
      relaxedDecoder(ADD_NS, NVMF_INVALID_PARAMS)(params);
      const ns = record(record(params).namespace);
      if (typeof ns.nguid === 'string' && !HEX(32).test(ns.nguid.replace(/-/g, ''))) throw invalidParams();
      if (typeof ns.eui64 === 'string' && !HEX(16).test(ns.eui64.replace(/-/g, ''))) throw invalidParams();
    },
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
    decode: objectDecoder(REMOVE_NS, NVMF_INVALID_PARAMS),
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
    decode: relaxedDecoder(ADD_LISTENER, NVMF_INVALID_PARAMS),
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
    decode: objectDecoder(REMOVE_LISTENER, NVMF_INVALID_PARAMS),
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
    decode: objectDecoder(SET_ANA, NVMF_INVALID_PARAMS),
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
    decode: objectDecoder(QUERY, NVMF_INVALID_PARAMS),
    handler: (params) => pausable(record(params)).controllersJson(),
  });

  target.register('nvmf_subsystem_get_qpairs', {
    decode: objectDecoder(QUERY, NVMF_INVALID_PARAMS),
    handler: (params) => pausable(record(params)).qpairsJson(),
  });

  target.register('nvmf_subsystem_get_listeners', {
    decode: objectDecoder(QUERY, NVMF_INVALID_PARAMS),
    handler: (params) => pausable(record(params)).listenersJson(),
  });
}
