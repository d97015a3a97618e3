/**
 * A thread's /proc/<pid>/task/<tid>/stat (proc(5)): its comm and CPU time. The reactor figures that
 * use it are in domain/health/reactor-threads.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What one stat line says of a thread. */
export interface TaskStat {
  /** Field 2, without its parentheses: the thread's name (at most 15 bytes, set by prctl PR_SET_NAME). */
  comm: string;
  /** utime + stime (fields 14 and 15), in USER_HZ ticks. */
  ticks: number;
}

/**
 * The comm and utime + stime of a stat line, or undefined when it is not one. The comm may hold
 * spaces and ')': it ends at the last ')', and the fields after it start there.
 */
export function parseTaskStat(text: string): TaskStat | undefined {
  const start = text.indexOf('(');
  const end = text.lastIndexOf(')');
  if (start < 0 || end < start) return undefined;
  // Field 3 (state) is the first after the comm: fields 14 and 15 are the 12th and 13th.
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const [utime, stime] = [fields[11], fields[12]];
  if (utime === undefined || stime === undefined || !/^\d+$/.test(utime) || !/^\d+$/.test(stime)) return undefined;
  return { comm: text.slice(start + 1, end), ticks: Number(utime) + Number(stime) };
}

/** Reads <procRoot>/<pid>/task/<tid>/stat; undefined when it is not there, not readable or not a stat line. */
export async function readTaskStat(procRoot: string, pid: number, tid: number): Promise<TaskStat | undefined> {
  try {
    return parseTaskStat(await readFile(join(procRoot, String(pid), 'task', String(tid), 'stat'), 'utf8'));
  } catch {
    return undefined;
  }
}
