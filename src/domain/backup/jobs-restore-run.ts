/**
 * One restore's work: read the backup's manifest (checked: format, checksum, map digest), fetch
 * each block and check it against its SHA-256 and length before it is written, then let the data
 * path make the replica. Every block written was verified, and the map they were found by was
 * verified, so the restored image is the backed-up one; a mismatch fails with BACKUP_CORRUPT and
 * the half-made restore is removed.
 */
import { ConductorError } from '../../errors.js';
import { BLOCK_BYTES } from '../../objectstore/format.js';
import type { BackupRepository } from '../../objectstore/repository.js';
import type { DataPath, RestoreSink } from './data-path.js';
import { FRAME_AT, RESTORE_SLOTS, withRestoreSlots } from './restore-slots.js';

/** Blocks being fetched, checked and written at once: each holds two slots of the job's set (its frame and its bytes). */
const BLOCKS_IN_FLIGHT = RESTORE_SLOTS / 2;

export interface RestoreRunContext {
  volume: string;
  backupId: string;
  disk: string;
  replica: string;
  repository: BackupRepository;
  dataPath: DataPath;
  signal: AbortSignal;
  phase(state: 'downloading' | 'committing'): Promise<void>;
  progress(p: { bytesDone?: number; bytesTotal?: number }): void;
  /** A step that reports no progress starts and may take up to `ms` (the inflate): no stall before that. */
  expect?(step: string, ms: number): void;
}

export async function runRestore(ctx: RestoreRunContext): Promise<{ replica: string; uuid: string }> {
  const { repository, volume, signal } = ctx;
  const manifest = await repository.manifest(volume, ctx.backupId, signal);
  if (!manifest) throw new ConductorError('BACKUP_NOT_FOUND', `no backup ${ctx.backupId} of volume ${volume} in the target`, { volume, backupId: ctx.backupId });
  // Blocks go through slots of BLOCK_BYTES (the format's fixed size): a larger one is not this format's.
  if (manifest.blockBytes > BLOCK_BYTES)
    throw new ConductorError('BACKUP_CORRUPT', `backup ${ctx.backupId} has blocks of ${manifest.blockBytes} bytes; this format's are ${BLOCK_BYTES}`, { volume, backupId: ctx.backupId });
  await ctx.phase('downloading');
  const bytesTotal = manifest.blocks.reduce((sum, [index]) => sum + lengthOf(manifest.sizeBytes, manifest.blockBytes, index), 0);
  const sink: RestoreSink = await ctx.dataPath.openRestore({
    disk: ctx.disk,
    replica: ctx.replica,
    sizeBytes: manifest.sizeBytes,
    allocatedBytes: bytesTotal,
    signal,
    origin: { volume, backupId: ctx.backupId },
  });
  let committed = false;
  try {
    const total = manifest.blocks.length;
    ctx.progress({ bytesDone: 0, bytesTotal });
    let done = 0;
    let next = 0;
    let failure: { error: unknown } | undefined;
    // A few workers, each fetching a block into its slot, decompressing and checking it in place on
    // a block thread and writing it at its own offset: downloads, checks and writes overlap, and
    // the memory is the job's fixed set of slots.
    await withRestoreSlots(sink.directIo === true, async (slots) => {
      const worker = async (frame: Buffer, out: Buffer): Promise<void> => {
        while (next < total && !failure) {
          const [index, hash] = manifest.blocks[next++]!;
          try {
            signal.throwIfAborted();
            const data = await repository.block(volume, hash, lengthOf(manifest.sizeBytes, manifest.blockBytes, index), frame, out, signal);
            await sink.write(index * manifest.blockBytes, data);
            done += data.length;
            ctx.progress({ bytesDone: done });
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      // Every worker ends before the sink is aborted or committed (and before the slots go to the
      // next restore); the first failure stops them all.
      await Promise.all(Array.from({ length: Math.min(BLOCKS_IN_FLIGHT, total) }, (_, i) => worker(slots[2 * i]!.subarray(FRAME_AT), slots[2 * i + 1]!)));
    });
    if (failure) throw failure.error;
    signal.throwIfAborted();
    await ctx.phase('committing');
    const made = await sink.commit((p) => {
      if (p.expectMs !== undefined) ctx.expect?.(p.step ?? 'commit', p.expectMs);
    });
    committed = true;
    return made;
  } finally {
    if (!committed) await sink.abort().catch(() => undefined);
  }
}

function lengthOf(sizeBytes: number, blockBytes: number, index: number): number {
  return Math.min(blockBytes, sizeBytes - index * blockBytes);
}
