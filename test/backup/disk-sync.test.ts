/**
 * The restore's sync of its disk (src/domain/backup/disk-sync.ts): an aio disk's file is fsynced
 * (v26.05 answers a Flush to an lvol without doing anything), a file this process cannot open is
 * said and skipped, a sync that fails is DISK_UNUSABLE, an NVMe disk has nothing to sync.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncDiskMedia, syncDiskNamed } from '../../src/domain/backup/disk-sync.js';
import { capturedLog } from '../helpers/captured-log.js';

describe('syncing a disk after a restore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'disk-sync-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("fsyncs an aio disk's file and says so", async () => {
    const path = join(dir, 'disk.img');
    await writeFile(path, Buffer.alloc(1 << 20, 7));
    const { log, lines } = capturedLog('info');
    const outcome = await syncDiskMedia({ name: 'd1', kind: 'aio', path }, log, 'restore of r1');
    expect(outcome).toMatchObject({ synced: true });
    expect(lines).toContainEqual(expect.objectContaining({ disk: 'd1', path, msg: 'disk synced after the restore of r1: its data is on the media' }));
  });

  it('says why when the file cannot be opened here, and goes on', async () => {
    const { log, lines } = capturedLog('info');
    const path = join(dir, 'not-here.img');
    const outcome = await syncDiskMedia({ name: 'd1', kind: 'aio', path }, log, 'restore of r1');
    expect(outcome).toEqual({ synced: false, reason: expect.stringContaining(`${path} cannot be opened here (ENOENT)`) });
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, disk: 'd1', code: 'ENOENT' }));
  });

  it('is DISK_UNUSABLE when the sync itself fails', async () => {
    // A character device opens but refuses fsync (EINVAL): a sync that did not happen.
    const { log } = capturedLog('info');
    await expect(syncDiskMedia({ name: 'd1', kind: 'aio', path: '/dev/null' }, log, 'restore of r1')).rejects.toMatchObject({
      code: 'DISK_UNUSABLE',
      message: expect.stringMatching(/^disk d1 \(\/dev\/null\) could not be synced after the restore of r1 \(EINVAL: .*\): its data may not be on the media$/),
    });
  });

  it('has nothing to sync on an NVMe disk', async () => {
    const { log, lines } = capturedLog('info');
    expect(await syncDiskMedia({ name: 'n1', kind: 'nvme', path: '0000:00:04.0' }, log, 'restore of r1')).toEqual({
      synced: false,
      reason: 'disk n1 is an NVMe device spdk_tgt drives itself: its writes are durable as the device completes them',
    });
    expect(lines).toEqual([]);
  });

  it('is DISK_NOT_FOUND for a disk that went away', async () => {
    const { log } = capturedLog('info');
    await expect(syncDiskNamed({ inventory: { disks: new Map() } as never, log }, 'gone', 'restore of r1')).rejects.toMatchObject({ code: 'DISK_NOT_FOUND' });
  });
});
