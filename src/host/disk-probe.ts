/**
 * What a device or file holds before a disk is made on it, read with the kernel's own eyes (no
 * SPDK involved, nothing written): an lvstore (SPDK's blobstore, or the simulator's own format)
 * with its name, a filesystem, partition table or volume signature, or other data in its first or
 * last MiB. The first and last MiB are where every format this module knows keeps its labels
 * (GPT's backup header is in the last one), and where a device in use almost always has bytes.
 *
 * Signatures and offsets are the formats' own: ext2/3/4 superblock magic 0xEF53 at 1080, XFS "XFSB"
 * at 0, btrfs "_BHRfS_M" at 65600, swap's "SWAPSPACE2" at page size - 10, LUKS "LUKS\xba\xbe" at 0,
 * LVM2's "LABELONE" in one of the first four sectors, GPT "EFI PART" in LBA 1 (512 or 4096 byte
 * sectors), the MBR's 0x55AA at 510, NTFS's OEM id at 3, ISO 9660 "CD001" and UDF "BEA01" in the
 * volume descriptors from 32769. SPDK's blobstore (lib/blob/blobstore.h, v26.05): the super block
 * at 0 starts "SPDKBLOB"; the lvstore's name is the "name" xattr of the super blob, whose metadata
 * page is md_start + the blob id's low 32 bits, each page md_page_size bytes.
 */
import fsp from 'node:fs/promises';
import { constants } from 'node:fs';

const MIB = 1024 * 1024;

export type DiskContent =
  /** Nothing in the first and last MiB. */
  | { kind: 'empty' }
  /** An lvstore; `name` undefined when its metadata could not be read. */
  | { kind: 'lvstore'; name: string | undefined; format: 'spdk' | 'simulator' }
  /** Data this module recognises or not; `what` says which and where. */
  | { kind: 'data'; what: string };

/** The device or file with symlinks followed; ENOENT and the like are thrown as they are. */
export function resolveDiskPath(path: string): Promise<string> {
  return fsp.realpath(path);
}

/** Reads what `path` holds. A block device the kernel holds (mounted, in a RAID, ...) throws EBUSY. */
export async function probeDisk(path: string): Promise<DiskContent> {
  const handle = await openDisk(path, constants.O_RDONLY);
  try {
    const size = await sizeOf(handle, path);
    const head = await readAt(handle, 0, Math.min(MIB, size));
    const tailStart = Math.max(head.length, size - MIB);
    const tail = await readAt(handle, tailStart, size - tailStart);
    const lvstore = await lvstoreIn(handle, head);
    if (lvstore) return lvstore;
    const signature = signatureIn(head);
    if (signature) return { kind: 'data', what: signature };
    const nonZero = firstNonZero(head);
    if (nonZero >= 0) return { kind: 'data', what: `non-zero data at offset ${nonZero}` };
    const nonZeroTail = firstNonZero(tail);
    if (nonZeroTail >= 0) return { kind: 'data', what: `non-zero data at offset ${tailStart + nonZeroTail} (in the last MiB)` };
    return { kind: 'empty' };
  } finally {
    await handle.close();
  }
}

/** Zeroes the first and last MiB, where every signature probeDisk knows lives, and syncs. */
export async function wipeDiskLabels(path: string): Promise<void> {
  const handle = await openDisk(path, constants.O_WRONLY);
  try {
    const size = await sizeOf(handle, path);
    const zeros = Buffer.alloc(Math.min(MIB, size));
    await handle.write(zeros, 0, zeros.length, 0);
    const tailStart = Math.max(zeros.length, size - MIB);
    if (size > tailStart) await handle.write(zeros, 0, size - tailStart, tailStart);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Opens with O_EXCL on a block device: Linux then refuses (EBUSY) one that is mounted or held. */
async function openDisk(path: string, mode: number): Promise<fsp.FileHandle> {
  const stat = await fsp.stat(path);
  return fsp.open(path, mode | (stat.isBlockDevice() ? constants.O_EXCL : 0));
}

/** A block device's size is in sysfs (stat says 0); a file's is its length. */
async function sizeOf(handle: fsp.FileHandle, path: string): Promise<number> {
  const stat = await handle.stat({ bigint: true });
  if (!stat.isBlockDevice()) return Number(stat.size);
  const rdev = stat.rdev;
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  const sectors = await fsp.readFile(`/sys/dev/block/${major}:${minor}/size`, 'utf8').catch(() => {
    throw new Error(`cannot read the size of block device ${path} from sysfs`);
  });
  return Number(sectors.trim()) * 512;
}

async function readAt(handle: fsp.FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

function firstNonZero(buffer: Buffer): number {
  for (let i = 0; i < buffer.length; i++) if (buffer[i] !== 0) return i;
  return -1;
}

function has(buffer: Buffer, offset: number, text: string | Buffer): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return offset + bytes.length <= buffer.length && buffer.subarray(offset, offset + bytes.length).equals(bytes);
}

/** The first signature found in the first MiB, described with its offset; undefined if none. */
function signatureIn(head: Buffer): string | undefined {
  if (has(head, 0, Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]))) return 'LUKS header at offset 0';
  if (has(head, 0, 'XFSB')) return 'xfs filesystem signature at offset 0';
  for (let sector = 0; sector < 4; sector++) {
    if (has(head, sector * 512, 'LABELONE') && has(head, sector * 512 + 24, 'LVM2 001')) return `LVM2 physical volume label at offset ${sector * 512}`;
  }
  for (const offset of [512, 4096]) if (has(head, offset, 'EFI PART')) return `GPT partition table header at offset ${offset}`;
  if (has(head, 1080, Buffer.from([0x53, 0xef]))) return `${extVersion(head)} filesystem signature at offset 1080`;
  if (has(head, 65600, '_BHRfS_M')) return 'btrfs filesystem signature at offset 65600';
  for (const page of [4096, 8192, 16384, 65536]) {
    if (has(head, page - 10, 'SWAPSPACE2') || has(head, page - 10, 'SWAP-SPACE')) return `swap signature at offset ${page - 10}`;
  }
  if (has(head, 3, 'NTFS    ')) return 'NTFS filesystem signature at offset 3';
  for (let offset = 32769; offset < 32769 + 8 * 2048; offset += 2048) {
    if (has(head, offset, 'CD001')) return `ISO 9660 volume descriptor at offset ${offset}`;
    if (has(head, offset, 'BEA01') || has(head, offset, 'NSR02') || has(head, offset, 'NSR03')) return `UDF volume descriptor at offset ${offset}`;
  }
  if (has(head, 510, Buffer.from([0x55, 0xaa]))) return 'MBR partition table (boot signature) at offset 510';
  return undefined;
}

