/**
 * Where the simulator's answer may differ from the recording, and why. Every entry names its
 * reason; an entry with `until` lapses once all those methods are registered (the module that
 * owns them landed), after which the line must match. A simulator slower than the recording in
 * a timed file needs no entry (late polls are retried, see replay.ts); one that is ahead does.
 */

export interface FidelityException {
  readonly file?: string;
  /** 0-based line numbers in the file; omitted: every line of the file (or of the methods). */
  readonly lines?: readonly number[];
  readonly methods?: readonly string[];
  readonly reason: string;
  readonly until?: readonly string[];
}

export function exceptionFor(table: readonly FidelityException[], file: string, index: number, method: string, registered: ReadonlySet<string>): FidelityException | undefined {
  if (!registered.has(method) && !method.startsWith('raw:') && !method.startsWith('(')) {
    return { reason: `${method} is not simulated yet (nvmf / bdev_nvme / raid module)` };
  }
  return table.find(
    (e) =>
      (e.file === undefined || file.startsWith(e.file)) &&
      (e.lines === undefined || e.lines.includes(index)) &&
      (e.methods === undefined || e.methods.includes(method)) &&
      !(e.until !== undefined && e.until.every((m) => registered.has(m))),
  );
}

export const EXCEPTIONS: readonly FidelityException[] = [
  {
    file: '02',
    lines: [66],
    reason: 'timed boundary: the lost member leaves raid1 at +10.0 s after the delete; this poll lands within a poll interval of that moment',
  },
  {
    file: '04',
    lines: [42],
    reason: 'timed boundary: the member fails at the first reconnect tick after fast_io_fail (+6.0 s); this poll lands within a poll interval of that moment',
  },

  {
    file: '07',
    lines: [7],
    reason: 'copy speed varied on spdk_tgt: this 16 x 4 MiB copy was done within 8 ms, the later one (lines 33-34) showed 8/16 after 8 ms; the simulator copies at the later rate (4 GB/s)',
  },
  {
    file: '07',
    lines: [33],
    reason:
      'race with the copy (timed): line 32 checked 8 ms after the start and found 8/16 copied, this one 16 ms after it found it complete; a replay that sends line 32 late on a busy machine is answered "complete" there (same shape), and spdk_tgt forgets an operation once it reported it complete (lines 6-7), so this check then answers -19',
  },
  {
    file: '14',
    lines: [4811],
    reason: 'timed (raid module): the 8 MiB-window rebuild took 0.68 s on spdk_tgt; file 14 is replayed without its 112 s pace',
  },

  {
    file: '07',
    lines: [28],
    reason:
      'race recorded by chance: this start came 3.8 ms after bdev_malloc_create answered, while examine still had the new bdev open; the simulator holds a new bdev until the poll after its registration, so only a pipelined start fails (the replay sends after the answer)',
  },
  {
    file: '14',
    lines: [4850, 4851],
    reason: 'timed: the 64 KiB-window rebuild of 16 MiB finished within 4 ms on spdk_tgt; file 14 is replayed without its 112 s pace',
  },
  {
    file: '18',
    lines: [125],
    reason:
      'timed: t0 is polled ~100 ms into its ~210 ms TLS reset (dropped at 26.748, reset done at 26.960 in the log of line 128); the replay is not paced, and on a loaded machine it can reach this poll after the simulated reset finished ("enabled")',
  },
  {
    file: '19',
    lines: [40],
    reason:
      'timed: the 64 MiB rebuild of a thin lvol member (same aio file as its source) was over within 316 ms on spdk_tgt; the simulator takes 0.4-0.9 s on a loaded 2-core machine, which can exceed the 750 ms a late poll is retried',
  },
];
