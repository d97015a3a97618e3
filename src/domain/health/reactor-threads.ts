/**
 * A reactor thread's own CPU time, for the load of a reactor in interrupt mode: framework_get_reactors
 * gives spdk_tgt's `pid` and each reactor's `tid` (v26.05 lib/event/app_rpc.c, spdk_get_tid() on the
 * reactor itself), and /proc/<pid>/task/<tid>/stat counts that thread's utime and stime
 * (host/task-stat.ts). Its core's jiffies (the usr/sys/irq of the same answer) count every process
 * on the core; the thread's count only the reactor.
 *
 * The figure is used only when the thread is that reactor: its comm is `reactor_<lcore>` (v26.05
 * lib/event/reactor.c names its threads so, _set_thread_name). spdk_tgt in another PID namespace
 * (its pid means another process here, or none), /proc not readable, a comm that does not match
 * (the simulator reports its own pid as the tid) all leave the reactor without a thread figure,
 * and its load is then its core's CPU, as before.
 *
 * One small file per reactor in interrupt mode per sample (the stat file, which holds the comm as
 * /proc/<pid>/task/<tid>/comm does), read with fs/promises.
 */
import { readTaskStat } from '../../host/task-stat.js';
import type { Reactors } from '../../spdk/methods/index.js';

/** A reactor thread's CPU time as one reading saw it. */
export interface ThreadCpu {
  tid: number;
  /** utime + stime, USER_HZ ticks. */
  ticks: number;
}

/** The comm v26.05 gives the thread of reactor `lcore`. */
export function reactorComm(lcore: number): string {
  return `reactor_${lcore}`;
}

/**
 * The CPU time of each interrupt-mode reactor's own thread, by lcore; a reactor whose thread cannot
 * be read here, or is not that reactor (its comm), has none. Never throws.
 */
export async function readReactorThreads(procRoot: string, reactors: Reactors): Promise<Map<number, ThreadCpu>> {
  const found = new Map<number, ThreadCpu>();
  const pid = reactors.pid;
  if (pid === undefined) return found;
  await Promise.all(
    reactors.reactors.map(async (r) => {
      if (!r.in_interrupt) return;
      // Not there (another PID namespace, the thread gone), not readable, or another thread: the core's figure.
      const stat = await readTaskStat(procRoot, pid, r.tid);
      if (stat && stat.comm === reactorComm(r.lcore)) found.set(r.lcore, { tid: r.tid, ticks: stat.ticks });
    }),
  );
  return found;
}
