/**
 * What the CLI's exit status means, so scripts can branch on it. The API commands (disk, replica,
 * snapshot, engine) map the gRPC status they get to these; anything not listed is FAILED.
 */
export const EXIT = {
  OK: 0,
  /** The operation failed (spdk_tgt refused it, or it failed midway). */
  FAILED: 1,
  /** Bad command line, configuration or request (INVALID_ARGUMENT): nothing was attempted. */
  USAGE: 2,
  /** spdk_tgt or the service could not be reached, or the service is not ready yet (UNAVAILABLE). */
  UNAVAILABLE: 3,
  /** A deadline passed before the operation finished (DEADLINE_EXCEEDED). */
  TIMEOUT: 4,
  /** The object named does not exist (NOT_FOUND). */
  NOT_FOUND: 5,
  /** An object of that name exists and differs from the request (ALREADY_EXISTS). */
  ALREADY_EXISTS: 6,
  /** The object is not in a state that allows the operation, e.g. a disk still holding replicas (FAILED_PRECONDITION). */
  FAILED_PRECONDITION: 7,
  /** No space on the disk or no memory in spdk_tgt (RESOURCE_EXHAUSTED). */
  RESOURCE_EXHAUSTED: 8,
  /**
   * SIGINT/SIGTERM before the answer came: the call was cancelled, but the service may already
   * have done the work (every operation is idempotent: run it again to find out).
   */
  INTERRUPTED: 130,
} as const;
