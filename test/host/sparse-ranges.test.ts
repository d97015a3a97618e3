/**
 * The data ranges of a sparse file, asked once (dataRanges) and again and again of one kept perl
 * (DataRangeProbe) while the file is written, as a staged image is behind its copy. Needs a
 * filesystem that reports holes (the temp directory's ext4 here, else tmpfs); skipped only where neither does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataRangeProbe, dataRanges } from '../../src/host/sparse-ranges.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIB = 1024 * 1024;
let dir: string;
beforeEach(() => {
  dir = tempDir('sparse-ranges-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A sparse file of `size` bytes with 1 MiB of data at each offset given. */
function sparse(name: string, size: number, at: number[]): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, size);
  for (const offset of at) fs.writeSync(fd, Buffer.alloc(MIB, 7), 0, MIB, offset);
  fs.closeSync(fd);
  return file;
}

const holesKnown = async (): Promise<boolean> => {
  const ranges = await dataRanges(sparse('probe.img', 8 * MIB, [2 * MIB]), 8 * MIB);
  return ranges.length === 1 && ranges[0]![0] === 2 * MIB;
};

/**
 * A directory whose filesystem reports holes: the test directory, else one on tmpfs (which
 * answers SEEK_DATA/SEEK_HOLE since Linux 3.8), so that the test runs wherever either does.
 */
async function dirWithHoles(): Promise<string | undefined> {
  if (await holesKnown()) return dir;
  if (!fs.existsSync('/dev/shm')) return undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  dir = fs.mkdtempSync(path.join('/dev/shm', 'sparse-ranges-'));
  return (await holesKnown()) ? dir : undefined;
}

describe('data ranges of a sparse file', () => {
  it('a kept probe answers what the file holds at each look, as a one-off look does, and below the size asked', async (ctx) => {
    // Where no filesystem at hand reports holes, dataRanges answers the whole file and there is nothing to compare.
    ctx.skip((await dirWithHoles()) === undefined, `neither the test directory's filesystem nor /dev/shm (${dir}) reports holes to SEEK_DATA/SEEK_HOLE`);
    const file = sparse('image.img', 16 * MIB, [0]);
    const probe = new DataRangeProbe(file);
    try {
      expect(await probe.ranges(16 * MIB)).toEqual([[0, MIB]]);
      // The file grows data while the probe is kept, as a staging file does under its copy.
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(MIB, 7), 0, MIB, 4 * MIB);
      fs.writeSync(fd, Buffer.alloc(MIB, 7), 0, MIB, 10 * MIB);
      fs.closeSync(fd);
      const now = await probe.ranges(16 * MIB);
      expect(now).toEqual([
        [0, MIB],
        [4 * MIB, 5 * MIB],
        [10 * MIB, 11 * MIB],
      ]);
      expect(now).toEqual(await dataRanges(file, 16 * MIB));
      // Looks asked together are answered one after another, each whole.
      const [a, b] = await Promise.all([probe.ranges(16 * MIB), probe.ranges(4.5 * MIB)]);
      expect(a).toEqual(now);
      expect(b).toEqual([
        [0, MIB],
        [4 * MIB, 4.5 * MIB],
      ]);
    } finally {
      probe.close();
      probe.close();
    }
    await expect(probe.ranges(MIB)).rejects.toThrow(/no longer looked at/);
  });

  it("a file that cannot be opened fails the look with perl's reason; an aborted probe fails its looks", async () => {
    const missing = new DataRangeProbe(path.join(dir, 'missing.img'));
    await expect(missing.ranges(MIB)).rejects.toThrow(/could not list the data ranges of .*missing\.img: perl exited \(2\): open: No such file/);
    missing.close();
    const controller = new AbortController();
    const aborted = new DataRangeProbe(sparse('a.img', MIB, [0]), controller.signal);
    controller.abort();
    await expect(aborted.ranges(MIB)).rejects.toThrow(/could not list the data ranges/);
    aborted.close();
  });
});
