/**
 * A blob: one lvol (or snapshot) of an lvstore. Its cluster map points at clusters of the base
 * bdev (-1: not allocated here, read through the parent); its parent is another blob (a clone of
 * a snapshot), an external bdev (an esnap clone) or nothing.
 */

export type Parent = { readonly kind: 'none' } | { readonly kind: 'blob'; readonly blob: Blob } | { readonly kind: 'esnap'; readonly bdevUuid: string };

export const NO_PARENT: Parent = { kind: 'none' };

/** What a blob's metadata chain holds, as JSON. */
export interface BlobRecord {
  readonly uuid: string;
  readonly name: string;
  readonly seq: number;
  readonly thin: boolean;
  readonly readOnly: boolean;
  readonly numClusters: number;
  /** Parent blob by uuid, or esnap bdev uuid. */
  readonly parent: { readonly blob?: string; readonly esnap?: string } | null;
  /** Allocated clusters as runs: [blob cluster, base cluster, count]. */
  readonly runs: ReadonlyArray<readonly [number, number, number]>;
}

export class Blob {
  clusters: Int32Array;
  allocated = 0;
  parent: Parent = NO_PARENT;
  /** Clones in spdk's list order (a new clone or re-parented child goes to the end). */
  readonly clones: Blob[] = [];
  /**
   * spdk_blob_is_snapshot: set when the blob becomes a snapshot or gets a clone, kept after its
   * clones are gone; after a reload only blobs that have clones are snapshots again.
   */
  snapshotEntry = false;
  /** First metadata page (the blob id) and the whole chain. */
  mdPages: number[] = [];

  constructor(
    readonly uuid: string,
    public name: string,
    readonly seq: number,
    public thin: boolean,
    /** data_ro (and md_ro): snapshots and set_read_only lvols. */
    public readOnly: boolean,
    numClusters: number,
  ) {
    this.clusters = new Int32Array(numClusters).fill(-1);
  }

  get numClusters(): number {
    return this.clusters.length;
  }

  get parentBlob(): Blob | null {
    return this.parent.kind === 'blob' ? this.parent.blob : null;
  }

  /** Changes the size; clusters past the end are returned for freeing. */
  resize(numClusters: number): number[] {
    const freed: number[] = [];
    const next = new Int32Array(numClusters).fill(-1);
    for (let i = 0; i < this.clusters.length; i++) {
      const c = this.clusters[i]!;
      if (c < 0) continue;
      if (i < numClusters) next[i] = c;
      else freed.push(c);
    }
    this.clusters = next;
    this.allocated -= freed.length;
    return freed;
  }

  setCluster(index: number, baseCluster: number): void {
    const old = this.clusters[index]!;
    if (old < 0 && baseCluster >= 0) this.allocated++;
    if (old >= 0 && baseCluster < 0) this.allocated--;
    this.clusters[index] = baseCluster;
  }

  /** Is `other` this blob or one of its ancestors? */
  descendsFrom(other: Blob): boolean {
    for (let b: Blob | null = this; b !== null; b = b.parentBlob) if (b === other) return true;
    return false;
  }

  removeClone(clone: Blob): void {
    const i = this.clones.indexOf(clone);
    if (i >= 0) this.clones.splice(i, 1);
  }

  toRecord(): BlobRecord {
    const runs: Array<[number, number, number]> = [];
    for (let i = 0; i < this.clusters.length; i++) {
      const c = this.clusters[i]!;
      if (c < 0) continue;
      const last = runs[runs.length - 1];
      if (last && last[0] + last[2] === i && last[1] + last[2] === c) last[2]++;
      else runs.push([i, c, 1]);
    }
    const parent = this.parent.kind === 'blob' ? { blob: this.parent.blob.uuid } : this.parent.kind === 'esnap' ? { esnap: this.parent.bdevUuid } : null;
    return { uuid: this.uuid, name: this.name, seq: this.seq, thin: this.thin, readOnly: this.readOnly, numClusters: this.numClusters, parent, runs };
  }

  static fromRecord(rec: BlobRecord): Blob {
    const blob = new Blob(rec.uuid, rec.name, rec.seq, rec.thin, rec.readOnly, rec.numClusters);
    for (const [i, c, n] of rec.runs) for (let k = 0; k < n; k++) blob.setCluster(i + k, c + k);
    return blob;
  }
}
