/**
 * One backup's work: stage the snapshot (data path), store the blocks the target lacks, write
 * the manifest. Incremental by content: the whole image is staged and every block already in the
 * target (by its hash) is skipped, so a block is sent once and a resumed backup finds its earlier
 * blocks present. Where the data path can (one snapshot to copy), blocks are stored while the
 * copy still runs.
 */
import { ConductorError } from '../../errors.js';
import { BLOCK_BYTES, blockSha256, COMPRESSION, FORMAT_NAME, FORMAT_VERSION, hashAndEncodeBlock, sealManifest, type Manifest } from '../../objectstore/format.js';
import { SLOT_HEADROOM, SLOT_HEADROOM_MAX, withBlockBuffers } from '../../objectstore/block-buffers.js';
import { warmBlockThreads } from '../../objectstore/hash-pool.js';
import type { BackupRepository } from '../../objectstore/repository.js';
import type { DataPath, StagedImage } from './data-path.js';

/**
 * Blocks being hashed, compressed and stored at once. A filesystem target's puts are mostly the
 * wait for their fsync, and fsyncs in flight together share the filesystem's journal commits: 4 at
 * a time left the disk idle between them. Each block holds one slot of the job's block buffers
 * (its frame is written over its bytes) and the reader one more, within the set's SLOTS
 * (block-buffers.ts).
 */
const UPLOADS_IN_FLIGHT = 8;

export interface BackupRunContext {
  id: string;
  volume: string;
  replica: string;
  snapshot: string;
  labels: Record<string, string>;
  repository: BackupRepository;
  dataPath: DataPath;
  signal: AbortSignal;
  leaseMs: number;
  phase(state: 'staging' | 'uploading'): Promise<void>;
  progress(p: { bytesDone?: number; bytesTotal?: number; uploaded?: number; skipped?: number; bytesUploaded?: number }): void;
  note(message: string, fields?: Record<string, unknown>): void;
  /** The stage waits for another copy of the snapshot (StageRequest.onWait). */
  waiting?(hold: { holder: string; progress?: { copied: number; total: number } }): void;
}

