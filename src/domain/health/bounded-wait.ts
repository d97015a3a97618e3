/** An admission's wait for a sample, bounded by the caller's deadline and signal. */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';

/** Waits for `work` no longer than the caller's deadline or signal (the work itself goes on). */
export async function bounded<T>(work: Promise<T>, options: CallOptions): Promise<T> {
  if (options.deadlineMs === undefined && options.signal === undefined) return work;
  if (options.signal?.aborted) throw new ConductorError('CANCELLED', 'admission aborted');
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (options.deadlineMs !== undefined) {
      timer = setTimeout(() => reject(new ConductorError('ADMISSION_TIMEOUT', `admission waited ${options.deadlineMs} ms for a sample of spdk_tgt`)), options.deadlineMs);
    }
    onAbort = () => reject(new ConductorError('CANCELLED', 'admission aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
