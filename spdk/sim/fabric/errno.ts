/** errno values the nvmf, bdev_nvme and raid modules answer with, and glibc's strerror texts. */

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const ENOMEM = 12;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EALREADY = 114;

const MESSAGES: Readonly<Record<number, string>> = {
  [EPERM]: 'Operation not permitted',
  [ENOENT]: 'No such file or directory',
  [EIO]: 'Input/output error',
  [ENOMEM]: 'Cannot allocate memory',
  [EBUSY]: 'Device or resource busy',
  [EEXIST]: 'File exists',
  [ENODEV]: 'No such device',
  [EINVAL]: 'Invalid argument',
  [EALREADY]: 'Operation already in progress',
};

/** strerror(errno) for a positive or negative errno. */
export function strerror(errno: number): string {
  return MESSAGES[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}
