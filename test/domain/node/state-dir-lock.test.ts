/**
 * The state directory's lock: one holder at a time, named when it refuses; a lock whose holder is
 * gone (dead pid, or a pid now of another process) or that is damaged is taken over and logged.
 * Holders are real processes started by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../../src/errors.js';
import { LOCK_FILE, lockStateDir, startTimeOf } from '../../../src/domain/node/state-dir-lock.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { alive } from '../../helpers/process.js';

function recording() {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }), lines };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A process that stays up until the test ends. */
function sleeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  expect(alive(child.pid!)).toBe(false);
  return child.pid!;
}

function writeLock(dir: string, holder: object | string): void {
  fs.writeFileSync(path.join(dir, LOCK_FILE), typeof holder === 'string' ? holder : JSON.stringify(holder));
}

function refusal(dir: string): ConductorError {
  try {
    lockStateDir(dir, pino({ level: 'silent' })).release();
  } catch (err) {
    if (err instanceof ConductorError) return err;
    throw err;
  }
  throw new Error(`${dir} was locked although held`);
}

describe('state directory lock', () => {
  it('is held until released: a second lock is refused naming the holder, and the lock file says who holds it', () => {
    const dir = tempDir('lock-');
    const { log } = recording();
    const lock = lockStateDir(dir, log);
    const holder = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
    expect(holder).toMatchObject({ pid: process.pid, startTime: startTimeOf(process.pid), host: os.hostname() });
    expect(holder['startTime']).toEqual(expect.any(Number));

    const err = refusal(dir);
    expect(err.code).toBe('STATE_DIR_LOCKED');
    expect(err.message).toContain(`the state directory ${dir} is in use by another spdk-conductor (pid ${process.pid} on ${os.hostname()}`);

    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lockStateDir(dir, log).release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses while another live process holds it', () => {
    const dir = tempDir('lock-');
    const pid = sleeper();
    writeLock(dir, { pid, startTime: startTimeOf(pid), host: os.hostname(), since: '2026-12-05T17:00:00.000Z' });
    const err = refusal(dir);
    expect(err.code).toBe('STATE_DIR_LOCKED');
    expect(err.message).toContain(`(pid ${pid} on ${os.hostname()}, since 2026-12-05T17:00:00.000Z)`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid });
  });

  it('refuses a lock of another host, whose pids mean nothing here', async () => {
    const dir = tempDir('lock-');
    writeLock(dir, { pid: await deadPid(), startTime: 1, host: `not-${os.hostname()}`, since: 'then' });
    expect(refusal(dir).code).toBe('STATE_DIR_LOCKED');
  });

  const stale: Array<[what: string, holder: () => Promise<object | string>, reason: RegExp]> = [
    ['its holder is dead', async () => ({ pid: await deadPid(), startTime: 1, host: os.hostname(), since: 'then' }), /its holder \(pid \d+\) is gone/],
    [
      'its pid now belongs to another process (another start time)',
      async () => {
        const pid = sleeper();
        return { pid, startTime: startTimeOf(pid)! + 1, host: os.hostname(), since: 'then' };
      },
      /pid \d+ is now another process/,
    ],
    ['the lock file is damaged', async () => '{"pid": ', /the lock file is damaged/],
  ];
  for (const [what, holder, reason] of stale) {
    it(`takes over a stale lock and says why: ${what}`, async () => {
      const dir = tempDir('lock-');
      writeLock(dir, await holder());
      const { log, lines } = recording();
      const lock = lockStateDir(dir, log);
      const warning = lines.find((l) => l['msg'] === 'took over a stale state directory lock');
      expect(warning?.['reason']).toMatch(reason);
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
      lock.release();
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }

  it('release leaves a lock that is no longer its own', () => {
    const dir = tempDir('lock-');
    const lock = lockStateDir(dir, pino({ level: 'silent' }));
    const pid = sleeper();
    writeLock(dir, { pid, startTime: startTimeOf(pid), host: os.hostname(), since: 'now' });
    lock.release();
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid });
  });
});
