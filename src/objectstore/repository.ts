/**
 * Backups in a target, in the format of format.ts: blocks written once per volume, manifests,
 * and delete by mark-and-sweep over the volume's manifests.
 *
 * Delete and a concurrent backup of the same volume: a backup that finds a block present does not
 * upload it again, so a sweep that removed that block between the check and the backup's manifest
 * would leave the manifest pointing at nothing. Each side first announces itself with an object in
 * the target, then looks for the other (write, then read: S3 and a filesystem are read-after-write
 * consistent, so at least one of the two sees the other):
 * - a backup writes `inflight/<job>` (refreshed while it runs, with an expiry), then waits while a
 *   live `sweep/<id>` lease exists, and only then reads manifests and checks blocks;
 * - a delete removes the manifest, writes its sweep lease, and sweeps only if no live inflight
 *   marker exists; otherwise it leaves the unreferenced blocks for a later sweep (reported as
 *   deferred; the caller records it and sweeps again: domain/backup/jobs-sweeps.ts), never racing
 *   a backup.
 * Markers expire (a killed process's marker stops counting after leaseMs), by the writer's clock.
 * Both sides refresh theirs every leaseMs/3 while they run; one that went unrefreshed for 3/4 of
 * leaseMs (a quarter kept for clocks) does not act on a view a lapsed marker no longer protected:
 * a sweep deletes no more, a backup checks every block its manifest names again (after any sweep
 * of the volume ended) before it writes the manifest.
 */
import { randomBytes } from 'node:crypto';
import { ConductorError } from '../errors.js';
import { decodeBlock, decodeManifest, encodeBlock, encodeManifest, keys, type Manifest } from './format.js';
import type { ObjectStore } from './object-store.js';

/** Runs one target call with the caller's retry budget; the identity by default. */
export type Retrier = <T>(what: string, call: () => Promise<T>) => Promise<T>;

export interface RepositoryOptions {
  /** How long a marker counts without a refresh. */
  leaseMs: number;
  retry?: Retrier;
  /** How often a backup waiting for a sweep looks again. */
  pollMs?: number;
}

interface Lease {
  owner: string;
  expiresAtMs: number;
}

export interface DeleteResult {
  blocksRemoved: number;
  /** A backup of the volume was in flight: unreferenced blocks stay until the next sweep. */
  sweepDeferred: boolean;
}

/**
 * Oldest first: by `createdAt`, then id. Ids sort by their second only (bk-<second>-<random>), so
 * backups made within one second would list in random order by id alone.
 */
function byCreated(a: Manifest, b: Manifest): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A manifest that does not read back whole: its id and why. */
export interface CorruptManifest {
  id: string;
  reason: string;
}

export interface SweepResult extends DeleteResult {
  /** The owners (job ids) of the live inflight markers that deferred the sweep. */
  inflight: string[];
}

/** An inflight marker held by a running backup (see beginBackup). */
export interface BackupMarker {
  /** Writes the marker again with a new expiry; at least every leaseMs/3. */
  refresh(): Promise<void>;
  /**
   * If the marker went unrefreshed for 3/4 of leaseMs at some time (a sweep may have run then):
   * writes it again, waits for sweeps of the volume to end, and checks that every one of `hashes`
   * (the blocks the manifest will name) is still there; a missing one fails the backup
   * (BACKUP_TARGET_UNREACHABLE, with why). Otherwise does nothing.
   */
  confirm(hashes: Iterable<string>, signal?: AbortSignal): Promise<void>;
  end(): Promise<void>;
}

export interface BackupSummary {
  id: string;
  volume: string;
  replica: string;
  snapshot: string;
  sizeBytes: number;
  blockCount: number;
  labels: Record<string, string>;
  createdAt: string;
}

export class BackupRepository {
  private readonly retry: Retrier;

  constructor(
    readonly store: ObjectStore,
    private readonly options: RepositoryOptions,
  ) {
    this.retry = options.retry ?? ((_what, call) => call());
  }

