/**
 * The memory dump read line by line: the same 1 MiB chunks as readMemDump, every line cut with a
 * newline search and pushed through MemDumpParser.pushBytes on its own, as readMemDump did before
 * pushChunk skipped the per-line work. The reference the fast read is compared with (tests, and
 * scripts/bench-mem-dump.ts).
 */
import { open } from 'node:fs/promises';
import { MemDumpParser, type MemDump } from '../../src/spdk/mem-dump.js';

export async function readMemDumpLineByLine(file: string): Promise<MemDump> {
  const parser = new MemDumpParser();
  const handle = await open(file, 'r');
  try {
    const size = 1024 * 1024;
    const buffer = Buffer.allocUnsafe(size);
    let held = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, held, size - held, null);
      const filled = held + bytesRead;
      const end = bytesRead === 0 ? filled : buffer.lastIndexOf(10, filled - 1) + 1;
      const cut = end > 0 ? end : filled;
      let start = 0;
      while (start < cut) {
        let nl = buffer.indexOf(10, start);
        if (nl < 0 || nl >= cut) nl = cut;
        parser.pushBytes(buffer, start, nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl);
        start = nl + 1;
      }
      held = filled - cut;
      buffer.copy(buffer, 0, cut, filled);
      if (bytesRead === 0) break;
    }
  } finally {
    await handle.close();
  }
  return parser.finish();
}
