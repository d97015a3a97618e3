/**
 * Operations on the snapshot/clone graph of one lvstore, as the blobstore does them. Each one
 * checks first and changes nothing when it fails (ChainError carries the errno), then changes the
 * in-memory graph at once and returns the blobs whose metadata must be written.
 */
import { randomUUID } from 'node:crypto';
import { errno } from '../core/errno.js';
import { Blob } from './blob.js';
import type { LvStore } from './lvstore.js';

export class ChainError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

/**
 * The most clusters one blob's map may have here (a 64 MiB map; 64 TiB at 4 MiB clusters). spdk
 * reallocs 8 bytes per cluster and fails -ENOMEM when that fails, at a size no recording shows;
 * the simulator fails the same way past this bound so that no size a client gives allocates or
 * loops in proportion to it.
 */
export const MAX_BLOB_CLUSTERS = 2 ** 24;

function clustersFor(lvs: LvStore, bytes: number): number {
  const n = Math.ceil(bytes / lvs.clusterSize);
  if (n > MAX_BLOB_CLUSTERS) throw new ChainError(errno.ENOMEM);
  return n;
}

function reparent(child: Blob, newParent: Blob | null): void {
  child.parentBlob?.removeClone(child);
  if (newParent) {
    child.parent = { kind: 'blob', blob: newParent };
    newParent.clones.push(child);
    newParent.snapshotEntry = true;
  } else {
    child.parent = { kind: 'none' };
  }
}

/** New thin or thick blob. Thick clusters are allocated now; their zeroing is returned. */
export function createBlob(lvs: LvStore, name: string, bytes: number, thin: boolean): { blob: Blob; zero: number[] } {
  const n = clustersFor(lvs, bytes);
  if (!thin && n > lvs.freeClusters) throw new ChainError(errno.ENOSPC);
  if (!lvs.hasMetadataRoom()) throw new ChainError(errno.ENOMEM);
  const blob = new Blob(randomUUID(), name, lvs.nextSeq(), thin, false, n);
  const zero: number[] = [];
  if (!thin) {
    for (let i = 0; i < n; i++) {
      const c = lvs.allocCluster()!;
      blob.setCluster(i, c);
      zero.push(c);
    }
  }
  lvs.add(blob);
  return { blob, zero };
}

/**
 * The snapshot takes the origin's clusters, thin flag and parent; the origin becomes an empty
 * thin clone of it. In the old parent's clone list the snapshot replaces the origin at the end.
 */
export function snapshot(lvs: LvStore, origin: Blob, name: string): Blob {
  if (origin.readOnly) throw new ChainError(errno.EINVAL);
  if (lvs.findByName(name)) throw new ChainError(errno.EEXIST);
  if (!lvs.hasMetadataRoom()) throw new ChainError(errno.ENOMEM);
  const snap = new Blob(randomUUID(), name, lvs.nextSeq(), origin.thin, true, origin.numClusters);
  snap.clusters = origin.clusters;
  snap.allocated = origin.allocated;
  origin.clusters = new Int32Array(origin.numClusters).fill(-1);
  origin.allocated = 0;
  origin.thin = true;
  const oldParent = origin.parent;
  if (oldParent.kind === 'blob') {
    oldParent.blob.removeClone(origin);
    oldParent.blob.clones.push(snap);
    snap.parent = oldParent;
  } else {
    snap.parent = oldParent;
  }
  origin.parent = { kind: 'blob', blob: snap };
  snap.clones.push(origin);
  snap.snapshotEntry = true;
  lvs.add(snap);
  return snap;
}

export function clone(lvs: LvStore, source: Blob, name: string): Blob {
  if (!source.readOnly) throw new ChainError(errno.EINVAL);
  if (lvs.findByName(name)) throw new ChainError(errno.EEXIST);
  if (!lvs.hasMetadataRoom()) throw new ChainError(errno.ENOMEM);
  const c = new Blob(randomUUID(), name, lvs.nextSeq(), true, false, source.numClusters);
  reparent(c, source);
  lvs.add(c);
  return c;
}

/** An esnap clone of an external bdev of `bytes` (bdev_lvol_clone_bdev). */
export function esnapClone(lvs: LvStore, bdevUuid: string, bytes: number, name: string): Blob {
  if (lvs.findByName(name)) throw new ChainError(errno.EEXIST);
  if (!lvs.hasMetadataRoom()) throw new ChainError(errno.ENOMEM);
  const c = new Blob(randomUUID(), name, lvs.nextSeq(), true, false, clustersFor(lvs, bytes));
  c.parent = { kind: 'esnap', bdevUuid };
  lvs.add(c);
  return c;
}

