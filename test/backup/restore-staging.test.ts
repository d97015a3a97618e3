/**
 * How a restore's blocks reach its staging file: page-aligned slots reused from one restore to the
 * next (the backup's block buffers where no direct write needs alignment), a block read into its slot so that its bytes start a page whether it was stored or
 * compressed, and the staging writer putting aligned blocks on the disk with O_DIRECT and anything
 * else through the page cache, the file holding exactly what was written either way. Then a whole
 * restore job with direct writes forced on the simulator (which reads the file back from the disk
 * through the page cache), read back identical.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compressFrame } from 'lz4-napi';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_ALIGN, directWritable, FRAME_AT, RESTORE_SLOTS, withRestoreSlots } from '../../src/domain/backup/restore-slots.js';
import { StagingWriter } from '../../src/domain/backup/staging-writer.js';
import { SLOT_BYTES } from '../../src/objectstore/block-buffers.js';
import { keys } from '../../src/objectstore/format.js';
import { FsStore } from '../../src/objectstore/fs-store.js';
import { BackupRepository } from '../../src/objectstore/repository.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-staging-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('restore slots', () => {
  it('are page-aligned views of one shared memory, the same set for the next restore, another set for one at once', async () => {
    let first: readonly Buffer[] = [];
    await withRestoreSlots(true, async (slots) => {
      first = slots;
      expect(slots).toHaveLength(RESTORE_SLOTS);
      for (const slot of slots) {
        expect(slot.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(slot.length).toBe(SLOT_BYTES);
        expect(directWritable(slot.subarray(0, 2 * MiB))).toBe(true);
      }
      // A view that starts or ends off a page is not, nor is memory of any other kind.
      expect(directWritable(slots[0]!.subarray(512, 512 + 2 * MiB))).toBe(false);
      expect(directWritable(slots[0]!.subarray(0, 2 * MiB - 512))).toBe(false);
      expect(directWritable(Buffer.alloc(2 * MiB))).toBe(false);
      await withRestoreSlots(true, async (other) => expect(other[0]!.buffer).not.toBe(slots[0]!.buffer));
    });
    await withRestoreSlots(true, async (again) => expect(again[0]!.buffer).toBe(first[0]!.buffer));
  });

  it('for page-cache writes are slots of the block buffers backups use, given back after', async () => {
    await withRestoreSlots(false, async (slots) => {
      expect(slots).toHaveLength(RESTORE_SLOTS);
      expect(new Set(slots.map((s) => s.byteOffset)).size).toBe(RESTORE_SLOTS);
      for (const slot of slots) expect(directWritable(slot)).toBe(false);
    });
    // Every slot came back: the next job takes all of them again at once.
    await withRestoreSlots(false, async (slots) => expect(slots).toHaveLength(RESTORE_SLOTS));
  });

  it('hold a block read at FRAME_AT so that its bytes start a page, stored or compressed, checked against its hash', async () => {
    const store = new FsStore(path.join(dir, 'target'));
    const repository = new BackupRepository(store, { leaseMs: 60_000 });
    const random = randomBytes(2 * MiB);
    // A stored block's frame as the format writes it (docs/backup-format.md): magic, descriptor, size with the stored bit, bytes, end mark.
    const storedFrame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]), Buffer.alloc(4), random, Buffer.alloc(4)]);
    storedFrame.writeUInt32LE((random.length | 0x80000000) >>> 0, 7);
    const repetitive = Buffer.alloc(2 * MiB, 'restore');
    for (const [block, frame] of [
      [random, storedFrame],
      [repetitive, await compressFrame(repetitive)],
    ] as const) {
      const hash = createHash('sha256').update(block).digest('hex');
      await store.put(keys.block('v', hash), frame);
      await withRestoreSlots(true, async (slots) => {
        const data = await repository.block('v', hash, block.length, slots[0]!.subarray(FRAME_AT), slots[1]!);
        expect(data.equals(block)).toBe(true);
        expect(directWritable(data)).toBe(true);
      });
    }
  });
});

describe('the staging writer', () => {
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  for (const direct of [true, false]) {
    it(`${direct ? 'with direct writes: aligned blocks go with O_DIRECT, others' : 'without direct writes: every block goes'} through the page cache, the file holding every byte`, async () => {
      const file = path.join(dir, `staging-${direct}.img`);
      const size = 16 * MiB;
      fs.writeFileSync(file, '');
      fs.truncateSync(file, size);
      const expected = Buffer.alloc(size);
      const writer = await StagingWriter.open(file, direct, log);
      try {
        await withRestoreSlots(true, async (slots) => {
          // Aligned blocks from slots, several in flight, at block offsets.
          await Promise.all(
            [0, 3, 5].map(async (n, i) => {
              const data = slots[i]!.subarray(0, 2 * MiB);
              data.set(randomBytes(2 * MiB));
              data.copy(expected, n * 2 * MiB);
              await writer.write(n * 2 * MiB, data);
            }),
          );
        });
        // Plain memory, an odd length at an odd offset: never direct.
        const plain = randomBytes(3 * DIRECT_ALIGN + 100);
        plain.copy(expected, 14 * MiB + 17);
        await writer.write(14 * MiB + 17, plain);
        expect(writer.directBytes).toBe(direct ? 3 * 2 * MiB : 0);
      } finally {
        await writer.close();
      }
      expect(sha(fs.readFileSync(file))).toBe(sha(expected));
    });
  }
});

describe('a restore job with direct staging writes on the simulator', { timeout: 240_000 }, () => {
  let node: NodeFixture;
  const SIZE = 32 * MiB;

  beforeAll(async () => {
    node = await startNode({ env: { CONDUCTOR_BACKUP_RESTORE_VIA: 'staging', CONDUCTOR_BACKUP_RESTORE_DIRECT_IO: 'on' } });
    await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
    await node.node.replicaCreate('src', 'd', SIZE);
  }, 120_000);

  afterAll(async () => {
    await node?.close();
  });

  it('restores a replica identical to the snapshot, and leaves no staging file', async () => {
    const image = Buffer.alloc(SIZE);
    // Two blocks of random data and one compressible, the rest holes.
    for (const [offset, data] of [
      [0, randomBytes(2 * MiB)],
      [6 * MiB, Buffer.alloc(2 * MiB, 'conductor')],
      [20 * MiB, randomBytes(2 * MiB)],
    ] as const) {
      data.copy(image, offset);
      for (let off = 0; off < data.length; off += 128 * 1024) {
        await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: (offset + off) / 4096, data_base64: data.subarray(off, off + 128 * 1024).toString('base64') });
      }
    }
    await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
    const wait = async (id: string) => {
      const deadline = Date.now() + 180_000;
      while (!['done', 'failed', 'cancelled'].includes(node.node.backups.jobGet(id).state)) {
        if (Date.now() > deadline) throw new Error(`job ${id} did not end within 180 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const job = node.node.backups.jobGet(id);
      expect(job.state, job.reason).toBe('done');
      return job;
    };
    const backup = await wait((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1' })).id);
    await wait((await node.node.backups.restoreCreate({ volume: 'src', backupId: backup.backupId!, disk: 'd', replica: 'back' })).id);
    const restored = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.back' });
    expect(restored.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    const staging = path.join(node.dir, 'backup-staging');
    expect(fs.existsSync(staging) ? fs.readdirSync(staging).filter((f) => f.startsWith('bk-')) : []).toEqual([]);
  });
});
