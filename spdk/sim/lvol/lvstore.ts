/**
 * An lvstore on a base bdev: cluster allocation, blob metadata kept in the base bdev's metadata
 * region (so it survives the bdev being deleted and re-created on the same file), and blob I/O
 * through the parent chain with copy-on-write allocation of thin clusters.
 */
import { randomUUID } from 'node:crypto';
import { SimIoError, type SimBdev } from '../core/contract.js';
import { errno } from '../core/errno.js';
import { Blob, type BlobRecord } from './blob.js';
import { decodePage, decodeSuper, encodePage, encodeSuper, geometry, MD_PAGE, MD_REGION_START, PAGE_PAYLOAD, readBytes, recordPages, writeBytes, type SuperRecord } from './layout.js';

/** Raised synchronously when the metadata region has no page left for a blob. */
export class MetadataFull extends Error {}

export class LvStore {
  /** Blobs in creation order. */
  readonly blobs = new Map<string, Blob>();
  /** By name: creating the 5000th lvol must not scan the other 4999. */
  private readonly byName = new Map<string, Blob>();
  private readonly used: Uint8Array;
  /** Clusters that may hold old data: zero-filled before a thick allocation hands them out. */
  private readonly dirty: Uint8Array;
  /** A cluster of zeros, made on the first inflate, to tell a hole read through. */
  private zeros: Buffer | undefined;
  private readonly mdUsed: Uint8Array;
  freeClusters: number;
  private mdChain: Promise<void> = Promise.resolve();
  private readonly filling = new Map<number, Promise<void>>();
  /** No free cluster / metadata page below these: allocation never rescans the used prefix. */
  private clusterHint = 0;
  private mdHint = 0;

  private constructor(
    readonly base: SimBdev,
    readonly sb: SuperRecord,
    /** Finds an esnap parent bdev by uuid (null: missing, the clone is degraded). */
    private readonly esnapOf: (uuid: string) => SimBdev | null,
  ) {
    this.used = new Uint8Array(sb.totalClusters);
    this.dirty = new Uint8Array(sb.totalClusters);
    this.mdUsed = new Uint8Array(sb.mdPages);
    for (let c = 0; c < sb.reservedClusters; c++) this.used[c] = 1;
    this.freeClusters = sb.totalClusters - sb.reservedClusters;
  }

  get uuid(): string {
    return this.sb.uuid;
  }

  get name(): string {
    return this.sb.name;
  }

  get clusterSize(): number {
    return this.sb.clusterSize;
  }

  get totalDataClusters(): number {
    return this.sb.totalClusters - this.sb.reservedClusters;
  }

  get maxGrowableSize(): number {
    return geometry(this.sb.totalClusters * this.sb.clusterSize, this.sb.clusterSize).maxGrowableBytes;
  }

  static async create(base: SimBdev, name: string, clusterSize: number, esnapOf: (uuid: string) => SimBdev | null): Promise<LvStore> {
    const geo = geometry(base.numBlocks * base.blockSize, clusterSize);
    const sb: SuperRecord = {
      version: 1,
      uuid: randomUUID(),
      name,
      clusterSize,
      ioUnit: base.blockSize,
      totalClusters: geo.totalClusters,
      reservedClusters: geo.reservedClusters,
      mdPages: geo.mdPages,
      nextSeq: 1,
    };
    const lvs = new LvStore(base, sb, esnapOf);
    // Old blob pages of an earlier lvstore on this device must not come back at the next load.
    await writeBytes(base, MD_REGION_START * MD_PAGE, Buffer.alloc(geo.mdPages * MD_PAGE));
    await lvs.persistSuper();
    return lvs;
  }

