/**
 * A raid superblock as data on its members: which raid (uuid, name), its version (seq), and every
 * slot with the member's uuid, state, data_offset and data_size. spdk_tgt v26.05 keeps the same
 * facts at the start of each member (bdev_raid_sb.c); this encoding is the simulator's own (a
 * magic, a length, JSON), since nothing but the simulator reads it.
 *
 * It is written to every configured member when a superblock raid comes online, when a member
 * leaves (its slot marked missing or failed) and when a rebuild ends (the slot configured again);
 * it stays on a member that left and on every member of a deleted raid unless clear_sb.
 */
import type { SimBdev } from '../core/contract.js';

export type SbMemberState = 'configured' | 'missing' | 'failed';

export interface SbMember {
  slot: number;
  uuid: string;
  state: SbMemberState;
  dataOffset: number;
  dataSize: number;
}

export interface Superblock {
  uuid: string;
  name: string;
  seq: number;
  blockSize: number;
  numBaseBdevs: number;
  members: SbMember[];
}

const MAGIC = Buffer.from('SIMRAIDSB1');
const HEADER = MAGIC.length + 4;

function blocksFor(bytes: number, blockSize: number): number {
  return Math.max(1, Math.ceil(bytes / blockSize));
}

export function encodeSuperblock(sb: Superblock, blockSize: number): Buffer {
  const body = Buffer.from(JSON.stringify(sb));
  const out = Buffer.alloc(blocksFor(HEADER + body.length, blockSize) * blockSize);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(body.length, MAGIC.length);
  body.copy(out, HEADER);
  return out;
}

/** The superblock at the start of `bdev`, or null when it carries none (or cannot be read). */
export async function readSuperblock(bdev: SimBdev): Promise<Superblock | null> {
  if (bdev.numBlocks < 1) return null;
  let head: Buffer;
  try {
    head = await bdev.read(0, 1);
  } catch {
    return null;
  }
  if (head.length < HEADER || !head.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const length = head.readUInt32LE(MAGIC.length);
  const blocks = blocksFor(HEADER + length, bdev.blockSize);
  if (blocks > bdev.numBlocks) return null;
  try {
    const whole = blocks === 1 ? head : await bdev.read(0, blocks);
    const parsed = JSON.parse(whole.subarray(HEADER, HEADER + length).toString()) as Superblock;
    return typeof parsed.uuid === 'string' && Array.isArray(parsed.members) ? parsed : null;
  } catch {
    return null;
  }
}

/** Writes `sb` at the start of `bdev`. */
export function writeSuperblock(bdev: SimBdev, sb: Superblock): Promise<void> {
  return bdev.write(0, encodeSuperblock(sb, bdev.blockSize));
}

/** clear_sb: the blocks the superblock used are zeroed. */
export async function clearSuperblock(bdev: SimBdev): Promise<void> {
  const sb = await readSuperblock(bdev);
  if (!sb) return;
  await bdev.write(0, Buffer.alloc(encodeSuperblock(sb, bdev.blockSize).length));
}