/** ext4 has extents, 64-bit or flex_bg among its incompatible features; ext3 a journal. */
function extVersion(head: Buffer): string {
  if (head.length < 1124) return 'ext2/3/4';
  const compat = head.readUInt32LE(1024 + 0x5c);
  const incompat = head.readUInt32LE(1024 + 0x60);
  if (incompat & (0x40 | 0x80 | 0x200)) return 'ext4';
  if (compat & 0x4) return 'ext3';
  return 'ext2';
}

const SIM_LVSTORE = 'SIMLVS01';
const SPDK_BLOBSTORE = 'SPDKBLOB';
const MD_PAGE_DESCRIPTORS = 16;
const MD_PAGE_DESCRIPTORS_LENGTH = 4072;
const XATTR = 2;
const NO_PAGE = 0xffffffff;

async function lvstoreIn(handle: fsp.FileHandle, head: Buffer): Promise<DiskContent | undefined> {
  if (has(head, 0, SIM_LVSTORE)) return { kind: 'lvstore', name: simulatorName(head), format: 'simulator' };
  if (!has(head, 0, SPDK_BLOBSTORE)) return undefined;
  return { kind: 'lvstore', name: await blobstoreName(handle, head).catch(() => undefined), format: 'spdk' };
}

/** The simulator's super block: its magic, a length, then JSON with the lvstore's name. */
function simulatorName(head: Buffer): string | undefined {
  if (head.length < 12) return undefined;
  const length = head.readUInt32LE(8);
  if (length === 0 || 12 + length > Math.min(head.length, 4096)) return undefined;
  try {
    const record = JSON.parse(head.toString('utf8', 12, 12 + length)) as { name?: unknown };
    return typeof record.name === 'string' ? record.name : undefined;
  } catch {
    return undefined;
  }
}

/** The "name" xattr of the blobstore's super blob, following its metadata page chain. */
async function blobstoreName(handle: fsp.FileHandle, head: Buffer): Promise<string | undefined> {
  const superBlob = head.readBigUInt64LE(20);
  const mdStart = head.readUInt32LE(48);
  const mdPageSize = head.readUInt32LE(92) || 4096;
  let page = Number(superBlob & 0xffffffffn);
  for (let hops = 0; hops < 16 && page !== NO_PAGE; hops++) {
    const data = await readAt(handle, (mdStart + page) * mdPageSize, 4096);
    if (data.length < 4096) return undefined;
    const name = xattrIn(data, 'name');
    if (name !== undefined) return name;
    page = data.readUInt32LE(MD_PAGE_DESCRIPTORS + MD_PAGE_DESCRIPTORS_LENGTH);
  }
  return undefined;
}

/** Walks a metadata page's descriptors (type u8, length u32, then `length` bytes) for an xattr. */
function xattrIn(page: Buffer, wanted: string): string | undefined {
  const end = MD_PAGE_DESCRIPTORS + MD_PAGE_DESCRIPTORS_LENGTH;
  let at = MD_PAGE_DESCRIPTORS;
  while (at + 5 <= end) {
    const type = page[at]!;
    const length = page.readUInt32LE(at + 1);
    if (type === 0 && length === 0) return undefined;
    if (type === XATTR && at + 9 <= end) {
      const nameLength = page.readUInt16LE(at + 5);
      const valueLength = page.readUInt16LE(at + 7);
      const nameStart = at + 9;
      if (nameStart + nameLength + valueLength <= end && page.toString('latin1', nameStart, nameStart + nameLength) === wanted) {
        // Written with its NUL terminator (lib/lvol/lvol.c).
        return page.toString('utf8', nameStart + nameLength, nameStart + nameLength + valueLength).replace(/\0+$/, '');
      }
    }
    at += 5 + length;
  }
  return undefined;
}