  async volumes(signal?: AbortSignal): Promise<string[]> {
    const found = new Set<string>();
    await this.retry('list volumes', async () => {
      for await (const object of this.store.list(keys.volumes, signal)) {
        const match = /^volumes\/([^/]+)\/manifests\//.exec(object.key);
        if (match) found.add(match[1]!);
      }
    });
    return [...found].sort();
  }

  async manifestIds(volume: string, signal?: AbortSignal): Promise<string[]> {
    return this.retry('list manifests', async () => {
      const ids: string[] = [];
      for await (const object of this.store.list(keys.manifests(volume), signal)) {
        const match = /\/manifests\/([^/]+)\.json$/.exec(object.key);
        if (match) ids.push(match[1]!);
      }
      return ids.sort();
    });
  }

  /** The manifest, checked; undefined when there is none of that id. */
  async manifest(volume: string, id: string, signal?: AbortSignal): Promise<Manifest | undefined> {
    const bytes = await this.retry('read manifest', () => this.store.get(keys.manifest(volume, id), signal));
    return bytes === undefined ? undefined : decodeManifest(`${volume}/${id}`, bytes);
  }

  async manifests(volume: string, signal?: AbortSignal): Promise<Manifest[]> {
    const out: Manifest[] = [];
    for (const id of await this.manifestIds(volume, signal)) {
      const manifest = await this.manifest(volume, id, signal);
      if (manifest) out.push(manifest);
    }
    return out.sort(byCreated);
  }

  /**
   * The volume's manifests that read back whole, and those that do not (BACKUP_CORRUPT: bytes
   * changed or torn in the target), for readers that can go on without them: a backup's known
   * blocks (a block only a corrupt manifest names is checked with HEAD instead), the list, the
   * index. One bad object must not stop every later backup of the volume. A delete's sweep reads
   * strictly (`manifests`): it cannot know what a corrupt manifest still names.
   */
  async readableManifests(volume: string, signal?: AbortSignal): Promise<{ manifests: Manifest[]; corrupt: CorruptManifest[] }> {
    const manifests: Manifest[] = [];
    const corrupt: CorruptManifest[] = [];
    for (const id of await this.manifestIds(volume, signal)) {
      try {
        const manifest = await this.manifest(volume, id, signal);
        if (manifest) manifests.push(manifest);
      } catch (err) {
        if (!(err instanceof ConductorError) || err.code !== 'BACKUP_CORRUPT') throw err;
        corrupt.push({ id, reason: err.message });
      }
    }
    return { manifests: manifests.sort(byCreated), corrupt };
  }

  async writeManifest(manifest: Manifest, signal?: AbortSignal): Promise<void> {
    await this.retry('write manifest', () => this.store.put(keys.manifest(manifest.volume, manifest.id), encodeManifest(manifest), signal));
    await this.writeIndex(manifest.volume, signal);
  }

  /** The per-volume index (format.ts keys.index): a summary of every manifest, rewritten from them. Readers may use it; manifests stay the truth. */
  private async writeIndex(volume: string, signal?: AbortSignal): Promise<void> {
    // Two writers of one volume (backups ending at once, a delete) may list in one order and land
    // their writes in the other, the last one's index missing the other's manifest: each writer
    // lists again after its write and writes again if the manifests changed meanwhile. The last
    // write to land is then followed by a listing that saw every manifest written before it.
    for (let round = 0; round < 3; round++) {
      const { manifests, corrupt } = await this.readableManifests(volume, signal);
      const index = { volume, updatedAt: new Date().toISOString(), backups: manifests.map(summary), ...(corrupt.length > 0 ? { corrupt } : {}) };
      const body = Buffer.from(`${JSON.stringify(index)}\n`);
      await this.retry('write index', () => this.store.put(keys.index(volume), body, signal));
      const written = [...manifests.map((m) => m.id), ...corrupt.map((c) => c.id)].sort();
      const now = await this.manifestIds(volume, signal);
      if (now.length === written.length && now.every((id, i) => id === written[i])) return;
    }
  }

