/**
 * spdk-conductor rebuild list|get|cancel, and following one rebuild to its end for
 * `engine replica-add --wait`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { invoke, isServiceError } from '../../api/client.js';
import type { Rebuild__Output } from '../../api/generated/spdk/conductor/v1/Rebuild.js';
import { EXIT } from '../exit-codes.js';
import {
  etaOf,
  formatEta,
  pathWord,
  percentOf,
  progressNotes,
  rateOf,
  renderProgress,
  stateWord,
  TERMINAL_STATES,
  throttleText,
  currentSnapshot,
  type ProgressSample,
  RATE_WINDOW_MS,
} from '../progress.js';
import type { CommandSpec } from './context.js';
import { fields, formatSize, json, table, type Cell } from './format.js';
import { everyPage } from './pages.js';

function stateCell(r: Rebuild__Output): string {
  return r.state === 'REBUILD_STATE_QUEUED' && r.queuePosition > 0 ? `queued #${r.queuePosition}` : stateWord(r.state);
}

function bytesCell(r: Rebuild__Output): string {
  return r.bytesTotal > 0 ? `${formatSize(r.bytesDone)} / ${formatSize(r.bytesTotal)}` : '';
}

const running = (r: Rebuild__Output): boolean => !TERMINAL_STATES.includes(r.state) && r.state !== 'REBUILD_STATE_QUEUED';

function rateCell(r: Rebuild__Output): string {
  const rate = rateOf(r, []);
  return running(r) && rate !== undefined ? `${formatSize(Math.round(rate))}/s` : '';
}

function etaCell(r: Rebuild__Output): string {
  return running(r) ? formatEta(etaOf(r, [])) : '';
}

const time = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '');

function rebuildsTable(rebuilds: readonly Rebuild__Output[]): string {
  return table(
    ['ENGINE', 'REPLICA', 'STATE', 'PATH', 'PERCENT', 'BYTES', 'RATE', 'ETA', 'REASON'],
    rebuilds.map((r) => [r.engine, r.replica, stateCell(r), pathWord(r.path), `${percentOf(r)}%`, bytesCell(r), rateCell(r), etaCell(r), r.reason]),
  );
}

function rebuildFields(r: Rebuild__Output): string {
  const path = pathWord(r.path);
  const rows: (readonly [string, Cell])[] = [
    ['engine', r.engine],
    ['replica', r.replica],
    ['state', `${stateWord(r.state)}${r.reason ? `: ${r.reason}` : ''}`],
    ['path', path ? `${path}${r.pathReason ? `: ${r.pathReason}` : ''}` : 'not chosen yet'],
    ['source', r.sourceReplica],
    ['progress', `${percentOf(r)}%${r.bytesTotal > 0 ? ` (${formatSize(r.bytesDone)} of ${formatSize(r.bytesTotal)})` : ''}`],
    ['rate', rateCell(r)],
    ['eta', etaCell(r)],
  ];
  if (r.state === 'REBUILD_STATE_QUEUED') rows.push(['queue position', `${r.queuePosition} (1 = next)`]);
  const throttle = throttleText(r);
  rows.push(['throttle', throttle ? `${throttle}${r.throttle?.reason ? ` (${r.throttle.reason})` : ''}` : 'off']);
  rows.push(['raid process', r.raid ? `${r.raid.member}: ${r.raid.percent}% (${r.raid.blocks} blocks copied)` : '']);
  rows.push(['created', time(r.createdAtMs)], ['started', time(r.startedAtMs)], ['raid started', time(r.processStartedAtMs)], ['finished', time(r.finishedAtMs)]);
  const snapshots = r.snapshots.length
    ? `\n${table(
        ['SNAPSHOT', 'STATE', 'CLUSTERS'],
        r.snapshots.map((s) => [s.name, s.state, `${s.copiedClusters}/${s.totalClusters}`]),
      )}`
    : '';
  return `${fields(rows)}${snapshots}`;
}

function cancelHeadline(r: Rebuild__Output): string {
  const what = `the rebuild of ${r.replica} into engine ${r.engine}`;
  if (r.state === 'REBUILD_STATE_CANCELLED') return `cancelled ${what}; ${r.replica} is not in the raid`;
  if (TERMINAL_STATES.includes(r.state)) return `${what} had already ended (${stateWord(r.state)}); nothing was cancelled`;
  return `cancelling ${what}; it is ${stateWord(r.state)} now`;
}

export const rebuildCommands: CommandSpec[] = [
  {
    name: 'rebuild list',
    args: [],
    options: ['engine'],
    usage: 'rebuild list [--engine NAME]   (running, queued, and those that ended in the last hour)',
    prepare:
      (values) =>
      async ({ api, call, out, json: asJson }) => {
        const rebuilds = await everyPage(
          (pageToken) => invoke(api.engines, 'RebuildList', { engine: values.engine ?? '', pageToken }, call),
          (a) => a.rebuilds,
        );
        out(asJson ? json(rebuilds) : rebuildsTable(rebuilds));
        return EXIT.OK;
      },
  },
  {
    name: 'rebuild get',
    args: ['ENGINE', 'REPLICA'],
    options: [],
    usage: 'rebuild get ENGINE REPLICA   (state and why, path and why, progress, rate, ETA, throttle, snapshots copied)',
    prepare:
      (_values, [engine, replica]) =>
      async ({ api, call, out, json: asJson }) => {
        const rebuild = await invoke(api.engines, 'RebuildGet', { engine: engine!, replica: replica! }, call);
        out(asJson ? json(rebuild) : rebuildFields(rebuild));
        return EXIT.OK;
      },
  },
  {
    name: 'rebuild cancel',
    args: ['ENGINE', 'REPLICA'],
    options: [],
    usage: 'rebuild cancel ENGINE REPLICA   (the member leaves the raid and what the rebuild made is removed; an ended rebuild is left as it is)',
    prepare:
      (_values, [engine, replica]) =>
      async ({ api, call, out, json: asJson }) => {
        const rebuild = await invoke(api.engines, 'RebuildCancel', { engine: engine!, replica: replica! }, call);
        out(asJson ? json(rebuild) : `${cancelHeadline(rebuild)}\n\n${rebuildFields(rebuild)}`);
        return EXIT.OK;
      },
  },
];

/** How often --wait asks, and how long it keeps asking a service it cannot reach. */
export const POLL_MS = 500;
export const LOST_AFTER_MS = 30_000;
/** Without a terminal, a line on every change (state, queue position, snapshot) and at least this often. */
export const PLAIN_EVERY_MS = 5000;

