/**
 * How the bdev_nvme_* methods validate their params in spdk_tgt v26.05 (bdev_nvme_rpc.c): their
 * decoder tables, -32603 "spdk_json_decode_object failed" on a decode failure (set_keys: -32602),
 * and the transport id checks attach and detach make before they look a controller up, in that
 * order, each -22 with SPDK's text. What needs the controllers (same name, duplicate path,
 * num_io_queues after them, the timeout rules) stays in nvme/rpc.ts.
 */
import type { ParamCheck, ParamSpec, ValidationTable } from '../core/decode.js';
import { DHGROUPS, DIGESTS } from '../fabric/auth.js';
import { EINVAL } from '../fabric/errno.js';

const MULTIPATH = { enum: ['failover', 'multipath', 'disable'] } as const;
const MULTIPATH_OPTS = {
  object: [
    { name: 'policy', type: { enum: ['active_passive', 'active_active'] } },
    { name: 'selector', type: { enum: ['round_robin', 'queue_depth'] } },
    { name: 'min_io', type: 'uint32' },
  ],
} as const;

const ATTACH: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'trtype', type: 'string', required: true },
  { name: 'traddr', type: 'string', required: true },
  { name: 'adrfam', type: 'string' },
  { name: 'trsvcid', type: 'string' },
  { name: 'priority', type: 'string' },
  { name: 'subnqn', type: 'string' },
  { name: 'hostnqn', type: 'string' },
  { name: 'hostaddr', type: 'string' },
  { name: 'hostsvcid', type: 'string' },
  { name: 'prchk_reftag', type: 'boolean' },
  { name: 'prchk_guard', type: 'boolean' },
  { name: 'hdgst', type: 'boolean' },
  { name: 'ddgst', type: 'boolean' },
  { name: 'fabrics_connect_timeout_us', type: 'uint64' },
  { name: 'multipath', type: MULTIPATH },
  { name: 'num_io_queues', type: 'uint32' },
  { name: 'ctrlr_loss_timeout_sec', type: 'int32' },
  { name: 'reconnect_delay_sec', type: 'uint32' },
  { name: 'fast_io_fail_timeout_sec', type: 'uint32' },
  { name: 'psk', type: 'string' },
  { name: 'max_bdevs', type: 'uint32' },
  { name: 'dhchap_key', type: 'string' },
  { name: 'dhchap_ctrlr_key', type: 'string' },
  { name: 'allow_unrecognized_csi', type: 'boolean' },
  { name: 'multipath_opts', type: MULTIPATH_OPTS },
];
const DETACH: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'trtype', type: 'string' },
  { name: 'traddr', type: 'string' },
  { name: 'adrfam', type: 'string' },
  { name: 'trsvcid', type: 'string' },
  { name: 'subnqn', type: 'string' },
  { name: 'hostaddr', type: 'string' },
  { name: 'hostsvcid', type: 'string' },
];
const GET_CONTROLLERS: ParamSpec[] = [{ name: 'name', type: 'string' }];
const SET_MULTIPATH_POLICY: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'policy', type: MULTIPATH_OPTS.object[0].type, required: true },
  { name: 'selector', type: MULTIPATH_OPTS.object[1].type },
  { name: 'rr_min_io', type: 'uint32' },
];
const GET_IO_PATHS: ParamSpec[] = [{ name: 'name', type: 'string' }];
const SET_OPTIONS: ParamSpec[] = [
  { name: 'action_on_timeout', type: { enum: ['none', 'reset', 'abort'] } },
  { name: 'timeout_us', type: 'uint64' },
  { name: 'timeout_admin_us', type: 'uint64' },
  { name: 'keep_alive_timeout_ms', type: 'uint32' },
  { name: 'arbitration_burst', type: 'uint32' },
  { name: 'low_priority_weight', type: 'uint32' },
  { name: 'medium_priority_weight', type: 'uint32' },
  { name: 'high_priority_weight', type: 'uint32' },
  { name: 'nvme_adminq_poll_period_us', type: 'uint64' },
  { name: 'nvme_ioq_poll_period_us', type: 'uint64' },
  { name: 'io_queue_requests', type: 'uint32' },
  { name: 'delay_cmd_submit', type: 'boolean' },
  { name: 'transport_retry_count', type: 'uint32' },
  { name: 'bdev_retry_count', type: 'int32' },
  { name: 'transport_ack_timeout', type: 'uint8' },
  { name: 'ctrlr_loss_timeout_sec', type: 'int32' },
  { name: 'reconnect_delay_sec', type: 'uint32' },
  { name: 'fast_io_fail_timeout_sec', type: 'uint32' },
  { name: 'disable_auto_failback', type: 'boolean' },
  { name: 'generate_uuids', type: 'boolean' },
  { name: 'transport_tos', type: 'uint8' },
  { name: 'nvme_error_stat', type: 'boolean' },
  { name: 'rdma_srq_size', type: 'uint32' },
  { name: 'io_path_stat', type: 'boolean' },
  { name: 'allow_accel_sequence', type: 'boolean' },
  { name: 'rdma_max_cq_size', type: 'uint32' },
  { name: 'rdma_cm_event_timeout_ms', type: 'uint16' },
  // rpc_decode_dhchap_digest / _dhgroup: an unknown name fails the whole decode.
  { name: 'dhchap_digests', type: { array: { enum: DIGESTS }, maxCount: 32 } },
  { name: 'dhchap_dhgroups', type: { array: { enum: DHGROUPS }, maxCount: 32 } },
  { name: 'rdma_umr_per_io', type: 'boolean' },
  { name: 'tcp_connect_timeout_ms', type: 'uint32' },
  { name: 'enable_flush', type: 'boolean' },
  { name: 'multipath_opts', type: MULTIPATH_OPTS },
];