  /** Whether the target holds any block of the volume (listing stops at the first). */
  async anyBlock(volume: string, signal?: AbortSignal): Promise<boolean> {
    return this.retry('list blocks', async () => {
      for await (const _block of this.store.list(keys.blocks(volume), signal)) return true;
      return false;
    });
  }

  async hasBlock(volume: string, hash: string, signal?: AbortSignal): Promise<boolean> {
    return this.retry('check block', () => this.store.exists(keys.block(volume, hash), signal));
  }

  /**
   * Frames the block at slot[headroom, headroom + length) (a slot of block buffers, headroom at
   * least SLOT_HEADROOM) in its slot and stores it, whole under its key; returns the bytes stored.
   * The key's name may not be durable yet: syncBlocks makes it so, and must cover the block before
   * a manifest names it.
   */
  async putBlock(volume: string, hash: string, slot: Buffer, headroom: number, length: number, signal?: AbortSignal): Promise<number> {
    return this.putFrame(volume, hash, await encodeBlock(slot, headroom, length), signal);
  }

  /** Stores a block already framed (format.ts hashAndEncodeBlock), as putBlock does; returns the bytes stored. */
  async putFrame(volume: string, hash: string, frame: Buffer, signal?: AbortSignal): Promise<number> {
    await this.retry('write block', () => this.store.put(keys.block(volume, hash), frame, signal, { nameDurable: 'later' }));
    return frame.length;
  }

  /** Makes the blocks' names durable (those putBlock stored, and those found present that no manifest names yet). */
  async syncBlocks(volume: string, hashes: Iterable<string>, signal?: AbortSignal): Promise<void> {
    const blockKeys = Array.from(hashes, (hash) => keys.block(volume, hash));
    await this.retry('sync blocks', () => this.store.syncNames(blockKeys, signal));
  }

  /**
   * A block's bytes, read into `frame` and decompressed into `out` where it was compressed (slots
   * of one set): a view of one of them, checked against its hash and length (BACKUP_CORRUPT; a
   * missing block is corrupt too).
   */
  async block(volume: string, hash: string, length: number, frame: Buffer, out: Buffer, signal?: AbortSignal): Promise<Buffer> {
    const where = `${volume}/${hash.slice(0, 16)}…`;
    const size = await this.retry('read block', () => this.store.getInto(keys.block(volume, hash), frame, signal));
    if (size === undefined) throw new ConductorError('BACKUP_CORRUPT', `backup block ${where} is missing from the target`, { volume, hash });
    if (size > frame.length) throw new ConductorError('BACKUP_CORRUPT', `backup block ${where}: ${size} bytes, larger than any frame of a block`, { volume, hash });
    return decodeBlock(where, hash, length, frame.subarray(0, size), out);
  }

  /**
   * Announces a backup of `volume` (its inflight marker) and waits until no sweep of the volume
   * runs. The returned handle refreshes the marker (call it at least every leaseMs/3), checks that
   * it never lapsed, and ends it.
   */
  async beginBackup(volume: string, job: string, signal?: AbortSignal): Promise<BackupMarker> {
    const key = keys.inflightMarker(volume, job);
    const held = new HeldLease(this.options.leaseMs, () => this.putLease(key, job, signal));
    await held.write();
    try {
      await this.waitForSweeps(volume, signal);
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }
    return {
      refresh: () => held.write(),
      confirm: async (hashes, confirmSignal) => {
        if (!held.lapsed()) return;
        const gapS = Math.round(held.longestGapMs() / 1000);
        await held.write();
        await this.waitForSweeps(volume, confirmSignal);
        held.reset();
        for (const hash of hashes) {
          if (!(await this.hasBlock(volume, hash, confirmSignal))) {
            throw new ConductorError(
              'BACKUP_TARGET_UNREACHABLE',
              `the in-flight marker of backup ${job} of volume ${volume} went unrefreshed for ${gapS} s (3/4 of backup.leaseSec is the limit) and block ${hash.slice(0, 16)}… it relies on was removed meanwhile (a sweep): no manifest written`,
              { volume, job, hash },
            );
          }
        }
      },
      // Not through this repository's retrier: that one carries the job's signal, and a job ends its
      // marker after a cancel or a deadline aborted it too, when a retrier bound to an aborted signal
      // gives up before its first attempt (the marker stayed, deferring the volume's sweeps for leaseMs).
      end: async (): Promise<void> => {
        try {
          await this.store.delete(key);
        } catch {
          await this.store.delete(key);
        }
      },
    };
  }

