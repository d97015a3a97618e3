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

/** How a number JSON.parse would round (2^64-1 becomes 2^64) is kept in params: its text. */
export const RAW_NUMBER = '$rawNumber';

/** The line's text with every integer literal outside strings that a double cannot hold wrapped as {"$rawNumber": "<text>"}. */
function markUnsafeIntegers(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const number = /^-?\d+(?![.eE\d])/.exec(text.slice(i, i + 32));
    if (number !== null && /[:,[\s]/.test(text[i - 1] ?? '') && !Number.isSafeInteger(Number(number[0]))) {
      out += `{"${RAW_NUMBER}":"${number[0]}"}`;
      i += number[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

export function readTranscript(file: string): Line[] {
  return readFileSync(join(TRANSCRIPTS_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, index) => {
      const line = JSON.parse(l) as Omit<Line, 'file' | 'index'>;
      // Only the params are sent: they keep such numbers as recorded, the rest is compared as parsed.
      const params = (JSON.parse(markUnsafeIntegers(l)) as { params?: unknown }).params;
      return { ...line, params, file, index };
    });
}

/** Params as JSON text, with the marked numbers written as recorded. */
export function paramsText(params: unknown): string {
  return JSON.stringify(params).replace(new RegExp(`\\{"\\${RAW_NUMBER}":"(-?\\d+)"\\}`, 'g'), '$1');
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
