/**
 * A streaming JSON value scanner for the RPC server's receive buffer.
 *
 * Why not JSON.parse: spdk_tgt's parser (lib/json) reports an incomplete value so the server can
 * wait for more bytes, counts values (more than 8192 closes the connection), lets the RPC layer see
 * duplicate keys (answered -32600), and echoes ids exactly as sent (123456789012345678901234567890
 * must not become 1.2345678901234568e+29), and keeps the text of numbers a double would change
 * (18446744073709551615, 1.0, -0) for the integer decoders. JSON.parse can do none of that.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ScanResult = { readonly kind: 'incomplete' } | { readonly kind: 'invalid' } | { readonly kind: 'ok'; readonly value: JsonValue; readonly end: number; readonly count: number };

/** The keys that appeared twice in an object: spdk_tgt's decoders refuse them (-32600 for a request). */
const duplicatedKeys = new WeakMap<object, Set<string>>();
/** The raw text of an object's "id" member, kept for request objects (top level or in a batch). */
const rawIds = new WeakMap<object, string>();
/**
 * The text of number members (object key or array index) whose JS number does not print back as
 * sent: spdk decodes integers from the text, and 2^64 - 1 and 2^64 are one double.
 */
const rawNumbers = new WeakMap<object, Map<string | number, string>>();

export function hasDuplicateKeys(value: object): boolean {
  return duplicatedKeys.has(value);
}

export function isDuplicatedKey(value: object, key: string): boolean {
  return duplicatedKeys.get(value)?.has(key) ?? false;
}

export function rawIdOf(value: object): string | undefined {
  return rawIds.get(value);
}

/** The JSON text of `container[key]` when it is a number; undefined for anything else. */
export function numberTextOf(container: object, key: string | number): string | undefined {
  const raw = rawNumbers.get(container)?.get(key);
  if (raw !== undefined) return raw;
  const v = (container as Record<string | number, unknown>)[key];
  return typeof v === 'number' ? String(v) : undefined;
}

const INCOMPLETE = Symbol('incomplete');
/** SPDK_JSON_MAX_NESTING_DEPTH (lib/json/json_parse.c). */
const MAX_NESTING_DEPTH = 64;
const INVALID = Symbol('invalid');

const WS_SPACE = 0x20;
const WS_TAB = 0x09;
const WS_LF = 0x0a;
const WS_CR = 0x0d;

function isWs(c: number): boolean {
  return c === WS_SPACE || c === WS_TAB || c === WS_LF || c === WS_CR;
}

/** Position of the first non-whitespace byte at or after `pos` (buf.length if none). */
export function skipWhitespace(buf: Buffer, pos: number): number {
  let p = pos;
  while (p < buf.length && isWs(buf[p]!)) p++;
  return p;
}