  /** Removes a backup's inflight marker its own end could not (see BackupSweeps): only for a backup known to have ended. */
  async dropMarker(volume: string, job: string, signal?: AbortSignal): Promise<void> {
    await this.retry('drop marker', () => this.store.delete(keys.inflightMarker(volume, job), signal));
  }

  private async putLease(key: string, owner: string, signal?: AbortSignal): Promise<void> {
    const lease: Lease = { owner, expiresAtMs: Date.now() + this.options.leaseMs };
    await this.retry('write marker', () => this.store.put(key, Buffer.from(JSON.stringify(lease)), signal));
  }

  private async liveLeases(prefix: string, except?: string, signal?: AbortSignal): Promise<string[]> {
    const live: string[] = [];
    const found: string[] = [];
    await this.retry('list markers', async () => {
      found.length = 0;
      for await (const object of this.store.list(prefix, signal)) found.push(object.key);
    });
    for (const key of found) {
      if (key === except) continue;
      const bytes = await this.retry('read marker', () => this.store.get(key, signal));
      if (!bytes) continue;
      let lease: Lease | undefined;
      try {
        lease = JSON.parse(bytes.toString('utf8')) as Lease;
      } catch {
        lease = undefined;
      }
      if (lease && typeof lease.expiresAtMs === 'number' && lease.expiresAtMs > Date.now()) live.push(lease.owner);
    }
    return live;
  }

