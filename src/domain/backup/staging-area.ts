/**
 * The staging directory: sparse files that spdk_tgt opens as aio bdevs, and the space they may
 * take. Space is admitted like memory: a stage or restore reserves the bytes it will write before
 * anything is made, against statfs's free bytes less what running stages reserved and less the
 * space kept free (the state file may share the filesystem); what does not fit is refused with
 * the numbers. Every name here carries the `bk-` prefix: at start, every `bk-` file in the
 * directory and every `bk-` aio bdev in spdk_tgt is a leftover of a killed process (no other
 * writer uses the directory, and a service owns its spdk_tgt), so no record of them is kept.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConductorError } from '../../errors.js';

export const STAGING_PREFIX = 'bk-';
/** s: a staged snapshot, r: a restore, t: a rate measurement, z: a cluster of zeros (zero-cluster.ts). */
export type StagingKind = 's' | 'r' | 't' | 'z';
const STAGING_FILE = /^bk-[srtz]-[0-9a-f]{16}\.img$/;

export interface StagingSettings {
  /** Absolute; made on first use. */
  readonly dir: string;
  readonly keepFreeBytes: number;
  /** How a restore writes the new replica (backup.restoreVia): over NVMe/TCP (default) or through a staging file it inflates. */
  readonly restoreVia?: 'nvmf-tcp' | 'staging';
  /** A restore's NVMe/TCP connect or command deadline (backup.restoreIoTimeoutMs); default the host's 30 s. */
  readonly restoreIoTimeoutMs?: number;
  /** A restore's loopback export takes a DH-HMAC-CHAP key pair of its own (backup.restoreAuth); default dhchap. */
  readonly restoreAuth?: 'dhchap' | 'none';
  /** How a restore writes its staging file (backup.restoreDirectIo, staging-writer.ts); default auto. */
  readonly restoreDirectIo?: 'auto' | 'on' | 'off';
  /**
   * A restore's inflate deadline: this floor (spdk.slowDeadlineMs) plus inflateMsPerGib
   * (backup.inflateSecPerGib) per GiB of the volume, begun; see inflateDeadlineMs in restore-sink.ts.
   */
  readonly inflateFloorMs?: number;
  readonly inflateMsPerGib?: number;
}

export interface Reservation {
  readonly bytes: number;
  /** Idempotent. */
  release(): void;
}

export class StagingArea {
  private reserved = 0;
  /** Names handed out and not removed yet: a sweep while the service runs leaves them alone. */
  private readonly live = new Set<string>();

  constructor(readonly settings: StagingSettings) {}

  /** A new name for a staging file and its aio bdev (the same string). */
  newName(kind: StagingKind): string {
    const name = `${STAGING_PREFIX}${kind}-${randomBytes(8).toString('hex')}`;
    this.live.add(name);
    return name;
  }

  /** A name of a stage, restore or measurement under way (its file or bdev is not a leftover). */
  isLive(name: string): boolean {
    return this.live.has(name);
  }

  file(name: string): string {
    return path.join(this.settings.dir, `${name}.img`);
  }

  /** Reserves `bytes` of the directory for `what`, or refuses with the numbers (STAGING_SPACE_EXHAUSTED). */
  async admit(bytes: number, what: string): Promise<Reservation> {
    await fsp.mkdir(this.settings.dir, { recursive: true, mode: 0o700 });
    const stats = await fsp.statfs(this.settings.dir);
    const free = stats.bavail * stats.bsize;
    const usable = free - this.reserved - this.settings.keepFreeBytes;
    if (bytes > usable) {
      throw new ConductorError(
        'STAGING_SPACE_EXHAUSTED',
        `${what} needs ${bytes} bytes of staging space in ${this.settings.dir}, which has ${free} bytes free, ${this.reserved} reserved by running backups and restores and ${this.settings.keepFreeBytes} kept free (backup.stagingKeepFreeMib): ${Math.max(0, usable)} usable`,
        { neededBytes: bytes, freeBytes: free, reservedBytes: this.reserved, keepFreeBytes: this.settings.keepFreeBytes },
      );
    }
    this.reserved += bytes;
    let held = true;
    return {
      bytes,
      release: () => {
        if (!held) return;
        held = false;
        this.reserved -= bytes;
      },
    };
  }

  /** Bytes reserved by stages and restores under way. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** A new sparse file of `sizeBytes` (no block allocated), created exclusively. */
  async createSparse(name: string, sizeBytes: number): Promise<string> {
    const file = this.file(name);
    const handle = await fsp.open(file, 'wx', 0o600);
    try {
      await handle.truncate(sizeBytes);
    } finally {
      await handle.close();
    }
    return file;
  }

  /** Removes a staging file; a missing one is fine. */
  async remove(name: string): Promise<void> {
    await fsp.rm(this.file(name), { force: true });
    this.live.delete(name);
  }

  /** The staging files in the directory (names without `.img`). */
  async leftovers(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fsp.readdir(this.settings.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries.filter((e) => STAGING_FILE.test(e)).map((e) => e.slice(0, -'.img'.length));
  }
}

export function isStagingName(name: string): boolean {
  return STAGING_FILE.test(`${name}.img`);
}
