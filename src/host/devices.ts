/**
 * What a disk path is on this node. spdk_tgt v26.05 finds a block device's logical block size by
 * itself but refuses a regular file without an explicit block_size (-22, transcript 16), so the
 * service must know which one it was given.
 */
import fsp from 'node:fs/promises';

export type PathKind = 'block-device' | 'file' | 'directory' | 'missing' | 'other';

export async function pathKind(path: string): Promise<PathKind> {
  try {
    const stat = await fsp.stat(path);
    if (stat.isBlockDevice()) return 'block-device';
    if (stat.isFile()) return 'file';
    if (stat.isDirectory()) return 'directory';
    return 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return 'other';
  }
}

/** The block size files get when the caller names none: 4 KiB, what NVMe media and page caches use. */
export const FILE_DEFAULT_BLOCK_SIZE = 4096;
