/**
 * The raw sequential rates of the staging directory, the yardstick for backup and restore
 * throughput (bench:backup): a file of `bytes` written in 4 MiB chunks and fdatasync'd (the write
 * figure includes the sync; the same writes are also timed before it, the rate of a writer that
 * does not sync), then read back in the same chunks. Node cannot drop the page cache nor open with O_DIRECT portably, so the read
 * may come from memory: it is an upper bound, which makes the backup/raw ratio a conservative one.
 */
import { promises as fsp } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { ConductorError } from '../../errors.js';
import type { RawRate } from './data-path.js';
import type { StagingArea } from './staging-area.js';

const CHUNK = 4 * 1024 * 1024;

export async function measureStagingRate(staging: StagingArea, bytes: number): Promise<RawRate> {
  if (!Number.isSafeInteger(bytes) || bytes < CHUNK) throw new ConductorError('INVALID_ARGUMENT', `a rate measurement needs at least ${CHUNK} bytes, got ${bytes}`);
  const reservation = await staging.admit(bytes, 'staging rate measurement');
  const name = staging.newName('t');
  // Random bytes: a filesystem that compresses or dedups would flatter zeros.
  const chunk = randomFillSync(Buffer.allocUnsafe(CHUNK));
  try {
    const path = await staging.createSparse(name, 0);
    const writer = await fsp.open(path, 'w');
    const writeStart = performance.now();
    let cachedSec = 0;
    try {
      for (let off = 0; off < bytes; off += CHUNK) await writer.write(chunk, 0, Math.min(CHUNK, bytes - off), off);
      cachedSec = (performance.now() - writeStart) / 1000;
      await writer.datasync();
    } finally {
      await writer.close();
    }
    const writeSec = (performance.now() - writeStart) / 1000;
    const reader = await fsp.open(path, 'r');
    const readStart = performance.now();
    try {
      for (let off = 0; off < bytes; off += CHUNK) await reader.read(chunk, 0, Math.min(CHUNK, bytes - off), off);
    } finally {
      await reader.close();
    }
    const readSec = (performance.now() - readStart) / 1000;
    return { bytes, writeBytesPerSec: bytes / writeSec, cachedWriteBytesPerSec: bytes / cachedSec, readBytesPerSec: bytes / readSec };
  } finally {
    await staging.remove(name);
    reservation.release();
  }
}
