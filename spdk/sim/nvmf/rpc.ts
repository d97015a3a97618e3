/**
 * nvmf_* methods for the transport, subsystems and host allow-lists, with spdk_tgt v26.05's
 * decoding (-32602 "Invalid parameters" for nvmf_*) and error texts (nvmf_rpc.c, transcripts 08,
 * 14, 15).
 */
import { SimRpcError, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { NVMF_INVALID_PARAMS, record, relaxedDecoder, type ParamSpec } from '../fabric/decode.js';
import { ENODEV, strerror } from '../fabric/errno.js';
import { TCP_TRANSPORT_DEFAULTS, type NvmfModule } from './index.js';
import { DEFAULT_MODEL, DEFAULT_SERIAL, DISCOVERY_NQN, MODEL_MAX, nqnIsValid, printableAscii, SERIAL_MAX } from './names.js';
import { addHost, setKeys } from './rpc-hosts.js';
import { MAX_CNTLID, MIN_CNTLID, Subsystem } from './subsystem.js';
import { DEFAULT_TGT, NVMF_VALIDATION } from './validation.js';

const internal = (message = 'Internal error') => new SimRpcError(-32603, message);
const invalidParams = () => new SimRpcError(NVMF_INVALID_PARAMS.code, NVMF_INVALID_PARAMS.message);
const noDevice = () => new SimRpcError(-ENODEV, strerror(ENODEV));

export { DEFAULT_TGT } from './validation.js';

/**
 * The most namespaces a subsystem may have here. spdk_tgt callocs per-namespace arrays and fails
 * "Unable to create subsystem" when that fails, at a size no recording shows; the simulator keeps
 * per-ANA-group state and lists it, so it refuses sooner rather than work in proportion to any u32.
 */
const MAX_NAMESPACES = 65536;

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

const DISCOVERY_JSON = { nqn: DISCOVERY_NQN, subtype: 'Discovery', listen_addresses: [], allow_any_host: true, hosts: [] };

function checkTarget(p: Record<string, unknown>, failure: () => SimRpcError): void {
  if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw failure();
}

/** SPDK_NVME_TCP_IN_CAPSULE_DATA_MAX_SIZE and SPDK_NVMF_TCP_DEFAULT_CONTROL_MSG_NUM (lib/nvmf/tcp.c). */
const CONTROL_MSG_BYTES = 8192;
const DEFAULT_CONTROL_MSGS = 32;

/**
 * nvmf_tcp_poll_group_create: with in-capsule data below 8 KiB, the target's one poll group keeps
 * control_msg_num (0 means the default) 8 KiB messages, one page-aligned DMA allocation (the
 * 256 KiB element, 0x40080, every dump after nvmf_create_transport shows). The recordings never
 * show it failing, so a heap too full for it changes nothing else.
 */
function takeControlMessages(target: SimTarget, inCapsuleDataSize: number, controlMsgNum: number | undefined): void {
  if (inCapsuleDataSize >= CONTROL_MSG_BYTES) return;
  const count = controlMsgNum || DEFAULT_CONTROL_MSGS;
  target.memory.alloc('nvmf-tcp:control_msg_list', count * CONTROL_MSG_BYTES, { align: 0x1000 });
}

export function registerNvmfRpcs(target: SimTarget, nvmf: NvmfModule): void {
  target.register('nvmf_create_transport', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_create_transport'),
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
      takeControlMessages(target, opts.in_capsule_data_size as number, p.control_msg_num as number | undefined);
      // The TCP transport's iobuf caches appear in iobuf_get_stats, and accel's grow with it.
      target.memory.registerIobufUser('accel', 128, 16);
      target.memory.registerIobufUser('nvmf_TCP', 4096, 512);
      return true;
    },
  });

  // SPDK_RPC_STARTUP only: DH-HMAC-CHAP digests and groups of the target are fixed at start-up.
  target.register('nvmf_set_config', { handler: () => true, startupOnly: true });

  target.register('nvmf_get_transports', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_get_transports'),
    handler: (params) => {
      const p = record(params);
      checkTarget(p, () => internal('Unable to find a target.'));
      if (typeof p.trtype === 'string' && (p.trtype.toUpperCase() !== 'TCP' || !nvmf.transport)) throw noDevice();
      return nvmf.transport ? [{ ...nvmf.transport }] : [];
    },
  });

  target.register('nvmf_create_subsystem', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_create_subsystem'),
    handler: (params) => {
      const p = record(params);
      const nqn = p.nqn as string;
      const serial = (p.serial_number as string | undefined) ?? DEFAULT_SERIAL;
      const model = (p.model_number as string | undefined) ?? DEFAULT_MODEL;
      if (!printableAscii(serial, SERIAL_MAX) || !printableAscii(model, MODEL_MAX)) throw invalidParams();
      // The discovery subsystem counts against max_subsystems too.
      const full = nvmf.subsystems.size + 1 >= nvmf.maxSubsystems;
      const maxNamespaces = (p.max_namespaces as number | undefined) || 32;
      if (nvmf.subsystems.has(nqn) || nqn === DISCOVERY_NQN || !nqnIsValid(nqn) || full || maxNamespaces > MAX_NAMESPACES) {
        throw internal(`Unable to create subsystem ${nqn}`);
      }
      const min = (p.min_cntlid as number | undefined) ?? MIN_CNTLID;
      const max = (p.max_cntlid as number | undefined) ?? MAX_CNTLID;
      if (min > max || min < MIN_CNTLID || max > MAX_CNTLID) {
        throw new SimRpcError(-32602, `Invalid cntlid range [${min}-${max}]`);
      }
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
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_delete_subsystem'),
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
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_get_subsystems'),
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
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_add_host'),
    handler: (params) => addHost(nvmf, record(params)),
  });

  target.register('nvmf_subsystem_set_keys', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_set_keys'),
    handler: (params) => setKeys(nvmf, record(params)),
  });

  target.register('nvmf_subsystem_remove_host', {
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_remove_host'),
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
    decode: tableDecoder(NVMF_VALIDATION, 'nvmf_subsystem_allow_any_host'),
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
