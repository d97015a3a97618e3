/**
 * nvmf_* methods for the transport, subsystems and host allow-lists, with spdk_tgt v26.05's
 * decoding (-32602 "Invalid parameters" for nvmf_*) and error texts (nvmf_rpc.c, transcripts 08,
 * 14, 15).
 */
import { SimRpcError, type SimTarget } from '../core/contract.js';
import { NVMF_INVALID_PARAMS, objectDecoder, record, relaxedDecoder, type ParamSpec } from '../fabric/decode.js';
import { ENODEV, strerror } from '../fabric/errno.js';
import { TCP_TRANSPORT_DEFAULTS, type NvmfModule } from './index.js';
import { DEFAULT_MODEL, DEFAULT_SERIAL, DISCOVERY_NQN, MODEL_MAX, nqnIsValid, printableAscii, SERIAL_MAX } from './names.js';
import { addHost, setKeys } from './rpc-hosts.js';
import { MAX_CNTLID, MIN_CNTLID, Subsystem } from './subsystem.js';

const internal = (message = 'Internal error') => new SimRpcError(-32603, message);
const invalidParams = () => new SimRpcError(NVMF_INVALID_PARAMS.code, NVMF_INVALID_PARAMS.message);
const noDevice = () => new SimRpcError(-ENODEV, strerror(ENODEV));

/** The only nvmf target spdk_tgt has unless nvmf_create_target made more. */
export const DEFAULT_TGT = 'nvmf_tgt';

const TRANSPORT_FIELDS: ParamSpec[] = [
  { name: 'trtype', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'max_queue_depth', type: 'uint16' },
  { name: 'max_io_qpairs_per_ctrlr', type: 'uint16' },
  { name: 'in_capsule_data_size', type: 'uint32' },
  { name: 'max_io_size', type: 'uint32' },
  { name: 'io_unit_size', type: 'uint32' },
  { name: 'max_aq_depth', type: 'uint32' },
  { name: 'num_shared_buffers', type: 'uint32' },
  { name: 'buf_cache_size', type: 'uint32' },
  { name: 'iobuf_small_cache_size', type: 'uint32' },
  { name: 'iobuf_large_cache_size', type: 'uint32' },
  { name: 'zcopy', type: 'boolean' },
  { name: 'dif_insert_or_strip', type: 'boolean' },
  { name: 'abort_timeout_sec', type: 'uint32' },
  { name: 'acceptor_poll_rate', type: 'uint32' },
  { name: 'ack_timeout', type: 'uint32' },
  { name: 'data_wr_pool_size', type: 'uint32' },
  { name: 'disable_command_passthru', type: 'boolean' },
  { name: 'kas', type: 'uint16' },
  { name: 'min_kato', type: 'uint32' },
];

/**
 * tcp.c's own options, decoded (relaxed) when the TCP transport is created: a bad one fails the
 * create, not the params decoding. (masked_oncs / masked_fuses, decoded by nvmf_rpc.c from names,
 * are not simulated: ignored.)
 */
const TCP_FIELDS: ParamSpec[] = [
  { name: 'c2h_success', type: 'boolean' },
  { name: 'control_msg_num', type: 'uint16' },
  { name: 'sock_priority', type: 'uint32' },
];
const decodeTcpOptions = relaxedDecoder(TCP_FIELDS, { code: -32603, message: 'Failed to create transport.' });

const CREATE_SUBSYSTEM: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'serial_number', type: 'string' },
  { name: 'model_number', type: 'string' },
  { name: 'max_namespaces', type: 'uint32' },
  { name: 'allow_any_host', type: 'boolean' },
  { name: 'ana_reporting', type: 'boolean' },
  { name: 'min_cntlid', type: 'uint16' },
  { name: 'max_cntlid', type: 'uint16' },
  { name: 'max_discard_size_kib', type: 'uint64' },
  { name: 'max_write_zeroes_size_kib', type: 'uint64' },
  { name: 'dmrsl', type: 'uint32' },
  { name: 'wzsl', type: 'uint8' },
  { name: 'passthrough', type: 'boolean' },
  { name: 'enable_nssr', type: 'boolean' },
];
const NQN_ONLY: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
];
const GET_SUBSYSTEMS: ParamSpec[] = [
  { name: 'nqn', type: 'string' },
  { name: 'tgt_name', type: 'string' },
];
const GET_TRANSPORTS: ParamSpec[] = [
  { name: 'tgt_name', type: 'string' },
  { name: 'trtype', type: 'string' },
];
/** nvmf_rpc.c's decoders; `psk` is left to the TCP transport (relaxed decoding skips it here). */
const ADD_HOST: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'host', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'dhchap_key', type: 'string' },
  { name: 'dhchap_ctrlr_key', type: 'string' },
];
const SET_KEYS: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'host', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'dhchap_key', type: 'string' },
  { name: 'dhchap_ctrlr_key', type: 'string' },
];
const REMOVE_HOST: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'host', type: 'string', required: true },
  { name: 'tgt_name', type: 'string' },
  { name: 'timeout_ms', type: 'uint64' },
];
const ALLOW_ANY_HOST: ParamSpec[] = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'allow_any_host', type: 'boolean', required: true },
  { name: 'tgt_name', type: 'string' },
];

const DISCOVERY_JSON = { nqn: DISCOVERY_NQN, subtype: 'Discovery', listen_addresses: [], allow_any_host: true, hosts: [] };

function checkTarget(p: Record<string, unknown>, failure: () => SimRpcError): void {
  if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw failure();
}

