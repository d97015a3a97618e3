/**
 * The state file's text, kept current record by record so that a write costs what changed since
 * the last one, not the file: at 3,000 snapshot records, 1,000 exports and 300 engines (891 KiB)
 * making the whole text per write (entries walked, unfrozen records stringified again, one join,
 * one encode) cost ~15 ms of main-thread CPU, and under churn writes run back to back.
 *
 * Each table's records sit in blocks of up to BLOCK_RECORDS, in the order JSON.stringify gives an
 * object's keys (array indices first in numeric order, then insertion order; a key set again
 * keeps its place). A block's bytes are made once and kept until one of its records changes; a
 * write takes the blocks as they are in one tick (records are frozen and blocks' bytes are never
 * changed in place, so later changes do not reach it), makes the changed blocks' bytes in slices
 * and hands the pieces to writev. The text is byte for byte JSON.stringify(data, null, 1).
 */
import { SLICE_MS } from './slices.js';

/**
 * Records per block: a change costs making its block's bytes again (a copy of ~6 KiB of export
 * records at 32), and a write passes one buffer per block to writev. At bench:state-file's size
 * 16, 32, 64 and 128 cost about the same per write of 1 to 64 changes (0.1 to 0.6 ms); 32 keeps
 * both the copies and the buffers few.
 */
const BLOCK_RECORDS = 32;

/** A block this small after a delete joins its next neighbour when they fit in one. */
const BLOCK_MERGE_BELOW = BLOCK_RECORDS / 4;

/** Deep-freezes a record so that its text may be kept; returns it. */
export function frozenRecord<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozenRecord(inner);
    Object.freeze(value);
  }
  return value;
}

/** A frozen deep copy of a JSON value: a caller's object is stored without being shared or frozen. */
export function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  // fromEntries defines own properties: a key `__proto__` stays a key, as in a parsed file.
  const copy = Array.isArray(value) ? value.map(frozenCopy) : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, frozenCopy(inner)]));
  return Object.freeze(copy) as T;
}

/**
 * One record in a table's text: `,\n  "key": {…}`, encoded. Made once; then it lives in its block's
 * bytes (at start..end), so that making the block again copies it without a buffer per record.
 */
class Entry {
  private bytes: Buffer | undefined;
  private start = 0;
  private end = 0;

  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {}

  /** Its length, its text made if it has none yet. */
  length(): number {
    if (this.bytes === undefined) {
      this.bytes = Buffer.from(`,\n  ${JSON.stringify(this.key)}: ${indent(JSON.stringify(this.value, null, 1), '  ')}`);
      this.end = this.bytes.length;
    }
    return this.end - this.start;
  }

  /** Copies its text into `target` at `at`, and lives there from now on; returns the end. */
  moveTo(target: Buffer, at: number): number {
    const end = at + this.length();
    this.bytes!.copy(target, at, this.start, this.end);
    this.bytes = target;
    this.start = at;
    this.end = end;
    return end;
  }
}

interface Block {
  readonly entries: Entry[];
  /** The entries' text, while none of them changed. */
  bytes: Buffer | undefined;
  /** Counts changes: bytes made from a capture are kept only if nothing changed meanwhile. */
  version: number;
}

/** A block that changed since its bytes were made, as it was when the write was taken. */
interface Changed {
  readonly block: Block;
  readonly version: number;
  readonly entries: readonly Entry[];
}

type Piece = Buffer | Changed;

/** One table's records (values frozen) as text, in JSON.stringify's key order. */
export class TableText {
  /** Records whose keys are array indices: JSON.stringify puts them first, in numeric order. */
  private readonly indexed: Block = block();
  private readonly blocks: Block[] = [];
  private readonly blockOf = new Map<string, Block>();

  get size(): number {
    return this.blockOf.size;
  }

  /** Sets a record: a key it has keeps its place, a new key goes last (an index in its order). */
  set(key: string, value: unknown): void {
    const entry = new Entry(key, value);
    const held = this.blockOf.get(key);
    if (held) {
      held.entries[held.entries.findIndex((e) => e.key === key)] = entry;
      changed(held);
      return;
    }
    if (isArrayIndex(key)) {
      const entries = this.indexed.entries;
      const at = entries.findIndex((e) => Number(e.key) > Number(key));
      entries.splice(at === -1 ? entries.length : at, 0, entry);
      this.blockOf.set(key, this.indexed);
      changed(this.indexed);
      return;
    }
    let last = this.blocks.at(-1);
    if (!last || last.entries.length >= BLOCK_RECORDS) {
      last = block();
      this.blocks.push(last);
    }
    last.entries.push(entry);
    this.blockOf.set(key, last);
    changed(last);
  }

