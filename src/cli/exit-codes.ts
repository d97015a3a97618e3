/** What the CLI's exit status means, so scripts can branch on it. */
export const EXIT = {
  OK: 0,
  /** The operation failed (spdk_tgt refused it, or it failed midway). */
  FAILED: 1,
  /** Bad command line or configuration: nothing was attempted. */
  USAGE: 2,
  /** spdk_tgt (or the service) could not be reached. */
  UNAVAILABLE: 3,
  /** A deadline passed before the operation finished. */
  TIMEOUT: 4,
} as const;
