/**
 * What the NVMe/TCP host tests check against every target (the simulator, real spdk_tgt): writes
 * down each data path, read back, and writes failing fast when the target goes away.
 */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import type { ConductorError } from '../../src/errors.js';
import type { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';

const MIB = 1024 * 1024;

/**
 * In-capsule (one block), one R2T (64 KiB), split into commands (3 MiB and a block), and
 * `parallel` writes of `each` bytes from `parallelAt` all at once (more commands than slots); then
 * a flush, every range read back and compared. Needs 1 MiB + 3 MiB + a block and the parallel span.
 */
export async function writeReadCompare(host: NvmeTcpHost, nsid: number, parallelAt: number, parallel: number, each: number): Promise<void> {
  const block = (await host.namespace(nsid)).blockBytes;
  const writes = [
    { at: 0, data: crypto.randomBytes(block) },
    { at: 64 * 1024, data: crypto.randomBytes(64 * 1024) },
    { at: MIB, data: crypto.randomBytes(3 * MIB + block) },
  ];
  for (let i = 0; i < parallel; i++) writes.push({ at: parallelAt + i * each, data: crypto.randomBytes(each) });
  await Promise.all(writes.map((w) => host.write(nsid, w.at, w.data)));
  await host.flush(nsid);
  const reads = await Promise.all(writes.map((w) => host.read(nsid, w.at, w.data.length)));
  for (const [i, read] of reads.entries()) expect(read.equals(writes[i]!.data), `write ${i} at ${writes[i]!.at}`).toBe(true);
}

/**
 * Writes 2 MiB blocks, four at a time, round `span` bytes, until 8 MiB went through, then `kill`s
 * the target: resolves with the error the writes failed with.
 */
export async function writesWhenKilled(host: NvmeTcpHost, nsid: number, span: number, kill: () => Promise<unknown>): Promise<ConductorError> {
  const data = crypto.randomBytes(2 * MIB);
  const slots = span / (2 * MIB);
  let written = 0;
  const writer = (async () => {
    for (let i = 0; ; i++) {
      await Promise.all([0, 1, 2, 3].map((j) => host.write(nsid, ((i * 4 + j) % slots) * 2 * MIB, data)));
      written += 8 * MIB;
    }
  })();
  const failed = conductorRefusal(writer);
  await until('some data written', () => written >= 8 * MIB, 60_000);
  await kill();
  return failed;
}
