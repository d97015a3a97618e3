/**
 * For tests of the health worker only: with CONDUCTOR_TEST_BLOCK_LOOP=<ms> in the service's
 * environment at start, SIGUSR2 blocks the main event loop for that long (a synchronous spin), the
 * stall a probe must be answered through. Without the variable nothing is installed, and SIGUSR2
 * does what it always did; the variable is read once, so it cannot be turned on later.
 */
import type { Logger } from 'pino';

export const BLOCK_LOOP_ENV = 'CONDUCTOR_TEST_BLOCK_LOOP';

/** Installs the trigger when the variable asks for it; returns its removal. */
export function blockLoopOnSignal(env: NodeJS.ProcessEnv, logger: Logger): () => void {
  const value = env[BLOCK_LOOP_ENV];
  if (value === undefined) return () => undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) {
    logger.warn({ value }, `${BLOCK_LOOP_ENV} is not a whole number of ms from 1 to 600000; ignored`);
    return () => undefined;
  }
  const block = (): void => {
    logger.warn({ ms }, `blocking the event loop for ${ms} ms (${BLOCK_LOOP_ENV}, SIGUSR2)`);
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // The stall itself: nothing else may run on this loop meanwhile.
    }
    logger.warn({ ms }, 'event loop block over');
  };
  process.on('SIGUSR2', block);
  logger.warn({ ms }, `${BLOCK_LOOP_ENV} is set: SIGUSR2 blocks the event loop (a test hook)`);
  return () => process.off('SIGUSR2', block);
}
