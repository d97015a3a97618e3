/**
 * A decoder builder that behaves like spdk_json_decode_object: the params must be an object (or
 * absent when nothing is required), every key known and present once, required keys present, and
 * each value of its declared type and range. Any failure is one error, whose code and message
 * depend on the method family (see transcript 08), so the caller gives it. Integers are decoded
 * from their JSON text as spdk's decoders do (json-integer.ts), not from the JS number.
 */
import { SimRpcError } from './contract.js';
import { decodeInteger, type IntegerWidth } from './json-integer.js';
import { isDuplicatedKey, numberTextOf } from './json-scan.js';
import { INTERNAL_ERROR, INVALID_PARAMS, PARSE_ERROR } from './rpc-request.js';

/** The integer types are spdk_json_decode_<type>: each field has the width of spdk's decoder table. */
export type ScalarType = 'string' | 'boolean' | IntegerWidth | 'uuid';

export type ParamType = ScalarType | { readonly enum: readonly string[] } | { readonly object: readonly ParamSpec[] } | { readonly array: ParamType; readonly maxCount: number };

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

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** spdk_json_decode_string fails on a string with an embedded NUL (not a C string). */
function isCString(v: unknown): v is string {
  return typeof v === 'string' && !v.includes('\0');
}

/** Whether `container[key]` decodes as `type`. */
function valid(type: ParamType, container: object, key: string | number): boolean {
  const v = (container as Record<string | number, unknown>)[key];
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return isCString(v);
      case 'boolean':
        return typeof v === 'boolean';
      case 'uuid':
        return isCString(v) && UUID_RE.test(v);
      default: {
        const text = numberTextOf(container, key);
        return text !== undefined && decodeInteger(text, type) !== null;
      }
    }
  }
  if ('enum' in type) return typeof v === 'string' && type.enum.includes(v);
  if ('object' in type) return isObject(v) && validObject(type.object, v, false);
  if (!Array.isArray(v) || v.length > type.maxCount) return false;
  return v.every((_, i) => valid(type.array, v, i));
}

/**
 * _json_decode_object: a key given twice is refused when a decoder knows it; a key none knows is
 * refused unless `relaxed` (spdk_json_decode_object_relaxed, which skips it).
 */
function validObject(specs: readonly ParamSpec[], obj: Record<string, unknown>, relaxed: boolean): boolean {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const key of Object.keys(obj)) {
    const spec = byName.get(key);
    if (spec === undefined) {
      if (relaxed) continue;
      return false;
    }
    if (isDuplicatedKey(obj, key) || !valid(spec.type, obj, key)) return false;
  }
  return specs.every((s) => !s.required || Object.hasOwn(obj, s.name));
}

/** The specs each decoder was built from, for tests that go through every method's params. */
const specsOfDecoder = new WeakMap<(params: unknown) => void, readonly ParamSpec[]>();

export function paramSpecsOf(decode: ((params: unknown) => void) | undefined): readonly ParamSpec[] | undefined {
  return decode === undefined ? undefined : specsOfDecoder.get(decode);
}

function decoder(specs: readonly ParamSpec[], failure: DecodeFailure, relaxed: boolean): (params: unknown) => void {
  const anyRequired = specs.some((s) => s.required);
  const decode = (params: unknown) => {
    if (params === undefined) {
      if (anyRequired) throw new SimRpcError(failure.code, failure.message);
      return;
    }
    if (!isObject(params) || !validObject(specs, params, relaxed)) throw new SimRpcError(failure.code, failure.message);
  };
  specsOfDecoder.set(decode, specs);
  return decode;
}

/**
 * Builds a MethodSpec.decode function. `params` undefined (absent or null) passes only when no
 * key is required: spdk_tgt's handlers skip decoding when there are no params.
 */
export function objectDecoder(specs: readonly ParamSpec[], failure: DecodeFailure = DECODE_FAILED): (params: unknown) => void {
  return decoder(specs, failure, false);
}

/** Decodes the keys `specs` knows and ignores the others, as spdk_json_decode_object_relaxed does. */
export function relaxedDecoder(specs: readonly ParamSpec[], failure: DecodeFailure): (params: unknown) => void {
  return decoder(specs, failure, true);
}

/**
 * One of a handler's own checks of its decoded params, made before it looks anything up (so its
 * answer does not depend on what exists): SPDK's condition, code and message.
 */
export interface ParamCheck {
  /** The condition in SPDK's words; the validation tests name their row after it. */
  readonly name: string;
  /** True when decoded params fail it. */
  readonly fails: (p: Record<string, unknown>) => boolean;
  readonly code: number;
  readonly message: string | ((p: Record<string, unknown>) => string);
}

/**
 * A method's row in its module's validation table: its decoder table (spdk_json_object_decoder),
 * what a decode failure answers, and its own checks in the handler's order.
 */
export interface MethodRule {
  readonly specs: readonly ParamSpec[];
  /** DECODE_FAILED unless the handler answers otherwise. */
  readonly failure?: DecodeFailure;
  /** spdk_json_decode_object_relaxed: unknown keys are skipped. */
  readonly relaxed?: boolean;
  readonly checks?: readonly ParamCheck[];
}

/** A module's methods and how each validates its params (tests walk these tables). */
export type ValidationTable = Readonly<Record<string, MethodRule>>;

/**
 * A decoded integer param as spdk's decoder holds it, for handlers whose arithmetic must wrap as
 * C's does (their JS number is rounded above 2^53). Undefined when the param is absent.
 */
export function exactInteger(params: unknown, key: string, width: IntegerWidth): bigint | undefined {
  const p = paramsRecord(params);
  if (!Object.hasOwn(p, key)) return undefined;
  const text = numberTextOf(p, key);
  return text === undefined ? undefined : (decodeInteger(text, width) ?? undefined);
}

function paramsRecord(params: unknown): Record<string, unknown> {
  return isObject(params) ? params : {};
}

/** The check of `rule` that decoded `params` fail first, if any. */
export function failedCheck(rule: MethodRule, params: unknown): ParamCheck | undefined {
  const p = paramsRecord(params);
  return rule.checks?.find((c) => c.fails(p));
}

/** The MethodSpec.decode of a table row: decoding, then the row's checks in order. */
export function ruleDecoder(rule: MethodRule): (params: unknown) => void {
  const decodeOnly = decoder(rule.specs, rule.failure ?? DECODE_FAILED, rule.relaxed === true);
  if (rule.checks === undefined || rule.checks.length === 0) return decodeOnly;
  const decode = (params: unknown) => {
    decodeOnly(params);
    const failed = failedCheck(rule, params);
    if (failed === undefined) return;
    const p = paramsRecord(params);
    throw new SimRpcError(failed.code, typeof failed.message === 'string' ? failed.message : failed.message(p));
  };
  specsOfDecoder.set(decode, rule.specs);
  return decode;
}

/** The MethodSpec.decode of `method`'s row in `table`. */
export function tableDecoder(table: ValidationTable, method: string): (params: unknown) => void {
  const rule = table[method];
  if (rule === undefined) throw new Error(`no validation row for ${method}`);
  return ruleDecoder(rule);
}
