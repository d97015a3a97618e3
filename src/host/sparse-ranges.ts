/**
 * The ranges of a sparse file that hold data, by lseek(SEEK_DATA / SEEK_HOLE). Node has no such
 * lseek, so a few lines of perl make the calls: perl-base is Essential in Debian (the service's
 * image has it) and its sysseek passes any whence to lseek. `dataRanges` asks once (one process,
 * ended after the answer); `DataRangeProbe` keeps one process per file and asks it again and again, for a file that is
 * still being written (a staged image read behind its copy): a process per look cost ~14 ms of
 * this process's CPU (execa, spawn) and ~15 ms of perl's at load 10 on the 2-core machine, and
 * ~60 ms before the reader could go on; a line to a running one costs well under a millisecond.
 *
 * Without perl, or on a filesystem that does not report holes (Linux then calls the whole file
 * data), the answer is the whole file: correct, only slower, since the reader then reads holes
 * (as zeros) and drops the all-zero blocks itself.
 */

import { type ChildProcess, spawn } from 'node:child_process';

/** Linux's whence values (unistd.h); perl's Fcntl does not export them everywhere. */
const SEEK_DATA = 3;
const SEEK_HOLE = 4;

/** Each line on stdin is a size: the file's data ranges below it are printed, then `end`. */
const SCRIPT = `
$| = 1;
open(my $f, '<', $ARGV[0]) or die "open: $!\\n";
while (my $size = <STDIN>) {
  chomp $size;
  my $pos = 0;
  while ($pos < $size) {
    my $data = sysseek($f, $pos, ${SEEK_DATA});
    last unless defined $data;
    my $hole = sysseek($f, $data, ${SEEK_HOLE});
    die "seek hole: $!\\n" unless defined $hole;
    print 0 + $data, " ", 0 + $hole, "\\n";
    $pos = $hole;
  }
  print "end\\n";
}
`;

/** [start, end) byte ranges holding data, in order, within the first `size` bytes. */
export type DataRange = readonly [start: number, end: number];

/** How long one look of `dataRanges` may take before its process is ended. */
const ONE_LOOK_TIMEOUT_MS = 60_000;

export async function dataRanges(file: string, size: number, signal?: AbortSignal): Promise<DataRange[]> {
  // A kept process asked once, not execa: importing execa cost the service ~65 ms of main-thread
  // CPU at the first backup of a process (measured with perf on the 2-core machine, load 8-13),
  // spent before the stage's copy could start.
  const probe = new DataRangeProbe(file, signal);
  const timer = setTimeout(() => probe.close(), ONE_LOOK_TIMEOUT_MS);
  try {
    return await probe.ranges(size);
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    clearTimeout(timer);
    probe.close();
  }
}

function parseRanges(lines: readonly string[], size: number): DataRange[] {
  const ranges: DataRange[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const [start, end] = line.split(' ').map(Number) as [number, number];
    if (start >= size) break;
    ranges.push([start, Math.min(end, size)]);
  }
  return ranges;
}

/**
 * One file's data ranges, asked as often as needed of one perl process kept for the file (see
 * above): `ranges` answers what the file holds now. Looks run one at a time. Without perl every
 * answer is the whole file, as `dataRanges` gives. `close` ends the process (idempotent); so does
 * an abort of the signal given at open, which fails the look under way.
 */
export class DataRangeProbe {
  private readonly child: ChildProcess;
  private failure: Error | undefined;
  private buffered = '';
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private stderr = '';

  constructor(
    private readonly file: string,
    signal?: AbortSignal,
  ) {
    const child = spawn('perl', ['-e', SCRIPT, file], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    this.child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      const at = this.buffered.lastIndexOf('\n');
      if (at < 0) return;
      this.lines.push(...this.buffered.slice(0, at).split('\n'));
      this.buffered = this.buffered.slice(at + 1);
      this.waiter?.();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-500)));
    // A write after the process died (EPIPE) is answered by the exit below.
    child.stdin!.on('error', () => undefined);
    child.once('error', (error: NodeJS.ErrnoException) => this.end(error));
    // 'close', not 'exit': the exit can come before perl's last words on stderr were read.
    child.once('close', (code, sig) => this.end(new Error(`perl exited (${sig ?? code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`)));
  }

  /** [start, end) ranges of the file that hold data now, within its first `size` bytes. */
  ranges(size: number): Promise<DataRange[]> {
    const look = this.queue.then(() => this.look(size));
    this.queue = look.catch(() => undefined);
    return look;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin?.end();
    this.child.kill();
  }

  private async look(size: number): Promise<DataRange[]> {
    if (this.closed) throw new Error(`the data ranges of ${this.file} are no longer looked at`);
    if (this.failure) return this.failed(size);
    this.child.stdin!.write(`${size}\n`);
    for (;;) {
      const end = this.lines.indexOf('end');
      if (end >= 0) return parseRanges(this.lines.splice(0, end + 1).slice(0, -1), size);
      if (this.failure) return this.failed(size);
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  /** No perl: the whole file, as dataRanges answers; any other failure is thrown. */
  private failed(size: number): DataRange[] {
    if ((this.failure as NodeJS.ErrnoException).code === 'ENOENT') return size > 0 ? [[0, size]] : [];
    throw new Error(`could not list the data ranges of ${this.file}: ${this.failure!.message}`);
  }

  private end(error: Error): void {
    this.failure ??= error;
    this.waiter?.();
  }
}
