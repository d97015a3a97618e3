/** Where a disk is: a device or file path (aio) or a PCIe address (nvme). */
import { PATH_MAX_BYTES } from './limits.js';
import { hasControlCharacter, quoted } from './text.js';

export { PATH_MAX_BYTES };

const BDF_PATTERN = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

/** Why `value` is not an absolute path spdk_tgt can open, or undefined. */
export function absolutePathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'the device or file path is required';
  // Length first: a refusal of a huge value must cost no more than measuring it.
  const bytes = Buffer.byteLength(value);
  if (bytes > PATH_MAX_BYTES) return `the path is too long (${bytes} bytes); a path is at most ${PATH_MAX_BYTES}`;
  if (hasControlCharacter(value)) return 'the path holds a control character';
  if (!value.startsWith('/')) return `${quoted(value)} is not an absolute path; give the device or file as /dev/… or /path/to/file`;
  // Refused rather than resolved: a caller naming a path by climbing out of another is not trusted to mean it.
  if (value.split('/').includes('..')) return `${quoted(value)} has a ".." component; give the path without it`;
  return undefined;
}

/** Why `value` is not a comma-separated list of absolute directory prefixes, or undefined. */
export function pathPrefixesProblem(value: string): string | undefined {
  const entries = splitPathPrefixes(value);
  if (entries.length === 0) return 'give at least one absolute path prefix (comma-separated)';
  for (const entry of entries) {
    const problem = absolutePathProblem(entry);
    if (problem) return `prefix ${problem}`;
  }
  return undefined;
}

export function splitPathPrefixes(value: string): string[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Why `value` is not a PCIe address in BDF form, or undefined. */
export function pciAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'the PCIe address (BDF) is required';
  if (!BDF_PATTERN.test(value)) return `${quoted(value)} is not a PCIe address; use the BDF form 0000:5e:00.0`;
  return undefined;
}
