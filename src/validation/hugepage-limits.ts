/**
 * health.spdkHugepagesLimitBytes: spdk_tgt's hugepage limit per page size, as SIZE=BYTES pairs
 * (2Mi=2147483648,1Gi=4294967296). Checked by the config and parsed by host/hugepages.ts.
 */

/** Bytes of each page size, by page size in bytes. */
export type SpdkHugepageLimits = ReadonlyMap<number, number>;

const SIZE_UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 * 1024, Gi: 1024 * 1024 * 1024 };
const LIMIT_FORMAT = 'SIZE=BYTES pairs separated by commas, SIZE as in hugepages-SIZE (2Mi, 1Gi), BYTES an integer (e.g. 2Mi=2147483648)';

/** Why a health.spdkHugepagesLimitBytes value is malformed, or undefined. */
export function spdkHugepageLimitsProblem(text: string): string | undefined {
  const seen = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(Ki|Mi|Gi)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) return `${JSON.stringify(part.trim())} is not SIZE=BYTES: expected ${LIMIT_FORMAT}`;
    const size = Number(m[1]) * SIZE_UNITS[m[2]!]!;
    if (size < 64 * 1024 || (size & (size - 1)) !== 0) return `${m[1]}${m[2]} is not a hugepage size (a power of two of 64Ki or more): expected ${LIMIT_FORMAT}`;
    if (seen.has(size)) return `${m[1]}${m[2]} is given twice`;
    seen.add(size);
    if (!Number.isSafeInteger(Number(m[3]))) return `${m[3]} bytes is past the largest exact integer`;
  }
  return undefined;
}

/** Parses a value spdkHugepageLimitsProblem accepts; unset gives no limits. */
export function parseSpdkHugepageLimits(text: string | undefined): SpdkHugepageLimits {
  const limits = new Map<number, number>();
  if (text === undefined) return limits;
  const problem = spdkHugepageLimitsProblem(text);
  if (problem) throw new Error(`health.spdkHugepagesLimitBytes: ${problem}`);
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(Ki|Mi|Gi)\s*=\s*(\d+)\s*$/.exec(part)!;
    limits.set(Number(m[1]) * SIZE_UNITS[m[2]!]!, Number(m[3]));
  }
  return limits;
}
