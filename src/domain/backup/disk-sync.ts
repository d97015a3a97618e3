/**
 * Makes what spdk_tgt wrote into a disk's lvstore durable before a restore calls its replica
 * restored. spdk_tgt v26.05 does not do it for us: an lvol does not support FLUSH
 * (vbdev_lvol.c vbdev_lvol_io_type_supported), so the NVMe-oF target answers a host's Flush to an
 * lvol namespace with success and does nothing (ctrlr_bdev.c nvmf_bdev_ctrlr_flush_cmd), and the
 * blobstore never flushes its base bdev. An aio bdev writes with O_DIRECT, which passes the page
 * cache but not the filesystem's metadata (a sparse file's newly written extents) nor a device's
 * volatile write cache; an fsync of the file, or of the block device (which sends the device a
 * flush), covers both, whoever wrote the data. An nvme (PCIe) disk has no file to sync: its writes
 * are as durable as the device makes them at completion, as every write to a replica there is.
 */
import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { DomainContext } from '../node/context.js';
import type { DiskRecord } from '../node/inventory.js';

export type DiskSync = { synced: true; ms: number } | { synced: false; reason: string };

/** Errors of the open that mean this process cannot see the disk's file (another mount namespace, permissions). */
const NOT_VISIBLE = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENXIO', 'ENODEV']);

/**
 * fsyncs an aio disk's file or block device. A file this process cannot open is logged and
 * answered `synced: false` (the data is then as durable as spdk_tgt left it); a sync that fails
 * is DISK_UNUSABLE: what was written may not be on the media.
 */
export async function syncDiskMedia(disk: Pick<DiskRecord, 'name' | 'kind' | 'path'>, log: Logger, what: string): Promise<DiskSync> {
  if (disk.kind !== 'aio') return { synced: false, reason: `disk ${disk.name} is an NVMe device spdk_tgt drives itself: its writes are durable as the device completes them` };
  const started = performance.now();
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(disk.path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!NOT_VISIBLE.has(code)) throw syncError(disk, what, err);
    const reason = `${disk.path} cannot be opened here (${code}): the ${what}'s data is as durable as spdk_tgt left it (its lvol writes are not flushed)`;
    log.warn({ disk: disk.name, path: disk.path, code }, `disk not synced after the ${what}: ${reason}`);
    return { synced: false, reason };
  }
  try {
    await handle.sync();
  } catch (err) {
    throw syncError(disk, what, err);
  } finally {
    await handle.close();
  }
  const ms = performance.now() - started;
  log.info({ disk: disk.name, path: disk.path, ms: Math.round(ms) }, `disk synced after the ${what}: its data is on the media`);
  return { synced: true, ms };
}

/** syncDiskMedia for a disk named in the inventory (DISK_NOT_FOUND when it went away). */
export function syncDiskNamed(ctx: Pick<DomainContext, 'inventory' | 'log'>, diskName: string, what: string): Promise<DiskSync> {
  const disk = ctx.inventory.disks.get(diskName);
  if (!disk) return Promise.reject(new ConductorError('DISK_NOT_FOUND', `disk ${diskName} went away during the ${what}`));
  return syncDiskMedia(disk, ctx.log, what);
}

function syncError(disk: Pick<DiskRecord, 'name' | 'path'>, what: string, err: unknown): ConductorError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
  return new ConductorError(
    'DISK_UNUSABLE',
    `disk ${disk.name} (${disk.path}) could not be synced after the ${what} (${code}: ${(err as Error).message}): its data may not be on the media`,
    { disk: disk.name, code },
    { cause: err },
  );
}
