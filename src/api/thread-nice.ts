/**
 * A thread's nice value. On Linux a nice value belongs to a thread, not the process
 * (setpriority(2) with who = 0 is the calling thread), and a thread made later inherits its maker's.
 * The health worker asks for a lower value than the main thread's, so that on a busy CPU a probe is
 * answered before the main loop's work; lowering a value needs CAP_SYS_NICE, raising one does not.
 */
import os from 'node:os';

export type NiceOutcome = { set: true; from: number; to: number } | { set: false; from: number; wanted: number; reason: string };

/** Sets the calling thread's nice value to `wanted`; a refusal is returned, never thrown. */
export function setThreadNice(wanted: number): NiceOutcome {
  const from = os.getPriority(0);
  if (from === wanted) return { set: true, from, to: wanted };
  try {
    os.setPriority(0, wanted);
    return { set: true, from, to: os.getPriority(0) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const reason = code === 'EACCES' || code === 'EPERM' ? 'lowering a nice value needs CAP_SYS_NICE' : (err as Error).message;
    return { set: false, from, wanted, reason };
  }
}
