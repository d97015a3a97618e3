/**
 * Node's timers take at most 2^31 - 1 ms: a longer delay fires after 1 ms instead (with a
 * TimeoutOverflowWarning). Delays taken from params (u32 seconds, u32 ms) can be longer, and
 * for the simulator ~24.8 days is as good as never.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function timerMs(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
