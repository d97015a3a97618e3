/**
 * The progress line of `engine replica-add --wait`: what it says in each state, how it fits a
 * terminal, and that a line for logs has no control characters.
 */
import { describe, expect, it } from 'vitest';
import type { Rebuild__Output } from '../../src/api/generated/spdk/conductor/v1/Rebuild.js';
import { formatEta, progressNotes, renderProgress, sampledRate, type ProgressSample } from '../../src/cli/progress.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function rebuild(fields: Partial<Rebuild__Output> = {}): Rebuild__Output {
  return {
    engine: 'vol1',
    replica: 'r3',
    state: 'REBUILD_STATE_REBUILDING',
    reason: '',
    path: 'REBUILD_PATH_RAID',
    pathReason: '',
    sourceReplica: 'r1',
    percent: 0,
    bytesDone: 0,
    bytesTotal: 10 * GiB,
    rateBytesPerSec: 0,
    etaSec: -1,
    queuePosition: 0,
    snapshots: [],
    raid: null,
    throttle: null,
    createdAtMs: 0,
    startedAtMs: 0,
    processStartedAtMs: 0,
    finishedAtMs: 0,
    stale: false,
    staleReason: '',
    ...fields,
  };
}

const tty = (width: number) => ({ width, tty: true });
const plain = { width: 80, tty: false };
/** The text a terminal shows: without \r and the erase-to-end sequence. */
const visible = (s: string): string => s.replace(/^\r/, '').replace(/\x1b\[K$/, '');

describe('formatEta', () => {
  it.each([
    [0, '0s'],
    [42, '42s'],
    [59.4, '59s'],
    [60, '1m 0s'],
    [192, '3m 12s'],
    [3599, '59m 59s'],
    [3600, '1h 0m'],
    [7500, '2h 5m'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('%s s is %s', (seconds, text) => {
    expect(formatEta(seconds)).toBe(text);
  });
});

describe('renderProgress', () => {
  it('shows state, path, bar, percent, bytes in binary units, the service rate and ETA', () => {
    const line = renderProgress(rebuild({ percent: 42, bytesDone: 4.2 * GiB, rateBytesPerSec: 200 * MiB, etaSec: 30 }), [], plain);
    expect(line).toBe(`rebuilding  raid  [########------------]   42%  4.2 GiB / 10 GiB  200 MiB/s  ETA 30s\n`);
  });

  it('an unknown ETA (-1) with no rate shows ETA — and no rate', () => {
    const line = renderProgress(rebuild({ percent: 1 }), [], plain);
    expect(line).toContain('  - /s  ETA —');
  });

  it('without a service rate, measures one over the last 5 s of samples and estimates the ETA from it', () => {
    const samples: ProgressSample[] = [
      { atMs: 0, bytesDone: 0 }, // older than 5 s before the last: not counted
      { atMs: 4000, bytesDone: 1 * GiB },
      { atMs: 9000, bytesDone: 6 * GiB },
    ];
    expect(sampledRate(samples)).toBe(GiB);
    const line = renderProgress(rebuild({ percent: 60, bytesDone: 6 * GiB }), samples, plain);
    expect(line).toContain('1 GiB/s  ETA 4s');
  });

  it('a single sample or bytes going backwards give no rate', () => {
    expect(sampledRate([{ atMs: 0, bytesDone: 5 }])).toBeUndefined();
    expect(sampledRate([])).toBeUndefined();
    expect(
      sampledRate([
        { atMs: 0, bytesDone: 5 },
        { atMs: 1000, bytesDone: 4 },
      ]),
    ).toBeUndefined();
  });

  it('QUEUED shows the queue position, no rate or ETA', () => {
    const line = renderProgress(rebuild({ state: 'REBUILD_STATE_QUEUED', path: 'REBUILD_PATH_UNSPECIFIED', queuePosition: 2 }), [], plain);
    expect(line).toBe('queued  [--------------------]    0%  0 B / 10 GiB  queue position 2\n');
  });

  it('COPYING_SNAPSHOTS names the snapshot being copied, its place in the chain and its clusters', () => {
    const line = renderProgress(
      rebuild({
        state: 'REBUILD_STATE_COPYING_SNAPSHOTS',
        path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
        percent: 25,
        snapshots: [
          { name: 's1', state: 'copied', copiedClusters: 10, totalClusters: 10 },
          { name: 's2', state: 'copying', copiedClusters: 3, totalClusters: 8 },
          { name: 's3', state: 'pending', copiedClusters: 0, totalClusters: 4 },
        ],
      }),
      [],
      plain,
    );
    expect(line).toMatch(/^copying-snapshots {2}snapshot-preserving {2}snapshot s2 2\/3 \(3\/8 clusters\) {2}\[#####-+\] {3}25%/);
  });

  it('shows the throttle with its limit when engaged, nothing when released', () => {
    const engaged = renderProgress(rebuild({ throttle: { engaged: true, limitMbSec: 100, reason: 'DMA memory 91% > 90%' } }), [], plain);
    expect(engaged.trimEnd()).toMatch(/throttled to 100 MB\/s$/);
    expect(renderProgress(rebuild({ throttle: { engaged: false, limitMbSec: 0, reason: 'released' } }), [], plain)).not.toContain('throttled');
  });

  it('0 total bytes: no byte counts, the percent from the service', () => {
    const line = renderProgress(rebuild({ bytesTotal: 0, percent: 50 }), [], plain);
    expect(line).toMatch(/\[##########----------\] {3}50% {2}- \/s/);
    expect(line).not.toContain(' B ');
  });

  it('DONE is a full bar at 100% whatever the percent said, without rate or ETA', () => {
    const line = renderProgress(rebuild({ state: 'REBUILD_STATE_DONE', percent: 99, bytesDone: 10 * GiB }), [], plain);
    expect(line).toBe('done  raid  [####################]  100%  10 GiB / 10 GiB\n');
  });

  it('a percent out of range is clamped', () => {
    expect(renderProgress(rebuild({ percent: 250 }), [], plain)).toContain('[####################]  100%');
  });

  it('on a TTY: \\r, the line, erase to the end; the line always shorter than the width', () => {
    const r = rebuild({
      state: 'REBUILD_STATE_COPYING_SNAPSHOTS',
      path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
      percent: 33,
      bytesDone: 3 * GiB,
      rateBytesPerSec: 123 * MiB,
      etaSec: 4000,
      snapshots: [{ name: 'snapshot-with-a-long-name', state: 'copying', copiedClusters: 1, totalClusters: 2 }],
      throttle: { engaged: true, limitMbSec: 50, reason: 'x' },
    });
    for (let width = 1; width <= 240; width++) {
      const out = renderProgress(r, [], tty(width));
      expect(out.startsWith('\r') && out.endsWith('\x1b[K')).toBe(true);
      expect(visible(out), `width ${width}`).not.toMatch(/[\r\n\x1b]/);
      expect(visible(out).length, `width ${width}`).toBeLessThan(Math.max(2, width));
    }
  });

  it('on a narrow TTY the line keeps state, bar and percent, losing the rest in order; then the bar goes', () => {
    const r = rebuild({
      state: 'REBUILD_STATE_COPYING_SNAPSHOTS',
      path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
      percent: 50,
      bytesDone: 5 * GiB,
      rateBytesPerSec: 100 * MiB,
      etaSec: 51,
      snapshots: [{ name: 's1', state: 'copying', copiedClusters: 1, totalClusters: 2 }],
      throttle: { engaged: true, limitMbSec: 50, reason: 'x' },
    });
    const at = (width: number) => visible(renderProgress(r, [], tty(width)));
    expect(at(200)).toBe('copying-snapshots  snapshot-preserving  snapshot s1 1/1 (1/2 clusters)  [##############--------------]   50%  5 GiB / 10 GiB  100 MiB/s  ETA 51s  throttled to 50 MB/s');
    expect(at(120)).toMatch(/^copying-snapshots {2}snapshot s1 1\/1 \(1\/2 clusters\) {2}\[#+-+\] {3}50% {2}5 GiB \/ 10 GiB {2}100 MiB\/s {2}ETA 51s$/);
    expect(at(60)).toMatch(/^copying-snapshots {2}\[#+-+\] {3}50% {2}ETA 51s$/);
    expect(at(36)).toMatch(/^copying-snapshots {2}\[#+-+\] {3}50%$/);
    expect(at(25)).toBe('copying-snapshots   50%');
    expect(at(12)).toBe('copying-sn…');
  });

  it('a plain line has no control characters, in every state', () => {
    const states = ['QUEUED', 'COPYING_SNAPSHOTS', 'REBUILDING', 'DONE', 'FAILED', 'CANCELLED'] as const;
    for (const state of states) {
      const out = renderProgress(rebuild({ state: `REBUILD_STATE_${state}`, percent: 10, reason: 'why' }), [], plain);
      expect(out.endsWith('\n')).toBe(true);
      expect(out.slice(0, -1)).not.toMatch(/[\x00-\x1f\x7f]/);
    }
  });
});

describe('progressNotes', () => {
  it('says the path and why once, when it is chosen', () => {
    const unchosen = rebuild({ path: 'REBUILD_PATH_UNSPECIFIED' });
    const chosen = rebuild({ path: 'REBUILD_PATH_RAID', pathReason: 'node-b has no snapshot shallow copy' });
    expect(progressNotes(undefined, unchosen)).toEqual([]);
    expect(progressNotes(unchosen, chosen)).toEqual(['path: raid (node-b has no snapshot shallow copy)']);
    expect(progressNotes(chosen, { ...chosen, percent: 50 })).toEqual([]);
  });

  it('says when the throttle engages, changes and is released, with why', () => {
    const free = rebuild();
    const engaged = rebuild({ throttle: { engaged: true, limitMbSec: 100, reason: 'DMA memory 91% > 90%' } });
    const tighter = rebuild({ throttle: { engaged: true, limitMbSec: 50, reason: 'DMA memory 95% > 90%' } });
    const released = rebuild({ throttle: { engaged: false, limitMbSec: 0, reason: 'DMA memory 70% < 80%' } });
    expect(progressNotes(free, engaged)).toEqual(['throttled to 100 MB/s (DMA memory 91% > 90%)']);
    expect(progressNotes(engaged, engaged)).toEqual([]);
    expect(progressNotes(engaged, tighter)).toEqual(['throttled to 50 MB/s (DMA memory 95% > 90%)']);
    expect(progressNotes(tighter, released)).toEqual(['throttle released (DMA memory 70% < 80%)']);
    expect(progressNotes(released, released)).toEqual([]);
    expect(progressNotes(engaged, rebuild({ state: 'REBUILD_STATE_DONE' }))).toEqual([]);
  });
});
