/**
 * Snapshots a shallow copy of this service is reading in spdk_tgt, until spdk_tgt reports the
 * copy's end. On v26.05 a copy holds its source blob open and locked (blobstore.c
 * bs_shallow_copy_blob_open_cpl sets locked_operation_in_progress) and cannot be stopped, and a
 * bdev_lvol_delete of that snapshot then half-deletes it: the bdev and the lvol go, the delete
 * answers -32603 "Device or resource busy", and the blob keeps its clusters until the lvstore's
 * next load, when the snapshot is back (test/real/backup-snapshot-busy.test.ts). So nothing here
 * deletes a held snapshot: a delete waits for `ended` (in the background, see Snapshots.delete).
 *
 * A copy outlives the process that started it (spdk_tgt keeps copying after a kill -9 of the
 * service), so `begin` also records it in the state file (`copies`, by destination bdev) before
 * the start call, with spdk_tgt's operation id once answered, and forgets it at its end: the next
 * start asks spdk_tgt about each recorded copy and holds the snapshots of those still running
 * (left-copies.ts) before it finishes any recorded delete.
 */
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { CopyRecord } from '../node/state-records.js';

/** How often a copy waiting for another copy of its snapshot is told about that one, changed or not (a peer's heartbeat). */
const WAIT_REPORT_MS = 1_000;

/** How a copy of a snapshot another copy reads waits for that one (CopyHolds.begin). */
export interface CopyWait {
  /** Gives up waiting (rejects with its reason). */
  signal?: AbortSignal;
  /** Gives up waiting after this long: COPY_WAIT_TIMEOUT. */
  deadlineMs?: number;
  /** The copy waited for, when the wait starts, on each progress it reports, and at least every second. */
  onWait?: (hold: CopyHold) => void;
}

export interface CopyHold {
  /** Who reads it, for logs and messages ("backup bk-…" or "stage bk-s-…"). */
  readonly holder: string;
  /**
   * Settles a turn of the event loop after the copy's end, once the copies that waited for that end
   * (`begin` of the same snapshot) have taken their holds: a delete waiting on it then finds them
   * and waits again, however its lock is taken (at once on a free object).
   */
  readonly ended: Promise<void>;
  /** How far the copy got, as spdk_tgt last said (clusters), when known. */
  readonly progress?: { copied: number; total: number };
}

/** Where copies are recorded (the state file's `copies`). */
export interface CopyJournal {
  putCopy(dst: string, record: CopyRecord | undefined): Promise<void>;
}

/** A copy begun with `begin`: tell it the operation id spdk_tgt answered, its progress, and its end. */
export interface CopyTicket {
  /** Records spdk_tgt's operation id (a failed write is logged: the record without it still guards the snapshot). */
  started(operation: number): Promise<void>;
  progress(copied: number, total: number): void;
  /** The copy ended (spdk_tgt said so): the hold and the record go. Idempotent. */
  release(): void;
}

interface Entry {
  holder: string;
  count: number;
  /** The copy's end, for the copies waiting to take the snapshot next (takeWhenFree). */
  freed: Promise<void>;
  /** `freed` and a turn of the loop after it: for deletes (CopyHold.ended). */
  ended: Promise<void>;
  end: () => void;
  progress?: { copied: number; total: number };
  /** Copies waiting for this one's end, told of its progress. */
  watchers: Set<() => void>;
}

export class CopyHolds {
  private readonly held = new Map<string, Entry>();
  /** Destinations of copies a previous process left running, held by left-copies.ts. */
  readonly adopted = new Set<string>();

  constructor(
    private readonly journal?: CopyJournal,
    private readonly log?: Logger,
  ) {}

  /** Marks `disk`/`lvol` as read by a running copy; the returned release is idempotent. */
  hold(disk: string, lvol: string, holder: string): () => void {
    return this.take(disk, lvol, holder).release;
  }