export async function runBackup(ctx: BackupRunContext): Promise<Manifest> {
  const { repository, volume, signal } = ctx;
  await ctx.phase('staging');
  // The block threads start while the stage waits on spdk_tgt, not on the upload's time.
  warmBlockThreads();
  const marker = await repository.beginBackup(volume, ctx.id, signal);
  const refresh = setInterval(() => void marker.refresh().catch(() => undefined), Math.max(1000, Math.floor(ctx.leaseMs / 3)));
  let staged: StagedImage | undefined;
  try {
    const existing = await repository.readableManifests(volume, signal);
    const known = new Set<string>();
    for (const m of existing.manifests) for (const [, hash] of m.blocks) known.add(hash);
    for (const bad of existing.corrupt) ctx.note('a manifest of the volume does not read back whole; its blocks are checked in the target instead', { backupId: bad.id, reason: bad.reason });
    // A volume with no manifest and no block in the target (its first backup) has no block to
    // find there: each block's check (a stat answered ENOENT, an S3 HEAD answered 404) is skipped,
    // and its hash and frame are made in one request to a block thread. A block another backup of the volume
    // stores meanwhile is then written again, whole, under the same key: the same bytes. A resumed
    // backup finds its earlier blocks, and checks.
    const checkPresent = known.size > 0 || existing.corrupt.length > 0 || (await repository.anyBlock(volume, signal));
    // Every backup stages the whole image and skips the blocks the target already holds. Staging
    // only the snapshot's own clusters over the last backup's map (the data path's 'delta') would
    // keep the last backup's block where a cluster the snapshot owns was rewritten with zeros,
    // since the data path drops all-zero blocks: a restore would bring the old data back.
    // A volume's first snapshot is read while spdk_tgt copies it (follow): its blocks are stored
    // behind the copy, and the phase is uploading from the copy's start.
    let uploading = false;
    const image = await ctx.dataPath.stageSnapshot({
      replica: ctx.replica,
      snapshot: ctx.snapshot,
      mode: 'full',
      follow: true,
      holder: `backup ${ctx.id}`,
      signal,
      onProgress: (p) => {
        if (!uploading) ctx.progress({ bytesDone: p.bytes, bytesTotal: p.total });
      },
      onWait: (hold) => ctx.waiting?.(hold),
    });
    staged = image;
    ctx.note('staging the whole image; blocks already in the target are skipped', { allocatedBytes: staged.allocatedBytes });
    uploading = true;
    await ctx.phase('uploading');
    const map = new Map<number, string>();
    let done = 0;
    let uploaded = 0;
    let skipped = 0;
    let bytesUploaded = 0;
    ctx.progress({ bytesDone: 0, bytesTotal: staged.allocatedBytes });
    const inFlight = new Set<Promise<void>>();
    /** Blocks stored, or found stored, that no earlier manifest names: their names are made durable before this manifest names them. */
    const unsynced = new Set<string>();
    let failure: unknown;
    // Read, hash, compress and store overlap: the reader runs ahead of at most UPLOADS_IN_FLIGHT
    // blocks, each hashed and compressed in place on a block thread, so the main loop only moves
    // offsets and the memory is the job's fixed set of slots.
    await withBlockBuffers(async (buffers) => {
      try {
        for await (const block of image.blocks(BLOCK_BYTES, signal, buffers)) {
          if (failure !== undefined) {
            block.release?.();
            break;
          }
          if (block.offset % BLOCK_BYTES !== 0) {
            block.release?.();
            throw new ConductorError('INTERNAL', `the data path yielded a block at ${block.offset}, not a multiple of ${BLOCK_BYTES}`);
          }
          const headroom = block.slot === undefined ? -1 : block.data.byteOffset - block.slot.byteOffset;
          if (headroom < SLOT_HEADROOM || headroom > SLOT_HEADROOM_MAX) {
            block.release?.();
            throw new ConductorError('INTERNAL', `the data path yielded the block at ${block.offset} outside a slot of the job's block buffers`);
          }
          const task = (async () => {
            try {
              // Where every block is stored whatever its hash (nothing to find), it is framed in the same request as its hash.
              const { hash, frame } = checkPresent ? { hash: await blockSha256(block.data), frame: undefined } : await hashAndEncodeBlock(block.slot!, headroom, block.data.length);
              map.set(block.offset / BLOCK_BYTES, hash);
              const length = block.data.length;
              // Two equal blocks of one image are stored once: the later one to be hashed skips.
              if (known.has(hash)) {
                skipped++;
              } else {
                known.add(hash);
                // In no manifest: stored now, or by a resumed or concurrent backup, its name maybe not yet durable.
                unsynced.add(hash);
                if (checkPresent && (await repository.hasBlock(volume, hash, signal))) skipped++;
                else {
                  // The frame goes over the block's own bytes, no longer needed once hashed.
                  bytesUploaded += frame ? await repository.putFrame(volume, hash, frame, signal) : await repository.putBlock(volume, hash, block.slot!, headroom, length, signal);
                  uploaded++;
                }
              }
              done += length;
              ctx.progress({ bytesDone: done, uploaded, skipped, bytesUploaded });
            } finally {
              block.release?.();
            }
          })().catch((err: unknown) => {
            failure ??= err;
          });
          inFlight.add(task);
          void task.finally(() => inFlight.delete(task));
          if (inFlight.size >= UPLOADS_IN_FLIGHT) await Promise.race(inFlight);
        }
      } finally {
        // Also when reading failed: no block task outlives the job (they end quickly on its signal).
        await Promise.all(inFlight);
      }
    });
    if (failure !== undefined) throw failure;
    signal.throwIfAborted();
    // A marker that may have lapsed let a sweep run: a block found present may be gone (repository.ts).
    await marker.confirm(map.values(), signal);
    await repository.syncBlocks(volume, unsynced, signal);
    const manifest = sealManifest({
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      id: ctx.id,
      volume,
      replica: ctx.replica,
      snapshot: ctx.snapshot,
      sizeBytes: staged.sizeBytes,
      blockBytes: BLOCK_BYTES,
      compression: COMPRESSION,
      blocks: [...map.entries()].sort((a, b) => a[0] - b[0]),
      labels: ctx.labels,
      createdAt: new Date().toISOString(),
    });
    await marker.confirm(map.values(), signal);
    await repository.writeManifest(manifest, signal);
    return manifest;
  } finally {
    clearInterval(refresh);
    await staged?.close().catch(() => undefined);
    await marker.end().catch(() => undefined);
  }
}
