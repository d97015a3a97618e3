/**
 * The contracts in rpc-schemas/spdk checked against what SPDK v26.05 says about itself
 * (../shared/spdk/schema.json) and against what a real spdk_tgt did (../shared/spdk/transcripts).
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpdkCaller } from '../../src/spdk/call.js';
import { contractsDir, loadContracts, type MethodContract, type Verdict } from '../../src/spdk/contracts.js';
import { SpdkMethods } from '../../src/spdk/methods/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(repoRoot, '../shared/spdk');

/** Every spdk_tgt method the service calls. */
const METHODS = [
  'bdev_get_bdevs',
  'bdev_wait_for_examine',
  'bdev_malloc_create',
  'bdev_malloc_delete',
  'bdev_null_create',
  'bdev_null_delete',
  'bdev_aio_create',
  'bdev_aio_delete',
  'bdev_aio_rescan',
  'bdev_uring_create',
  'bdev_uring_delete',
  'bdev_lvol_create_lvstore',
  'bdev_lvol_delete_lvstore',
  'bdev_lvol_get_lvstores',
  'bdev_lvol_rename_lvstore',
  'bdev_lvol_create',
  'bdev_lvol_delete',
  'bdev_lvol_get_lvols',
  'bdev_lvol_snapshot',
  'bdev_lvol_clone',
  'bdev_lvol_clone_bdev',
  'bdev_lvol_set_parent',
  'bdev_lvol_set_parent_bdev',
  'bdev_lvol_resize',
  'bdev_lvol_rename',
  'bdev_lvol_inflate',
  'bdev_lvol_decouple_parent',
  'bdev_lvol_set_read_only',
  'bdev_lvol_start_shallow_copy',
  'bdev_lvol_check_shallow_copy',
  'bdev_raid_create',
  'bdev_raid_delete',
  'bdev_raid_get_bdevs',
  'bdev_raid_add_base_bdev',
  'bdev_raid_remove_base_bdev',
  'bdev_raid_set_options',
  'nvmf_create_transport',
  'nvmf_get_transports',
  'nvmf_create_subsystem',
  'nvmf_delete_subsystem',
  'nvmf_get_subsystems',
  'nvmf_subsystem_add_ns',
  'nvmf_subsystem_remove_ns',
  'nvmf_subsystem_add_listener',
  'nvmf_subsystem_remove_listener',
  'nvmf_subsystem_add_host',
  'nvmf_subsystem_remove_host',
  'nvmf_subsystem_set_keys',
  'nvmf_subsystem_allow_any_host',
  'nvmf_subsystem_listener_set_ana_state',
  'nvmf_subsystem_get_controllers',
  'nvmf_subsystem_get_listeners',
  'nvmf_subsystem_get_qpairs',
  'bdev_nvme_attach_controller',
  'bdev_nvme_detach_controller',
  'bdev_nvme_get_controllers',
  'bdev_nvme_set_options',
  'bdev_nvme_set_keys',
  'keyring_file_add_key',
  'keyring_file_remove_key',
  'keyring_get_keys',
  'bdev_nvme_get_io_paths',
  'spdk_get_version',
  'rpc_get_methods',
  'framework_get_reactors',
  'framework_get_config',
  'thread_get_stats',
  'env_dpdk_get_mem_stats',
  'iobuf_get_stats',
  'bdev_get_iostat',
  'bdev_set_qos_limit',
].sort();

/**
 * Where a params schema deliberately says more than schema.json. Each is a limit spdk_tgt enforces
 * after decoding, proven on both sides in transcripts/15 (20/40 characters accepted, 21/41 and
 * non-ASCII refused; cntlid 0 and 65520 refused, 1..65519 the default range). Checking them before
 * sending turns an opaque -32602 into a clear error.
 */
const DEVIATIONS: ReadonlyArray<{ method: string; param: string; extra: Record<string, unknown>; reason: string }> = [
  {
    method: 'nvmf_create_subsystem',
    param: 'serial_number',
    extra: { maxLength: 20, pattern: '^[\\x20-\\x7e]*$' },
    reason: 'NVMe SN is 20 printable ASCII characters; longer or non-ASCII is -32602 "Invalid parameters"',
  },
  {
    method: 'nvmf_create_subsystem',
    param: 'model_number',
    extra: { maxLength: 40, pattern: '^[\\x20-\\x7e]*$' },
    reason: 'NVMe MN is 40 printable ASCII characters; longer is -32602 "Invalid parameters"',
  },
  { method: 'nvmf_create_subsystem', param: 'min_cntlid', extra: { minimum: 1, maximum: 65519 }, reason: 'cntlid range is 1..65519; 0 is -32602 "Invalid cntlid range [0-65519]"' },
  { method: 'nvmf_create_subsystem', param: 'max_cntlid', extra: { minimum: 1, maximum: 65519 }, reason: 'cntlid range is 1..65519; 65520 is -32602 "Invalid cntlid range [1-65520]"' },
];

