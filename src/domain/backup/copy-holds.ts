/**
 * Snapshots a shallow copy of this service is reading in spdk_tgt, until spdk_tgt reports the
 * copy's end. On v26.05 a copy holds its source blob open and locked (blobstore.c
 * bs_shallow_copy_blob_open_cpl sets locked_operation_in_progress) and cannot be stopped, and a
 * bdev_lvol_delete of that snapshot then half-deletes it: the bdev and the lvol go, the delete
 * answers -32603 "Device or resource busy", and the blob keeps its clusters until the lvstore's
 * next load, when the snapshot is back (test/real/backup-snapshot-busy.test.ts). So nothing here
 * deletes a held snapshot: a delete waits for `ended` (in the background, see Snapshots.delete).
 */
export interface CopyHold {
  /** Who reads it, for logs and messages ("backup bk-…" or "stage bk-s-…"). */
  readonly holder: string;
  readonly ended: Promise<void>;
}

export class CopyHolds {
  private readonly held = new Map<string, { holder: string; count: number; ended: Promise<void>; end: () => void }>();

  /** Marks `disk`/`lvol` as read by a running copy; the returned release is idempotent. */
  hold(disk: string, lvol: string, holder: string): () => void {
    const key = `${disk}/${lvol}`;
    let entry = this.held.get(key);
    if (!entry) {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      entry = { holder, count: 0, ended, end };
      this.held.set(key, entry);
    }
    entry.count++;
    const mine = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--mine.count > 0) return;
      if (this.held.get(key) === mine) this.held.delete(key);
      mine.end();
    };
  }

  /** The copy reading `disk`/`lvol` now, if any. */
  of(disk: string, lvol: string): CopyHold | undefined {
    const entry = this.held.get(`${disk}/${lvol}`);
    return entry ? { holder: entry.holder, ended: entry.ended } : undefined;
  }
}