  /** Examine: the lvstore on `base`, if its first page holds one. */
  static async load(base: SimBdev, esnapOf: (uuid: string) => SimBdev | null): Promise<LvStore | null> {
    if (base.numBlocks * base.blockSize < MD_PAGE) return null;
    const sb = decodeSuper(await readBytes(base, 0, MD_PAGE));
    if (sb === null) return null;
    const lvs = new LvStore(base, sb, esnapOf);
    const region = await readBytes(base, MD_REGION_START * MD_PAGE, sb.mdPages * MD_PAGE);
    const chains = new Map<number, Array<{ index: number; page: number; payload: Buffer }>>();
    for (const p of recordPages(region)) {
      const rec = decodePage(region.subarray(p * MD_PAGE, (p + 1) * MD_PAGE));
      if (rec === null) continue;
      const list = chains.get(rec.firstPage) ?? [];
      list.push({ index: rec.index, page: p, payload: Buffer.from(rec.payload) });
      chains.set(rec.firstPage, list);
    }
    const records: Array<{ rec: BlobRecord; pages: number[] }> = [];
    for (const list of chains.values()) {
      list.sort((a, b) => a.index - b.index);
      try {
        const rec = JSON.parse(Buffer.concat(list.map((l) => l.payload)).toString('utf8')) as BlobRecord;
        records.push({ rec, pages: list.map((l) => l.page) });
      } catch {
        // A torn chain: the blob was being rewritten when the device went away.
      }
    }
    records.sort((a, b) => a.rec.seq - b.rec.seq);
    for (const { rec, pages } of records) {
      const blob = Blob.fromRecord(rec);
      blob.mdPages = pages;
      for (const p of pages) lvs.mdUsed[p] = 1;
      for (const c of blob.clusters) if (c >= 0) lvs.markUsed(c);
      lvs.add(blob);
    }
    for (const { rec } of records) {
      const blob = lvs.blobs.get(rec.uuid)!;
      if (rec.parent?.blob !== undefined) {
        const parent = lvs.blobs.get(rec.parent.blob);
        if (parent) {
          blob.parent = { kind: 'blob', blob: parent };
          parent.clones.push(blob);
        }
      } else if (rec.parent?.esnap !== undefined) {
        blob.parent = { kind: 'esnap', bdevUuid: rec.parent.esnap };
      }
    }
    for (const blob of lvs.blobs.values()) blob.snapshotEntry = blob.clones.length > 0;
    for (let c = sb.reservedClusters; c < sb.totalClusters; c++) if (!lvs.used[c]) lvs.dirty[c] = 1;
    return lvs;
  }

  private markUsed(c: number): void {
    if (!this.used[c]) {
      this.used[c] = 1;
      this.freeClusters--;
    }
  }

  nextSeq(): number {
    return this.sb.nextSeq++;
  }

  findByName(name: string): Blob | undefined {
    return this.byName.get(name);
  }

  add(blob: Blob): void {
    this.blobs.set(blob.uuid, blob);
    this.byName.set(blob.name, blob);
  }

  /**
   * The lvol of a blob is forgotten but the blob stays (lvol.c lvol_delete_blob_cb's "forced
   * removal" after spdk_bs_delete_blob refused): no longer listed or found by name, its clusters
   * still used and its metadata still on the base, so it is back after a reload.
   */
  forgetLvolOnly(blob: Blob): void {
    this.blobs.delete(blob.uuid);
    if (this.byName.get(blob.name) === blob) this.byName.delete(blob.name);
  }

  rename(blob: Blob, name: string): void {
    if (this.byName.get(blob.name) === blob) this.byName.delete(blob.name);
    blob.name = name;
    this.byName.set(name, blob);
  }

  /** Lowest free cluster, as the blobstore's bit array hands them out. */
  allocCluster(): number | null {
    if (this.freeClusters === 0) return null;
    const c = this.used.indexOf(0, Math.max(this.clusterHint, this.sb.reservedClusters));
    if (c < 0) return null;
    this.markUsed(c);
    this.clusterHint = c + 1;
    return c;
  }

  freeCluster(c: number): void {
    if (this.used[c]) {
      this.used[c] = 0;
      this.freeClusters++;
      this.clusterHint = Math.min(this.clusterHint, c);
    }
  }

  private allocMdPage(): number {
    const p = this.mdUsed.indexOf(0, this.mdHint);
    if (p >= 0) {
      this.mdUsed[p] = 1;
      this.mdHint = p + 1;
    }
    return p;
  }

  private freeMdPage(p: number): void {
    this.mdUsed[p] = 0;
    this.mdHint = Math.min(this.mdHint, p);
  }

