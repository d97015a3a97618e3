/**
 * The edge's checks on requests, before the domain sees them: a malformed request fails with
 * INVALID_ARGUMENT naming the field (as spelled in the proto) and changes nothing. The domain
 * checks again before SPDK; this layer exists so bad input never costs a lock or a spdk_tgt call.
 */
import { checkSecrets, type HostSecrets } from '../domain/node/keys.js';
import type { ExposeMode } from '../domain/model.js';
import { ConductorError, type ErrorCode } from '../errors.js';
import { labelsProblem } from '../validation/labels.js';
import { HOST_NQNS_MAX, LIST_MAX, STRING_MAX_BYTES } from '../validation/limits.js';
import { nameProblem, type NameKind } from '../validation/names.js';
import { apiAddressProblem, portProblem, replicaAddressProblem } from '../validation/network.js';
import { nqnProblem } from '../validation/nqn.js';
import { absolutePathProblem, pciAddressProblem } from '../validation/paths.js';
import { isPowerOfTwo, sizeBytesProblem } from '../validation/sizes.js';
import { hasControlCharacter, quoted } from '../validation/text.js';
import { overBound, undecodableReason } from './undecodable.js';

/** INVALID_ARGUMENT or a more specific code of that kind, naming the field. */
export function invalid(field: string, message: string, code: ErrorCode = 'INVALID_ARGUMENT'): ConductorError {
  return new ConductorError(code, `${field}: ${message}`, { field });
}

function checked<T>(field: string, value: T, problem: string | undefined, code: ErrorCode): T {
  if (problem !== undefined) throw invalid(field, problem, code);
  return value;
}

export function name(kind: NameKind, field: string, value: string): string {
  return checked(field, value, nameProblem(kind, value), 'INVALID_NAME');
}

/** An optional name filter: empty means "all". */
export function optionalName(kind: NameKind, field: string, value: string): string | undefined {
  return value === '' ? undefined : name(kind, field, value);
}

/** uint64 fields arrive as numbers (LOADER_OPTIONS longs: Number), so sizes past 2^53 are refused. */
export function sizeBytes(field: string, value: number): number {
  return checked(field, value, sizeBytesProblem(value), 'INVALID_SIZE');
}

/** 0 means "the default"; otherwise a power of two within [min, max]. */
export function optionalPowerOfTwo(field: string, value: number, min: number, max: number): number | undefined {
  if (value === 0) return undefined;
  if (!isPowerOfTwo(value, min, max)) {
    throw invalid(field, `${value} is not allowed; use 0 for the default or a power of two from ${min} to ${max}`, 'INVALID_SIZE');
  }
  return value;
}

export function diskPath(field: string, kind: 'aio' | 'nvme', value: string): string {
  if (kind === 'nvme') return checked(field, value, pciAddressProblem(value), 'INVALID_PATH').toLowerCase();
  return checked(field, value, absolutePathProblem(value), 'INVALID_PATH');
}

/**
 * The hosts allowed to connect. `required` says why an empty list is refused (replicas and
 * export-only engines are never exported to any host); null allows an empty list.
 */
export function hostNqns(field: string, values: readonly string[], required: string | null = 'replicas are never exported to any host'): string[] {
  if (values.length === 0 && required !== null) throw invalid(field, `at least one host NQN is required; ${required}`, 'INVALID_NQN');
  if (values.length > HOST_NQNS_MAX) throw invalid(field, `${values.length} host NQNs given; at most ${HOST_NQNS_MAX} are allowed`, 'INVALID_NQN');
  const seen = new Set<string>();
  for (const [i, value] of values.entries()) {
    const at = `${field}[${i}]`;
    nqn(at, value);
    if (seen.has(value)) throw invalid(at, `${quoted(value)} is listed twice`, 'INVALID_NQN');
    seen.add(value);
  }
  return [...values];
}

/** A host with the secrets it must prove or share, as the proto's HostAccess carries it. */
export interface HostAccessFields {
  nqn: string;
  dhchapKey: string;
  dhchapCtrlrKey: string;
  psk: string;
}