class Parser {
  pos: number;
  count = 0;

  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start;
  }

  private peek(): number {
    if (this.pos >= this.buf.length) throw INCOMPLETE;
    return this.buf[this.pos]!;
  }

  private ws(): void {
    this.pos = skipWhitespace(this.buf, this.pos);
  }

  /** `depth` 0 is the top level; request objects are at depth 0 or directly inside a top-level array. */
  value(depth: number, requestLevel: boolean): JsonValue {
    this.ws();
    const c = this.peek();
    this.count++;
    // spdk_json_parse refuses a 65th nested container (SPDK_JSON_MAX_NESTING_DEPTH) as a parse
    // error, which closes the connection; it also bounds this recursion.
    if ((c === 0x7b || c === 0x5b) && depth >= MAX_NESTING_DEPTH) throw INVALID;
    switch (c) {
      case 0x7b: // {
        return this.object(depth, requestLevel);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        throw INVALID;
    }
  }

  private object(depth: number, requestLevel: boolean): JsonValue {
    this.pos++; // {
    const out: { [key: string]: JsonValue } = {};
    const seen = new Set<string>();
    this.count++; // the end marker counts as a value, as in spdk_json_parse
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) throw INVALID;
      const key = this.string();
      this.count++;
      this.ws();
      if (this.peek() !== 0x3a) throw INVALID;
      this.pos++;
      this.ws();
      const valueStart = this.pos;
      const v = this.value(depth + 1, false);
      this.noteNumber(out, key, v, valueStart);
      if (requestLevel && key === 'id') rawIds.set(out, this.buf.toString('utf8', valueStart, this.pos));
      if (seen.has(key)) {
        const dups = duplicatedKeys.get(out);
        if (dups === undefined) duplicatedKeys.set(out, new Set([key]));
        else dups.add(key);
      }
      seen.add(key);
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = v;
      }
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x2c) continue;
      if (c === 0x7d) return out;
      throw INVALID;
    }
  }

  private array(depth: number): JsonValue {
    this.pos++; // [
    const out: JsonValue[] = [];
    this.count++;
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      const valueStart = this.pos;
      // Elements of a top-level array are batch requests: keep their raw ids too.
      const v = this.value(depth + 1, depth === 0);
      this.noteNumber(out, out.length, v, valueStart);
      out.push(v);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return out;
      throw INVALID;
    }
  }

  private noteNumber(container: object, key: string | number, v: JsonValue, start: number): void {
    if (typeof v !== 'number') return;
    const text = this.buf.toString('latin1', start, this.pos);
    if (String(v) === text) return;
    const map = rawNumbers.get(container);
    if (map === undefined) rawNumbers.set(container, new Map([[key, text]]));
    else map.set(key, text);
  }

  private literal(text: string, v: JsonValue): JsonValue {
    for (let i = 0; i < text.length; i++) {
      if (this.pos + i >= this.buf.length) throw INCOMPLETE;
      if (this.buf[this.pos + i] !== text.charCodeAt(i)) throw INVALID;
    }
    this.pos += text.length;
    return v;
  }

  /**
   * A number may end at the end of the buffer: spdk_tgt answered a bare `42` sent alone
   * (transcript 09, E17), so the end of the received bytes terminates a number.
   */
  private number(): JsonValue {
    const buf = this.buf;
    const start = this.pos;
    let p = this.pos;
    const digit = (i: number): boolean => i < buf.length && buf[i]! >= 0x30 && buf[i]! <= 0x39;
    if (buf[p] === 0x2d) {
      p++;
      if (p >= buf.length) throw INCOMPLETE;
    }
    if (buf[p] === 0x30) {
      p++;
    } else if (digit(p)) {
      while (digit(p)) p++;
    } else {
      throw INVALID;
    }
    if (p < buf.length && buf[p] === 0x2e) {
      p++;
      if (p >= buf.length) throw INCOMPLETE;
      if (!digit(p)) throw INVALID;
      while (digit(p)) p++;
    }
    if (p < buf.length && (buf[p] === 0x65 || buf[p] === 0x45)) {
      p++;
      if (p < buf.length && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
      if (p >= buf.length) throw INCOMPLETE;
      if (!digit(p)) throw INVALID;
      while (digit(p)) p++;
    }
    this.pos = p;
    return Number(buf.toString('latin1', start, p));
  }

  private string(): string {
    const buf = this.buf;
    let p = this.pos + 1;
    let plainStart = p;
    let parts: string[] | null = null;
    for (;;) {
      if (p >= buf.length) throw INCOMPLETE;
      const c = buf[p]!;
      if (c === 0x22) {
        const tail = buf.toString('utf8', plainStart, p);
        this.pos = p + 1;
        return parts === null ? tail : parts.join('') + tail;
      }
      if (c < 0x20) throw INVALID;
      if (c === 0x5c) {
        parts ??= [];
        parts.push(buf.toString('utf8', plainStart, p));
        p++;
        if (p >= buf.length) throw INCOMPLETE;
        const e = buf[p]!;
        p++;
        switch (e) {
          case 0x22:
            parts.push('"');
            break;
          case 0x5c:
            parts.push('\\');
            break;
          case 0x2f:
            parts.push('/');
            break;
          case 0x62:
            parts.push('\b');
            break;
          case 0x66:
            parts.push('\f');
            break;
          case 0x6e:
            parts.push('\n');
            break;
          case 0x72:
            parts.push('\r');
            break;
          case 0x74:
            parts.push('\t');
            break;
          case 0x75: {
            if (p + 4 > buf.length) throw INCOMPLETE;
            const hex = buf.toString('latin1', p, p + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw INVALID;
            parts.push(String.fromCharCode(parseInt(hex, 16)));
            p += 4;
            break;
          }
          default:
            throw INVALID;
        }
        plainStart = p;
        continue;
      }
      if (c < 0x80) {
        p++;
        continue;
      }
      p = utf8Sequence(buf, p);
    }
  }
}

/** Validates one multi-byte UTF-8 sequence at `p`; returns the position after it. */
function utf8Sequence(buf: Buffer, p: number): number {
  const c = buf[p]!;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 1;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 2;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 3;
    min = 0x10000;
  } else {
    throw INVALID;
  }
  let cp = c & (0x3f >> n);
  for (let i = 1; i <= n; i++) {
    if (p + i >= buf.length) throw INCOMPLETE;
    const b = buf[p + i]!;
    if ((b & 0xc0) !== 0x80) throw INVALID;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw INVALID;
  return p + n + 1;
}

/**
 * Scans one JSON value starting at `start` (leading whitespace allowed). A UTF-8 BOM, a comment or
 * any other non-JSON byte is `invalid`, exactly as spdk_tgt treats it (it then closes the connection).
 */
export function scanValue(buf: Buffer, start: number): ScanResult {
  const parser = new Parser(buf, start);
  try {
    const value = parser.value(0, true);
    return { kind: 'ok', value, end: parser.pos, count: parser.count };
  } catch (e) {
    if (e === INCOMPLETE) return { kind: 'incomplete' };
    if (e === INVALID) return { kind: 'invalid' };
    throw e;
  }
}
