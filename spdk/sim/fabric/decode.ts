/**
 * Params decoding for the nvmf, bdev_nvme and raid modules: the core's decoder builders, plus
 * reading params once they were accepted.
 */
export {
  DECODE_FAILED,
  NVMF_INVALID_PARAMS,
  RAID_DECODE_FAILED,
  objectDecoder,
  relaxedDecoder,
  type ParamSpec,
} from '../core/decode.js';

/** Params as a record, once the decoder accepted them (absent params read as {}). */
export function record(params: unknown): Record<string, unknown> {
  return params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {};
}
