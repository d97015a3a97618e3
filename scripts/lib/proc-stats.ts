import fs from 'node:fs';

/** USER_HZ: /proc/PID/stat counts CPU time in these ticks on Linux. */
const TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/**
 * CPU time of each thread of a process: `main` (the event loop) and the others by name and id
 * (Node names its threads all `node`, so the id tells libuv's pool, V8's helpers and workers apart).
 */
export function threadCpuMs(pid: number | undefined): Map<string, number> {
  return new Map([...threadUserSysMs(pid)].map(([name, { user, sys }]) => [name, user + sys]));
}

/** User and system CPU time of each thread of a process, named as by `threadCpuMs`. */
export function threadUserSysMs(pid: number | undefined): Map<string, { user: number; sys: number }> {
  const byName = new Map<string, { user: number; sys: number }>();
  if (pid === undefined) return byName;
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}/${tid}`;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      byName.set(name, { user: (Number(fields[11]) * 1000) / TICKS_PER_S, sys: (Number(fields[12]) * 1000) / TICKS_PER_S });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** User and system time per thread between two `threadUserSysMs` readings, largest first: `main 300+80`. */
export function threadUserSysDelta(before: Map<string, { user: number; sys: number }>, after: Map<string, { user: number; sys: number }>): string {
  return [...after]
    .map(([name, t]) => [name, t.user - (before.get(name)?.user ?? 0), t.sys - (before.get(name)?.sys ?? 0)] as const)
    .filter(([, user, sys]) => user + sys > 0)
    .sort((a, b) => b[1] + b[2] - (a[1] + a[2]))
    .map(([name, user, sys]) => `${name} ${Math.round(user)}+${Math.round(sys)}`)
    .join(', ');
}

/** A process's I/O counters (/proc/PID/io): bytes and calls of write and read, files and sockets alike; undefined where unreadable. */
export function ioCounters(pid: number | undefined): Record<string, number> | undefined {
  if (pid === undefined) return undefined;
  try {
    const counters: Record<string, number> = {};
    for (const line of fs.readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n')) {
      const [key, value] = line.split(': ');
      if (key !== undefined && value !== undefined) counters[key] = Number(value);
    }
    return counters;
  } catch {
    return undefined;
  }
}

/** What each thread used between two `threadCpuMs` readings, largest first. */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([name, ms]) => [name, ms - (before.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${Math.round(ms)}`)
    .join(', ');
}

/**
 * A thread's scheduler figures (/proc/PID/task/TID/schedstat, Linux with schedstats): time on a CPU,
 * time runnable but waiting on a run queue for one, and how many times it was given a CPU. The wait
 * is what a loaded machine adds to every wall-clock figure of that thread; undefined where unreadable.
 */
export function threadSchedMs(pid: number | undefined, tid: number | undefined = pid): { runMs: number; waitMs: number; slices: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const [run, wait, slices] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    if (run === undefined || wait === undefined || slices === undefined || [run, wait, slices].some((n) => !Number.isFinite(n))) return undefined;
    return { runMs: run / 1e6, waitMs: wait / 1e6, slices };
  } catch {
    return undefined;
  }
}
