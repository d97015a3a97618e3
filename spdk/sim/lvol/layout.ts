/**
 * Blobstore geometry and the on-disk records of the simulated lvstore.
 *
 * The geometry is spdk's: one 4 KiB metadata page per cluster (num_md_pages_per_cluster_ratio
 * 100), a super block and three bit masks (5-byte header each) in front of them, all rounded up
 * to whole clusters. It reproduces the recorded total_data_clusters (63, 254, 4079, 14) and
 * max_growable_size (what one used-cluster mask page can address).
 *
 * The records are the simulator's own (JSON in pages with a small header), written into the base
 * bdev so that an lvstore comes back after bdev_aio_delete / re-create or a simulator restart.
 */
import type { SimBdev } from '../core/contract.js';

export const MD_PAGE = 4096;
const MASK_HEADER = 5;

export interface Geometry {
  readonly totalClusters: number;
  /** Clusters taken by the super block, masks and metadata pages. */
  readonly reservedClusters: number;
  readonly mdPages: number;
  readonly maxGrowableBytes: number;
}

function maskPages(bits: number): number {
  return Math.ceil((MASK_HEADER + Math.ceil(bits / 8)) / MD_PAGE);
}

export function geometry(bdevBytes: number, clusterSize: number): Geometry {
  const totalClusters = Math.floor(bdevBytes / clusterSize);
  const mdPages = totalClusters;
  const clusterMaskPages = maskPages(totalClusters);
  const pages = 1 + maskPages(mdPages) + clusterMaskPages + maskPages(mdPages) + mdPages;
  const reservedClusters = Math.ceil((pages * MD_PAGE) / clusterSize);
  const maxGrowableBytes = (clusterMaskPages * MD_PAGE - MASK_HEADER) * 8 * clusterSize;
  return { totalClusters, reservedClusters, mdPages, maxGrowableBytes };
}

/** First page of the metadata page region (after the super block). */
export const MD_REGION_START = 1;

const SUPER_MAGIC = Buffer.from('SIMLVS01');
const PAGE_MAGIC = Buffer.from('SIMBLB01');
const PAGE_HEADER = 24;
export const PAGE_PAYLOAD = MD_PAGE - PAGE_HEADER;
export const NO_PAGE = 0xffffffff;

export interface SuperRecord {
  readonly version: 1;
  readonly uuid: string;
  name: string;
  readonly clusterSize: number;
  /** Block size of the base bdev at creation: the lvols' block size, whatever the bdev has now. */
  readonly ioUnit: number;
  totalClusters: number;
  readonly reservedClusters: number;
  readonly mdPages: number;
  /** Next creation sequence number: lvols are listed in creation order. */
  nextSeq: number;
}

export function encodeSuper(rec: SuperRecord): Buffer {
  const page = Buffer.alloc(MD_PAGE);
  SUPER_MAGIC.copy(page, 0);
  const json = Buffer.from(JSON.stringify(rec));
  page.writeUInt32LE(json.length, 8);
  json.copy(page, 12);
  return page;
}

export function decodeSuper(page: Buffer): SuperRecord | null {
  if (page.length < MD_PAGE || !page.subarray(0, 8).equals(SUPER_MAGIC)) return null;
  const len = page.readUInt32LE(8);
  if (len === 0 || len > MD_PAGE - 12) return null;
  try {
    return JSON.parse(page.toString('utf8', 12, 12 + len)) as SuperRecord;
  } catch {
    return null;
  }
}

/** One page of a blob's metadata chain. */
export interface PageRecord {
  readonly firstPage: number;
  readonly index: number;
  readonly payload: Buffer;
}

export function encodePage(firstPage: number, index: number, payload: Buffer): Buffer {
  const page = Buffer.alloc(MD_PAGE);
  PAGE_MAGIC.copy(page, 0);
  page.writeUInt32LE(firstPage, 8);
  page.writeUInt32LE(index, 12);
  page.writeUInt32LE(payload.length, 16);
  payload.copy(page, PAGE_HEADER);
  return page;
}

export function decodePage(page: Buffer): PageRecord | null {
  if (!page.subarray(0, 8).equals(PAGE_MAGIC)) return null;
  const len = page.readUInt32LE(16);
  if (len > PAGE_PAYLOAD) return null;
  return { firstPage: page.readUInt32LE(8), index: page.readUInt32LE(12), payload: page.subarray(PAGE_HEADER, PAGE_HEADER + len) };
}

/**
 * The pages of a metadata region that start with the page magic: the only ones decodePage can
 * read a record from. Found by the native search rather than a JavaScript pass over every page:
 * most pages are unused, and that pass cost the simulator ~0.5 s per 7 GiB disk at each load.
 */
export function* recordPages(region: Buffer): Generator<number> {
  for (let at = region.indexOf(PAGE_MAGIC); at !== -1; at = region.indexOf(PAGE_MAGIC, at + 1)) {
    if (at % MD_PAGE === 0) yield at / MD_PAGE;
  }
}

/** Reads `length` bytes at byte `offset` of a bdev, whatever its block size. */
export async function readBytes(bdev: SimBdev, offset: number, length: number): Promise<Buffer> {
  const bs = bdev.blockSize;
  const first = Math.floor(offset / bs);
  const last = Math.ceil((offset + length) / bs);
  const data = await bdev.read(first, last - first);
  const skip = offset - first * bs;
  return skip === 0 && data.length === length ? data : data.subarray(skip, skip + length);
}

/** Writes at byte `offset` of a bdev; partial blocks are read, patched and written back. */
export async function writeBytes(bdev: SimBdev, offset: number, data: Buffer): Promise<void> {
  const bs = bdev.blockSize;
  if (offset % bs === 0 && data.length % bs === 0) {
    await bdev.write(offset / bs, data);
    return;
  }
  const first = Math.floor(offset / bs);
  const last = Math.ceil((offset + data.length) / bs);
  const block = await bdev.read(first, last - first);
  data.copy(block, offset - first * bs);
  await bdev.write(first, block);
}