export interface FollowOptions {
  engine: string;
  replica: string;
  /** One RebuildGet. */
  get(): Promise<Rebuild__Output>;
  signal?: AbortSignal | undefined;
  out(text: string): void;
  err(text: string): void;
  tty: boolean;
  /** Terminal columns, read at every redraw (the window may be resized). */
  width(): number;
  /** Print nothing until the end, then the final Rebuild as JSON. */
  json: boolean;
  pollMs?: number;
  lostAfterMs?: number;
  now?: () => number;
}

/** A failure that says the service could not be asked, not that it refused. */
function unreachable(err: unknown): boolean {
  return isServiceError(err) && (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED);
}

/**
 * Polls a rebuild until it is DONE (exit 0), FAILED (7, FAILED_PRECONDITION: the replica did not
 * become a healthy member; the reason is printed) or CANCELLED (1). Waiting is all it does: an
 * interrupt stops the waiting, never the rebuild (130, saying how to cancel), and a service that
 * cannot be reached is asked again for lostAfterMs before giving up (3). Other failed calls are
 * thrown, for the caller to report like any other.
 */
export async function followRebuild(o: FollowOptions): Promise<number> {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? POLL_MS;
  const lostAfterMs = o.lostAfterMs ?? LOST_AFTER_MS;
  const what = `the rebuild of ${o.replica} into engine ${o.engine}`;
  const commands = `follow it with "spdk-conductor rebuild get ${o.engine} ${o.replica}", cancel it with "spdk-conductor rebuild cancel ${o.engine} ${o.replica}"`;
  let previous: Rebuild__Output | undefined;
  let samples: ProgressSample[] = [];
  let lineOpen = false;
  let plainKey = '';
  let plainAt = -Infinity;
  let lostSince: number | undefined;

  const closeLine = (): void => {
    if (lineOpen) o.out('\n');
    lineOpen = false;
  };
  const pause = async (): Promise<boolean> => {
    try {
      await sleep(pollMs, undefined, o.signal ? { signal: o.signal } : {});
      return true;
    } catch {
      return false;
    }
  };
  const interrupted = (): number => {
    closeLine();
    o.err(`spdk-conductor: stopped waiting; ${what} goes on: ${commands}\n`);
    return EXIT.INTERRUPTED;
  };
  const draw = (rebuild: Rebuild__Output, at: number): void => {
    const notes = progressNotes(previous, rebuild);
    if (notes.length) {
      // On a terminal the notes take the live line's place and it is drawn again below them.
      if (lineOpen) o.out('\r\x1b[K');
      lineOpen = false;
      o.out(notes.map((n) => `${n}\n`).join(''));
    }
    if (o.tty) {
      o.out(renderProgress(rebuild, samples, { width: o.width(), tty: true }));
      lineOpen = true;
      return;
    }
    // A change worth a line: the state, the place in the queue, the snapshot being copied.
    const key = `${rebuild.state} ${rebuild.queuePosition} ${currentSnapshot(rebuild)?.snapshot.name ?? ''}`;
    if (key === plainKey && at - plainAt < PLAIN_EVERY_MS) return;
    o.out(renderProgress(rebuild, samples, { width: o.width(), tty: false }));
    plainKey = key;
    plainAt = at;
  };

  for (;;) {
    let rebuild: Rebuild__Output;
    try {
      rebuild = await o.get();
    } catch (err) {
      if (o.signal?.aborted) return interrupted();
      closeLine();
      if (!unreachable(err)) throw err;
      const details = (err as { details?: string }).details?.trim() ?? String(err);
      const at = now();
      if (lostSince === undefined) {
        lostSince = at;
        o.err(`spdk-conductor: cannot reach the service (${details}); asking again for up to ${Math.round(lostAfterMs / 1000)} s (${what} goes on regardless)\n`);
      } else if (at - lostSince >= lostAfterMs) {
        const message = `no answer from the service for ${Math.round(lostAfterMs / 1000)} s while following ${what} (${details}); the rebuild continues on the node: ${commands}`;
        o.err(o.json ? JSON.stringify({ error: { status: 'UNAVAILABLE', code: null, message } }) + '\n' : `spdk-conductor: ${message}\n`);
        return EXIT.UNAVAILABLE;
      }
      if (!(await pause())) return interrupted();
      continue;
    }
    const at = now();
    if (lostSince !== undefined) {
      lostSince = undefined;
      if (!o.json) o.err('spdk-conductor: the service answers again\n');
    }
    samples = [...samples.filter((s) => s.atMs >= at - RATE_WINDOW_MS), { atMs: at, bytesDone: rebuild.bytesDone }];
    if (!o.json) draw(rebuild, at);
    previous = rebuild;
    if (TERMINAL_STATES.includes(rebuild.state)) return finish(o, rebuild, closeLine, what);
    if (!(await pause())) return interrupted();
  }
}

function finish(o: FollowOptions, rebuild: Rebuild__Output, closeLine: () => void, what: string): number {
  closeLine();
  if (o.json) o.out(json(rebuild));
  switch (rebuild.state) {
    case 'REBUILD_STATE_DONE': {
      const took = rebuild.finishedAtMs > 0 && rebuild.createdAtMs > 0 ? ` in ${formatEta((rebuild.finishedAtMs - rebuild.createdAtMs) / 1000)}` : '';
      if (!o.json) o.out(`${what} is done${took}: ${o.replica} is a healthy member\n`);
      return EXIT.OK;
    }
    case 'REBUILD_STATE_FAILED':
      if (!o.json) o.err(`spdk-conductor: ${what} failed: ${rebuild.reason || 'no reason given'}\n`);
      return EXIT.FAILED_PRECONDITION;
    default:
      if (!o.json) o.err(`spdk-conductor: ${what} was cancelled${rebuild.reason ? `: ${rebuild.reason}` : ''}\n`);
      return EXIT.FAILED;
  }
}
