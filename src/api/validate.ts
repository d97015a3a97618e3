/**
 * The edge's checks on requests, before the domain sees them: a malformed request fails with
 * INVALID_ARGUMENT naming the field (as spelled in the proto) and changes nothing. The domain
 * checks again before SPDK; this layer exists so bad input never costs a lock or a spdk_tgt call.
 */
import { ConductorError } from '../errors.js';
import { splitHostPort } from './host-port.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const NAME_MAX = { disk: 32, replica: 48, snapshot: 48, volume: 48 } as const;
type NameKind = keyof typeof NAME_MAX;

/** nqn.YYYY-MM.<reverse domain>:<anything>, as NVMe Base Specification 4.5 defines NQNs (hosts and subsystems alike). */
const NQN_PATTERN = /^nqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+:\S+$/i;
const NQN_MAX_BYTES = 223;
/** The UUID form of NQN; spdk_tgt refuses one whose tail is not a UUID. */
const UUID_NQN_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Far above any real ACL; keeps one request from making a subsystem spdk_tgt cannot list. */
const HOST_NQNS_MAX = 256;

/** RFC 1123 labels joined by dots. */
const HOST_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HOST_NAME_MAX = 253;

const BDF_PATTERN = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
const PATH_MAX_BYTES = 4095;

const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const LABEL_KEY_MAX = 63;
const LABEL_VALUE_MAX = 255;
const LABELS_MAX = 64;

export function invalid(field: string, message: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `${field}: ${message}`, { field });
}

export function name(kind: NameKind, field: string, value: string): string {
  if (value === '') throw invalid(field, `a ${kind} name is required`);
  const max = NAME_MAX[kind];
  if (value.length > max) throw invalid(field, `${kind} name "${value.slice(0, 64)}${value.length > 64 ? '…' : ''}" is ${value.length} characters long; use at most ${max}`);
  if (!NAME_PATTERN.test(value)) {
    throw invalid(field, `${kind} name ${JSON.stringify(value)} is not allowed; use lowercase letters, digits and '-', starting with a letter or digit`);
  }
  return value;
}

/** An optional name filter: empty means "all". */
export function optionalName(kind: NameKind, field: string, value: string): string | undefined {
  return value === '' ? undefined : name(kind, field, value);
}

/**
 * uint64 fields arrive as numbers (LOADER_OPTIONS longs: Number); past 2^53 they have already been
 * rounded, so anything that is not a safe integer is refused rather than used approximately.
 */
export function sizeBytes(field: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw invalid(field, `${value} is too large; sizes must be below 2^53 bytes`);
  if (value <= 0) throw invalid(field, 'must be greater than 0 bytes');
  return value;
}

/** 0 means "the default"; otherwise a power of two within [min, max]. */
export function optionalPowerOfTwo(field: string, value: number, min: number, max: number): number | undefined {
  if (value === 0) return undefined;
  if (!Number.isSafeInteger(value) || value < min || value > max || (value & (value - 1)) !== 0) {
    throw invalid(field, `${value} is not allowed; use 0 for the default or a power of two from ${min} to ${max}`);
  }
  return value;
}

export function diskPath(field: string, kind: 'aio' | 'nvme', value: string): string {
  if (value === '') throw invalid(field, kind === 'aio' ? 'the device or file path is required' : 'the PCIe address (BDF) is required');
  if (kind === 'nvme') {
    if (!BDF_PATTERN.test(value)) throw invalid(field, `${JSON.stringify(value)} is not a PCIe address; use the BDF form 0000:5e:00.0`);
    return value.toLowerCase();
  }
  if (!value.startsWith('/')) throw invalid(field, `${JSON.stringify(value)} is not an absolute path; give the device or file as /dev/… or /path/to/file`);
  if (Buffer.byteLength(value) > PATH_MAX_BYTES || value.includes('\0')) throw invalid(field, 'is not a usable path (too long or holds a NUL byte)');
  return value;
}

/**
 * The hosts allowed to connect. `required` says why an empty list is refused (replicas and
 * export-only engines are never exported to any host); null allows an empty list.
 */
