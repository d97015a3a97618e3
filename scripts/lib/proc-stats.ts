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
