/**
 * CopyHolds.begin with `wait`: one copy of a snapshot at a time (spdk_tgt ends a second one EBUSY,
 * test/real/shallow-copy-busy.test.ts), the waiter told who copies and how far, bounded by its
 * signal and deadline, and a waiter that gave up takes nothing when the other copy ends.
 */
import { describe, expect, it } from 'vitest';
import { CopyHolds, type CopyHold } from '../../src/domain/backup/copy-holds.js';
import { isConductorError } from '../../src/errors.js';
import type { CopyRecord } from '../../src/domain/node/state-records.js';
import { until } from '../helpers/until.js';

function journal() {
  const copies = new Map<string, CopyRecord>();
  let writes = 0;
  return {
    copies,
    writes: () => writes,
    putCopy: async (dst: string, record: CopyRecord | undefined) => {
      writes++;
      if (record) copies.set(dst, record);
      else copies.delete(dst);
    },
  };
}

describe('a copy waiting for another copy of its snapshot', () => {
  it("is told the other copy's holder and progress, and starts once it ended", async () => {
    const j = journal();
    const holds = new CopyHolds(j);
    const first = await holds.begin('d', 's.a.x', 'backup bk-1', 'bk-s-1');
    first.progress(2, 8);
    const seen: CopyHold[] = [];
    const second = holds.begin('d', 's.a.x', 'rebuild copy of r', 'cp.rn1', { onWait: (h) => seen.push(h) });
    await until('the waiter told of the running copy', () => seen.length > 0);
    expect(seen[0]).toMatchObject({ holder: 'backup bk-1', progress: { copied: 2, total: 8 } });
    first.progress(5, 8);
    expect(seen.at(-1)).toMatchObject({ holder: 'backup bk-1', progress: { copied: 5, total: 8 } });
    // Not recorded while it waits: only the running copy is.
    expect([...j.copies.keys()]).toEqual(['bk-s-1']);
    first.release();
    const ticket = await second;
    expect(holds.of('d', 's.a.x')?.holder).toBe('rebuild copy of r');
    expect([...j.copies.keys()]).toEqual(['cp.rn1']);
    ticket.release();
    await until('the record forgotten', () => j.copies.size === 0);
    expect(holds.of('d', 's.a.x')).toBeUndefined();
  });

  it('is told at least every second while the other copy reports nothing', async () => {
    const holds = new CopyHolds();
    const release = holds.hold('d', 's.a.x', 'left copy');
    let told = 0;
    const stop = new AbortController();
    const waiting = holds.begin('d', 's.a.x', 'stage', 'bk-s-2', { signal: stop.signal, onWait: () => told++ }).catch((e: unknown) => e);
    await until('told again without progress', () => told >= 3, 10_000);
    stop.abort(new Error('gave up'));
    expect(((await waiting) as Error).message).toBe('gave up');
    release();
    expect(holds.of('d', 's.a.x')).toBeUndefined();
  });

  it('gives up at its deadline with COPY_WAIT_TIMEOUT, and takes nothing when the other copy ends later', async () => {
    const j = journal();
    const holds = new CopyHolds(j);
    const release = holds.hold('d', 's.a.x', 'backup bk-3');
    const error = await holds.begin('d', 's.a.x', 'rebuild copy of r', 'cp.rn1', { deadlineMs: 50 }).catch((e: unknown) => e);
    expect(isConductorError(error) && error.code).toBe('COPY_WAIT_TIMEOUT');
    expect((error as Error).message).toMatch(/backup bk-3/);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(holds.of('d', 's.a.x')).toBeUndefined();
    expect(j.writes()).toBe(0);
  });
});
