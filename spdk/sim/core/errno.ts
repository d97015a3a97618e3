/**
 * Linux errno values and their strerror texts: spdk_tgt answers most failures with
 * `code: -errno, message: strerror(errno)`, or with a JSON-RPC code and the strerror text.
 */
export const errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  ETIMEDOUT: 110,
  EALREADY: 114,
  ENOKEY: 126,
} as const;

const messages: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  5: 'Input/output error',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  21: 'Is a directory',
  22: 'Invalid argument',
  28: 'No space left on device',
  110: 'Connection timed out',
  114: 'Operation already in progress',
  126: 'Required key not available',
};

export function strerror(code: number): string {
  return messages[Math.abs(code)] ?? `Unknown error ${Math.abs(code)}`;
}