  private async waitForSweeps(volume: string, signal?: AbortSignal): Promise<void> {
    const pollMs = this.options.pollMs ?? 500;
    for (;;) {
      signal?.throwIfAborted();
      if ((await this.liveLeases(keys.sweeps(volume), undefined, signal)).length === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /**
   * Deletes a backup: its manifest first (from then on it is gone for readers), then the blocks no
   * manifest of the volume references, unless a backup of the volume is in flight or the caller
   * says not to sweep now (`sweep: false`: a backup of the volume waits to resume): then the sweep
   * is deferred, for the caller to run later. A missing backup is BACKUP_NOT_FOUND.
   */
  async deleteBackup(volume: string, id: string, signal?: AbortSignal, options: { sweep?: boolean } = {}): Promise<SweepResult> {
    const key = keys.manifest(volume, id);
    if (!(await this.retry('check manifest', () => this.store.exists(key, signal)))) {
      throw new ConductorError('BACKUP_NOT_FOUND', `no backup ${id} of volume ${volume} in the target`, { volume, id });
    }
    // The sweep after it could not tell which blocks another, unreadable, manifest names: refused
    // before anything is removed. Deleting the unreadable backup itself is the way out.
    const { corrupt } = await this.readableManifests(volume, signal);
    const other = corrupt.find((c) => c.id !== id);
    if (other) {
      throw new ConductorError('BACKUP_CORRUPT', `cannot delete ${id}: ${other.reason}; delete ${other.id} (or put its manifest back) first, nothing was removed`, { volume, id, corrupt: other.id });
    }
    await this.retry('delete manifest', () => this.store.delete(key, signal));
    const result = options.sweep === false ? { blocksRemoved: 0, sweepDeferred: true, inflight: [] } : await this.sweep(volume, signal);
    await this.writeIndex(volume, signal);
    return result;
  }

  /**
   * Mark-and-sweep of the volume's blocks under a sweep lease (see the top of this file): deferred
   * (nothing removed) while a live inflight marker exists. Idempotent: a sweep again removes what
   * an interrupted one left. The lease is refreshed while it runs; if it cannot be, the sweep stops
   * with BACKUP_TARGET_UNREACHABLE before a backup could begin beside it.
   */
  async sweep(volume: string, signal?: AbortSignal): Promise<SweepResult> {
    const leaseKey = keys.sweepLease(volume, randomBytes(6).toString('hex'));
    const held = new HeldLease(this.options.leaseMs, () => this.putLease(leaseKey, 'sweep', signal));
    await held.write();
    const refresh = setInterval(() => void held.write().catch(() => undefined), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    const check = (): void => {
      if (held.lapsed()) {
        throw new ConductorError(
          'BACKUP_TARGET_UNREACHABLE',
          `the sweep lease of volume ${volume} could not be refreshed for ${Math.round(held.longestGapMs() / 1000)} s: the sweep stops (a backup may begin); it runs again later`,
          { volume },
        );
      }
    };
    try {
      const inflight = await this.liveLeases(keys.inflight(volume), undefined, signal);
      if (inflight.length > 0) return { blocksRemoved: 0, sweepDeferred: true, inflight };
      const referenced = new Set<string>();
      for (const manifest of await this.manifests(volume, signal)) for (const [, hash] of manifest.blocks) referenced.add(hash);
      const doomed: string[] = [];
      await this.retry('list blocks', async () => {
        doomed.length = 0;
        for await (const object of this.store.list(keys.blocks(volume), signal)) {
          const hash = object.key.slice(object.key.lastIndexOf('/') + 1);
          if (!referenced.has(hash)) doomed.push(object.key);
        }
      });
      let removed = 0;
      for (const block of doomed) {
        check();
        await this.retry('delete block', () => this.store.delete(block, signal));
        removed++;
      }
      return { blocksRemoved: removed, sweepDeferred: false, inflight: [] };
    } finally {
      clearInterval(refresh);
      await this.store.delete(leaseKey).catch(() => undefined);
    }
  }
}

/**
 * A marker this process writes and refreshes, and whether it may have expired in the target at
 * some time: the expiry written counts from a write's start, and the next one is in place when it
 * ends, so the gap from one successful write's start to the next one's end (or to now) must stay
 * under 3/4 of the lease (a quarter is left for clocks).
 */
class HeldLease {
  /** When the last successful write began (its expiry counts from then). */
  private lastOkMs = 0;
  /** The longest time from a successful write's start to the end of the next one: the marker in the target may have expired within it. */
  private gapMs = 0;

  constructor(
    private readonly leaseMs: number,
    private readonly put: () => Promise<void>,
  ) {}

  async write(): Promise<void> {
    const startedMs = Date.now();
    await this.put();
    if (this.lastOkMs > 0) this.gapMs = Math.max(this.gapMs, Date.now() - this.lastOkMs);
    this.lastOkMs = Math.max(this.lastOkMs, startedMs);
  }

  /** After a write that began after every gap so far: the gaps before it no longer count. */
  reset(): void {
    this.gapMs = 0;
  }

  longestGapMs(): number {
    return Math.max(this.gapMs, Date.now() - this.lastOkMs);
  }

  lapsed(): boolean {
    return this.longestGapMs() >= (this.leaseMs * 3) / 4;
  }
}

export function summary(manifest: Manifest): BackupSummary {
  return {
    id: manifest.id,
    volume: manifest.volume,
    replica: manifest.replica,
    snapshot: manifest.snapshot,
    sizeBytes: manifest.sizeBytes,
    blockCount: manifest.blocks.length,
    labels: manifest.labels,
    createdAt: manifest.createdAt,
  };
}
