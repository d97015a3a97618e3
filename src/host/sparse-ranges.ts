/**
 * The ranges of a sparse file that hold data, by lseek(SEEK_DATA / SEEK_HOLE). Node has no such
 * lseek, so a few lines of perl make the calls: perl-base is Essential in Debian (the service's
 * image has it) and its sysseek passes any whence to lseek. One process per file, a few ms.
 *
 * Without perl, or on a filesystem that does not report holes (Linux then calls the whole file
 * data), the answer is the whole file: correct, only slower, since the reader then reads holes
 * (as zeros) and drops the all-zero blocks itself.
 */

/** Linux's whence values (unistd.h); perl's Fcntl does not export them everywhere. */
const SEEK_DATA = 3;
const SEEK_HOLE = 4;

const SCRIPT = `
open(my $f, '<', $ARGV[0]) or die "open: $!\\n";
my $size = -s $f;
my $pos = 0;
while ($pos < $size) {
  my $data = sysseek($f, $pos, ${SEEK_DATA});
  last unless defined $data;
  my $hole = sysseek($f, $data, ${SEEK_HOLE});
  die "seek hole: $!\\n" unless defined $hole;
  print 0 + $data, " ", 0 + $hole, "\\n";
  $pos = $hole;
}
`;

/** [start, end) byte ranges holding data, in order, within the first `size` bytes. */
export type DataRange = readonly [start: number, end: number];

export async function dataRanges(file: string, size: number, signal?: AbortSignal): Promise<DataRange[]> {
  let stdout: string;
  try {
    // Loaded on first use: a node that never backs up does not import execa at start.
    const { execa } = await import('execa');
    ({ stdout } = await execa('perl', ['-e', SCRIPT, file], { cancelSignal: signal, timeout: 60_000 }));
  } catch (error) {
    signal?.throwIfAborted();
    if ((error as { code?: string }).code === 'ENOENT') return size > 0 ? [[0, size]] : [];
    throw new Error(`could not list the data ranges of ${file}: ${(error as { shortMessage?: string }).shortMessage ?? (error as Error).message}`);
  }
  const ranges: DataRange[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [start, end] = line.split(' ').map(Number) as [number, number];
    if (start >= size) break;
    ranges.push([start, Math.min(end, size)]);
  }
  return ranges;
}
