/**
 * Reading ../shared/spdk/transcripts: one object per line (see /work/shared/spdk/README.md), and
 * rebuilding the raw probes the recorder shortened ("...<N bytes total, truncated in log>...").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRANSCRIPTS_DIR = fileURLToPath(new URL('../../../../../shared/spdk/transcripts', import.meta.url));

export interface Line {
  readonly file: string;
  /** 0-based line number in the file. */
  readonly index: number;
  readonly target?: 'A' | 'B';
  readonly method: string | null;
  readonly params: unknown;
  readonly response: unknown;
  readonly note?: string;
  readonly raw_request?: string;
  readonly raw_response?: string;
  readonly connection_closed_by_server?: boolean | 'reset';
  readonly summary?: unknown;
  /** ms since the scenario began. */
  readonly t_ms?: number;
}

export function transcriptFiles(): string[] {
  return readdirSync(TRANSCRIPTS_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
}

export function readTranscript(file: string): Line[] {
  return readFileSync(join(TRANSCRIPTS_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, index) => ({ ...(JSON.parse(l) as Omit<Line, 'file' | 'index'>), file, index }));
}

const MARKER = /\.\.\.<(\d+) bytes total, truncated in log>\.\.\./;

/**
 * Rebuilds a shortened raw request: the omitted middle is either a run of one repeated character
 * ("xxxx") or a comma-separated count ("509,...,8962"), and must give the recorded total length.
 */
export function rebuildRaw(raw: string): string {
  const m = MARKER.exec(raw);
  if (m === null) return raw;
  const total = Number(m[1]);
  const head = raw.slice(0, m.index);
  const tail = raw.slice(m.index + m[0].length);
  let middle: string;
  const num = /(\d+)$/.exec(head);
  const next = /^,(\d+)/.exec(tail);
  if (num && next) {
    const parts: string[] = [];
    for (let i = Number(num[1]) + 1; i < Number(next[1]); i++) parts.push(String(i));
    middle = parts.length ? `,${parts.join(',')}` : '';
  } else {
    const ch = head[head.length - 1]!;
    middle = ch.repeat(total - Buffer.byteLength(head) - Buffer.byteLength(tail));
  }
  const out = head + middle + tail;
  if (Buffer.byteLength(out) !== total) throw new Error(`cannot rebuild a ${total}-byte raw request (got ${Buffer.byteLength(out)})`);
  return out;
}
