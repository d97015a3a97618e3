/**
 * A decoder builder that behaves like spdk_json_decode_object: the params must be an object (or
 * absent when nothing is required), every key known and present once, required keys present, and
 * each value of its declared type and range. Any failure is one error, whose code and message
 * depend on the method family (see transcript 08), so the caller gives it.
 */
import { SimRpcError } from './contract.js';
import { hasDuplicateKeys } from './json-scan.js';
import { INTERNAL_ERROR, INVALID_PARAMS, PARSE_ERROR } from './rpc-request.js';

export type ScalarType = 'string' | 'boolean' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'uuid';

export type ParamType =
  | ScalarType
  | { readonly enum: readonly string[] }
  | { readonly object: readonly ParamSpec[] }
  | { readonly array: ParamType; readonly maxCount: number };

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly required?: boolean;
}

export interface DecodeFailure {
  readonly code: number;
  readonly message: string;
}

/** bdev_*, lvol, env, iobuf...: what most of spdk_tgt's handlers answer. */
export const DECODE_FAILED: DecodeFailure = { code: INTERNAL_ERROR, message: 'spdk_json_decode_object failed' };
/** nvmf_* handlers. */
export const NVMF_INVALID_PARAMS: DecodeFailure = { code: INVALID_PARAMS, message: 'Invalid parameters' };
/** bdev_raid_* handlers. */
export const RAID_DECODE_FAILED: DecodeFailure = { code: PARSE_ERROR, message: 'spdk_json_decode_object failed' };

const RANGES: Record<'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64', readonly [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, 2 ** 64 - 1],
};

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valid(type: ParamType, v: unknown): boolean {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return typeof v === 'string';
      case 'boolean':
        return typeof v === 'boolean';
      case 'uuid':
        return typeof v === 'string' && UUID_RE.test(v);
      default: {
        const [min, max] = RANGES[type];
        return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
      }
    }
  }
  if ('enum' in type) return typeof v === 'string' && type.enum.includes(v);
  if ('object' in type) return isObject(v) && validObject(type.object, v);
  if (!Array.isArray(v) || v.length > type.maxCount) return false;
  return v.every((item) => valid(type.array, item));
}

function validObject(specs: readonly ParamSpec[], obj: Record<string, unknown>): boolean {
  if (hasDuplicateKeys(obj)) return false;
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const [key, value] of Object.entries(obj)) {
    const spec = byName.get(key);
    if (spec === undefined || !valid(spec.type, value)) return false;
  }
  return specs.every((s) => !s.required || s.name in obj);
}

/**
 * Builds a MethodSpec.decode function. `params` undefined (absent or null) passes only when no
 * key is required: spdk_tgt's handlers skip decoding when there are no params.
 */
export function objectDecoder(specs: readonly ParamSpec[], failure: DecodeFailure = DECODE_FAILED): (params: unknown) => void {
  const anyRequired = specs.some((s) => s.required);
  return (params: unknown) => {
    if (params === undefined) {
      if (anyRequired) throw new SimRpcError(failure.code, failure.message);
      return;
    }
    if (!isObject(params) || !validObject(specs, params)) throw new SimRpcError(failure.code, failure.message);
  };
}
