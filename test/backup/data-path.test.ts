/**
 * The backup data path against a simulator process and the service's domain: data written into a
 * replica through the simulator's block I/O, snapshots staged full and delta and their blocks
 * compared with what was written, a restore into a new replica read back identical, and every
 * path (done, refused, aborted) leaving no staging file, aio bdev or half-built lvol behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StagedImage } from '../../src/domain/backup/data-path.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';

const MIB = 1024 * 1024;
const SIZE = 32 * MIB;
const BLOCK = 4096;
/** The caller's block size: smaller than the 1 MiB cluster, so blocks straddle nothing but data. */
const READ_BLOCK = 256 * 1024;

let node: NodeFixture;
let stagingDir: string;
/** What the volume holds at each snapshot, as the test wrote it. */
const images = new Map<string, Buffer>();
const live = Buffer.alloc(SIZE);

async function write(offset: number, bytes: number): Promise<void> {
  const data = randomBytes(bytes);
  data.copy(live, offset);
  for (let off = 0; off < bytes; off += 128 * 1024) {
    const chunk = data.subarray(off, Math.min(bytes, off + 128 * 1024));
    await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: (offset + off) / BLOCK, data_base64: chunk.toString('base64') });
  }
}

async function snapshot(name: string): Promise<void> {
  await node.node.snapshotCreate({ replicaName: 'src', name });
  images.set(name, Buffer.from(live));
}

async function collect(image: StagedImage): Promise<Array<{ offset: number; data: Buffer }>> {
  const out: Array<{ offset: number; data: Buffer }> = [];
  for await (const block of image.blocks(READ_BLOCK)) out.push(block);
  return out;
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function leftovers(): Promise<{ files: string[]; bdevs: string[]; building: string[] }> {
  const files = fs.existsSync(stagingDir) ? fs.readdirSync(stagingDir) : [];
  const bdevs = (await node.client.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const building = (await node.client.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  return { files, bdevs, building };
}

const NOTHING = { files: [], bdevs: [], building: [] };

beforeAll(async () => {
  // The restores here are the staging path's (restore-nvmf.test.ts has the NVMe/TCP path's).
  node = await startNode({ env: { CONDUCTOR_BACKUP_RESTORE_VIA: 'staging' } });
  stagingDir = path.join(node.dir, 'backup-staging');
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  // s1: clusters 0-2; s2 owns 2-5 and 20; the head alone 28 (never staged).
  await write(0, 3 * MIB);
  await snapshot('s1');
  await write(2 * MIB + 512 * 1024, 3 * MIB);
  await write(20 * MIB, MIB / 2);
  await snapshot('s2');
  await write(28 * MIB, MIB);
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('staging a snapshot', () => {
  it('full: the chain oldest first yields exactly the snapshot image, holes skipped', async () => {
    for (const name of ['s1', 's2']) {
      const progress: Array<{ bytes: number; total: number }> = [];
      const image = await node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: name, mode: 'full', onProgress: (p) => progress.push(p) });
      try {
        expect(image.sizeBytes).toBe(SIZE);
        expect(image.clusterBytes).toBe(MIB);
        const blocks = await collect(image);
        const assembled = Buffer.alloc(SIZE);
        for (const b of blocks) {
          expect(b.offset % READ_BLOCK).toBe(0);
          b.data.copy(assembled, b.offset);
        }
        expect(sha(assembled)).toBe(sha(images.get(name)!));
        // Only blocks holding data: the head's cluster 28 and the untouched ranges never show up.
        const expected = new Set<number>();
        const img = images.get(name)!;
        for (let off = 0; off < SIZE; off += READ_BLOCK) if (!img.subarray(off, off + READ_BLOCK).equals(Buffer.alloc(READ_BLOCK))) expected.add(off);
        expect(blocks.map((b) => b.offset)).toEqual([...expected]);
        expect(progress.at(-1)).toEqual({ bytes: image.allocatedBytes, total: image.allocatedBytes });
      } finally {
        await image.close();
      }
    }
    expect(await leftovers()).toEqual(NOTHING);
    expect(node.node.dataPath.reservedBytes).toBe(0);
  });

  it("delta: only the clusters the snapshot owns, with the snapshot's data", async () => {
    const image = await node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 's2', mode: 'delta' });
    try {
      // s2 owns clusters 2-5 (written from 2.5 MiB to 5.5 MiB) and 20: 5 MiB allocated.
      expect(image.allocatedBytes).toBe(5 * MIB);
      const blocks = await collect(image);
      const owned = (offset: number) => (offset >= 2 * MIB && offset < 6 * MIB) || (offset >= 20 * MIB && offset < 21 * MIB);
      expect(blocks.length).toBeGreaterThan(0);
      for (const b of blocks) {
        expect(owned(b.offset), `block at ${b.offset}`).toBe(true);
        expect(sha(b.data)).toBe(sha(images.get('s2')!.subarray(b.offset, b.offset + READ_BLOCK)));
      }
      // Cluster 2 came from s1 and was partly overwritten: s2 owns it whole, s1's bytes included.
      expect(blocks.some((b) => b.offset === 2 * MIB)).toBe(true);
      expect(blocks.some((b) => b.offset === 0)).toBe(false);
    } finally {
      await image.close();
      await image.close();
    }
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('refuses unknown replicas and snapshots with their codes, making nothing', async () => {
    expect((await refusal(node.node.dataPath.stageSnapshot({ replica: 'nope', snapshot: 's1', mode: 'full' }))).code).toBe('REPLICA_NOT_FOUND');
    expect((await refusal(node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 'nope', mode: 'full' }))).code).toBe('SNAPSHOT_NOT_FOUND');
    expect((await refusal(node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 'Bad Name', mode: 'full' }))).code).toBe('INVALID_NAME');
    expect(await leftovers()).toEqual(NOTHING);
  });

  it('an abort during the copy removes the staging bdev and file and answers CANCELLED', async () => {
    // Checks answered late keep the copy "running" long enough to abort it in the middle.
    await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_check_shallow_copy', ms: 2_000 });
    try {
      const abort = new AbortController();
      const staging = node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 's2', mode: 'full', signal: abort.signal });
      await until(async () => (await leftovers()).bdevs.length === 1, 'the staging bdev to exist');
      abort.abort();
      expect((await refusal(staging)).code).toBe('CANCELLED');
    } finally {
      await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_check_shallow_copy', ms: 0 });
    }
    expect(await leftovers()).toEqual(NOTHING);
    expect(node.node.dataPath.reservedBytes).toBe(0);
  });
});