export function registerNvmfRpcs(target: SimTarget, nvmf: NvmfModule): void {
  target.register('nvmf_create_transport', {
    decode: relaxedDecoder(TRANSPORT_FIELDS, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      const trtype = p.trtype as string;
      if (trtype.toUpperCase() !== 'TCP') {
        throw new SimRpcError(-32602, `Invalid transport type '${trtype}'`);
      }
      if (nvmf.transport) throw internal(`Transport type '${trtype}' already exists`);
      decodeTcpOptions(params);
      const opts: Record<string, unknown> = { trtype: 'TCP' };
      for (const [key, value] of Object.entries(TCP_TRANSPORT_DEFAULTS)) opts[key] = p[key] ?? value;
      nvmf.transport = opts as typeof nvmf.transport & object;
      // The TCP transport's iobuf caches appear in iobuf_get_stats, and accel's grow with it.
      target.memory.registerIobufUser('accel', 128, 16);
      target.memory.registerIobufUser('nvmf_TCP', 4096, 512);
      return true;
    },
  });

  // SPDK_RPC_STARTUP only: DH-HMAC-CHAP digests and groups of the target are fixed at start-up.
  target.register('nvmf_set_config', { handler: () => true, startupOnly: true });

  target.register('nvmf_get_transports', {
    decode: objectDecoder(GET_TRANSPORTS, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      if (typeof p.trtype === 'string' && (p.trtype.toUpperCase() !== 'TCP' || !nvmf.transport)) throw noDevice();
      return nvmf.transport ? [{ ...nvmf.transport }] : [];
    },
  });

  target.register('nvmf_create_subsystem', {
    decode: objectDecoder(CREATE_SUBSYSTEM, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      const nqn = p.nqn as string;
      if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) {
        throw internal(`Unable to find target ${String(p.tgt_name)}`);
      }
      const serial = (p.serial_number as string | undefined) ?? DEFAULT_SERIAL;
      const model = (p.model_number as string | undefined) ?? DEFAULT_MODEL;
      if (!printableAscii(serial, SERIAL_MAX) || !printableAscii(model, MODEL_MAX)) throw invalidParams();
      // The discovery subsystem counts against max_subsystems too.
      const full = nvmf.subsystems.size + 1 >= nvmf.maxSubsystems;
      if (nvmf.subsystems.has(nqn) || nqn === DISCOVERY_NQN || !nqnIsValid(nqn) || full) {
        throw internal(`Unable to create subsystem ${nqn}`);
      }
      const min = (p.min_cntlid as number | undefined) ?? MIN_CNTLID;
      const max = (p.max_cntlid as number | undefined) ?? MAX_CNTLID;
      if (min > max || min < MIN_CNTLID || max > MAX_CNTLID) {
        throw new SimRpcError(-32602, `Invalid cntlid range [${min}-${max}]`);
      }
      const maxNamespaces = (p.max_namespaces as number | undefined) || 32;
      nvmf.subsystems.set(
        nqn,
        new Subsystem({
          nqn,
          serialNumber: serial,
          modelNumber: model,
          maxNamespaces,
          allowAnyHost: p.allow_any_host === true,
          anaReporting: p.ana_reporting === true,
          minCntlid: min,
          maxCntlid: max,
          activeFromPoll: target.currentPoll() + 1,
        }),
      );
      return true;
    },
  });

  target.register('nvmf_delete_subsystem', {
    decode: objectDecoder(NQN_ONLY, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      const sub = nvmf.subsystems.get(p.nqn as string);
      if (!sub) throw invalidParams();
      if (sub.activating(target.currentPoll())) {
        throw internal('Subsystem currently in another state change try again later.');
      }
      nvmf.deleteSubsystem(sub);
      return true;
    },
  });

  target.register('nvmf_get_subsystems', {
    decode: objectDecoder(GET_SUBSYSTEMS, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      if (typeof p.nqn === 'string') {
        if (p.nqn === DISCOVERY_NQN) return [DISCOVERY_JSON];
        const sub = nvmf.subsystems.get(p.nqn);
        if (!sub) throw noDevice();
        return [sub.toJson()];
      }
      const all = [{ nqn: DISCOVERY_NQN, json: DISCOVERY_JSON as Record<string, unknown> }];
      for (const sub of nvmf.sorted()) all.push({ nqn: sub.nqn, json: sub.toJson() });
      return all.sort((a, b) => (a.nqn < b.nqn ? -1 : a.nqn > b.nqn ? 1 : 0)).map((e) => e.json);
    },
  });

  target.register('nvmf_subsystem_add_host', {
    decode: relaxedDecoder(ADD_HOST, NVMF_INVALID_PARAMS),
    handler: (params) => addHost(nvmf, record(params)),
  });

  target.register('nvmf_subsystem_set_keys', {
    decode: objectDecoder(SET_KEYS, NVMF_INVALID_PARAMS),
    handler: (params) => setKeys(nvmf, record(params)),
  });

  target.register('nvmf_subsystem_remove_host', {
    decode: objectDecoder(REMOVE_HOST, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      const sub = nvmf.subsystems.get(p.nqn as string);
      if (!sub) throw invalidParams();
      const host = p.host as string;
      const i = sub.hosts.indexOf(host);
      if (i < 0) throw internal();
      sub.hosts.splice(i, 1);
      nvmf.releaseHostKeys(sub, host);
      // The host's controllers are dropped at once, whatever allow_any_host says.
      for (const ctrl of sub.controllers.filter((c) => c.hostnqn === host)) nvmf.sessions.disconnect(ctrl);
      return true;
    },
  });

  target.register('nvmf_subsystem_allow_any_host', {
    decode: objectDecoder(ALLOW_ANY_HOST, NVMF_INVALID_PARAMS),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      const sub = nvmf.subsystems.get(p.nqn as string);
      if (!sub) throw invalidParams();
      // Already connected hosts stay connected; only new connections are checked.
      sub.allowAnyHost = p.allow_any_host as boolean;
      return true;
    },
  });
}