// ---------------------------------------------------------------------------------------------
// schema.json

interface SchemaField {
  name: string;
  type: string;
  class?: string;
  required?: boolean;
  deprecated?: boolean;
}
interface SpdkSchema {
  methods: Array<{ name: string; params: SchemaField[] }>;
  objects: Array<{ name: string; fields: SchemaField[] }>;
  arrays: Array<{ name: string; item_type: string; class?: string; max_count: number }>;
  enums: Array<{ name: string; fields: Array<{ name: string }> }>;
}

const schema = JSON.parse(readFileSync(path.join(shared, 'schema.json'), 'utf8')) as SpdkSchema;
const INTEGER_RANGES: Record<string, [number, number | undefined]> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  uint64: [0, undefined],
  int32: [-2147483648, 2147483647],
};

function byName<T extends { name: string }>(list: T[], name: string): T {
  const found = list.find((entry) => entry.name === name);
  if (!found) throw new Error(`schema.json has no ${name}`);
  return found;
}

/** What a schema.json type becomes in a contract. */
function mapType(type: string, cls: string | undefined): Record<string, unknown> {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'uuid':
      return { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };
    case 'enum':
      return { type: 'string', enum: byName(schema.enums, cls!).fields.map((field) => field.name) };
    case 'object':
      return mapObject(byName(schema.objects, cls!).fields);
    case 'array': {
      const array = byName(schema.arrays, cls!);
      return { type: 'array', items: mapType(array.item_type, array.class), maxItems: array.max_count };
    }
    default: {
      const range = INTEGER_RANGES[type];
      if (!range) throw new Error(`unmapped schema.json type ${type}`);
      return range[1] === undefined ? { type: 'integer', minimum: range[0] } : { type: 'integer', minimum: range[0], maximum: range[1] };
    }
  }
}

function mapField(field: SchemaField): Record<string, unknown> {
  const mapped = mapType(field.type, field.class);
  return field.deprecated ? { ...mapped, deprecated: true } : mapped;
}