/**
 * Deletes a blob. A snapshot with one clone merges into it: the clone takes every cluster it has
 * not written itself and the snapshot's place under the grandparent. Two or more clones: EPERM.
 * Returns the blobs to rewrite.
 */
export function remove(lvs: LvStore, blob: Blob): Blob[] {
  if (blob.clones.length > 1) throw new ChainError(errno.EPERM);
  const changed: Blob[] = [];
  const only = blob.clones[0];
  if (only !== undefined) {
    for (let i = 0; i < Math.min(blob.numClusters, only.numClusters); i++) {
      const c = blob.clusters[i]!;
      if (c >= 0 && only.clusters[i]! < 0) {
        only.setCluster(i, c);
        blob.setCluster(i, -1);
      }
    }
    blob.removeClone(only);
    if (blob.parent.kind === 'blob') reparent(only, blob.parent.blob);
    else only.parent = blob.parent;
    changed.push(only);
  }
  blob.parentBlob?.removeClone(blob);
  return changed;
}

/** Blob-cluster indexes inflate or decouple must fill, with what they read now. */
function fillPlan(blob: Blob, all: boolean): number[] {
  const parent = blob.parentBlob;
  const out: number[] = [];
  for (let i = 0; i < blob.numClusters; i++) {
    if (blob.clusters[i]! >= 0) continue;
    if (all || (parent !== null && i < parent.numClusters && parent.clusters[i]! >= 0)) out.push(i);
  }
  return out;
}

/**
 * Inflate: every cluster becomes the blob's own (thick, no parent). Decouple: only the clusters
 * the parent itself holds are copied and the blob moves under the grandparent.
 * Returns [blob cluster, new base cluster] pairs whose data must be copied before the graph changes.
 */
export function planCopy(lvs: LvStore, blob: Blob, mode: 'inflate' | 'decouple'): Array<[number, number]> {
  if (mode === 'decouple' && blob.parent.kind === 'none') throw new ChainError(errno.EINVAL);
  const plan = fillPlan(blob, mode === 'inflate' || blob.parent.kind === 'esnap');
  if (plan.length > lvs.freeClusters) throw new ChainError(errno.ENOSPC);
  return plan.map((i) => [i, lvs.allocCluster()!]);
}

export function finishCopy(blob: Blob, pairs: Array<[number, number]>, mode: 'inflate' | 'decouple'): void {
  for (const [i, c] of pairs) blob.setCluster(i, c);
  if (mode === 'inflate' || blob.parent.kind === 'esnap') {
    reparent(blob, null);
    if (mode === 'inflate') blob.thin = false;
    return;
  }
  const parent = blob.parentBlob!;
  const grand = parent.parent;
  if (grand.kind === 'blob') reparent(blob, grand.blob);
  else {
    parent.removeClone(blob);
    blob.parent = grand;
  }
}

/** Resize; thick blobs get (or give back) clusters. Returns clusters to zero. */
export function resize(lvs: LvStore, blob: Blob, bytes: number, opened: boolean): number[] {
  if (blob.readOnly) throw new ChainError(errno.EPERM);
  const n = clustersFor(lvs, bytes);
  if (n < blob.numClusters && opened) throw new ChainError(errno.EBUSY);
  const grow = n - blob.numClusters;
  if (!blob.thin && grow > lvs.freeClusters) throw new ChainError(errno.ENOSPC);
  const old = blob.numClusters;
  for (const c of blob.resize(n)) lvs.freeCluster(c);
  const zero: number[] = [];
  if (!blob.thin) {
    for (let i = old; i < n; i++) {
      const c = lvs.allocCluster()!;
      blob.setCluster(i, c);
      zero.push(c);
    }
  }
  return zero;
}

/** bdev_lvol_set_parent: a thin lvol gets a snapshot of the same lvstore as its parent. */
export function setParent(blob: Blob, parent: Blob): void {
  if (!parent.readOnly || !blob.thin || parent.descendsFrom(blob) || blob === parent) throw new ChainError(errno.EINVAL);
  if (blob.parentBlob === parent) return;
  reparent(blob, parent);
}

/** bdev_lvol_set_parent_bdev: a thin lvol gets an external bdev as its parent. */
export function setParentBdev(lvs: LvStore, blob: Blob, bdevUuid: string, bdevBytes: number): void {
  if (!blob.thin || bdevBytes % lvs.clusterSize !== 0) throw new ChainError(errno.EINVAL);
  blob.parentBlob?.removeClone(blob);
  blob.parent = { kind: 'esnap', bdevUuid };
}
