/**
 * Block storage held in memory only where it was written: reads of untouched ranges are zeros.
 * Malloc bdevs and the lvol data on them live here, so RSS follows written data, not bdev size.
 */
const CHUNK = 64 * 1024;

export class SparseStore {
  private readonly chunks = new Map<number, Buffer>();

  read(offset: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    let pos = 0;
    while (pos < length) {
      const abs = offset + pos;
      const idx = Math.floor(abs / CHUNK);
      const within = abs - idx * CHUNK;
      const n = Math.min(CHUNK - within, length - pos);
      const chunk = this.chunks.get(idx);
      if (chunk) chunk.copy(out, pos, within, within + n);
      pos += n;
    }
    return out;
  }

  write(offset: number, data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      const abs = offset + pos;
      const idx = Math.floor(abs / CHUNK);
      const within = abs - idx * CHUNK;
      const n = Math.min(CHUNK - within, data.length - pos);
      let chunk = this.chunks.get(idx);
      if (chunk === undefined) {
        if (isZero(data, pos, pos + n)) {
          pos += n;
          continue;
        }
        chunk = Buffer.alloc(CHUNK);
        this.chunks.set(idx, chunk);
      }
      data.copy(chunk, within, pos, pos + n);
      pos += n;
    }
  }

  /** Forgets everything beyond `size` bytes (a shrink). */
  truncate(size: number): void {
    for (const idx of [...this.chunks.keys()]) if (idx * CHUNK >= size) this.chunks.delete(idx);
  }

  clear(): void {
    this.chunks.clear();
  }
}

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}