function mapObject(fields: SchemaField[]): Record<string, unknown> {
  const required = fields.filter((field) => field.required).map((field) => field.name);
  return {
    type: 'object',
    ...(fields.length > 0 ? { properties: Object.fromEntries(fields.map((field) => [field.name, mapField(field)])) } : {}),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

interface ContractFile {
  method: string;
  objectKey?: string[];
  idempotent: boolean;
  deadline: string;
  params: { properties?: Record<string, Record<string, unknown>>; required?: string[]; additionalProperties: unknown };
  verdicts: Record<string, Array<{ code: number; message: string; ambiguous?: boolean }>>;
}

const files = new Map<string, ContractFile>(
  readdirSync(contractsDir())
    .filter((name) => name.endsWith('.json'))
    .map((name) => [name.slice(0, -'.json'.length), JSON.parse(readFileSync(path.join(contractsDir(), name), 'utf8')) as ContractFile]),
);
const contracts = loadContracts();

function contract(method: string): MethodContract {
  const found = contracts.get(method);
  if (!found) throw new Error(`no contract for ${method}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// transcripts

interface Recorded {
  where: string;
  method: string;
  params: unknown;
  response: { result?: unknown; result_omitted?: boolean; error?: { code: number; message: string } } | null;
  note?: string | null;
}

const recorded: Recorded[] = readdirSync(path.join(shared, 'transcripts'))
  .filter((name) => name.endsWith('.jsonl'))
  .sort()
  .flatMap((name) =>
    readFileSync(path.join(shared, 'transcripts', name), 'utf8')
      .split('\n')
      .map((line, index) => ({ line, where: `${name}:${index + 1}` }))
      .filter(({ line }) => line.trim() !== '')
      .map(({ line, where }) => ({ where, ...(JSON.parse(line) as Omit<Recorded, 'where'>) })),
  )
  .filter((entry) => typeof entry.method === 'string' && contracts.has(entry.method));

const succeeded = recorded.filter((entry) => entry.response !== null && typeof entry.response === 'object' && !('error' in entry.response));
const failed = recorded.filter((entry) => entry.response?.error !== undefined);

/** Rejections that are about the params themselves: ours must refuse those requests too. */
function refusedForParams(entry: Recorded): boolean {
  const { code, message } = entry.response!.error!;
  if (/^spdk_json_decode_object failed$|requires no parameters$/.test(message)) return true;
  if (entry.method === 'nvmf_create_subsystem' && code === -32602) return true; // missing nqn, SN/MN too long or not ASCII, cntlid range
  if (entry.method === 'nvmf_subsystem_listener_set_ana_state' && code === -32602) return true; // ana_state outside the enum
  return false;
}

/** Accepted requests our params schema refuses, with why. None so far. */
const ACCEPTED_BUT_REFUSED_BY_US: ReadonlyArray<{ where: string; reason: string }> = [];

/** Requests refused for their params that our params schema lets through, with why. */
const REFUSED_BUT_SENT_BY_US: ReadonlyArray<{ method: string; note: string; reason: string }> = [
  {
    method: 'nvmf_create_subsystem',
    note: 'min_cntlid > max_cntlid',
    reason: 'a relation between two params, which JSON Schema cannot state; spdk_tgt answers -32602 "Invalid cntlid range [20-10]" and creates nothing',
  },
];

/** Methods with a contract and no successful call in any transcript: their result schemas are unproven. */
const UNRECORDED = ['bdev_null_delete', 'bdev_uring_create', 'bdev_uring_delete'];

// ---------------------------------------------------------------------------------------------
// verdicts: every distinct error a contracted method returned in the transcripts, and how it reads

type Expected = Verdict | null;
const VERDICTS: ReadonlyArray<[method: string, code: number, message: string, expected: Expected]> = [
  ['bdev_aio_create', -22, 'Invalid argument', null],
  ['bdev_aio_create', -21, 'Is a directory', null],
  ['bdev_aio_create', -17, 'File exists', 'exists'],
  ['bdev_aio_create', -2, 'No such file or directory', null],
  ['bdev_aio_delete', -19, 'No such device', 'gone'],
  ['bdev_aio_rescan', -19, 'No such device', 'gone'],
  ['bdev_get_bdevs', -32603, 'spdk_json_decode_object failed', null],
  ['bdev_get_bdevs', -19, 'No such device', 'gone'],
  // An old single `name` param (19).
  ['bdev_get_iostat', -32603, 'spdk_json_decode_object failed', null],
  ['bdev_get_iostat', -19, 'No such device', 'gone'],
  ['bdev_lvol_check_shallow_copy', -19, 'No such device', 'gone'],
  ['bdev_lvol_clone', -32602, 'File exists', 'exists'],
  ['bdev_lvol_clone', -32602, 'Invalid argument', null],
  // The clone name is taken in that lvstore (lvs_verify_lvol_name: -EEXIST), as for bdev_lvol_clone (20).
  ['bdev_lvol_clone_bdev', -32602, 'File exists', 'exists'],
  // The esnap parent bdev or the lvstore is missing: about the parents, not the clone the key names (20).
  ['bdev_lvol_clone_bdev', -32602, 'bdev does not exist', null],
  ['bdev_lvol_clone_bdev', -32602, 'lvs does not exist', null],
  ['bdev_lvol_create', -32603, 'spdk_json_decode_object failed', null],
  ['bdev_lvol_create', -32602, 'No space left on device', null],
  ['bdev_lvol_create', -22, 'Invalid argument', null],
  // The lvstore is missing: about the parent, not the lvol the key names.
  ['bdev_lvol_create', -19, 'No such device', null],
  ['bdev_lvol_create', -17, 'File exists', 'exists'],
  ['bdev_lvol_create_lvstore', -17, 'File exists', 'exists'],
  // The bdev is claimed: by an lvstore (maybe this one) or by anything else.
  ['bdev_lvol_create_lvstore', -1, 'Operation not permitted', 'maybe-exists'],
  ['bdev_lvol_decouple_parent', -32602, 'Invalid argument', null],
  ['bdev_lvol_delete', -32603, 'Operation not permitted', null],
  ['bdev_lvol_delete', -19, 'No such device', 'gone'],
  ['bdev_lvol_delete_lvstore', -19, 'No such device', 'gone'],
  ['bdev_lvol_inflate', -19, 'No such device', 'gone'],
  ['bdev_lvol_rename', -32602, 'File exists', 'exists'],
  ['bdev_lvol_rename', -32602, 'Operation not permitted', null],
  ['bdev_lvol_rename', -19, 'No such device', 'gone'],
  ['bdev_lvol_resize', -32602, 'Device or resource busy', null],
  ['bdev_lvol_resize', -32602, 'No space left on device', null],
  ['bdev_lvol_resize', -32602, 'Operation not permitted', null],
  ['bdev_lvol_set_parent', -32602, 'Invalid argument', null],
  ['bdev_lvol_set_parent_bdev', -32602, 'Invalid argument', null],
  // The parent bdev is missing (same message, other code than a missing lvol).
  ['bdev_lvol_set_parent_bdev', -32602, 'No such device', null],
  ['bdev_lvol_set_parent_bdev', -19, 'No such device', 'gone'],
  ['bdev_lvol_set_read_only', -19, 'No such device', 'gone'],
  ['bdev_lvol_snapshot', -32602, 'File exists', 'exists'],
  ['bdev_lvol_snapshot', -32602, 'Invalid argument', null],
  ['bdev_lvol_snapshot', -19, 'No such device', 'gone'],
  // The destination bdev is missing: not the source lvol the key names.
  ['bdev_lvol_start_shallow_copy', -32602, 'No such device', null],
  ['bdev_lvol_start_shallow_copy', -32602, 'Operation not permitted', null],
  // The source lvol is missing, or the bdev so named is no lvol (20).
  ['bdev_lvol_start_shallow_copy', -19, 'No such device', 'gone'],
  ['bdev_malloc_create', -32603, 'spdk_json_decode_object failed', null],
  ['bdev_malloc_create', -22, 'Invalid argument', null],
  ['bdev_malloc_create', -17, 'File exists', 'exists'],
  ['bdev_malloc_create', -12, 'Cannot allocate memory', null],
  ['bdev_malloc_delete', -19, 'No such device', 'gone'],
  ['bdev_nvme_attach_controller', -32603, 'spdk_json_decode_object failed', null],
  // A PSK or DH-HMAC-CHAP key name missing from the host's keyring (18): about the key, not the controller.
  ['bdev_nvme_attach_controller', -126, 'Required key not available', null],
  ['bdev_nvme_attach_controller', -114, 'A controller named r3 already exists with the specified network path', 'exists'],
  ['bdev_nvme_attach_controller', -22, 'Invalid argument', null],
  // A bad trtype, and attach at DMA exhaustion: not "gone".
  ['bdev_nvme_attach_controller', -19, 'No such device', null],
  // The path is attached under another name; the duplicate check also masks bad timeouts and keys (08, 18).
  ['bdev_nvme_attach_controller', -17, 'File exists', 'maybe-exists'],
  ['bdev_nvme_attach_controller', -5, 'Input/output error', null],
  ['bdev_nvme_detach_controller', -19, 'No such device', 'gone'],
  ['bdev_nvme_get_controllers', -22, 'Controller cx56 does not exist', 'gone'],
  ['bdev_nvme_get_controllers', -22, 'Controller h1 does not exist', 'gone'],
  ['bdev_nvme_get_controllers', -22, 'Controller h2 does not exist', 'gone'],
  ['bdev_nvme_get_controllers', -22, 'Controller hbad does not exist', 'gone'],
  ['bdev_nvme_get_controllers', -22, 'Controller nope does not exist', 'gone'],
  // An unknown dhchap_digests value (18); our params schema refuses it.
  ['bdev_nvme_set_options', -32603, 'spdk_json_decode_object failed', null],
  ['bdev_raid_add_base_bdev', -22, 'Failed to add base bdev lvs1k/sb2 to RAID bdev raidsb: Invalid argument', null],
  ['bdev_raid_add_base_bdev', -22, 'Failed to add base bdev lvsA/local1 to RAID bdev raid1: Invalid argument', null],
  ['bdev_raid_add_base_bdev', -22, 'Failed to add base bdev lvsA/spare1 to RAID bdev raid1: Invalid argument', null],
  ['bdev_raid_add_base_bdev', -22, 'Failed to add base bdev nope to RAID bdev raid1: Invalid argument', null],
  // A stale member the superblock examine had already re-added: "no empty slot", as for lvsA/spare1 (17).
  ['bdev_raid_add_base_bdev', -22, 'Failed to add base bdev rBn1 to RAID bdev r17: Invalid argument', null],
  ['bdev_raid_add_base_bdev', -19, 'raid bdev nope is not found in config', 'gone'],
  ['bdev_raid_add_base_bdev', -12, 'Failed to add base bdev to RAID bdev: Cannot allocate memory', null],
  ['bdev_raid_create', -32700, 'spdk_json_decode_object failed', null],
  ['bdev_raid_create', -22, 'Failed to create RAID bdev r0: Invalid argument', null],
  ['bdev_raid_create', -22, 'Failed to create RAID bdev rone: Invalid argument', null],
  ['bdev_raid_create', -17, 'Failed to create RAID bdev raid1: File exists', 'exists'],
  ['bdev_raid_create', -1, 'Failed to create RAID bdev rclaimed: Operation not permitted', null],
  ['bdev_raid_delete', -19, 'raid bdev nope not found', 'gone'],
  ['bdev_raid_delete', -19, 'raid bdev rone not found', 'gone'],
  ['bdev_raid_get_bdevs', -32700, 'spdk_json_decode_object failed', null],
  ['bdev_raid_remove_base_bdev', -19, 'Failed to remove base bdev from raid bdev', 'gone'],
  ['bdev_raid_set_options', -22, 'Invalid argument', null],
  // A negative or string limit (19); our params schema refuses those.
  ['bdev_set_qos_limit', -32603, 'spdk_json_decode_object failed', null],
  // No limit given, or only UINT64_MAX (the decoder's "not given").
  ['bdev_set_qos_limit', -22, 'No rate limits specified', null],
  ['bdev_set_qos_limit', -19, 'No such device', 'gone'],
  // An existing NQN, a malformed NQN and the 1024th subsystem read the same.
  ['nvmf_create_subsystem', -32603, 'Unable to create subsystem not-an-nqn', 'maybe-exists'],
  ['nvmf_create_subsystem', -32603, 'Unable to create subsystem nqn.2016-06.io.spdk:mem-s1023', 'maybe-exists'],
  ['nvmf_create_subsystem', -32603, 'Unable to create subsystem nqn.2016-06.io.spdk:replica3', 'maybe-exists'],
  ['nvmf_create_subsystem', -32602, 'Invalid cntlid range [0-65519]', null],
  ['nvmf_create_subsystem', -32602, 'Invalid cntlid range [1-65520]', null],
  ['nvmf_create_subsystem', -32602, 'Invalid cntlid range [20-10]', null],
  ['nvmf_create_subsystem', -32602, 'Invalid parameters', null],
  ['nvmf_create_transport', -32603, "Transport type 'TCP' already exists", 'exists'],
  // Decode failures read the same, but our params schema keeps those from being sent.
  ['nvmf_delete_subsystem', -32602, 'Invalid parameters', 'gone'],
  // A host already allowed, and a host that is not an NQN.
  ['nvmf_subsystem_add_host', -32603, 'Internal error', 'maybe-exists'],
  // The subsystem is missing (the message is generic).
  ['nvmf_subsystem_add_host', -32602, 'Invalid parameters', 'maybe-gone'],
  // Transcript 18: keys in the keyring, and set_keys on a subsystem host or a controller.
  ['keyring_file_add_key', -17, 'File exists', 'exists'],
  ['keyring_file_add_key', -1, 'Operation not permitted', null],
  ['keyring_file_add_key', -2, 'No such file or directory', null],
  ['keyring_file_remove_key', -126, 'Required key not available', 'gone'],
  ['nvmf_subsystem_set_keys', -32602, 'Invalid parameters', 'maybe-gone'],
  ['bdev_nvme_set_keys', -13, 'Permission denied', null],
  ['bdev_nvme_set_keys', -19, 'No such device', 'gone'],
  // secure_channel on a subsystem with allow_any_host (18).
  ['nvmf_subsystem_add_listener', -32603, "Cannot establish secure channel, when 'allow_any_host' is set", null],
  // A listener that exists, a transport not created, an address the host lacks.
  ['nvmf_subsystem_add_listener', -32602, 'Invalid parameters', 'maybe-exists'],
  // A bdev exported already, a missing bdev, a missing subsystem.
  ['nvmf_subsystem_add_ns', -32602, 'Invalid parameters', 'maybe-exists'],
  // A missing listener, and a subsystem without ana_reporting.
  ['nvmf_subsystem_listener_set_ana_state', -32603, 'error setting ANA state: -22', null],
  ['nvmf_subsystem_listener_set_ana_state', -32602, 'Invalid parameters', null],
  ['nvmf_subsystem_remove_host', -32603, 'Internal error', 'maybe-gone'],
  ['nvmf_subsystem_remove_ns', -32602, 'Invalid parameters', 'gone'],
  ['spdk_get_version', -32602, 'spdk_get_version method requires no parameters', null],
];

/** Errors no contract may read as a certain exists/gone, whatever the method. */
const NEVER_CERTAIN: ReadonlyArray<[number, string]> = [
  [-32603, 'spdk_json_decode_object failed'],
  [-32700, 'spdk_json_decode_object failed'],
  [-32601, 'Method not found'],
  [-32600, 'Invalid request'],
  [-12, 'Cannot allocate memory'],
  [-5, 'Input/output error'],
  [-22, 'Invalid argument'],
  [-16, 'Device or resource busy'],
];

function recordingCaller(): { caller: SpdkCaller; calls: Array<{ method: string; params: unknown }> } {
  const calls: Array<{ method: string; params: unknown }> = [];
  const caller: SpdkCaller = {
    call<T>(method: string, params?: object): Promise<T> {
      calls.push({ method, params });
      return Promise.resolve(undefined as T);
    },
  };
  return { caller, calls };
}

/** The key the client derives from a contract's objectKey: the named params' values joined by "/". */
function keyOf(method: string, params: Record<string, unknown>): string | undefined {
  const parts = contract(method)
    .objectKey.map((name) => params[name])
    .filter((value) => value !== undefined);
  return parts.length > 0 ? parts.join('/') : undefined;
}

// =============================================================================================

describe('every method has a contract and a wrapper', () => {
  it('holds one contract file per method, and no others', () => {
    expect([...files.keys()].sort()).toEqual(METHODS);
    expect([...contracts.keys()].sort()).toEqual(METHODS);
  });

  it('exists in SPDK v26.05 for every method', () => {
    const known = new Set(schema.methods.map((method) => method.name));
    expect(METHODS.filter((method) => !known.has(method))).toEqual([]);
  });

  it('compiles every contract file, and loads them once', () => {
    expect(contractsDir()).toBe(path.join(repoRoot, 'rpc-schemas', 'spdk'));
    expect(loadContracts()).toBe(contracts);
    for (const method of METHODS) {
      const c = contract(method);
      expect(c.method).toBe(method);
      expect(c.summary.length).toBeGreaterThan(10);
      expect(['normal', 'slow']).toContain(c.deadline);
    }
  });

  it('has a wrapper in SpdkMethods for every method', async () => {
    const { caller, calls } = recordingCaller();
    const methods = new SpdkMethods(caller);
    for (const area of Object.values(methods) as object[]) {
      const proto = Object.getPrototypeOf(area) as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const fn = proto[name];
        if (name !== 'constructor' && typeof fn === 'function') await (fn as (arg: unknown) => Promise<unknown>).call(area, {});
      }
    }
    expect([...new Set(calls.map((call) => call.method))].sort()).toEqual(METHODS);
  });
});

describe('params schemas match schema.json', () => {
  it.each(METHODS)('%s', (method) => {
    const spdk = byName(schema.methods, method);
    const params = files.get(method)!.params;
    const properties = params.properties ?? {};
    expect(Object.keys(properties).sort()).toEqual(spdk.params.map((p) => p.name).sort());
    expect([...(params.required ?? [])].sort()).toEqual(
      spdk.params
        .filter((p) => p.required)
        .map((p) => p.name)
        .sort(),
    );
    expect(params.additionalProperties).toBe(false);
    for (const field of spdk.params) {
      const deviation = DEVIATIONS.find((d) => d.method === method && d.param === field.name);
      expect(properties[field.name], `${method}.${field.name}`).toEqual({ ...mapField(field), ...deviation?.extra });
    }
    expect(contract(method).takesParams).toBe(spdk.params.length > 0);
  });

  it('lists only deviations that apply, each with a reason', () => {
    for (const d of DEVIATIONS) {
      expect(files.get(d.method)?.params.properties?.[d.param], `${d.method}.${d.param}`).toBeDefined();
      expect(d.reason.length).toBeGreaterThan(10);
    }
  });

  it('explains a refusal in one readable line per problem', () => {
    expect(contract('bdev_lvol_create').validateParams({ lvol_name: 'x', size_in_mib: -1, bogus: 1 })).toEqual(['bogus: is not allowed', 'size_in_mib: must be integer >= 0']);
    expect(contract('bdev_lvol_create').validateParams(undefined)).toEqual(['lvol_name: is required', 'size_in_mib: is required']);
    expect(contract('bdev_raid_get_bdevs').validateParams({ category: 'bogus' })).toEqual(['category: must be one of "online", "configuring", "offline", "all"']);
    expect(contract('nvmf_subsystem_add_listener').validateParams({ nqn: 'n', listen_address: { trtype: 'tcp' } })).toEqual(['listen_address.traddr: is required']);
    expect(contract('spdk_get_version').validateParams({ x: 1 })).toEqual(['x: is not allowed']);
    expect(contract('bdev_raid_create').validateParams({ name: 'r', raid_level: 'raid1', base_bdevs: ['a', 'b'] })).toBeUndefined();
  });
});

describe('contracts agree with what spdk_tgt did', () => {
  it('validates every recorded successful result', () => {
    const bad = succeeded
      .filter((entry) => entry.response!.result !== undefined)
      .map((entry) => ({ where: entry.where, method: entry.method, problems: contract(entry.method).validateResult(entry.response!.result) }))
      .filter((entry) => entry.problems !== undefined);
    expect(bad).toEqual([]);
    expect(succeeded.length).toBeGreaterThan(5000);
  });

  it('accepts the params of every request spdk_tgt accepted', () => {
    const bad = succeeded
      .map((entry) => ({ where: entry.where, problems: contract(entry.method).validateParams(entry.params ?? undefined) }))
      .filter((entry) => entry.problems !== undefined && !ACCEPTED_BUT_REFUSED_BY_US.some((e) => e.where === entry.where));
    expect(bad).toEqual([]);
  });

  it('refuses the params of every request spdk_tgt refused for its params, and only those', () => {
    const refused = failed.filter(refusedForParams);
    for (const e of REFUSED_BUT_SENT_BY_US)
      expect(
        refused.some((r) => r.method === e.method && r.note === e.note),
        e.note,
      ).toBe(true);
    expect(refused.length).toBeGreaterThan(15);
    const letThrough = refused
      .filter((entry) => contract(entry.method).validateParams(entry.params ?? undefined) === undefined)
      .filter((entry) => !REFUSED_BUT_SENT_BY_US.some((e) => e.method === entry.method && e.note === entry.note));
    expect(letThrough.map((entry) => `${entry.where} ${entry.method} ${JSON.stringify(entry.params)}`)).toEqual([]);
    const overStrict = failed
      .filter((entry) => !refusedForParams(entry))
      .map((entry) => ({ where: entry.where, problems: contract(entry.method).validateParams(entry.params ?? undefined) }))
      .filter((entry) => entry.problems !== undefined);
    expect(overStrict).toEqual([]);
  });

  it('has a recorded success for every method but the few known to have none', () => {
    const seen = new Set(succeeded.map((entry) => entry.method));
    expect(METHODS.filter((method) => !seen.has(method))).toEqual(UNRECORDED);
  });
});

describe('verdicts read errors as spdk_tgt meant them', () => {
  it('covers every distinct error a contracted method returned', () => {
    const table = new Set(VERDICTS.map(([method, code, message]) => `${method} ${code} ${message}`));
    const missing = [...new Set(failed.map((e) => `${e.method} ${e.response!.error!.code} ${e.response!.error!.message}`))].filter((key) => !table.has(key));
    expect(missing).toEqual([]);
  });

  it.each(VERDICTS)('%s %i %s → %s', (method, code, message, expected) => {
    expect(contract(method).verdict(code, message) ?? null).toBe(expected);
  });

  it('agrees with errors-table.json', () => {
    const rows = JSON.parse(readFileSync(path.join(shared, 'errors-table.json'), 'utf8')) as Array<[string, string, string, string]>;
    let checked = 0;
    for (const [what, , method, outcome] of rows) {
      const error = /^ERROR code=(-?\d+) message="(.*)"$/.exec(outcome);
      if (!error || !contracts.has(method)) continue;
      const [code, message] = [Number(error[1]), error[2]!];
      const row = VERDICTS.find(([m, c, msg]) => m === method && c === code && msg === message);
      expect(row, `${what}: ${method} ${code} ${message}`).toBeDefined();
      expect(contract(method).verdict(code, message) ?? null, what).toBe(row![3]);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('reads the documented cases', () => {
    expect(contract('nvmf_create_subsystem').verdict(-32603, 'Unable to create subsystem nqn.2016-06.io.spdk:x')).toBe('maybe-exists');
    expect(contract('nvmf_delete_subsystem').verdict(-32602, 'Invalid parameters')).toBe('gone');
    expect(contract('bdev_raid_delete').verdict(-19, 'raid bdev nope not found')).toBe('gone');
    expect(contract('bdev_nvme_get_controllers').verdict(-22, 'Controller nope does not exist')).toBe('gone');
    expect(contract('bdev_nvme_attach_controller').verdict(-114, 'A controller named r9 already exists with the specified network path')).toBe('exists');
    expect(contract('bdev_nvme_attach_controller').verdict(-17, 'File exists')).toBe('maybe-exists');
    expect(contract('bdev_lvol_snapshot').verdict(-32602, 'File exists')).toBe('exists');
  });

  it('never reads an unrelated error as certain', () => {
    for (const method of METHODS) {
      const c = contract(method);
      for (const [code, message] of NEVER_CERTAIN) {
        expect(['exists', 'gone'], `${method} ${code} ${message}`).not.toContain(c.verdict(code, message));
      }
      // The same code with another message, and the same message with another code, are not the case.
      for (const rules of Object.values(files.get(method)!.verdicts)) {
        for (const rule of rules) {
          expect(c.verdict(rule.code, 'Some other failure'), `${method} ${rule.code}`).toBeUndefined();
          expect(c.verdict(rule.code - 1000, rule.message.replace(/^\^|\$$/g, '')), `${method} ${rule.message}`).toBeUndefined();
        }
      }
    }
  });
});

describe('call behaviour', () => {
  it('retries only reads and absolute setters', () => {
    expect(METHODS.filter((method) => contract(method).idempotent)).toEqual(
      [
        'bdev_aio_rescan',
        'bdev_get_bdevs',
        'bdev_lvol_get_lvols',
        'bdev_lvol_get_lvstores',
        'bdev_lvol_resize',
        'bdev_nvme_get_controllers',
        'bdev_nvme_get_io_paths',
        'bdev_nvme_set_options',
        'bdev_raid_get_bdevs',
        'bdev_raid_set_options',
        'bdev_wait_for_examine',
        'env_dpdk_get_mem_stats',
        'framework_get_config',
        'framework_get_reactors',
        'iobuf_get_stats',
        'nvmf_get_subsystems',
        'nvmf_get_transports',
        'nvmf_subsystem_allow_any_host',
        'nvmf_subsystem_get_controllers',
        'nvmf_subsystem_get_listeners',
        'nvmf_subsystem_get_qpairs',
        'nvmf_subsystem_listener_set_ana_state',
        'rpc_get_methods',
        'spdk_get_version',
        'thread_get_stats',
        'bdev_set_qos_limit',
        'keyring_get_keys',
        'nvmf_subsystem_set_keys',
      ].sort(),
    );
  });

  it('gives the slow deadline to the calls spdk_tgt can take long over', () => {
    expect(METHODS.filter((method) => contract(method).deadline === 'slow')).toEqual(
      [
        'bdev_aio_create',
        'bdev_lvol_create_lvstore',
        'bdev_lvol_decouple_parent',
        'bdev_lvol_delete',
        'bdev_lvol_delete_lvstore',
        'bdev_lvol_inflate',
        'bdev_nvme_attach_controller',
        'bdev_raid_delete',
        // io_uring bdevs are examined (and their lvstore loaded) exactly like aio ones.
        'bdev_uring_create',
        'bdev_wait_for_examine',
      ].sort(),
    );
  });

  it('keys calls on one object alike, and reads on none', () => {
    const lvol = 'lvs/vol';
    expect(keyOf('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'vol', size_in_mib: 1 })).toBe(lvol);
    expect(keyOf('bdev_lvol_clone_bdev', { bdev: 'n1', lvs_name: 'lvs', clone_name: 'vol' })).toBe(lvol);
    for (const [method, params] of [
      ['bdev_lvol_delete', { name: lvol }],
      ['bdev_lvol_snapshot', { lvol_name: lvol, snapshot_name: 's' }],
      ['bdev_lvol_clone', { snapshot_name: lvol, clone_name: 'c' }],
      ['bdev_lvol_set_parent', { lvol_name: lvol, parent_name: 'lvs/s' }],
      ['bdev_lvol_set_parent_bdev', { lvol_name: lvol, parent_name: 'n1' }],
      ['bdev_lvol_resize', { name: lvol, size_in_mib: 2 }],
      ['bdev_lvol_rename', { old_name: lvol, new_name: 'x' }],
      ['bdev_lvol_inflate', { name: lvol }],
      ['bdev_lvol_decouple_parent', { name: lvol }],
      ['bdev_lvol_set_read_only', { name: lvol }],
      ['bdev_lvol_start_shallow_copy', { src_lvol_name: lvol, dst_bdev_name: 'd' }],
    ] as const) {
      expect(keyOf(method, params), method).toBe(lvol);
    }
    expect(keyOf('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs' })).toBe('lvs');
    expect(keyOf('bdev_lvol_delete_lvstore', { lvs_name: 'lvs' })).toBe('lvs');
    expect(keyOf('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: [] })).toBe('r');
    expect(keyOf('bdev_raid_delete', { name: 'r' })).toBe('r');
    expect(keyOf('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'b' })).toBe('r');
    expect(keyOf('bdev_nvme_attach_controller', { name: 'c', trtype: 'tcp', traddr: 'a' })).toBe('c');
    expect(keyOf('bdev_nvme_detach_controller', { name: 'c' })).toBe('c');
    for (const method of METHODS.filter((m) => m.startsWith('nvmf_subsystem_') && !m.includes('_get_')).concat('nvmf_create_subsystem', 'nvmf_delete_subsystem')) {
      expect(contract(method).objectKey, method).toEqual(['nqn']);
    }
    const reads = METHODS.filter((m) => /_get_|^spdk_get_version$|^rpc_get_methods$|^thread_get_stats$|_check_shallow_copy$|_wait_for_examine$|_set_options$/.test(m));
    expect(reads.length).toBeGreaterThan(15);
    for (const method of reads) expect(contract(method).objectKey, method).toEqual([]);
  });
});

describe('loading a malformed contract', () => {
  const good = readFileSync(path.join(contractsDir(), 'bdev_malloc_delete.json'), 'utf8');
  const cases: Array<[string, (doc: Record<string, unknown>) => unknown]> = [
    ['not JSON', () => '{"method": '],
    ['no verdicts', ({ verdicts: _, ...doc }) => doc],
    ['an objectKey that is not a param', (doc) => ({ ...doc, objectKey: ['nope'] })],
    ['a method that is not the file name', (doc) => ({ ...doc, method: 'bdev_null_delete' })],
    ['a verdict that is not a regular expression', (doc) => ({ ...doc, verdicts: { gone: [{ code: -19, message: '(' }] } })],
    ['an unknown schema keyword', (doc) => ({ ...doc, result: { type: 'boolean', nonsense: 1 } })],
    ['params that allow unknown keys', (doc) => ({ ...doc, params: { type: 'object', properties: {} } })],
  ];

  it.each(cases)('throws naming the file: %s', (_, mutate) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'contracts-'));
    try {
      const doc = mutate(JSON.parse(good) as Record<string, unknown>);
      writeFileSync(path.join(dir, 'bdev_malloc_delete.json'), typeof doc === 'string' ? doc : JSON.stringify(doc));
      expect(() => loadContracts(dir)).toThrow(/rpc-schemas\/spdk\/bdev_malloc_delete\.json: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads a well-formed copy', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'contracts-'));
    try {
      writeFileSync(path.join(dir, 'bdev_malloc_delete.json'), good);
      expect([...loadContracts(dir).keys()]).toEqual(['bdev_malloc_delete']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
