/**
 * Shallow copies a previous process of this service started and did not see end (the state file's
 * `copies`, written by CopyHolds.begin): spdk_tgt keeps copying after a kill -9 of the service,
 * and a recorded snapshot delete (`deletePending`, a `replica-delete` intent) finished under such
 * a copy would half-delete the snapshot on v26.05 (copy-holds.ts). So the start asks spdk_tgt
 * about each recorded copy before it finishes any delete, and holds the snapshot of each copy still
 * running until spdk_tgt reports its end; the deletes waiting for it then go as during a backup.
 *
 * How a copy is known to run: `bdev_lvol_check_shallow_copy` of its operation id (vbdev_lvol_rpc.c
 * v26.05: "in progress" while copied < total and no error; "complete" or "error" reported once,
 * then the id is unknown, -19 ENODEV, as is an id a restarted spdk_tgt never gave). Ids count from
 * 1 in each spdk_tgt process, so an id is asked only while it cannot name another process's copy:
 * at start, before this process starts any copy, and later only while the connection has not
 * been lost since (a reconnect may reach a restarted spdk_tgt whose own copies reuse the ids, and
 * a check of a finished copy consumes its one final answer). After a loss, a backup stage's copy
 * is asked about again only while its staging bdev (a name no process makes twice, never made
 * again by a restarted spdk_tgt) still exists: gone, the spdk_tgt that ran the copy is gone too.
 * A rebuild's copy (its controller detached by recoverCopies at start, which fails the copy) is
 * taken as ended after a loss. A record without an operation id (a crash between the start's
 * answer and its record) is judged by its destination: a bdev spdk_tgt's copy writes stays
 * claimed until the copy ends (vbdev_lvol_shallow_copy claims it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { CopyRecord } from '../node/state-records.js';
import { isStagingName } from './staging-area.js';

/** How often a copy a previous process left is asked about: calmly, it may run for minutes. */
const POLL_MS = 500;

type LeftCopiesContext = Pick<DomainContext, 'spdk' | 'client' | 'state' | 'copyHolds' | 'log'>;

export interface LeftCopiesReport {
  /** Copies still running: their snapshots are held until they end ("disk/lvol (operation N)"). */
  running: string[];
  /** Records of copies that had ended, forgotten. */
  ended: number;
}

/**
 * Asks spdk_tgt about every recorded copy: ended ones are forgotten, running ones hold their
 * snapshot until a background watch (stopped by `signal`) sees them end, then `onEnded` runs (the
 * staging sweep). Safe to repeat (recovery retries): a copy already watched is skipped.
 */
export async function adoptLeftCopies(ctx: LeftCopiesContext, signal: AbortSignal, onEnded: () => unknown, options?: CallOptions): Promise<LeftCopiesReport> {
  const report: LeftCopiesReport = { running: [], ended: 0 };
  for (const [dst, record] of ctx.state.copies()) {
    if (ctx.copyHolds.adopted.has(dst)) {
      report.running.push(describe(record));
      continue;
    }
    if (!(await running(ctx, record, false, options))) {
      await ctx.state.putCopy(dst, undefined);
      report.ended++;
      continue;
    }
    const holder = `${record.holder} (a copy the previous process left running in spdk_tgt, operation ${record.operation ?? 'unknown'})`;
    const { release } = ctx.copyHolds.take(record.disk, record.lvol, holder);
    ctx.copyHolds.adopted.add(dst);
    report.running.push(describe(record));
    ctx.log.info(
      { dst, disk: record.disk, snapshot: record.lvol, operation: record.operation, holder: record.holder },
      'a shallow copy the previous process started still runs in spdk_tgt: its snapshot is held until it ends',
    );
    void watch(ctx, dst, record, signal).then(
      async (ended) => {
        if (!ended) return; // the service is closing: the record stays for the next start
        release();
        ctx.copyHolds.adopted.delete(dst);
        await ctx.state.putCopy(dst, undefined);
        ctx.log.info({ dst, snapshot: record.lvol, operation: record.operation }, 'a copy the previous process left running ended: what waited for it goes on');
        onEnded();
      },
      (error: unknown) => ctx.log.error({ dst, err: (error as Error).message }, 'watching a copy the previous process left failed; its snapshot stays held until the next start'),
    );
  }
  return report;
}

/** Polls until the copy ended (true) or `signal` (false). */
async function watch(ctx: LeftCopiesContext, dst: string, record: CopyRecord, signal: AbortSignal): Promise<boolean> {
  let lost = false;
  const off = ctx.client.onConnection((event) => {
    if (event === 'lost') lost = true;
  });
  try {
    for (;;) {
      try {
        await sleep(POLL_MS, undefined, { signal });
      } catch {
        return false;
      }
      try {
        if (!(await running(ctx, record, lost))) return true;
      } catch (error) {
        // spdk_tgt unreachable: asked again (a restarted one answers for the destination).
        ctx.log.debug({ dst, err: (error as Error).message }, 'could not ask spdk_tgt about a copy the previous process left');
      }
    }
  } finally {
    off();
  }
}

/** Whether spdk_tgt still runs the recorded copy (see the file's comment for how it is told). */
async function running(ctx: LeftCopiesContext, record: CopyRecord, lost: boolean, options?: CallOptions): Promise<boolean> {
  const staging = isStagingName(record.dst);
  if (record.operation === undefined || (lost && staging)) {
    const [bdev] = await ctx.spdk.bdev.getBdevs({ name: record.dst }, options).catch((error: unknown) => {
      if (ctx.client.verdictOf(error) === 'gone') return [];
      throw error;
    });
    if (!bdev) return false;
    if (record.operation === undefined) return bdev.claimed;
  } else if (lost) {
    return false;
  }
  try {
    return (await ctx.spdk.lvol.checkShallowCopy(record.operation, options)).state === 'in progress';
  } catch (error) {
    if (ctx.client.verdictOf(error) === 'gone') return false;
    throw error;
  }
}

function describe(record: CopyRecord): string {
  return `${record.disk}/${record.lvol} (operation ${record.operation ?? 'unknown'})`;
}