  delete(key: string): void {
    const held = this.blockOf.get(key);
    if (!held) return;
    this.blockOf.delete(key);
    held.entries.splice(
      held.entries.findIndex((e) => e.key === key),
      1,
    );
    changed(held);
    if (held !== this.indexed && held.entries.length < BLOCK_MERGE_BELOW) this.merge(held);
  }

  /** The table's first key in its order (JSON.stringify's and Object.keys': array indices first, then as set). */
  firstKey(): string | undefined {
    if (this.indexed.entries.length > 0) return this.indexed.entries[0]!.key;
    for (const held of this.blocks) if (held.entries.length > 0) return held.entries[0]!.key;
    return undefined;
  }

  /** The table's pieces in order, taken in one tick: kept bytes, and what changed blocks hold now. */
  capture(): Piece[] {
    const pieces: Piece[] = [];
    for (const held of [this.indexed, ...this.blocks]) {
      if (held.entries.length === 0) continue;
      pieces.push(held.bytes ?? { block: held, version: held.version, entries: held.entries.slice() });
    }
    return pieces;
  }

  /** Joins a small block to the next one when both fit in one block; drops it when empty. */
  private merge(small: Block): void {
    const at = this.blocks.indexOf(small);
    const next = this.blocks[at + 1];
    if (next && small.entries.length + next.entries.length <= BLOCK_RECORDS) {
      next.entries.unshift(...small.entries);
      for (const entry of small.entries) this.blockOf.set(entry.key, next);
      changed(next);
    } else if (small.entries.length > 0) return;
    this.blocks.splice(at, 1);
  }
}

/** What a write carries: each top-level key with its table's pieces or its value's text. */
export type CapturedState = Array<[key: string, content: Piece[] | string]>;

/**
 * Takes the state in one tick: `data`'s top-level keys in their order, each table (a key of
 * `tables`) as its pieces, any other value as its text.
 */
export function captureState(data: object, tables: ReadonlyMap<string, TableText>): CapturedState {
  const captured: CapturedState = [];
  for (const [key, value] of Object.entries(data)) {
    const table = tables.get(key);
    if (table) captured.push([key, table.capture()]);
    else {
      const text = JSON.stringify(value, null, 1);
      if (text !== undefined) captured.push([key, indent(text, ' ')]);
    }
  }
  return captured;
}

/**
 * The captured state as buffers to write in order (their concatenation is the file), the changed
 * blocks' bytes made in slices, yielding the event loop between them.
 */
export async function renderState(captured: CapturedState): Promise<Buffer[]> {
  let until = performance.now() + SLICE_MS;
  const out: Buffer[] = [];
  let members = 0;
  for (const [key, content] of captured) {
    const head = `${members++ === 0 ? '{\n' : ',\n'} ${JSON.stringify(key)}: `;
    if (typeof content === 'string') {
      out.push(Buffer.from(head + content));
      continue;
    }
    if (content.length === 0) {
      out.push(Buffer.from(`${head}{}`));
      continue;
    }
    out.push(Buffer.from(`${head}{`));
    for (const [i, piece] of content.entries()) {
      let bytes: Buffer;
      if (Buffer.isBuffer(piece)) bytes = piece;
      else {
        bytes = blockBytes(piece.entries);
        if (piece.block.version === piece.version) piece.block.bytes = bytes;
        if (performance.now() >= until) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          until = performance.now() + SLICE_MS;
        }
      }
      // Every entry starts with its comma; the table's first has none.
      out.push(i === 0 ? bytes.subarray(1) : bytes);
    }
    out.push(Buffer.from('\n }'));
  }
  out.push(Buffer.from(members === 0 ? '{}' : '\n}'));
  return out;
}

/** The entries' text in one buffer (each entry then lives there: the next copy of the block copies it from there). */
function blockBytes(entries: readonly Entry[]): Buffer {
  let length = 0;
  for (const entry of entries) length += entry.length();
  // Its own memory, never a slice of Buffer's shared pool (a block under 4 KiB would be one): the
  // bytes are kept until the block changes, and a kept slice holds the whole 8 KiB slab.
  const bytes = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const entry of entries) at = entry.moveTo(bytes, at);
  return bytes;
}

function block(): Block {
  return { entries: [], bytes: undefined, version: 0 };
}

function changed(held: Block): void {
  held.bytes = undefined;
  held.version++;
}

/** A key V8 orders as an array index (a canonical integer below 2^32 - 1), as JSON.stringify then does. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) <= 4_294_967_294;
}

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
