/**
 * Splits the byte stream from spdk_tgt into whole JSON values.
 *
 * spdk_tgt writes compact JSON followed by one "\n", but nothing in JSON-RPC promises the newline
 * and a response can arrive split at any byte or many to a chunk, so values are delimited by
 * structure (brace/bracket depth outside strings), not by lines. Each byte is looked at once:
 * state survives across chunks, and runs inside strings are skipped with indexOf.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class FramingError extends Error {}

export interface JsonSplitterOptions {
  /** A value larger than this is a protocol failure (a runaway or hostile peer), not a response. */
  maxValueBytes?: number;
}

export class JsonSplitter {
  private readonly maxValueBytes: number;
  /** Bytes of the value under construction that came in earlier chunks. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private depth = 0;
  private inString = false;
  /** The previous byte inside a string was an unescaped backslash. */
  private escaped = false;
  private bsChunk: Buffer | undefined;
  private bsPos = -1;

  constructor(options: JsonSplitterOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? 512 * 1024 * 1024;
  }

  /** True while part of a value is held: a connection closing now cut a response short. */
  get midValue(): boolean {
    return this.depth > 0;
  }

  /**
   * Feeds one chunk; calls `onValue` with the text of each complete top-level value in order.
   * Throws FramingError on bytes that cannot start a value; the connection is then unusable.
   */
  push(chunk: Buffer, onValue: (text: string) => void): void {
    let start = this.depth > 0 ? 0 : -1;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (b === OPEN_BRACE || b === OPEN_BRACKET) {
          start = i;
          this.depth = 1;
        } else if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) {
          throw new FramingError(`unexpected byte 0x${b.toString(16)} between JSON values`);
        }
        i++;
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        this.depth++;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          onValue(this.take(chunk, start, i + 1));
          start = -1;
        }
      }
      i++;
    }
    this.bsChunk = undefined;
    if (this.depth > 0 && start >= 0) {
      this.hold(chunk.subarray(start));
    }
  }

  /** Forgets any partial value (after the connection it came on is gone). */
  reset(): void {
    this.held = [];
    this.heldBytes = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  /** Advances past string content; returns the index after the closing quote or chunk end. */
  private skipString(chunk: Buffer, from: number): number {
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (;;) {
      const q = chunk.indexOf(QUOTE, i);
      const bs = this.nextBackslash(chunk, i);
      if (bs !== -1 && (q === -1 || bs < q)) {
        if (bs + 1 >= chunk.length) {
          this.escaped = true;
          return chunk.length;
        }
        i = bs + 2;
        continue;
      }
      if (q === -1) {
        return chunk.length;
      }
      this.inString = false;
      return q + 1;
    }
  }

  /**
   * The first backslash at or after `from`, remembered per chunk: backslashes are rare, and
   * searching the rest of a megabyte chunk once per string would make parsing quadratic.
   */
  private nextBackslash(chunk: Buffer, from: number): number {
    if (this.bsChunk !== chunk || (this.bsPos !== -1 && this.bsPos < from)) {
      this.bsChunk = chunk;
      this.bsPos = chunk.indexOf(BACKSLASH, from);
    }
    return this.bsPos;
  }

  private take(chunk: Buffer, start: number, end: number): string {
    if (this.heldBytes === 0) {
      return chunk.toString('utf8', start, end);
    }
    this.held.push(chunk.subarray(0, end));
    const text = Buffer.concat(this.held).toString('utf8');
    this.held = [];
    this.heldBytes = 0;
    return text;
  }

  private hold(part: Buffer): void {
    this.heldBytes += part.length;
    if (this.heldBytes > this.maxValueBytes) {
      this.reset();
      throw new FramingError(`a JSON value exceeded ${this.maxValueBytes} bytes`);
    }
    // Copy: the socket may reuse the chunk's memory once this handler returns.
    this.held.push(Buffer.from(part));
  }
}
