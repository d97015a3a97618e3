/**
 * How the API commands read and print: sizes with binary units both ways, durations, aligned
 * tables for people, and JSON for scripts (the API's messages, with timestamps as RFC 3339 text
 * as proto3's JSON mapping has them).
 */
import { UsageError } from './usage.js';

const UNITS: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, pib: 1024 ** 5 };

/** "10GiB", "512 MiB", "1.5TiB", "4096": a byte count that must be a positive safe integer. */
export function parseSize(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() || 'b';
  const factor = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  if (!match || factor === undefined) {
    const hint = /^[kmgtp]b?$/i.test(match?.[2] ?? '') ? ` (units are binary: write ${match![2]![0]!.toUpperCase()}iB)` : '';
    throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a size; use bytes or a number with KiB, MiB, GiB, TiB${hint}`);
  }
  const bytes = Number(match[1]) * factor;
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--${flag} ${text} is not a whole number of bytes below 2^53`);
  if (bytes <= 0) throw new UsageError(`--${flag} must be greater than 0`);
  return bytes;
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value : Number(value.toFixed(2))} ${units[i]}`;
}

/** "30s", "500ms", "5m", "1h"; a bare number is seconds. */
export function parseDuration(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a duration; use e.g. 500ms, 30s, 5m`);
  const ms = Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 1)) throw new UsageError(`--${flag} must be at least 1ms`);
  return Math.round(ms);
}

export type Cell = string | number | boolean | null | undefined;

/** Columns padded to their widest cell; empty cells print as "-". */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((cell) => (cell === undefined || cell === null || cell === '' ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** One object as "key  value" lines, for get/create answers. */
export function fields(entries: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${value === undefined || value === null || value === '' ? '-' : String(value)}`).join('\n') + '\n';
}

export function timestampText(ts: { seconds: number; nanos: number } | null): string | null {
  return ts ? new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6)).toISOString() : null;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