  /** Makes a freshly allocated cluster read as zeros (thick allocation, inflate). */
  async zeroCluster(c: number): Promise<void> {
    if (!this.dirty[c]) return;
    await writeBytes(this.base, c * this.clusterSize, Buffer.alloc(this.clusterSize));
    this.dirty[c] = 0;
  }

  // ---- metadata ----

  persistSuper(): Promise<void> {
    const page = encodeSuper(this.sb);
    return this.enqueue(() => writeBytes(this.base, 0, page));
  }

  /**
   * Writes the blob's record. Pages are assigned now (synchronously) so that a full metadata
   * region fails the operation before anything changed on disk.
   */
  persistBlob(blob: Blob): Promise<void> {
    const payload = Buffer.from(JSON.stringify(blob.toRecord()));
    const need = Math.max(1, Math.ceil(payload.length / PAGE_PAYLOAD));
    const pages = blob.mdPages.slice(0, need);
    const release = blob.mdPages.slice(need);
    while (pages.length < need) {
      const p = this.allocMdPage();
      if (p < 0) {
        for (const q of pages) if (!blob.mdPages.includes(q)) this.freeMdPage(q);
        throw new MetadataFull('no free metadata page');
      }
      pages.push(p);
    }
    for (const p of release) this.freeMdPage(p);
    blob.mdPages = pages;
    const first = pages[0]!;
    const writes = pages.map((p, i) => ({ p, page: encodePage(first, i, payload.subarray(i * PAGE_PAYLOAD, (i + 1) * PAGE_PAYLOAD)) }));
    return this.enqueue(async () => {
      for (const w of writes) await writeBytes(this.base, (MD_REGION_START + w.p) * MD_PAGE, w.page);
      for (const p of release) await writeBytes(this.base, (MD_REGION_START + p) * MD_PAGE, Buffer.alloc(MD_PAGE));
    });
  }

  /** Can a new blob get a metadata page? */
  hasMetadataRoom(): boolean {
    return this.mdUsed.indexOf(0, this.mdHint) >= 0;
  }

  forgetBlob(blob: Blob): Promise<void> {
    const pages = blob.mdPages;
    blob.mdPages = [];
    for (const p of pages) this.freeMdPage(p);
    for (let i = 0; i < blob.clusters.length; i++) {
      const c = blob.clusters[i]!;
      if (c >= 0) this.freeCluster(c);
    }
    this.blobs.delete(blob.uuid);
    if (this.byName.get(blob.name) === blob) this.byName.delete(blob.name);
    return this.enqueue(async () => {
      for (const p of pages) await writeBytes(this.base, (MD_REGION_START + p) * MD_PAGE, Buffer.alloc(MD_PAGE));
    });
  }

  /** bdev_lvol_delete_lvstore: the super block goes, so examine finds nothing afterwards. */
  destroy(): Promise<void> {
    return this.enqueue(() => writeBytes(this.base, 0, Buffer.alloc(MD_PAGE)));
  }

  /** Waits for every metadata write queued so far. */
  flushed(): Promise<void> {
    return this.mdChain;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.mdChain.then(op);
    this.mdChain = next.catch(() => undefined);
    return next;
  }

  // ---- data ----

  /** Where cluster `index` of `blob` is read from. */
  private resolve(blob: Blob, index: number): { base: number } | { esnap: string; offset: number } | null {
    for (let b: Blob | null = blob; b !== null; ) {
      if (index >= b.numClusters) return null;
      const c = b.clusters[index]!;
      if (c >= 0) return { base: c };
      if (b.parent.kind === 'esnap') return { esnap: b.parent.bdevUuid, offset: index * this.clusterSize };
      b = b.parentBlob;
    }
    return null;
  }

