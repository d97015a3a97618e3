/**
 * How the nvmf_* methods validate their params in spdk_tgt v26.05 (lib/nvmf/nvmf_rpc.c): their
 * decoder tables (a decode failure is -32602 "Invalid parameters"; add_host, add_ns, add_listener
 * and create_transport decode relaxed) and the checks each handler makes before it looks the
 * subsystem up. What needs the subsystem, the listener's transport or the keyring stays in
 * nvmf/rpc*.ts.
 */
import { exactInteger, NVMF_INVALID_PARAMS, type ParamSpec, type ValidationTable } from '../core/decode.js';

/** The only nvmf target spdk_tgt has unless nvmf_create_target made more. */
export const DEFAULT_TGT = 'nvmf_tgt';

const ANA_STATES = ['optimized', 'non_optimized', 'inaccessible'] as const;
const HEX = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);
const U64_MAX = (1n << 64n) - 1n;

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

const namespace = (p: Record<string, unknown>) => (p.namespace ?? {}) as Record<string, unknown>;
/** spdk_str_to_nguid / eui64 parsing: hex digits, dashes ignored. */
const hexId = (field: 'nguid' | 'eui64', digits: number) => ({
  name: `namespace.${field} ${digits} hex digits`,
  fails: (p: Record<string, unknown>) => {
    const v = namespace(p)[field];
    return typeof v === 'string' && !HEX(digits).test(v.replace(/-/g, ''));
  },
  ...NVMF_INVALID_PARAMS,
});

/** max_write_zeroes_size_kib: 0 (no limit) or a power of 2 from 8; UINT64_MAX is "not given". */
function badWriteZeroes(p: Record<string, unknown>): boolean {
  const kib = exactInteger(p, 'max_write_zeroes_size_kib', 'uint64');
  if (kib === undefined || kib === U64_MAX || kib === 0n) return false;
  return kib < 8n || (kib & (kib - 1n)) !== 0n;
}

export const NVMF_VALIDATION: ValidationTable = {
  nvmf_create_transport: { specs: TRANSPORT_FIELDS, failure: NVMF_INVALID_PARAMS, relaxed: true },
  nvmf_get_transports: { specs: GET_TRANSPORTS, failure: NVMF_INVALID_PARAMS },
  nvmf_create_subsystem: {
    specs: CREATE_SUBSYSTEM,
    failure: NVMF_INVALID_PARAMS,
    checks: [
      // spdk_nvmf_get_tgt: the simulator has only spdk_tgt's default target (no nvmf_create_target).
      {
        name: 'tgt_name the default target',
        fails: (p) => p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT,
        code: -32603,
        message: (p) => `Unable to find target ${String(p.tgt_name)}`,
      },
      {
        name: 'max_write_zeroes_size_kib 0 or a power of 2 from 8',
        fails: badWriteZeroes,
        code: NVMF_INVALID_PARAMS.code,
        message: (p) => `Invalid max_write_zeroes_size_kib ${exactInteger(p, 'max_write_zeroes_size_kib', 'uint64')}`,
      },
    ],
  },
  nvmf_delete_subsystem: { specs: NQN_ONLY, failure: NVMF_INVALID_PARAMS },
  nvmf_get_subsystems: { specs: GET_SUBSYSTEMS, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_add_host: { specs: ADD_HOST, failure: NVMF_INVALID_PARAMS, relaxed: true },
  nvmf_subsystem_set_keys: { specs: SET_KEYS, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_remove_host: { specs: REMOVE_HOST, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_allow_any_host: { specs: ALLOW_ANY_HOST, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_add_ns: { specs: ADD_NS, failure: NVMF_INVALID_PARAMS, relaxed: true, checks: [hexId('nguid', 32), hexId('eui64', 16)] },
  nvmf_subsystem_remove_ns: { specs: REMOVE_NS, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_add_listener: { specs: ADD_LISTENER, failure: NVMF_INVALID_PARAMS, relaxed: true },
  nvmf_subsystem_remove_listener: { specs: REMOVE_LISTENER, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_listener_set_ana_state: { specs: SET_ANA, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_get_controllers: { specs: QUERY, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_get_qpairs: { specs: QUERY, failure: NVMF_INVALID_PARAMS },
  nvmf_subsystem_get_listeners: { specs: QUERY, failure: NVMF_INVALID_PARAMS },
};