/** DH-HMAC-CHAP and TLS secrets checked (format, hash, length, CRC-32); errors never quote them. */
export function secrets(field: string, value: Omit<HostAccessFields, 'nqn'>): HostSecrets | undefined {
  return checkSecrets(field, { dhchapKey: value.dhchapKey, dhchapCtrlrKey: value.dhchapCtrlrKey, psk: value.psk });
}

/**
 * host_nqns (no authentication) and hosts (with secrets) together: one host list, each host once,
 * and the secrets by host NQN (undefined when no host has any).
 */
export function hostAccess(
  nqnsField: string,
  nqns: readonly string[],
  accessField: string,
  access: readonly HostAccessFields[],
  required?: string | null,
): { hostNqns: string[]; secrets: Map<string, HostSecrets> | undefined } {
  const bySecret = new Map<string, HostSecrets>();
  for (const [i, host] of access.entries()) {
    nqn(`${accessField}[${i}].nqn`, host.nqn);
    const checkedSecrets = secrets(`${accessField}[${i}].`, host);
    if (checkedSecrets) bySecret.set(host.nqn, checkedSecrets);
  }
  const hostNqnsChecked = hostNqns(nqnsField, [...nqns, ...access.map((h) => h.nqn)], required);
  return { hostNqns: hostNqnsChecked, secrets: bySecret.size > 0 ? bySecret : undefined };
}

/** One NQN, a host's or a subsystem's. */
export function nqn(field: string, value: string): string {
  return checked(field, value, nqnProblem(value), 'INVALID_NQN');
}

/** Where a remote replica listens: an IPv4 address or a host name. */
export function address(field: string, value: string): string {
  return checked(field, value, replicaAddressProblem(value), 'INVALID_ADDRESS');
}

/** host:port of a peer node's API (an IPv4 address or host name, as replica addresses are). */
export function apiAddress(field: string, value: string): string {
  return checked(field, value, apiAddressProblem(value), 'INVALID_ADDRESS');
}

export function port(field: string, value: number): number {
  return checked(field, value, portProblem(value), 'INVALID_ADDRESS');
}

export function labels(field: string, value: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checked(field, value, labelsProblem(value), 'INVALID_LABELS')));
}

export function diskKind(field: string, value: string | number): 'aio' | 'nvme' {
  switch (value) {
    case 'DISK_KIND_UNSPECIFIED':
    case 'DISK_KIND_AIO':
      return 'aio';
    case 'DISK_KIND_NVME':
      return 'nvme';
    default:
      throw invalid(field, `unknown disk kind ${typeof value === 'number' ? value : quoted(value)}; use DISK_KIND_AIO or DISK_KIND_NVME`);
  }
}

/** ReplicaExpose's mode; unspecified is undefined (only the same hosts are accepted then). */
export function exposeMode(field: string, value: string | number): ExposeMode | undefined {
  switch (value) {
    case 'EXPOSE_MODE_UNSPECIFIED':
      return undefined;
    case 'EXPOSE_MODE_ADD':
      return 'add';
    case 'EXPOSE_MODE_REPLACE':
      return 'replace';
    case 'EXPOSE_MODE_REMOVE':
      return 'remove';
    default:
      throw invalid(field, `unknown expose mode ${typeof value === 'number' ? value : quoted(value)}; use EXPOSE_MODE_ADD, EXPOSE_MODE_REPLACE or EXPOSE_MODE_REMOVE`);
  }
}

/** The code a bound breaks in a field, by what the field holds (its proto name). */
const FIELD_CODES: ReadonlyArray<[RegExp, ErrorCode]> = [
  [/nqns?\b/, 'INVALID_NQN'],
  [/(^|_)path\b/, 'INVALID_PATH'],
  [/(^|\.)labels\b/, 'INVALID_LABELS'],
  [/address\b/, 'INVALID_ADDRESS'],
  [/(^|_|\.)(name|engine|replica)(\[\d+\])?$/, 'INVALID_NAME'],
];