const SET_KEYS: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'dhchap_key', type: 'string' },
  { name: 'dhchap_ctrlr_key', type: 'string' },
];
/** rpc_bdev_nvme_set_keys answers a decode failure with -32602 and this text. */
const SET_KEYS_DECODE_FAILED = { code: -32602, message: 'spdk_json_decode_object failed' };
const ADRFAMS = ['ipv4', 'ipv6', 'ib', 'fc', 'intra_host'];

/** The sizes of spdk_nvme_transport_id's and spdk_nvme_ctrlr_opts' char arrays, NUL included. */
const TRSTRING_MAX = 32;
const TRADDR_SIZE = 257;
const TRSVCID_SIZE = 33;
const NQN_SIZE = 224;

const text = (p: Record<string, unknown>, key: string) => p[key] as string | undefined;

/** `<field> too long: <value>` when the string fills its C array (strnlen == sizeof). */
function fits(field: string, size: number): ParamCheck {
  return { name: `${field} shorter than ${size}`, fails: (p) => (text(p, field)?.length ?? 0) >= size, code: -EINVAL, message: (p) => `${field} too long: ${text(p, field)}` };
}

/** spdk_nvme_transport_id_populate_trstring: at most 32 characters. */
const trtype: ParamCheck = {
  name: 'trtype at most 32 characters',
  fails: (p) => (text(p, 'trtype')?.length ?? 0) > TRSTRING_MAX,
  code: -EINVAL,
  message: (p) => `Failed to parse trtype: ${text(p, 'trtype')}`,
};
/** spdk_nvme_transport_id_parse_adrfam (any case). */
const adrfam: ParamCheck = {
  name: 'adrfam IPv4, IPv6, IB, FC or INTRA_HOST',
  fails: (p) => text(p, 'adrfam') !== undefined && !ADRFAMS.includes(text(p, 'adrfam')!.toLowerCase()),
  code: -EINVAL,
  message: (p) => `Failed to parse adrfam: ${text(p, 'adrfam')}`,
};
const pathChecks = {
  traddr: fits('traddr', TRADDR_SIZE),
  trsvcid: fits('trsvcid', TRSVCID_SIZE),
  subnqn: fits('subnqn', NQN_SIZE),
  hostaddr: fits('hostaddr', TRADDR_SIZE),
  hostsvcid: fits('hostsvcid', TRSVCID_SIZE),
};

export const NVME_VALIDATION: ValidationTable = {
  bdev_nvme_attach_controller: {
    specs: ATTACH,
    checks: [
      { name: 'max_bdevs not 0', fails: (p) => p.max_bdevs === 0, code: -EINVAL, message: 'max_bdevs cannot be zero' },
      trtype,
      pathChecks.traddr,
      adrfam,
      pathChecks.trsvcid,
      pathChecks.subnqn,
      fits('hostnqn', NQN_SIZE),
      pathChecks.hostaddr,
      pathChecks.hostsvcid,
    ],
  },
  bdev_nvme_detach_controller: { specs: DETACH, checks: [trtype, pathChecks.traddr, adrfam, pathChecks.trsvcid, pathChecks.subnqn, pathChecks.hostaddr, pathChecks.hostsvcid] },
  bdev_nvme_get_controllers: { specs: GET_CONTROLLERS },
  bdev_nvme_set_options: { specs: SET_OPTIONS },
  bdev_nvme_set_keys: { specs: SET_KEYS, failure: SET_KEYS_DECODE_FAILED },
  bdev_nvme_set_multipath_policy: { specs: SET_MULTIPATH_POLICY },
  bdev_nvme_get_io_paths: { specs: GET_IO_PATHS },
};