describe('restoring into a new replica', () => {
  it('writes the staged blocks, clones, inflates and reads back identical; the replica is listed, nothing staged remains', async () => {
    const image = await node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 's2', mode: 'full' });
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'back', sizeBytes: image.sizeBytes, allocatedBytes: image.allocatedBytes });
    try {
      for await (const block of image.blocks(READ_BLOCK)) await sink.write(block.offset, block.data);
    } finally {
      await image.close();
    }
    const percents: number[] = [];
    const made = await sink.commit((p) => percents.push(p.percent));
    expect(made.replica).toBe('back');
    expect(percents).toEqual([0, 100]);
    const info = await node.node.replicaGet('back');
    expect(info.sizeBytes).toBe(SIZE);
    const sum = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.back' });
    expect(sum.sha256).toBe(sha(images.get('s2')!));
    // Independent of the staging file: its parent is gone and every cluster is its own.
    const [lvol] = (await node.client.call<Array<{ name: string; is_esnap_clone: boolean; num_allocated_clusters: number }>>('bdev_lvol_get_lvols')).filter((l) => l.name === 'r.back');
    expect(lvol).toMatchObject({ is_esnap_clone: false, num_allocated_clusters: SIZE / MIB });
    expect(await leftovers()).toEqual(NOTHING);
    expect(node.node.dataPath.reservedBytes).toBe(0);
    await node.node.replicaDelete('back');
  });

  it('refuses an existing replica, a bad size and a write outside the volume, with nothing left', async () => {
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'src', sizeBytes: SIZE }))).code).toBe('REPLICA_EXISTS');
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE + 4096 }))).code).toBe('INVALID_SIZE');
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'nope', replica: 'x', sizeBytes: SIZE }))).code).toBe('DISK_NOT_FOUND');
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE });
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE }))).code).toBe('REPLICA_EXISTS');
    expect((await refusal(sink.write(SIZE - 4096, Buffer.alloc(8192)))).code).toBe('INVALID_ARGUMENT');
    await sink.abort();
    await sink.abort();
    expect(await leftovers()).toEqual(NOTHING);
    expect(node.node.dataPath.reservedBytes).toBe(0);
  });

  it('an abort during the inflate deletes the clone before its staging bdev (the other order is never answered)', async () => {
    await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 1_500 });
    try {
      const abort = new AbortController();
      const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'halfway', sizeBytes: SIZE, signal: abort.signal });
      await sink.write(0, randomBytes(MIB));
      const commit = sink.commit();
      await until(async () => (await leftovers()).building.length === 1, 'the esnap clone b.halfway to exist');
      abort.abort();
      expect((await refusal(commit)).code).toBe('CANCELLED');
    } finally {
      await node.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 0 });
    }
    await until(async () => JSON.stringify(await leftovers()) === JSON.stringify(NOTHING), 'the restore to leave nothing');
    expect((await refusal(node.node.replicaGet('halfway'))).code).toBe('REPLICA_NOT_FOUND');
  });
});

describe('the raw rate of the staging directory', () => {
  it('measures write and read of a file there and removes it', async () => {
    const rate = await node.node.dataPath.measureRawRate(16 * MIB);
    expect(rate.bytes).toBe(16 * MIB);
    expect(rate.writeBytesPerSec).toBeGreaterThan(0);
    // The same writes, timed before their sync: never slower than with it.
    expect(rate.cachedWriteBytesPerSec).toBeGreaterThanOrEqual(rate.writeBytesPerSec);
    expect(rate.readBytesPerSec).toBeGreaterThan(0);
    expect(fs.readdirSync(stagingDir)).toEqual([]);
  });
});

async function until(check: () => Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
