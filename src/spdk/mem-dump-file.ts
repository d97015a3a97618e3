/**
 * Reading spdk_tgt's memory dump file (env_dpdk_get_mem_stats writes it; mem-dump.ts parses its
 * text): streamed in chunks and parsed in slices that keep within the event loop's budget, and
 * told apart from a file spdk_tgt did not just write (another host, another SPDK process).
 */
import { open, stat } from 'node:fs/promises';
import { dumpWriterPid, MemDumpParser, type MemDump } from './mem-dump.js';

const NEWLINE = 0x0a;

/** A dump without the malloc stats is cut short or not DPDK's: its figures cannot be trusted. */
export class MemDumpFormatError extends Error {}

/** Bytes read at a time: the whole dump is never held, and each read is a few ms of parsing. */
const CHUNK_BYTES = 1024 * 1024;
/** A chunk is parsed in pieces of this many bytes (cut at a line end)... */
const PIECE_BYTES = 128 * 1024;
/**
 * ...and gives the event loop a turn between two pieces once a slice has run this long. Warm, a
 * 1 MiB chunk takes ~0.5 ms and never yields; cold (the first read, or after V8 dropped the
 * parser's compiled code) a chunk of Segment lines took 12-24 ms, over the service's 10 ms loop
 * budget, and a piece ~3 ms.
 */
const SLICE_MS = 5;

/** Parses buffer[0, length) (whole lines), yielding to the event loop when it runs long. */
async function pushSliced(parser: MemDumpParser, buffer: Buffer, length: number): Promise<void> {
  let sliceStart = performance.now();
  let from = 0;
  while (from < length) {
    let to = from + PIECE_BYTES >= length ? length : buffer.lastIndexOf(NEWLINE, from + PIECE_BYTES - 1) + 1;
    if (to <= from) to = length;
    parser.pushChunk(buffer, from, to);
    from = to;
    if (from < length && performance.now() - sliceStart > SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/**
 * Streams a dump file (never holding its text) and parses it. Rejects with the fs error when the
 * file cannot be read, or a MemDumpFormatError when it has no heap figures.
 *
 * Lines are cut from raw chunks rather than through readline: on a 45 MB --no-huge dump, readline
 * and its UTF-8 decoder were most of the service's CPU on a real spdk_tgt (~0.7 s per sample, now
 * ~0.08 s), and the bulk lines are read as bytes (`pushBytes`): 8 reads made 6 scavenges, 51 with
 * a string per line. The text is DPDK's ASCII (C identifiers, numbers), which latin1 decodes byte
 * for byte. A 1 MiB chunk's parse (`pushChunk`) is ~0.5 ms warm; a cold one is cut into slices
 * of ~5 ms (`pushSliced`), so that no slice holds the event loop over its 10 ms budget.
 */
export async function readMemDump(file: string): Promise<MemDump> {
  const parser = new MemDumpParser();
  // Opening first turns a missing or unreadable file into a plain rejection.
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let held = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, held, CHUNK_BYTES - held, null);
      const filled = held + bytesRead;
      const end = bytesRead === 0 ? filled : buffer.lastIndexOf(NEWLINE, filled - 1) + 1;
      // A line longer than the buffer is no dump line: it is cut, as the format check will tell.
      const cut = end > 0 ? end : filled;
      await pushSliced(parser, buffer, cut);
      held = filled - cut;
      buffer.copy(buffer, 0, cut, filled);
      if (bytesRead === 0) break;
    }
  } finally {
    await handle.close();
  }
  const dump = parser.finish();
  if (dump.heaps.length === 0) throw new MemDumpFormatError(`${file} has no DPDK malloc stats: not a complete env_dpdk_get_mem_stats dump`);
  return dump;
}

/** The dump file's mtime may trail the call's start by this much (coarse file-system clocks). */
const MTIME_SLACK_MS = 1000;

/**
 * Reads the dump env_dpdk_get_mem_stats just named, asked at `askedAtMs` (Date.now clock). spdk_tgt
 * writes it on its own host: a file absent here, or one older than the call, is not its dump. The
 * path is fixed (/tmp/spdk_mem_dump.txt), so every SPDK process of a host writes the same file: with
 * `ownerPid` (framework_get_reactors' pid) a dump another one wrote over it is told apart.
 */
export async function readWrittenMemDump(file: string, askedAtMs: number, ownerPid?: number): Promise<{ dump: MemDump } | { problem: string; foreign?: true }> {
  const elsewhere = 'spdk_tgt writes it on another host or in another mount namespace';
  try {
    const st = await stat(file);
    if (st.mtimeMs < askedAtMs - MTIME_SLACK_MS) return { problem: `${file} was not rewritten by env_dpdk_get_mem_stats (last written ${st.mtime.toISOString()}): ${elsewhere}` };
    const dump = await readMemDump(file);
    const writer = dumpWriterPid(dump);
    if (ownerPid !== undefined && writer !== undefined && writer !== ownerPid) {
      return { problem: `${file} was written by another SPDK process (pid ${writer}), not spdk_tgt (pid ${ownerPid}): SPDK processes on this host share that path`, foreign: true };
    }
    return { dump };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `absent here: ${elsewhere}` : err instanceof Error ? err.message : String(err);
    return { problem: `cannot read spdk_tgt's memory dump ${file}: ${why}` };
  }
}
