/**
 * What spdk_tgt will not take: it resets the connection on a request over its 256 KiB receive
 * buffer and closes it on one with more than SPDK_JSONRPC_MAX_VALUES values (transcript 09).
 * Sending either would fail every other call in flight, so such requests are refused locally.
 */

export const MAX_REQUEST_BYTES = 256 * 1024;
export const MAX_REQUEST_VALUES = 8192;

/** Why spdk_tgt would drop the connection for this request text, or undefined when it is fine. */
export function requestTooBig(text: string): string | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long texts need their bytes counted.
  if (text.length > MAX_REQUEST_BYTES / 3 && Buffer.byteLength(text) > MAX_REQUEST_BYTES) {
    return `request is ${Buffer.byteLength(text)} bytes, over spdk_tgt's ${MAX_REQUEST_BYTES}`;
  }
  // Fewer than 2 bytes per value is impossible, so only long requests need counting.
  if (text.length > 2 * MAX_REQUEST_VALUES) {
    const values = countJsonValues(JSON.parse(text));
    if (values > MAX_REQUEST_VALUES) return `request holds ${values} JSON values, over spdk_tgt's ${MAX_REQUEST_VALUES}`;
  }
  return undefined;
}

function countJsonValues(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countJsonValues(v), 1);
  if (value !== null && typeof value === 'object') {
    // spdk_json_parse counts an object member's name as a value too.
    return Object.values(value).reduce((n: number, v) => n + 1 + countJsonValues(v), 1);
  }
  return 1;
}
