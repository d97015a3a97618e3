/**
 * A benchmark's child processes and scratch directory: every child it spawned is killed, and the
 * directory removed, when the benchmark exits for any reason, so a failed run leaves no simulator
 * or service behind.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** Returns `track`, which registers a child until it exits; on exit the rest are killed and `dir` removed. */
export function reapOnExit(dir: string): (child: ChildProcess) => ChildProcess {
  const children = new Set<ChildProcess>();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return (child) => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
}
