/**
 * A rebuild's progress as one line of text, for `engine replica-add --wait`. Pure: the caller
 * keeps the samples it took and decides when to draw; this decides what a line says and how it
 * fits. On a terminal the line is redrawn in place (\r, then the line, then "erase to the end of
 * the line") and never reaches the last column, so it never wraps; elsewhere it is plain text
 * ending in a newline, with no control characters, for logs.
 */
import type { Rebuild__Output } from '../api/generated/spdk/conductor/v1/Rebuild.js';
import type { SnapshotCopy__Output } from '../api/generated/spdk/conductor/v1/SnapshotCopy.js';
import { formatSize } from './commands/format.js';

/** bytes_done as the CLI saw it at a moment. */
export interface ProgressSample {
  atMs: number;
  bytesDone: number;
}

export interface RenderOptions {
  /** Terminal columns; only a TTY line is fitted to it. */
  width: number;
  tty: boolean;
}

/** The span the CLI's own rate is measured over. */
export const RATE_WINDOW_MS = 5000;
/** Shorter spans give a rate too jumpy to show. */
const MIN_RATE_SPAN_MS = 400;
/** Bar widths on a terminal, brackets included. */
const MAX_BAR = 30;
const MIN_BAR = 6;
/** Narrower than this, parts of the line make way for the bar. */
const COMFORTABLE_BAR = 12;
/** A line that is not fitted to a terminal gets a bar this wide (brackets included): 5% a cell. */
const PLAIN_BAR = 22;
const ERASE_TO_END = '\x1b[K';

