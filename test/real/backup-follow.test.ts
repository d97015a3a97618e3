/**
 * The backup data path's reading behind a running copy (follow), on a real spdk_tgt v26.05: a
 * replica written by spdk_dd over NVMe/TCP (the first 96 MiB, in 3 MiB stretches every 4 MiB, so
 * that holes sit between its clusters and inside blocks), its first snapshot staged followed and
 * staged whole, and both reads (into block buffers, with O_DIRECT as a backup reads a file
 * spdk_tgt wrote) give the same blocks with the same bytes, which are what was written; nothing
 * staged is left. The rule the follower trusts (blobstore.c copies clusters in
 * ascending order and counts one once its write is done) is spdk_tgt's, so it is checked here.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StagedImage } from '../../src/domain/backup/data-path.js';
import { withBlockBuffers } from '../../src/objectstore/block-buffers.js';
import { ddOk, HAS_DD, MIB, RealNode, SPDK_TGT } from './helpers/real-node.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000f1';
const SIZE = 128 * MIB;
const WRITTEN = 96 * MIB;
const BLOCK = 2 * MIB;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Reads as a backup does: into the slots of block buffers (so with O_DIRECT, at the slots' aligned headroom). */
async function read(image: StagedImage): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  await withBlockBuffers(async (buffers) => {
    for await (const block of image.blocks(BLOCK, undefined, buffers)) {
      out.push([block.offset, sha(block.data)]);
      block.release?.();
    }
  });
  return out;
}

describe.skipIf(!SPDK_TGT || !HAS_DD)('backup staging followed behind a real shallow copy (SPDK_TGT)', () => {
  let node: RealNode;
  const image = Buffer.alloc(SIZE);

  beforeAll(async () => {
    node = await RealNode.start('follow');
    await node.domain.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
    const info = await node.domain.replicaCreate('r', 'd', SIZE, undefined, [HOST]);
    // 3 MiB of data in every 4 MiB (spdk_dd writes the zeros between too): zeros inside blocks, holes past 96 MiB.
    for (let off = 0; off < WRITTEN; off += 4 * MIB) randomBytes(3 * MIB).copy(image, off);
    const input = path.join(node.dir, 'input');
    fs.writeFileSync(input, image.subarray(0, WRITTEN));
    await ddOk(node.dir, info.export!, { write: input }, WRITTEN, { hostnqn: HOST });
    await node.domain.replicaUnexpose('r');
    await node.domain.snapshotCreate({ replicaName: 'r', name: 's1' });
  }, 300_000);

  afterAll(async () => {
    await node?.close();
  });

  it('reads the same blocks followed as staged whole, and they are what was written', async () => {
    const followed = await node.domain.dataPath.stageSnapshot({ replica: 'r', snapshot: 's1', mode: 'full', follow: true });
    let behind: Array<[number, string]>;
    try {
      behind = await read(followed);
    } finally {
      await followed.close();
    }
    const whole = await node.domain.dataPath.stageSnapshot({ replica: 'r', snapshot: 's1', mode: 'full' });
    let after: Array<[number, string]>;
    try {
      after = await read(whole);
    } finally {
      await whole.close();
    }
    const expected: Array<[number, string]> = [];
    for (let off = 0; off < SIZE; off += BLOCK) {
      const block = image.subarray(off, off + BLOCK);
      if (!block.equals(Buffer.alloc(BLOCK))) expected.push([off, sha(block)]);
    }
    expect(after).toEqual(expected);
    expect(behind).toEqual(expected);
    const staging = path.join(node.dir, 'backup-staging');
    expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
    const bdevs = (await node.service.client.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
    expect(bdevs).toEqual([]);
  }, 300_000);
});
