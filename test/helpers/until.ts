/**
 * Polls `check` until it gives a value (not undefined, not false) or the deadline passes; the
 * failure names what was awaited and, from `context`, what the process under test said last.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 120_000, context?: () => string): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context ? `\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