/** The refusal of a request whose bytes did not decode (see src/api/undecodable.ts). */
export function malformed(reason: string): ConductorError {
  return new ConductorError('MALFORMED_REQUEST', `the request's bytes do not decode as its message (${quoted(reason)}); send a well-formed protobuf message`);
}

/** Deeper than any message of the API nests. */
const DEPTH_MAX = 8;

/**
 * The bounds every request keeps, whatever its method, checked before the handler reads a field:
 * each string at most STRING_MAX_BYTES and free of control characters (map keys too), each list
 * at most LIST_MAX long. The field's own rules, tighter, come after; this one makes sure no value
 * reaches them, a lock, spdk_tgt or a log line at a hostile size, including in fields added later.
 */
export function boundedRequest(request: unknown): void {
  const over = overBound(request);
  if (over?.kind === 'string') throw invalid(over.field, `${over.size} bytes long; no field takes more than ${STRING_MAX_BYTES}`, codeOf(over.field));
  if (over?.kind === 'list') throw invalid(over.field, `more than ${LIST_MAX} entries; no list or map takes more`, codeOf(over.field));
  const undecodable = undecodableReason(request);
  if (undecodable !== undefined) throw malformed(undecodable);
  path.length = 0;
  walk(request);
}

/**
 * Where walk is: the object keys (protobufjs's camelCase) and list indices from the request down
 * to the value it looks at. The field's name (`hosts[2]`, `labels.some_key`) is made from it only
 * for a refusal: making it for every value (a regex replace per key, a string per level) was most
 * of what the walk cost on every call.
 */
const path: Array<string | number> = [];

/** The field name of the path's first `length` steps. */
function fieldAt(length: number): string {
  let field = '';
  for (let i = 0; i < length; i++) {
    const step = path[i]!;
    if (typeof step === 'number') field = `${field}[${step}]`;
    else field = field === '' ? snakeCase(step) : `${field}.${snakeCase(step)}`;
  }
  return field;
}

function walk(value: unknown): void {
  if (typeof value === 'string') {
    boundedString(value, path.length);
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (path.length > DEPTH_MAX) throw invalid(fieldAt(path.length), `nested deeper than ${DEPTH_MAX} levels`);
  if (Array.isArray(value)) {
    if (value.length > LIST_MAX) {
      const field = fieldAt(path.length);
      throw invalid(field, `${value.length} entries; no list takes more than ${LIST_MAX}`, codeOf(field));
    }
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i]);
      path.pop();
    }
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > LIST_MAX) {
    const field = fieldAt(path.length);
    throw invalid(field, `${keys.length} entries; no map takes more than ${LIST_MAX}`, codeOf(field));
  }
  for (const key of keys) {
    path.push(key);
    // Map keys are caller input as much as values are (labels); a field name is never this long.
    // A top-level key is named as its own field, a deeper one as the map that holds it.
    boundedString(key, path.length === 1 ? 1 : path.length - 1);
    walk((value as Record<string, unknown>)[key]);
    path.pop();
  }
}

/** A string's bounds; `length` steps of the path name its field. */
function boundedString(value: string, length: number): void {
  // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair 4 for 2): short strings
  // need no count.
  const bytes = value.length * 3 <= STRING_MAX_BYTES ? 0 : Buffer.byteLength(value);
  if (bytes > STRING_MAX_BYTES) {
    const field = fieldAt(length);
    throw invalid(field, `${bytes} bytes long; no field takes more than ${STRING_MAX_BYTES}`, codeOf(field));
  }
  if (hasControlCharacter(value)) {
    const field = fieldAt(length);
    throw invalid(field, 'holds a control character (C0, DEL or C1), which no field takes', codeOf(field));
  }
}

function snakeCase(key: string): string {
  return key.length > 64 ? quoted(key, 16) : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function codeOf(field: string): ErrorCode {
  return FIELD_CODES.find(([pattern]) => pattern.test(field))?.[1] ?? 'INVALID_ARGUMENT';
}
