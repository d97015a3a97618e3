/**
 * spdk_tgt's lists of everything are megabytes at 3,000 objects (`nvmf_get_subsystems` ~1.6 MB,
 * `bdev_get_bdevs` ~4 MB), and one JSON.parse of such an answer holds the main loop for tens of
 * milliseconds on a loaded node. Such an answer is one object whose bulk is an array
 * (`{"jsonrpc":"2.0","id":7,"result":[…]}`), so it is parsed in slices of at most SLICE_MS with the
 * loop given back between them: a scan (itself in slices) finds the elements of every array that is
 * a direct member of the top object, each element is parsed on its own, and the rest (the object
 * with those arrays left out) is parsed once and the arrays put back. Anything of another shape is
 * parsed whole, as before. The result is what JSON.parse(text) gives, or its SyntaxError.
 */
import { span } from '../loop-trace.js';

/** Answers shorter than this are parsed in one go: a few milliseconds at most. */
export const SLICED_PARSE_MIN_CHARS = 128 * 1024;
const SLICE_MS = 4;
/** Stands in the top object for an array parsed apart (a NUL first: no string spdk_tgt sends). */
const MARKER = '\u0000sliced-array:';
/** Characters scanned between two looks at the clock. */
const SCAN_STEP = 32 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** An array that is a direct member of the top object: where it is and where its elements are. */
interface SplitArray {
  open: number;
  close: number;
  /** Start and end (exclusive) of each element, in pairs. */
  bounds: number[];
}

const yieldLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function parseSliced(text: string): Promise<unknown> {
  const arrays = await findArrays(text);
  if (arrays === undefined || arrays.length === 0) return span('spdk answer parse', () => JSON.parse(text) as unknown);
  const marker = (k: number): string => `${MARKER}${k}`;
  const top = span('spdk answer parse', () => {
    let skeleton = '';
    let from = 0;
    arrays.forEach((a, k) => {
      skeleton += `${text.slice(from, a.open)}${JSON.stringify(marker(k))}`;
      from = a.close + 1;
    });
    return JSON.parse(skeleton + text.slice(from)) as Record<string, unknown>;
  });
  const values: unknown[][] = [];
  let until = performance.now() + SLICE_MS;
  for (const a of arrays) {
    const items: unknown[] = [];
    values.push(items);
    for (let i = 0; i < a.bounds.length; i += 2) {
      items.push(JSON.parse(text.slice(a.bounds[i], a.bounds[i + 1])));
      if ((i & 31) === 0 && performance.now() >= until) {
        await yieldLoop();
        until = performance.now() + SLICE_MS;
      }
    }
  }
  let filled = 0;
  for (const key of Object.keys(top)) {
    const v = top[key];
    if (typeof v !== 'string' || !v.startsWith(MARKER)) continue;
    const k = Number(v.slice(MARKER.length));
    if (v !== marker(k) || values[k] === undefined) return JSON.parse(text);
    top[key] = values[k];
    filled++;
  }
  // A marker lost to a duplicate key, or text that held one already: the plain parse decides.
  return filled === arrays.length ? top : JSON.parse(text);
}

/**
 * The arrays that are direct members of the top-level object, with their elements' bounds; found
 * by structure (depth outside strings), SCAN_STEP characters at a time with the loop given back
 * every SLICE_MS. Undefined when the text is not one object (the caller parses it whole).
 */
async function findArrays(text: string): Promise<SplitArray[] | undefined> {
  const n = text.length;
  let i = 0;
  while (i < n && text.charCodeAt(i) !== OPEN_BRACE) {
    if (text.charCodeAt(i) > 0x20) return undefined;
    i++;
  }
  if (i === n) return undefined;
  const arrays: SplitArray[] = [];
  let current: SplitArray | undefined;
  let elementStart = -1;
  /** A comma was the last thing in the array: `[1,]` is for JSON.parse to refuse. */
  let afterComma = false;
  let depth = 0;
  let until = performance.now() + SLICE_MS;
  while (i < n) {
    const stop = Math.min(n, i + SCAN_STEP);
    while (i < stop) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        if (current && depth === 2 && elementStart === -1) elementStart = i;
        i = stringEnd(text, i + 1);
        if (i === -1) return undefined;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (depth === 1 && c === OPEN_BRACKET) {
          current = { open: i, close: -1, bounds: [] };
          elementStart = -1;
          afterComma = false;
        } else if (current && depth === 2 && elementStart === -1) elementStart = i;
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (current && depth === 1) {
          if (afterComma && elementStart === -1) return undefined;
          if (elementStart !== -1) current.bounds.push(elementStart, i);
          current.close = i;
          arrays.push(current);
          current = undefined;
        } else if (depth === 0) {
          return arrays;
        }
      } else if (current && depth === 2) {
        if (c === COMMA) {
          if (elementStart === -1) return undefined;
          current.bounds.push(elementStart, i);
          elementStart = -1;
          afterComma = true;
        } else if (c > 0x20 && elementStart === -1) {
          elementStart = i;
        }
      }
      i++;
    }
    if (performance.now() >= until) {
      await yieldLoop();
      until = performance.now() + SLICE_MS;
    }
  }
  return undefined;
}

/** The index just past the string whose content starts at `from`, or -1 when it never ends. */
function stringEnd(text: string, from: number): number {
  let q = text.indexOf('"', from);
  while (q !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
  return -1;
}
