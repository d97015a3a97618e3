/**
 * spdk_json_decode_object, as the nvmf, bdev_nvme and raid modules need it: the params must be an
 * object, required fields present, types exact (a number given as a string fails, a negative uint
 * fails), unknown keys fail unless the method decodes "relaxed". Which error a failure gives
 * differs per method, so callers pass it in.
 *
 * Shared by the three modules until the core's decoder builder lands; then they switch to it.
 */
import { SimRpcError } from '../core/contract.js';

export type FieldType =
  | 'string'
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'uuid'
  | { readonly enum: readonly string[] }
  | { readonly stringArray: number }
  | { readonly object: Spec; readonly relaxed?: boolean };

export interface Field {
  readonly type: FieldType;
  readonly required?: boolean;
}

export type Spec = Readonly<Record<string, Field>>;

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function intIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function fits(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'uint8':
      return intIn(value, 0, 0xff);
    case 'uint16':
      return intIn(value, 0, 0xffff);
    case 'uint32':
      return intIn(value, 0, 0xffff_ffff);
    case 'int32':
      return intIn(value, -0x8000_0000, 0x7fff_ffff);
    case 'uint64':
      return intIn(value, 0, Number.MAX_SAFE_INTEGER);
    case 'uuid':
      return typeof value === 'string' && UUID_RE.test(value);
    default:
      if ('enum' in type) return typeof value === 'string' && type.enum.includes(value);
      if ('stringArray' in type) {
        return (
          Array.isArray(value) &&
          value.length <= type.stringArray &&
          value.every((item) => typeof item === 'string')
        );
      }
      return decodes(value, type.object, type.relaxed ?? false);
  }
}

/** True when `params` decodes against `spec`. */
export function decodes(params: unknown, spec: Spec, relaxed = false): boolean {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return false;
  const record = params as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const field = spec[key];
    if (!field) {
      if (relaxed) continue;
      return false;
    }
    if (!fits(record[key], field.type)) return false;
  }
  for (const [key, field] of Object.entries(spec)) {
    if (field.required && !(key in record)) return false;
  }
  return true;
}

/**
 * A MethodSpec.decode: throws `error()` unless the params decode. `optionalParams` methods accept
 * absent params (spdk_tgt skips decoding when there are none).
 */
export function decoder(
  spec: Spec,
  error: () => SimRpcError,
  opts: { relaxed?: boolean; optionalParams?: boolean } = {},
): (params: unknown) => void {
  return (params) => {
    if ((params === undefined || params === null) && opts.optionalParams) return;
    if (!decodes(params, spec, opts.relaxed ?? false)) throw error();
  };
}

/** Params as a record, after decode() accepted them (absent params read as {}). */
export function record(params: unknown): Record<string, unknown> {
  return params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {};
}

export const invalidParams = (): SimRpcError => new SimRpcError(-32602, 'Invalid parameters');
export const decodeFailedInternal = (): SimRpcError =>
  new SimRpcError(-32603, 'spdk_json_decode_object failed');
export const decodeFailedParse = (): SimRpcError => new SimRpcError(-32700, 'spdk_json_decode_object failed');