/** REBUILD_STATE_COPYING_SNAPSHOTS → copying-snapshots: the enum's own word, as people read it. */
export function stateWord(state: string): string {
  return state
    .replace(/^REBUILD_STATE_/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

/** REBUILD_PATH_SNAPSHOT_PRESERVING → snapshot-preserving; '' while the path is not chosen. */
export function pathWord(path: string): string {
  return path === 'REBUILD_PATH_UNSPECIFIED' || path === ''
    ? ''
    : path
        .replace(/^REBUILD_PATH_/, '')
        .toLowerCase()
        .replace(/_/g, '-');
}

export const TERMINAL_STATES: readonly string[] = ['REBUILD_STATE_DONE', 'REBUILD_STATE_FAILED', 'REBUILD_STATE_CANCELLED'];

/** 42s, 3m 12s, 2h 5m; "—" when unknown (negative). */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Bytes per second over the samples of the last RATE_WINDOW_MS; undefined when they cannot say. */
export function sampledRate(samples: readonly ProgressSample[]): number | undefined {
  const last = samples.at(-1);
  if (!last) return undefined;
  const first = samples.find((s) => s.atMs >= last.atMs - RATE_WINDOW_MS)!;
  const span = last.atMs - first.atMs;
  if (span < MIN_RATE_SPAN_MS || last.bytesDone < first.bytesDone) return undefined;
  return ((last.bytesDone - first.bytesDone) * 1000) / span;
}

/** The service's rate when it has one, else the one measured from the samples. */
export function rateOf(rebuild: Rebuild__Output, samples: readonly ProgressSample[]): number | undefined {
  return rebuild.rateBytesPerSec > 0 ? rebuild.rateBytesPerSec : sampledRate(samples);
}

/** The service's ETA; when it has none, one from the rate, if there is a rate and something left. */
export function etaOf(rebuild: Rebuild__Output, samples: readonly ProgressSample[]): number {
  if (rebuild.etaSec >= 0) return rebuild.etaSec;
  const rate = rateOf(rebuild, samples);
  const left = rebuild.bytesTotal - rebuild.bytesDone;
  return rate !== undefined && rate > 0 && rebuild.bytesTotal > 0 && left >= 0 ? left / rate : -1;
}

/** The snapshot being copied (else the next one to copy), with its place in the chain. */
export function currentSnapshot(rebuild: Rebuild__Output): { snapshot: SnapshotCopy__Output; index: number; count: number } | undefined {
  const list = rebuild.snapshots;
  let index = list.findIndex((s) => s.state === 'copying');
  if (index < 0) index = list.findIndex((s) => s.state === 'pending');
  return index < 0 ? undefined : { snapshot: list[index]!, index: index + 1, count: list.length };
}

export function percentOf(rebuild: Rebuild__Output): number {
  if (rebuild.state === 'REBUILD_STATE_DONE') return 100;
  return Math.max(0, Math.min(100, Math.floor(rebuild.percent)));
}

export function throttleText(rebuild: Rebuild__Output): string {
  const t = rebuild.throttle;
  if (!t?.engaged) return '';
  return t.limitMbSec > 0 ? `throttled to ${t.limitMbSec} MB/s` : 'throttled';
}

/**
 * What changed since the previous answer that deserves a line of its own, once: the path chosen
 * and why, the throttle engaged (with its limit and why) or released while the rebuild runs.
 */
export function progressNotes(previous: Rebuild__Output | undefined, current: Rebuild__Output): string[] {
  const notes: string[] = [];
  const path = pathWord(current.path);
  if (path && (previous?.path !== current.path || previous.pathReason !== current.pathReason)) {
    notes.push(`path: ${path}${current.pathReason ? ` (${current.pathReason})` : ''}`);
  }
  // An ended rebuild is throttled no more; saying so would only be noise before the end.
  if (TERMINAL_STATES.includes(current.state)) return notes;
  const before = previous?.throttle;
  const now = current.throttle;
  if (now?.engaged && (!before?.engaged || before.limitMbSec !== now.limitMbSec || before.reason !== now.reason)) {
    notes.push(`${throttleText(current)}${now.reason ? ` (${now.reason})` : ''}`);
  } else if (before?.engaged && !now?.engaged) {
    notes.push(`throttle released${now?.reason ? ` (${now.reason})` : ''}`);
  }
  return notes;
}

export function bar(percent: number, width: number): string {
  const inner = Math.max(0, width - 2);
  const filled = Math.round((inner * percent) / 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(inner - filled)}]`;
}

/** A part of the line; `drop` orders what a narrow terminal loses first (1 first, 0 never). */
export interface Segment {
  text: string;
  drop: number;
}

/** The parts of the line before and after the bar; reasons are notes (progressNotes), said once. */
function parts(rebuild: Rebuild__Output, samples: readonly ProgressSample[]): { head: Segment[]; tail: Segment[] } {
  const head: Segment[] = [{ text: stateWord(rebuild.state), drop: 0 }];
  const path = pathWord(rebuild.path);
  if (path) head.push({ text: path, drop: 1 });
  if (rebuild.state === 'REBUILD_STATE_COPYING_SNAPSHOTS') {
    const current = currentSnapshot(rebuild);
    if (current) {
      const { snapshot, index, count } = current;
      head.push({ text: `snapshot ${snapshot.name} ${index}/${count} (${snapshot.copiedClusters}/${snapshot.totalClusters} clusters)`, drop: 5 });
    }
  }
  const tail: Segment[] = [{ text: `${percentOf(rebuild)}%`.padStart(4), drop: 0 }];
  if (rebuild.bytesTotal > 0) tail.push({ text: `${formatSize(rebuild.bytesDone)} / ${formatSize(rebuild.bytesTotal)}`, drop: 4 });
  const terminal = TERMINAL_STATES.includes(rebuild.state);
  if (!terminal && rebuild.state !== 'REBUILD_STATE_QUEUED') {
    const rate = rateOf(rebuild, samples);
    tail.push({ text: rate === undefined ? '- /s' : `${formatSize(Math.round(rate))}/s`, drop: 3 });
    tail.push({ text: `ETA ${formatEta(etaOf(rebuild, samples))}`, drop: 6 });
  }
  if (rebuild.state === 'REBUILD_STATE_QUEUED' && rebuild.queuePosition > 0) tail.push({ text: `queue position ${rebuild.queuePosition}`, drop: 7 });
  const throttle = terminal ? '' : throttleText(rebuild);
  if (throttle) tail.push({ text: throttle, drop: 2 });
  return { head, tail };
}

/**
 * What to write for the rebuild's current state: on a TTY "\r" + a line shorter than `width` +
 * erase-to-end (the caller adds "\n" when it is done with the line); otherwise a plain line and
 * "\n". `samples` are the CLI's own (bytes_done over time, oldest first, the current one last).
 * A line too wide for the terminal loses, in order: the path, the throttle, the rate, the byte
 * counts, the snapshot, the ETA, the queue position, then the bar; what still does not fit is cut.
 */
export function renderProgress(rebuild: Rebuild__Output, samples: readonly ProgressSample[], options: RenderOptions): string {
  const { head, tail } = parts(rebuild, samples);
  return fitLine(head, tail, percentOf(rebuild), options);
}

/**
 * head, the bar at `percent`, tail, two spaces apart: on a TTY "\r" + a line shorter than
 * `width` (segments dropped in their `drop` order, then the bar, then cut) + erase-to-end;
 * otherwise a plain line and "\n". Shared by the rebuild's and the backup jobs' lines.
 */
export function fitLine(headIn: readonly Segment[], tailIn: readonly Segment[], percent: number, options: RenderOptions): string {
  let head = [...headIn];
  let tail = [...tailIn];
  const text = (barWidth: number): string => [...head.map((s) => s.text), ...(barWidth > 0 ? [bar(percent, barWidth)] : []), ...tail.map((s) => s.text)].join('  ');
  if (!options.tty) return `${text(PLAIN_BAR)}\n`;
  // One column short of the width: writing into the last column makes some terminals wrap.
  const room = Math.max(1, options.width - 1);
  const barRoom = (): number => Math.min(MAX_BAR, room - text(0).length - 2);
  for (;;) {
    if (barRoom() >= COMFORTABLE_BAR) break;
    const droppable = [...head, ...tail].filter((s) => s.drop > 0);
    if (droppable.length === 0) break;
    const first = droppable.reduce((a, b) => (b.drop < a.drop ? b : a));
    head = head.filter((s) => s !== first);
    tail = tail.filter((s) => s !== first);
  }
  const line = barRoom() >= MIN_BAR ? text(barRoom()) : text(0);
  return `\r${line.length > room ? `${line.slice(0, room - 1)}…` : line}${ERASE_TO_END}`;
}
