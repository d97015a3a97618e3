/** A bad command line: exit 2, nothing attempted, and a pointer to the help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