  async read(blob: Blob, offset: number, length: number): Promise<Buffer> {
    const cs = this.clusterSize;
    const whole = this.readWholeCluster(blob, offset, length);
    if (whole) return whole;
    const out = Buffer.alloc(length);
    let pos = 0;
    while (pos < length) {
      const abs = offset + pos;
      const index = Math.floor(abs / cs);
      const within = abs - index * cs;
      const n = Math.min(cs - within, length - pos);
      const src = this.resolve(blob, index);
      if (src !== null && 'base' in src) {
        await this.filling.get(src.base);
        (await readBytes(this.base, src.base * cs + within, n)).copy(out, pos);
      } else if (src !== null) {
        const esnap = this.esnapOf(src.esnap);
        if (esnap === null) throw new SimIoError(-errno.EIO, 'external snapshot is missing');
        const size = esnap.numBlocks * esnap.blockSize;
        const at = src.offset + within;
        if (at < size) (await readBytes(esnap, at, Math.min(n, size - at))).copy(out, pos);
      }
      pos += n;
    }
    return out;
  }

  /**
   * One whole cluster read where it lies, without a copy into a buffer of the request's own:
   * inflates and copies read whole clusters, and that copy was most of their time. Where it is read
   * from is decided now, synchronously, as read() does: a copy-on-write gives the blob the cluster
   * right after it starts reading the old data.
   */
  private readWholeCluster(blob: Blob, offset: number, length: number): Promise<Buffer> | undefined {
    const cs = this.clusterSize;
    if (length !== cs || offset % cs !== 0) return undefined;
    const src = this.resolve(blob, offset / cs);
    if (src === null) return undefined;
    if ('base' in src) {
      const filling = this.filling.get(src.base);
      return (async () => {
        await filling;
        return readBytes(this.base, src.base * cs, cs);
      })();
    }
    const esnap = this.esnapOf(src.esnap);
    if (esnap === null || esnap.numBlocks * esnap.blockSize < src.offset + cs) return undefined;
    return readBytes(esnap, src.offset, cs);
  }

  async write(blob: Blob, offset: number, data: Buffer): Promise<void> {
    if (blob.readOnly) throw new SimIoError(-errno.EPERM, 'Operation not permitted');
    const cs = this.clusterSize;
    let allocatedAny = false;
    let pos = 0;
    while (pos < data.length) {
      const abs = offset + pos;
      const index = Math.floor(abs / cs);
      const within = abs - index * cs;
      const n = Math.min(cs - within, data.length - pos);
      let c = blob.clusters[index]!;
      if (c < 0) {
        const fresh = this.allocCluster();
        if (fresh === null) throw new SimIoError(-errno.ENOSPC, 'No space left on device');
        c = fresh;
        // Copy-on-write: the new cluster starts as what the blob read there until now. Where that
        // is nothing (no parent has the cluster: zeros) a cluster never written needs no fill, as
        // materialize() knows: writing a whole zero cluster before each first partial write of a
        // thin lvol made NVMe/TCP restores into an lvstore on a file several times slower.
        const fill = n === cs ? Promise.resolve() : this.resolve(blob, index) === null ? this.zeroCluster(c) : this.read(blob, index * cs, cs).then((old) => writeBytes(this.base, fresh * cs, old));
        blob.setCluster(index, c);
        allocatedAny = true;
        this.filling.set(c, fill);
        try {
          await fill;
        } finally {
          this.filling.delete(c);
        }
      } else {
        await this.filling.get(c);
      }
      this.dirty[c] = 1;
      await writeBytes(this.base, c * cs + within, data.subarray(pos, pos + n));
      pos += n;
    }
    if (allocatedAny) await this.persistBlob(blob);
  }

  /**
   * Copies what `blob` reads at cluster `index` into a newly allocated cluster of its own. Zeros
   * (a hole of an external snapshot's file) into a cluster never written are not written: it reads
   * as zeros already, and writing them made an inflate of a sparse image several times slower than
   * the disk it models.
   */
  async materialize(blob: Blob, index: number, c: number): Promise<void> {
    const src = this.resolve(blob, index);
    if (src === null) {
      await this.zeroCluster(c);
      return;
    }
    const data = await this.read(blob, index * this.clusterSize, this.clusterSize);
    this.zeros ??= Buffer.alloc(this.clusterSize);
    if (!this.dirty[c] && data.equals(this.zeros)) return;
    await writeBytes(this.base, c * this.clusterSize, data);
    this.dirty[c] = 1;
  }
}
