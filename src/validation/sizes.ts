/** Sizes in bytes and sizes that must be powers of two (block and cluster sizes). */

/**
 * Why `value` is not a size in bytes, or undefined. uint64 fields arrive as numbers; past 2^53
 * they have already been rounded, so anything that is not a safe integer is refused rather than
 * used approximately.
 */
export function sizeBytesProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return `${String(value)} is not a whole number of bytes`;
  if (!Number.isSafeInteger(value)) return `${value} is too large; sizes must be below 2^53 bytes`;
  if (value <= 0) return 'must be greater than 0 bytes';
  return undefined;
}

/** Whether `value` is a power of two within [min, max]; exact for every safe integer. */
export function isPowerOfTwo(value: unknown, min: number, max: number): boolean {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max || value < 1) return false;
  let v = value;
  while (v % 2 === 0) v /= 2;
  return v === 1;
}
