/**
 * Splits the byte stream from spdk_tgt into whole JSON values.
 *
 * spdk_tgt writes compact JSON followed by one "\n" (jsonrpc_server.c end_response; a batch's
 * array too), but nothing in JSON-RPC promises the newline and a response can arrive split at any
 * byte or many to a chunk, so values can be found by structure (brace/bracket depth outside
 * strings). The common case takes a fast path: compact JSON holds no raw newline, so if the bytes
 * from a value's first brace to the next newline parse, they are the whole value (a complete
 * object or array cannot be a proper prefix of a longer one). Once a line has been one whole value,
 * the producer is taken to write one per line: a value that goes on past its chunk ends at the
 * next newline, found natively (Buffer.indexOf) in each chunk that follows, instead of by a
 * JavaScript loop over every byte of a megabyte answer. A line that is not one value (two values
 * on a line, pretty-printed, malformed) marks the producer otherwise for good, and its bytes are
 * scanned by structure: the scan keeps its state across chunks and looks at each byte once.
 */
import { span } from '../loop-trace.js';
import { SLICED_PARSE_MIN_CHARS } from './sliced-parse.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

export class FramingError extends Error {}

export interface JsonSplitterOptions {
  /** A value larger than this is a protocol failure (a runaway or hostile peer), not a response. */
  maxValueBytes?: number;
}

export interface SplitHandlers {
  onValue(value: unknown): void;
  /** A structurally complete value that is not valid JSON: skipped, the stream goes on. */
  onMalformed(text: string): void;
  /**
   * A value of at least SLICED_PARSE_MIN_CHARS, not parsed here: the handler parses it without one
   * long task (sliced-parse.ts). Without it, such a value is parsed here like any other.
   */
  onLarge?(text: string): void;
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
  /** Whether the producer writes one value per line: unknown until a line shows it. */
  private lines: boolean | undefined;
  /** The value under construction ends at the next newline (it is held, not scanned). */
  private toNewline = false;

  constructor(options: JsonSplitterOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? 512 * 1024 * 1024;
  }

  /**
   * A value held to its newline whose bytes so far end like a whole value (in `}` or `]`): if the
   * stream pauses here, the producer may have sent it without the newline (see settle).
   */
  get mayBeWhole(): boolean {
    if (!this.toNewline) return false;
    const last = this.held[this.held.length - 1]!;
    let i = last.length - 1;
    while (i >= 0 && (last[i] === 0x20 || last[i] === 0x0d || last[i] === 0x09)) i--;
    return last[i] === CLOSE_BRACE || last[i] === CLOSE_BRACKET;
  }

  /**
   * The stream paused while mayBeWhole: the held bytes are split by structure. A whole value there
   * means this producer does not end each value with a newline after all, and it is not taken to
   * again; a value still open was only a pause, and the scan finishes it. Throws FramingError as
   * push does.
   */
  settle(handlers: SplitHandlers): void {
    if (!this.toNewline) return;
    const held = Buffer.concat(this.held);
    const lines = this.lines;
    this.toNewline = false;
    this.held = [];
    this.heldBytes = 0;
    this.lines = false;
    this.push(held, handlers);
    if (this.depth > 0) this.lines = lines;
  }

  /** True while part of a value is held: a connection closing now cut a response short. */
  get midValue(): boolean {
    return this.depth > 0 || this.toNewline;
  }

