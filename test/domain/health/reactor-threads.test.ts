/**
 * An interrupt-mode reactor's own thread's CPU: parsing /proc/<pid>/task/<tid>/stat (a comm with
 * spaces and ')'), reading it from a proc root (a fake one here, as CI has no spdk_tgt) only when
 * the thread is that reactor (comm reactor_<lcore>), and reactorLoad's choice between the thread's
 * figure and the core's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readReactorThreads } from '../../../src/domain/health/reactor-threads.js';
import { parseTaskStat } from '../../../src/host/task-stat.js';
import { reactorLoad, type ReactorsReading } from '../../../src/domain/health/reading-math.js';
import type { Reactor, Reactors } from '../../../src/spdk/methods/index.js';
import { statLine, writeStat } from './helpers/fake-proc.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function procRoot(): string {
  const r = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-proc-'));
  roots.push(r);
  return r;
}

const reactor = (lcore: number, tid: number, in_interrupt = true): Reactor => ({ lcore, tid, busy: 0, idle: 0, in_interrupt, irq: 0, sys: 0, usr: 0, lw_threads: [] });

describe('parseTaskStat', () => {
  it('reads the comm and utime + stime, past the last ) of a comm with spaces and )', () => {
    expect(parseTaskStat(statLine(4321, 'reactor_0', 700, 55))).toEqual({ comm: 'reactor_0', ticks: 755 });
    expect(parseTaskStat(statLine(4321, 'a) S 1 2 (b) c', 3, 4))).toEqual({ comm: 'a) S 1 2 (b) c', ticks: 7 });
    // This very line as Linux wrote it for a bash (utime 12, stime 24).
    const real =
      '344 (bash) S 343 344 344 0 -1 4194560 7678 939294 0 0 12 24 12070 1325 20 0 1 0 1376834 5259264 1000 18446744073709551615 94755474866176 94755475655581 140734808739984 0 0 0 65536 4 1132560123 1 0 0 17 0 0 0 0 0 0 94755475888880 94755475937124 94756406599680 140734808742781 140734808742796 140734808742796 140734808743914 0\n';
    expect(parseTaskStat(real)).toEqual({ comm: 'bash', ticks: 36 });
  });

  it('is undefined for what is not a stat line', () => {
    expect(parseTaskStat('')).toBeUndefined();
    expect(parseTaskStat('12 reactor_0 S 1')).toBeUndefined();
    expect(parseTaskStat('12 (reactor_0) S 1 2 3')).toBeUndefined();
    expect(parseTaskStat('12 (reactor_0) S 1 1 1 0 -1 0 0 0 0 0 x 4')).toBeUndefined();
  });
});

describe('readReactorThreads', () => {
  it("reads an interrupt-mode reactor's thread only when its comm is reactor_<lcore>", async () => {
    const root = procRoot();
    writeStat(root, 900, 901, 'reactor_0', 300);
    writeStat(root, 900, 902, 'reactor_0', 300); // lcore 1's tid, another reactor's name
    writeStat(root, 900, 904, 'reactor_3', 40); // polling: not read
    const reactors: Reactors = { tick_rate: 1, pid: 900, reactors: [reactor(0, 901), reactor(1, 902), reactor(2, 903), reactor(3, 904, false)] };
    expect([...(await readReactorThreads(root, reactors))]).toEqual([[0, { tid: 901, ticks: 300 }]]);
    // No pid (not v26.05), or another process's pid (another PID namespace): nothing.
    expect((await readReactorThreads(root, { ...reactors, pid: undefined })).size).toBe(0);
    expect((await readReactorThreads(root, { ...reactors, pid: 1 })).size).toBe(0);
    expect((await readReactorThreads(path.join(root, 'none'), reactors)).size).toBe(0);
  });
});

describe("reactorLoad's choice of figure in interrupt mode", () => {
  // Two reactors whose cores ran 100 jiffies in 2 s (50%): other processes on the cores included.
  const reading = (atMs: number, usr: number, threads?: Array<[number, number, number]>): ReactorsReading => ({
    reactors: { tick_rate: 1, pid: 900, reactors: [0, 1].map((lcore) => ({ ...reactor(lcore, 901 + lcore), usr })) },
    atMs,
    ...(threads ? { threads: new Map(threads.map(([lcore, tid, ticks]) => [lcore, { tid, ticks }])) } : {}),
  });

  it("is the reactor thread's CPU over the wall time when both readings have it", () => {
    expect(
      reactorLoad(
        reading(0, 0, [
          [0, 901, 1000],
          [1, 902, 50],
        ]),
        reading(2000, 100, [
          [0, 901, 1020],
          [1, 902, 50],
        ]),
      ),
    ).toEqual([
      { lcore: 0, busyPct: 10, interrupt: true, cpu: 'thread' },
      { lcore: 1, busyPct: 0, interrupt: true, cpu: 'thread' },
    ]);
  });

  it("is the core's when neither reading has it, and none when one has it, the tid changed or its counters went back", () => {
    expect(reactorLoad(reading(0, 0), reading(2000, 100))).toEqual([
      { lcore: 0, busyPct: 50, interrupt: true, cpu: 'core' },
      { lcore: 1, busyPct: 50, interrupt: true, cpu: 'core' },
    ]);
    // lcore 0's thread gone; lcore 1's seen only now: no figure for either this interval.
    expect(reactorLoad(reading(0, 0, [[0, 901, 1000]]), reading(2000, 100, [[1, 902, 10]]))).toEqual([]);
    // Another thread (tid) for lcore 0; lcore 1's counters went back: no figure, and not a restart of spdk_tgt.
    expect(
      reactorLoad(
        reading(0, 0, [
          [0, 901, 1000],
          [1, 902, 50],
        ]),
        reading(2000, 100, [
          [0, 905, 1010],
          [1, 902, 40],
        ]),
      ),
    ).toEqual([]);
  });
});
