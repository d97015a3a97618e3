import fs from 'node:fs';

/** A process's resident memory by kind, KiB, from /proc/PID/smaps (Linux). */
export interface RssKinds {
  /** Mapped files: node's binary (its code and read-only data as touched), libraries, addons. */
  fileKb: number;
  /** Of which node's own binary. */
  nodeBinaryKb: number;
  /** glibc's main malloc arena (the brk heap, `[heap]`): the main thread's mallocs, Buffers' bytes among them. */
  mainArenaKb: number;
  /** glibc's other arenas (64 MiB-aligned heaps): the other threads' mallocs (V8's helpers, libuv's pool, workers). */
  otherArenasKb: number;
  /** Everything else anonymous: V8's pages of every isolate (heap, JIT code), thread stacks. */
  otherAnonKb: number;
}

const ARENA_BYTES = 64n << 20n;

/**
 * Reads /proc/PID/smaps and sorts each mapping's RSS by kind. A glibc arena other than the main
 * one is a 64 MiB-aligned reservation: the part in use read-write, the rest PROT_NONE right after
 * it, the two 64 MiB together. Undefined where unreadable (the process ended).
 */
export function rssKinds(pid: number): RssKinds | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const maps: Array<{ start: bigint; end: bigint; perms: string; path: string; rssKb: number }> = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, path: head[4]!, rssKb: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length > 0) maps[maps.length - 1]!.rssKb = Number(rss[1]);
  }
  const kinds: RssKinds = { fileKb: 0, nodeBinaryKb: 0, mainArenaKb: 0, otherArenasKb: 0, otherAnonKb: 0 };
  maps.forEach((m, i) => {
    if (m.path.startsWith('/')) {
      kinds.fileKb += m.rssKb;
      if (m.path === process.execPath) kinds.nodeBinaryKb += m.rssKb;
    } else if (m.path === '[heap]') kinds.mainArenaKb += m.rssKb;
    else {
      const next = maps[i + 1];
      const arena = m.path === '' && m.start % ARENA_BYTES === 0n && next?.start === m.end && next.perms === '---p' && next.end - m.start === ARENA_BYTES;
      if (arena) kinds.otherArenasKb += m.rssKb;
      else kinds.otherAnonKb += m.rssKb;
    }
  });
  return kinds;
}

/** One line: "file-backed 46.8 (node 42.6), malloc 29.1 (main arena 24.5, others 4.6), other anonymous 80.2 MiB". */
export function formatRssKinds(k: RssKinds | undefined): string {
  if (!k) return 'unknown';
  const mib = (kb: number): string => (kb / 1024).toFixed(1);
  return `file-backed ${mib(k.fileKb)} (node ${mib(k.nodeBinaryKb)}), malloc ${mib(k.mainArenaKb + k.otherArenasKb)} (main arena ${mib(k.mainArenaKb)}, others ${mib(k.otherArenasKb)}), other anonymous (V8's pages, code, stacks) ${mib(k.otherAnonKb)} MiB`;
}
