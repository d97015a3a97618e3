/**
 * bdev_lvol_start_shallow_copy / check_shallow_copy: copies the clusters a read-only lvol holds
 * itself (not its parents') onto any bdev at the same offsets, in the background at about 4 GB/s
 * (the recorded 16 x 4 MiB copies took about 16 ms; sim_shallow_copy_rate sets another). Operation
 * ids count every start that got past the source lookup; an id disappears once its final state has
 * been reported.
 */
import { SimIoError, SimRpcError, type SimBdev } from '../core/contract.js';
import { errno, strerror } from '../core/errno.js';
import { INVALID_PARAMS } from '../core/rpc-request.js';
import type { CoreTarget } from '../core/target.js';
import type { Blob } from './blob.js';
import { readBytes, writeBytes } from './layout.js';
import type { LvStore } from './lvstore.js';

/** Copy rate: the recorded 16 x 4 MiB copies showed 8 clusters after ~8 ms and were done by ~16 ms. */
const BYTES_PER_MS = 4 * 1024 * 1024;

interface Operation {
  readonly id: number;
  readonly lvs: LvStore | null;
  /** The blob copied: blobstore.c holds it open and locked (locked_operation_in_progress) until the copy ends. */
  readonly src: Blob | null;
  readonly dst: SimBdev | null;
  /** Blob cluster index -> base cluster, of the clusters to copy. */
  readonly todo: Array<[number, number]>;
  copied: number;
  total: number;
  readonly startedAt: number;
  state: 'in progress' | 'complete' | 'error';
  error?: string;
  busy: boolean;
}

export class ShallowCopies {
  private last = 0;
  private readonly ops = new Map<number, Operation>();
  /** sim_shallow_copy_rate: a copy rate tests set to watch a copy run; undefined is the recorded rate. */
  private bytesPerMs: number | undefined;
  /** sim_shallow_copy_rate's pause_after: copies wait after this many clusters until it is lifted. */
  private pauseAfter: number | undefined;

  constructor(private readonly target: CoreTarget) {}

  /** Sets the copy rate of every copy (bytes per ms; 0 restores the recorded one), and where copies pause (none: they run to the end). */
  setRate(bytesPerMs: number, pauseAfter?: number): void {
    this.bytesPerMs = bytesPerMs > 0 ? bytesPerMs : undefined;
    this.pauseAfter = pauseAfter;
  }

  /** Takes the next operation id: spdk_tgt counts it even when the start then fails. */
  nextId(): number {
    return ++this.last;
  }

  start(id: number, lvs: LvStore, blob: Blob, dst: SimBdev): void {
    const fail = (code: number) => {
      throw new SimRpcError(INVALID_PARAMS, strerror(code));
    };
    // Opening the destination for writing fails while examine or a claim holds it, and a running
    // copy claims its destination (vbdev_lvol_shallow_copy's spdk_bs_bdev_claim: -32602 EPERM,
    // test/real/shallow-copy-busy.test.ts; the simulator does not list that claim in bdev_get_bdevs).
    if (this.target.bdevs.heldByExamine(dst) || dst.claim !== null || this.writing(dst)) fail(errno.EPERM);
    const todo: Array<[number, number]> = [];
    for (let i = 0; i < blob.numClusters; i++) if (blob.clusters[i]! >= 0) todo.push([i, blob.clusters[i]!]);
    const op: Operation = { id, lvs, src: blob, dst, todo, copied: 0, total: todo.length, state: 'in progress', busy: false, startedAt: performance.now() };
    // The blobstore checks these once the copy runs (transcript 20): the start still answers an
    // operation id, and the check shows the error with the clusters that were to be copied.
    // A writable source is checked first (bs_shallow_copy_blob_open_cpl), then the destination's
    // size, then the blob's lock: a copy of a blob another copy reads ends EBUSY, the running one
    // goes on (test/real/shallow-copy-busy.test.ts).
    const refused = !blob.readOnly ? errno.EPERM : dst.numBlocks * dst.blockSize < blob.numClusters * lvs.clusterSize ? errno.EINVAL : this.copying(blob) ? errno.EBUSY : 0;
    if (refused !== 0) {
      op.state = 'error';
      op.error = strerror(refused);
      op.todo.length = 0;
    }
    this.ops.set(id, op);
  }

  check(id: number): Record<string, unknown> {
    const op = this.ops.get(id);
    if (op === undefined) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
    const out: Record<string, unknown> = { copied_clusters: op.copied, total_clusters: op.total, state: op.state };
    if (op.state === 'error') out['error'] = op.error;
    if (op.state !== 'in progress') this.ops.delete(id);
    return out;
  }

  /** A copy of `blob` still runs (its blob is open and locked by it, blobstore.c bs_shallow_copy_blob_open_cpl). */
  copying(blob: Blob): boolean {
    for (const op of this.ops.values()) if (op.src === blob && op.state === 'in progress') return true;
    return false;
  }

  /** A running copy writes `dst` (it holds the destination claimed until it ends). */
  private writing(dst: SimBdev): boolean {
    for (const op of this.ops.values()) if (op.dst === dst && op.state === 'in progress') return true;
    return false;
  }

  /** The lvstore went away: its copies end in error. */
  abortFor(lvs: LvStore): void {
    for (const op of this.ops.values()) {
      if (op.lvs === lvs && op.state === 'in progress') {
        op.state = 'error';
        op.error = strerror(errno.ENODEV);
      }
    }
  }

  poll(): void {
    for (const op of this.ops.values()) {
      if (op.state !== 'in progress' || op.busy) continue;
      if (op.todo.length === 0) {
        op.state = 'complete';
        continue;
      }
      op.busy = true;
      void this.step(op).finally(() => {
        op.busy = false;
      });
    }
  }

  private async step(op: Operation): Promise<void> {
    const lvs = op.lvs!;
    const cs = lvs.clusterSize;
    // As many clusters as the rate allows by now (at the recorded rate at least one per poll, so
    // tiny clusters still finish; a rate a test set is kept to).
    const due = Math.floor(((performance.now() - op.startedAt) * (this.bytesPerMs ?? BYTES_PER_MS)) / cs);
    const paced = this.bytesPerMs === undefined ? Math.max(1, due - op.copied) : due - op.copied;
    const n = this.pauseAfter === undefined ? paced : Math.min(paced, this.pauseAfter - op.copied);
    try {
      // As blobstore.c does (bs_shallow_copy_cluster_find_next, bs_shallow_copy_bdev_write_cpl):
      // one cluster at a time in ascending order, counted once its write into the destination is done.
      for (const [index, cluster] of op.todo.splice(0, Math.max(0, n))) {
        const data = await readBytes(lvs.base, cluster * cs, cs);
        await writeBytes(op.dst!, index * cs, data);
        op.copied++;
      }
      if (op.todo.length === 0 && op.state === 'in progress') op.state = 'complete';
    } catch (err) {
      op.state = 'error';
      op.error = err instanceof SimIoError ? strerror(err.errno) : String(err);
    }
  }
}