  /**
   * Holds `disk`/`lvol` for a copy into `dst` about to start and records it (on disk before this
   * resolves, so a copy started afterwards is known to the next start). A failed write releases
   * the hold and throws: the copy must not start unrecorded. With `wait`, first waits until no
   * other copy reads it (takeWhenFree).
   */
  async begin(disk: string, lvol: string, holder: string, dst: string, wait?: CopyWait): Promise<CopyTicket> {
    const taken = wait ? await this.takeWhenFree(disk, lvol, holder, wait) : this.take(disk, lvol, holder);
    const record: CopyRecord = { disk, lvol, holder, dst, startedAtMs: Date.now() };
    try {
      await this.journal?.putCopy(dst, record);
    } catch (error) {
      taken.release();
      throw error;
    }
    let released = false;
    return {
      started: async (operation) => {
        if (released) return;
        await this.journal?.putCopy(dst, { ...record, operation }).catch((error: unknown) => {
          this.log?.warn({ dst, operation, err: (error as Error).message }, "a copy's operation id was not recorded; the next start goes by its destination's claim");
        });
      },
      progress: (copied, total) => {
        taken.entry.progress = { copied, total };
        for (const watcher of taken.entry.watchers) watcher();
      },
      release: () => {
        if (released) return;
        released = true;
        taken.release();
        // Settles (never throws): a record left behind is found ended at the next start.
        void this.journal?.putCopy(dst, undefined);
      },
    };
  }

  /** The copy reading `disk`/`lvol` now, if any. */
  of(disk: string, lvol: string): CopyHold | undefined {
    const entry = this.held.get(`${disk}/${lvol}`);
    return entry ? { holder: entry.holder, ended: entry.ended, ...(entry.progress ? { progress: { ...entry.progress } } : {}) } : undefined;
  }

  /**
   * Holds `disk`/`lvol` once no other copy reads it: v26.05 refuses a second copy of a snapshot a
   * copy reads (the blob is locked: its check answers "error", EBUSY; seen by
   * test/real/backup-service-kill.test.ts for a stage resumed beside a copy a killed process left
   * running; the answers: test/real/shallow-copy-busy.test.ts). The hold is taken in the same turn
   * the other one ends, before a delete that waited for that end can look (it then waits for this
   * copy too). Rejects with the signal's reason, or COPY_WAIT_TIMEOUT past `deadlineMs`.
   */
  private async takeWhenFree(disk: string, lvol: string, holder: string, wait: CopyWait): Promise<{ entry: Entry; release: () => void }> {
    const { signal, onWait } = wait;
    const deadline = wait.deadlineMs === undefined ? undefined : Date.now() + wait.deadlineMs;
    for (;;) {
      const held = this.held.get(`${disk}/${lvol}`);
      if (!held) return this.take(disk, lvol, holder);
      signal?.throwIfAborted();
      // Called from the other copy's progress report too: a waiter's failure must not become that copy's.
      const tell = () => {
        const hold = this.of(disk, lvol);
        try {
          if (hold && onWait) onWait(hold);
        } catch (error) {
          this.log?.warn({ lvol, holder, err: (error as Error).message }, 'a copy waiting for another copy of its snapshot failed to take its progress');
        }
      };
      tell();
      const taken = await new Promise<{ entry: Entry; release: () => void } | undefined>((resolve, reject) => {
        const ticker = setInterval(tell, WAIT_REPORT_MS);
        const timer =
          deadline === undefined
            ? undefined
            : setTimeout(
                () =>
                  finish(() =>
                    reject(new ConductorError('COPY_WAIT_TIMEOUT', `a copy of ${lvol} by ${holder} waited ${wait.deadlineMs} ms for ${held.holder}'s copy of it to end`, { holder: held.holder })),
                  ),
                Math.max(0, deadline - Date.now()),
              );
        let settled = false;
        const finish = (then: () => void) => {
          if (settled) return;
          settled = true;
          clearInterval(ticker);
          clearTimeout(timer);
          held.watchers.delete(tell);
          signal?.removeEventListener('abort', abort);
          then();
        };
        const abort = () => finish(() => reject(signal?.reason));
        signal?.addEventListener('abort', abort, { once: true });
        held.watchers.add(tell);
        void held.freed.then(() => finish(() => resolve(this.of(disk, lvol) ? undefined : this.take(disk, lvol, holder))));
      });
      if (taken) return taken;
    }
  }

  /** Holds `disk`/`lvol` in memory only (a copy already recorded: left-copies.ts). */
  take(disk: string, lvol: string, holder: string): { entry: Entry; release: () => void } {
    const key = `${disk}/${lvol}`;
    let entry = this.held.get(key);
    if (!entry) {
      let end!: () => void;
      const freed = new Promise<void>((resolve) => (end = resolve));
      const ended = freed.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
      entry = { holder, count: 0, freed, ended, end, watchers: new Set() };
      this.held.set(key, entry);
    }
    entry.count++;
    const mine = entry;
    let released = false;
    return {
      entry: mine,
      release: () => {
        if (released) return;
        released = true;
        if (--mine.count > 0) return;
        if (this.held.get(key) === mine) this.held.delete(key);
        mine.end();
      },
    };
  }
}
