/** A fake /proc for reactor threads: <root>/<pid>/task/<tid>/stat as Linux writes it. */
import fs from 'node:fs';
import path from 'node:path';

/** A stat line as the kernel writes it (52 fields), with utime and stime (fields 14 and 15) set. */
export function statLine(tid: number, comm: string, utime: number, stime: number): string {
  const after = ['S', 1, tid, tid, 0, -1, 4194560, 7678, 0, 0, 0, utime, stime, 0, 0, 20, 0, 5, 0, 1376834, 5259264, 1000];
  while (after.length < 50) after.push(0);
  return `${tid} (${comm}) ${after.join(' ')}\n`;
}

/** Writes <root>/<pid>/task/<tid>/stat. */
export function writeStat(root: string, pid: number, tid: number, comm: string, ticks: number): void {
  const dir = path.join(root, String(pid), 'task', String(tid));
  fs.mkdirSync(dir, { recursive: true });
  // Written whole then renamed: a sample reading it meanwhile sees the old or the new line.
  fs.writeFileSync(path.join(dir, 'stat.tmp'), statLine(tid, comm, ticks - Math.floor(ticks / 3), Math.floor(ticks / 3)));
  fs.renameSync(path.join(dir, 'stat.tmp'), path.join(dir, 'stat'));
}
