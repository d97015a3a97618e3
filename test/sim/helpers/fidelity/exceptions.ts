/**
 * Where the simulator's answer may differ from the recording, and why. Every entry names its
 * reason; an entry with `until` lapses once all those methods are registered (the module that
 * owns them landed), after which the line must match. A simulator slower than the recording in
 * a timed file needs no entry (late polls are retried, see replay.ts); one that is ahead does.
 * A method the simulator does not register fails, with that said, unless an entry names it.
 */

export interface FidelityException {
  readonly file?: string;
  /** 0-based line numbers in the file; omitted: every line of the file (or of the methods). */
  readonly lines?: readonly number[];
  readonly methods?: readonly string[];
  readonly reason: string;
  readonly until?: readonly string[];
}

/** A method the simulator under replay does not register (protocol probes and notes are not methods). */
function unregistered(method: string, registered: ReadonlySet<string>): boolean {
  return !registered.has(method) && !method.startsWith('raw:') && !method.startsWith('(');
}

/**
 * The listed exception that excuses a difference on this line, if any. A method the simulator
 * does not register is excused only by an entry that names it in `methods`: a file- or line-wide
 * entry does not hide a missing method.
 */
export function exceptionFor(table: readonly FidelityException[], file: string, index: number, method: string, registered: ReadonlySet<string>): FidelityException | undefined {
  const missing = unregistered(method, registered);
  return table.find(
    (e) =>
      (e.file === undefined || file.startsWith(e.file)) &&
      (e.lines === undefined || e.lines.includes(index)) &&
      (e.methods === undefined ? !missing : e.methods.includes(method)) &&
      !e.until?.every((m) => registered.has(m)),
  );
}

/** The failure's detail: a method the simulator does not register says so first. */
export function failureDetail(method: string, detail: string, registered: ReadonlySet<string>): string {
  if (!unregistered(method, registered)) return detail;
  return `${method} is not registered by the simulator and no listed exception names it (simulate it, or list an exception with methods: ['${method}'] and its reason); ${detail}`;
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
    file: '04',
    lines: [65],
    reason:
      "timed boundary: the controller's loss deletion comes with the failed reconnect attempt at ctrlr_loss (+10.0 s) plus that attempt's own time; spdk_tgt's attempt took more than 40 ms here (still listed at +10.040 s, gone at +10.540 s), the simulator's refused attach takes ~20 ms (the latency model's 15-23 ms), so this poll can land on either side",
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
    file: '14',
    lines: [4849],
    reason:
      'timed (raid module): 4 ms after the re-add spdk_tgt showed the 64 KiB-window rebuild of 16 MiB at 61% (it ended 3.6 ms after it started, line 4852); the simulator, on a quiet machine, can have finished it by this poll (no process); the polls after it are re-asked while the simulator is behind',
  },

  {
    file: '17',
    lines: [68, 69, 70],
    reason:
      "timed: the re-assembled raid's rebuild is unthrottled, so its speed is the machine's: spdk_tgt copied to the NVMe/TCP member at ~36 MiB/s (31%, 61%, 91% at 524 ms intervals), the simulator copies at this machine's file I/O speed and may have finished (no process) by any of those polls (on a quiet machine with a fast disk even the 31% one, line 68); the end still matches",
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