export function hostNqns(field: string, values: readonly string[], required: string | null = 'replicas are never exported to any host'): string[] {
  if (values.length === 0 && required !== null) throw invalid(field, `at least one host NQN is required; ${required}`);
  if (values.length > HOST_NQNS_MAX) throw invalid(field, `${values.length} host NQNs given; at most ${HOST_NQNS_MAX} are allowed`);
  const seen = new Set<string>();
  for (const [i, value] of values.entries()) {
    const at = `${field}[${i}]`;
    nqn(at, value);
    if (seen.has(value)) throw invalid(at, `${JSON.stringify(value)} is listed twice`);
    seen.add(value);
  }
  return [...values];
}

/** One NQN, a host's or a subsystem's. */
export function nqn(field: string, value: string): string {
  if (value === '') throw invalid(field, 'an NQN is required');
  if (Buffer.byteLength(value) > NQN_MAX_BYTES) throw invalid(field, `is ${Buffer.byteLength(value)} bytes long; an NQN is at most ${NQN_MAX_BYTES}`);
  if (!NQN_PATTERN.test(value)) {
    throw invalid(field, `${JSON.stringify(value)} is not an NQN; use the form nqn.YYYY-MM.reverse.domain:identifier (e.g. the host's /etc/nvme/hostnqn)`);
  }
  if (value.startsWith(UUID_NQN_PREFIX) && !UUID_PATTERN.test(value.slice(UUID_NQN_PREFIX.length))) {
    throw invalid(field, `${JSON.stringify(value)} is a UUID NQN whose tail is not a UUID; use ${UUID_NQN_PREFIX}xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`);
  }
  return value;
}

/**
 * Where a remote replica listens: an IPv4 address or a host name. Engines attach with
 * adrfam ipv4, so an IPv6 address would only fail later, inside spdk_tgt.
 */
export function address(field: string, value: string): string {
  if (value === '') throw invalid(field, 'the address of the replica\'s export is required');
  if (value.includes(':')) throw invalid(field, `${JSON.stringify(value)}: IPv6 is not supported for replicas; use an IPv4 address or a host name`);
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (octets) {
    if (octets.slice(1).some((o) => Number(o) > 255)) throw invalid(field, `${JSON.stringify(value)} is not an IPv4 address`);
    return value;
  }
  if (value.length > HOST_NAME_MAX || !HOST_NAME_PATTERN.test(value) || /^[\d.]+$/.test(value)) {
    throw invalid(field, `${JSON.stringify(value.slice(0, 64))} is not an IPv4 address or a host name`);
  }
  return value;
}

/** host:port of a peer node's API (an IPv4 address or host name, as replica addresses are). */
export function apiAddress(field: string, value: string): string {
  const parts = splitHostPort(value);
  if (!parts) throw invalid(field, `${JSON.stringify(value.slice(0, 64))} is not host:port`);
  address(field, parts.host);
  port(field, parts.port);
  return value;
}

export function port(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw invalid(field, `${value} is not a TCP port; use 1 to 65535`);
  return value;
}

export function labels(field: string, value: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(value);
  if (entries.length > LABELS_MAX) throw invalid(field, `${entries.length} labels given; at most ${LABELS_MAX} are allowed`);
  for (const [key, v] of entries) {
    if (key.length > LABEL_KEY_MAX || !LABEL_KEY_PATTERN.test(key)) {
      throw invalid(field, `label key ${JSON.stringify(key)} is not allowed; use at most ${LABEL_KEY_MAX} of A-Z a-z 0-9 . _ / -, starting with a letter or digit`);
    }
    if (v.length > LABEL_VALUE_MAX) throw invalid(field, `label ${key}'s value is ${v.length} characters long; use at most ${LABEL_VALUE_MAX}`);
  }
  return Object.fromEntries(entries);
}

export function diskKind(field: string, value: string | number): 'aio' | 'nvme' {
  switch (value) {
    case 'DISK_KIND_UNSPECIFIED':
    case 'DISK_KIND_AIO':
      return 'aio';
    case 'DISK_KIND_NVME':
      return 'nvme';
    default:
      throw invalid(field, `unknown disk kind ${JSON.stringify(value)}; use DISK_KIND_AIO or DISK_KIND_NVME`);
  }
}