  /**
   * Feeds one chunk; hands each complete top-level value to `handlers.onValue`, in order.
   * Throws FramingError on bytes that cannot start a value; the connection is then unusable.
   */
  push(chunk: Buffer, handlers: SplitHandlers): void {
    const n = chunk.length;
    let i: number;
    if (this.toNewline) i = this.lineEnd(chunk, handlers);
    else if (this.depth > 0) i = this.scan(chunk, 0, 0, handlers);
    else i = this.wholeLines(chunk, handlers);
    while (i < n) {
      const b = chunk[i]!;
      if (b === 0x20 || b === NEWLINE || b === 0x0d || b === 0x09) {
        i++;
        continue;
      }
      if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
        this.reset();
        throw new FramingError(`unexpected byte 0x${b.toString(16)} between JSON values`);
      }
      const newline = chunk.indexOf(NEWLINE, i);
      if (newline !== -1) {
        const value = tryParse(chunk.toString('utf8', i, newline));
        if (value !== undefined) {
          this.lines ??= true;
          handlers.onValue(value);
          i = newline + 1;
          continue;
        }
        this.lines = false;
      } else if (this.lines) {
        this.toNewline = true;
        this.hold(chunk.subarray(i));
        break;
      }
      this.depth = 1;
      i = this.scan(chunk, i, i + 1, handlers);
    }
    this.bsChunk = undefined;
  }

  /**
   * The usual chunk from spdk_tgt is whole lines of compact JSON ending in "\n": decode it once and
   * parse line by line. Returns how many bytes it consumed; the general path takes the rest (a
   * line that is not one whole object or array, e.g. two values or a pretty-printed one).
   */
  private wholeLines(chunk: Buffer, handlers: SplitHandlers): number {
    if (chunk.length === 0 || chunk[chunk.length - 1] !== NEWLINE) return 0;
    const text = chunk.toString('utf8');
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end);
      if (line.trim() !== '') {
        const value = tryParse(line);
        if (value === null || typeof value !== 'object') return Buffer.byteLength(text.slice(0, start));
        this.lines ??= true;
        handlers.onValue(value);
      }
      start = end + 1;
    }
    return chunk.length;
  }

  /**
   * The rest of a value held until its newline (see push). The text to the newline is the value
   * when it parses; a large one goes to `onLarge` unparsed, and one that then fails to parse is
   * reported like any malformed value. A small one that does not parse was not one value per line:
   * the held bytes and this chunk are split again by structure.
   */
  private lineEnd(chunk: Buffer, handlers: SplitHandlers): number {
    const newline = chunk.indexOf(NEWLINE);
    if (newline === -1) {
      if (chunk.length > 0) this.hold(chunk);
      return chunk.length;
    }
    const held = this.held;
    this.toNewline = false;
    this.held = [];
    this.heldBytes = 0;
    const text = Buffer.concat([...held, chunk.subarray(0, newline)]).toString('utf8');
    if (handlers.onLarge && text.length >= SLICED_PARSE_MIN_CHARS) {
      handlers.onLarge(text);
      return newline + 1;
    }
    const value = tryParse(text);
    if (value !== undefined) {
      handlers.onValue(value);
      return newline + 1;
    }
    this.lines = false;
    this.push(Buffer.concat([...held, chunk]), handlers);
    return chunk.length;
  }

  /** Forgets any partial value (after the connection it came on is gone). */
  reset(): void {
    this.held = [];
    this.heldBytes = 0;
    this.toNewline = false;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.bsChunk = undefined;
  }

  /**
   * Scans a value that started at `start` (or in an earlier chunk when depth > 0 on entry) from
   * `from`; returns the index just past its end, or the chunk length after holding the part.
   */
  private scan(chunk: Buffer, start: number, from: number, handlers: SplitHandlers): number {
    const n = chunk.length;
    let i = from;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) {
        this.inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        this.depth++;
      } else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --this.depth === 0) {
        const text = this.take(chunk, start, i + 1);
        if (handlers.onLarge && text.length >= SLICED_PARSE_MIN_CHARS) {
          handlers.onLarge(text);
          return i + 1;
        }
        const value = tryParse(text);
        if (value === undefined) handlers.onMalformed(text);
        else handlers.onValue(value);
        return i + 1;
      }
      i++;
    }
    this.hold(chunk.subarray(start));
    return n;
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

/** The parsed value, or undefined when `text` is not one whole JSON value. */
function tryParse(text: string): unknown {
  try {
    return span('spdk answer parse', () => JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
