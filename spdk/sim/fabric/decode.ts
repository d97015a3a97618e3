/**
 * Params decoding for the nvmf, bdev_nvme and raid modules on top of the core's decoder builder,
 * plus spdk_json_decode_object_relaxed (unknown keys ignored) that a few nvmf methods use.
 */
import { SimRpcError } from '../core/contract.js';
import { objectDecoder, type DecodeFailure, type ParamSpec } from '../core/decode.js';
import { hasDuplicateKeys } from '../core/json-scan.js';

export { DECODE_FAILED, NVMF_INVALID_PARAMS, RAID_DECODE_FAILED, objectDecoder, type ParamSpec } from '../core/decode.js';

/** Decodes the keys `specs` knows and ignores the others, as spdk_json_decode_object_relaxed does. */
export function relaxedDecoder(specs: readonly ParamSpec[], failure: DecodeFailure): (params: unknown) => void {
  const strict = objectDecoder(specs, failure);
  const known = new Set(specs.map((s) => s.name));
  return (params) => {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return strict(params);
    if (hasDuplicateKeys(params)) throw new SimRpcError(failure.code, failure.message);
    strict(Object.fromEntries(Object.entries(params).filter(([k]) => known.has(k))));
  };
}

/** Params as a record, once the decoder accepted them (absent params read as {}). */
export function record(params: unknown): Record<string, unknown> {
  return params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {};
}
