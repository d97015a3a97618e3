/**
 * The state file's write path: one write at a time, group commit behind it, and each write atomic
 * (a temp file written and fsynced, renamed over the old one, the directory fsynced), so that a
 * crash at any point leaves either the old file or the new one, never a torn one. StateFile
 * (state-file.ts) keeps the records and says what to write; its text is made by state-serialize.ts.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConductorError, type ErrorCode } from '../../errors.js';
import { injectedWriteFault } from './write-faults.js';
import { renderState, type CapturedState } from './state-serialize.js';

/** Buffers per writev: Linux's IOV_MAX. */
const IOV_MAX = 1024;

/**
 * What a failed write means to the caller, by errno: a full or read-only filesystem is a state of
 * the node someone can change (RESOURCE_EXHAUSTED, FAILED_PRECONDITION); anything else is a fault.
 */
const WRITE_ERRORS: ReadonlyMap<string, { code: ErrorCode; advice: string }> = new Map([
  ['ENOSPC', { code: 'STATE_FILE_NO_SPACE', advice: 'its filesystem is full; free space there, then retry' }],
  ['EDQUOT', { code: 'STATE_FILE_NO_SPACE', advice: "its filesystem's quota is used up; free space or raise the quota, then retry" }],
  ['EROFS', { code: 'STATE_FILE_READ_ONLY', advice: 'its filesystem is read-only; remount it writable or move state.file, then retry' }],
]);

/** The temp file a write makes before its rename; one left by a write that died is removed at open. */
export function tempFileOf(file: string): string {
  return `${file}.tmp`;
}

export class StateWriter {
  /** Writes are serialized: each waits for the previous rename, and batches what came meanwhile. */
  private writing: Promise<void> = Promise.resolve();
  /** The write that has not started yet: changes made now are carried by it. */
  private queued: Promise<void> | undefined;
  private dirty = false;
  /** Undo steps of the changes no write has carried yet (StateFile's putRecord and putUndoable). */
  private unwritten: Array<(error: Error) => void> = [];
  /**
   * The state file's directory, kept open while writes follow one another (under churn they run
   * back to back): its open and close were a quarter of a write's I/O calls. The write after
   * which none is queued closes it, so at rest nothing is held.
   */
  private directory: fsp.FileHandle | undefined;

  /** `capture` takes the data as it is now, synchronously: a write carries exactly what it took. */
  constructor(
    readonly file: string,
    private readonly capture: () => CapturedState,
    private readonly log: Logger,
  ) {}

  /**
   * A change just made in memory, undone with the write's error if the write that carries it fails
   * (before any later write can carry it).
   */
  undoIfUnwritten(undo: (error: Error) => void): void {
    this.unwritten.push(undo);
  }

  /** Resolves once the current data (and anything changed before this call) is durable. */
  flush(): Promise<void> {
    this.dirty = true;
    // Group commit: every change made while a write runs is carried by the one write queued
    // behind it, which all their callers share (64 callers in a loop each cost one write per
    // round, not 64: scripts/bench-state-file.ts).
    if (this.queued) return this.queued;
    const next = this.writing
      .catch(() => undefined)
      .then(async () => {
        this.queued = undefined;
        if (!this.dirty) return;
        this.dirty = false;
        // Taken in the same tick as writeNow serializes the data: exactly the changes it carries.
        const carried = this.unwritten.splice(0);
        try {
          await this.writeNow();
        } catch (err) {
          this.dirty = true;
          this.log.error({ err: (err as Error).message, file: this.file }, 'state file write failed');
          const failure = writeFailure(this.file, err);
          for (const undo of carried.reverse()) undo(failure);
          throw failure;
        } finally {
          if (!this.queued) await this.closeDirectory();
        }
      });
    this.writing = next;
    this.queued = next;
    return next;
  }

  /** Asynchronous I/O throughout: an fsync must never stall the event loop (and so liveness). */
  private async writeNow(): Promise<void> {
    const tmp = tempFileOf(this.file);
    const pieces = await renderState(this.capture());
    await injectedWriteFault();
    const file = await fsp.open(tmp, 'w', 0o600);
    let bytes: number;
    try {
      bytes = await writeAll(file, pieces);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsp.rename(tmp, this.file);
    this.directory ??= await fsp.open(path.dirname(this.file), 'r');
    await this.directory.sync();
    this.log.debug({ bytes }, 'state file written');
  }

  private async closeDirectory(): Promise<void> {
    const dir = this.directory;
    this.directory = undefined;
    await dir?.close();
  }
}

/** Writes the buffers in order from the file's start, IOV_MAX at a time, past short writes; returns the bytes written. */
async function writeAll(file: fsp.FileHandle, buffers: Buffer[]): Promise<number> {
  let position = 0;
  for (let i = 0; i < buffers.length; ) {
    let { bytesWritten } = await file.writev(buffers.slice(i, i + IOV_MAX), position);
    position += bytesWritten;
    while (i < buffers.length && bytesWritten >= buffers[i]!.length) bytesWritten -= buffers[i++]!.length;
    if (bytesWritten > 0) buffers[i] = buffers[i]!.subarray(bytesWritten);
  }
  return position;
}

function writeFailure(file: string, err: unknown): ConductorError {
  const errno = (err as NodeJS.ErrnoException).code;
  const known = errno === undefined ? undefined : WRITE_ERRORS.get(errno);
  if (known) return new ConductorError(known.code, `cannot write the state file ${file} (${errno}): ${known.advice}`, { errno });
  return new ConductorError('STATE_FILE_UNWRITABLE', `cannot write the state file ${file}: ${(err as Error).message}`, { errno });
}
