/**
 * adoptLeftCopies (domain/backup/left-copies.ts) over a scripted spdk_tgt: which recorded copies
 * count as running, by operation id or (without one) by the destination's claim; a running one
 * holds its snapshot until its check says it ended, then its record goes and onEnded runs; after a
 * lost connection an id is not asked again (a restarted spdk_tgt reuses ids): a stage's copy is
 * judged by whether its staging bdev still exists, and its final answer is never consumed blindly.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CopyHolds } from '../../src/domain/backup/copy-holds.js';
import { adoptLeftCopies } from '../../src/domain/backup/left-copies.js';
import type { CopyRecord } from '../../src/domain/node/state-records.js';
import { until } from '../helpers/until.js';

class Gone extends Error {}

function rig(records: Record<string, CopyRecord>) {
  const copies = new Map(Object.entries(records));
  const ops = new Map<number, string>();
  const bdevs = new Map<string, boolean>();
  const checked: number[] = [];
  const listeners = new Set<(event: 'open' | 'lost') => void>();
  const holds = new CopyHolds();
  const ctx = {
    spdk: {
      lvol: {
        checkShallowCopy: async (op: number) => {
          checked.push(op);
          const state = ops.get(op);
          if (state === undefined) throw new Gone('-19');
          if (state !== 'in progress') ops.delete(op);
          return { state, copied_clusters: 0, total_clusters: 1 };
        },
      },
      bdev: {
        getBdevs: async ({ name }: { name: string }) => {
          if (!bdevs.has(name)) throw new Gone('-19');
          return [{ name, claimed: bdevs.get(name) }];
        },
      },
    },
    client: {
      verdictOf: (error: unknown) => (error instanceof Gone ? 'gone' : undefined),
      onConnection: (listener: (event: 'open' | 'lost') => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    state: {
      copies: () => [...copies.entries()],
      putCopy: async (dst: string, record: CopyRecord | undefined) => {
        if (record) copies.set(dst, record);
        else copies.delete(dst);
      },
    },
    copyHolds: holds,
    log: pino({ level: 'silent' }),
  };
  return {
    ctx: ctx as unknown as Parameters<typeof adoptLeftCopies>[0],
    copies,
    ops,
    bdevs,
    checked,
    holds,
    lose: () => {
      for (const listener of listeners) listener('lost');
    },
  };
}

const record = (lvol: string, dst: string, operation?: number): CopyRecord => ({
  disk: 'd',
  lvol,
  holder: `backup of ${lvol}`,
  dst,
  startedAtMs: 1,
  ...(operation === undefined ? {} : { operation }),
});

describe('copies a killed process left running', () => {
  it('holds the snapshots of running copies until they end; forgets ended ones', async () => {
    const r = rig({
      'bk-s-0000000000000001': record('s.a.x', 'bk-s-0000000000000001', 3),
      'bk-s-0000000000000002': record('s.b.x', 'bk-s-0000000000000002', 4),
      'cp.r1n1': record('s.c.x', 'cp.r1n1'),
      'bk-s-0000000000000003': record('s.e.x', 'bk-s-0000000000000003'),
    });
    r.ops.set(3, 'in progress');
    r.bdevs.set('cp.r1n1', true); // no id: its destination is still claimed by a copy
    r.bdevs.set('bk-s-0000000000000003', false); // no id, unclaimed: ended (or never started)
    const stop = new AbortController();
    let ended = 0;
    const report = await adoptLeftCopies(r.ctx, stop.signal, () => ended++);
    expect(report).toEqual({ running: ['d/s.a.x (operation 3)', 'd/s.c.x (operation unknown)'], ended: 2 });
    expect([...r.copies.keys()].sort()).toEqual(['bk-s-0000000000000001', 'cp.r1n1']);
    const held = r.holds.of('d', 's.a.x');
    expect(held?.holder).toMatch(/backup of s\.a\.x \(a copy the previous process left running in spdk_tgt, operation 3\)/);
    expect(r.holds.of('d', 's.b.x')).toBeUndefined();

    // Again (recovery retried): nothing is asked twice or held twice.
    const asked = r.checked.length;
    expect((await adoptLeftCopies(r.ctx, stop.signal, () => ended++)).running).toHaveLength(2);
    expect(r.checked.length).toBe(asked);

    r.ops.set(3, 'complete');
    await held!.ended;
    await until('its record forgotten', () => !r.copies.has('bk-s-0000000000000001'));
    expect(ended).toBe(1);
    expect(r.holds.adopted.has('bk-s-0000000000000001')).toBe(false);

    r.bdevs.set('cp.r1n1', false);
    await r.holds.of('d', 's.c.x')!.ended;
    await until('the claimed one forgotten once unclaimed', () => r.copies.size === 0);
    stop.abort();
  });

  it('after a lost connection a staging copy is asked by id only while its staging bdev exists', async () => {
    const r = rig({ 'bk-s-00000000000000aa': record('s.a.x', 'bk-s-00000000000000aa', 7), 'cp.r2n1': record('s.r.x', 'cp.r2n1', 8) });
    r.ops.set(7, 'in progress');
    r.ops.set(8, 'in progress');
    r.bdevs.set('bk-s-00000000000000aa', true);
    const stop = new AbortController();
    await adoptLeftCopies(r.ctx, stop.signal, () => undefined);
    r.lose();
    // A restarted spdk_tgt: no staging bdev, and ids 7 and 8 now another process's copies.
    r.bdevs.clear();
    await Promise.all([r.holds.of('d', 's.a.x')!.ended, r.holds.of('d', 's.r.x')!.ended]);
    await until('both records forgotten', () => r.copies.size === 0);
    // Their ids were not asked after the loss (their answers belong to the new copies).
    expect(r.ops.get(7)).toBe('in progress');
    expect(r.ops.get(8)).toBe('in progress');
    stop.abort();
  });

  it('a stage waits for another copy of its snapshot and takes the hold before a delete waiting for that copy looks', async () => {
    const holds = new CopyHolds();
    const other = holds.hold('d', 's.a.x', 'left copy');
    // A delete deferred on the first copy's end (registered first, as at recovery) looks a turn
    // after it: by then the stage holds the snapshot, so the delete waits for the stage's copy too.
    const seen = holds.of('d', 's.a.x')!.ended.then(() => Promise.resolve().then(() => holds.of('d', 's.a.x')?.holder));
    const waits: string[] = [];
    const ticket = holds.begin('d', 's.a.x', 'stage', 'bk-s-00000000000000bb', { onWait: (h) => waits.push(h.holder) });
    other();
    expect(await seen).toBe('stage');
    (await ticket).release();
    expect(waits).toEqual(['left copy']);
    expect(holds.of('d', 's.a.x')).toBeUndefined();
  });
});
