/**
 * One service per state directory: two services on one state file overwrite each other's records
 * (the second one's first write drops every change the first made since it started). The lock is
 * a file in the directory naming its holder by pid, the process's start time (so a pid the kernel
 * has reused for another process is not taken for the holder) and host.
 *
 * It is made the way O_EXCL makes a file, all or nothing, but by link(2) of a fully written temp
 * file: a second starter never reads a lock file that is still empty. A lock whose holder is gone
 * (its pid dead, or alive with another start time) is stale and taken over, with a log line. No
 * flock: Node has none, and the npm packages that add it are native builds (fs-ext,
 * fs-native-extensions) or judge staleness by an mtime the holder must keep touching
 * (proper-lockfile), which a stalled event loop loses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';

export const LOCK_FILE = 'spdk-conductor.lock';

interface Holder {
  pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat field 22); null where /proc is not there. */
  startTime: number | null;
  host: string;
  since: string;
}

export interface StateDirLock {
  readonly file: string;
  /** Removes the lock file if it is still this process's; once. */
  release(): void;
}

/** Takes over a stale lock at most this often per start: more means another starter is racing us. */
const ATTEMPTS = 5;

export function lockStateDir(dir: string, log: Logger): StateDirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, startTime: startTimeOf(process.pid), host: os.hostname(), since: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o644 });
  try {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        fs.linkSync(tmp, file);
        log.debug({ lock: file }, 'state directory locked');
        return ownLock(file, me, log);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dir, err);
      }
      const holder = readHolder(file);
      if (holder === 'gone') continue;
      const why = staleness(holder);
      if (why === undefined) {
        throw new ConductorError(
          'STATE_DIR_LOCKED',
          `the state directory ${dir} is in use by another spdk-conductor (pid ${(holder as Holder).pid} on ${(holder as Holder).host}, since ${(holder as Holder).since}); stop it, or give this service another state.file`,
        );
      }
      takeOver(file, holder, why, log);
    }
    throw new ConductorError('STATE_DIR_LOCKED', `the state directory ${dir} is being locked by other starting services (${ATTEMPTS} attempts); start one at a time`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function ownLock(file: string, me: Holder, log: Logger): StateDirLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      // Only our own: a lock taken over from us (we were judged dead) is the new holder's.
      const holder = readHolder(file);
      if (typeof holder === 'object' && holder.pid === me.pid && holder.startTime === me.startTime && holder.host === me.host) {
        fs.rmSync(file, { force: true });
        log.debug({ lock: file }, 'state directory unlocked');
      }
    },
  };
}

/** The holder, 'gone' if the file vanished meanwhile, 'unreadable' if it is not a lock of ours. */
function readHolder(file: string): Holder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return 'unreadable';
    return { pid: parsed.pid, startTime: typeof parsed.startTime === 'number' ? parsed.startTime : null, host: parsed.host, since: String(parsed.since) };
  } catch {
    return 'unreadable';
  }
}

/** Why the holder no longer holds the lock, or undefined while it does. */
function staleness(holder: Holder | 'unreadable'): string | undefined {
  // Written whole by link(2), so an unreadable lock was damaged after the fact (a full disk, a person).
  if (holder === 'unreadable') return 'the lock file is damaged';
  // Another host's pid means nothing here (a state directory on shared storage): never stale.
  if (holder.host !== os.hostname()) return undefined;
  if (holder.pid === process.pid && holder.startTime === startTimeOf(process.pid)) return undefined;
  if (!pidAlive(holder.pid)) return `its holder (pid ${holder.pid}) is gone`;
  const start = startTimeOf(holder.pid);
  if (start !== null && holder.startTime !== null && start !== holder.startTime) return `pid ${holder.pid} is now another process (started at tick ${start}, not ${holder.startTime})`;
  return undefined;
}

/**
 * Moves the stale lock aside (rename is atomic: of two starters taking it over, one moves it) and
 * checks that what it moved is the stale lock it judged: if another starter had replaced it with
 * its own meanwhile, that one is put back (link fails rather than overwrite a third).
 */
function takeOver(file: string, judged: Holder | 'unreadable', why: string, log: Logger): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readHolder(aside);
  const same = moved === judged || (typeof moved === 'object' && typeof judged === 'object' && moved.pid === judged.pid && moved.startTime === judged.startTime);
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } else {
    log.warn({ lock: file, stale: judged, reason: why }, 'took over a stale state directory lock');
  }
  fs.rmSync(aside, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's start time in clock ticks since boot, or null where /proc cannot tell. */
export function startTimeOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

function unusable(dir: string, err: unknown): ConductorError {
  return new ConductorError('STATE_FILE_UNWRITABLE', `cannot lock the state directory ${dir}: ${(err as Error).message}`);
}
