/**
 * The state file's text, made in slices: at 3,000 replicas one JSON.stringify of the whole file
 * holds the event loop for ~15 ms. The tables are captured in one tick (records are replaced on
 * change, never mutated: see StateFile and EngineRecords), so the text is the state of that tick,
 * byte for byte what JSON.stringify(data, null, 1) gives.
 *
 * A frozen record's text is kept with it: the file is written whole after each burst of changes,
 * and re-serializing 1,000 unchanged exports per write was most of what a ReplicaCreate allocated.
 */
import { SLICE_MS } from './slices.js';

/** Text of records that cannot change (deep-frozen by their writer), as they appear in a table. */
const recordTexts = new WeakMap<object, string>();

/** Deep-freezes a record so that its text may be kept (see recordTexts); returns it. */
export function frozenRecord<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozenRecord(inner);
    Object.freeze(value);
  }
  return value;
}

/** One top-level key: a table of records (an object) or a plain value. */
type Captured = [key: string, value: { table: Array<[string, unknown]> } | { value: unknown }];

/** What a write carries: taken synchronously, in the tick that decides what the write holds. */
export function captureState(data: object): Captured[] {
  return Object.entries(data).map(([key, value]): Captured => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return [key, { table: Object.entries(value) }];
    return [key, { value }];
  });
}

/** The captured state as JSON with one-space indentation, yielding the event loop between slices. */
export async function serializeState(captured: Captured[]): Promise<string> {
  let until = performance.now() + SLICE_MS;
  const members: string[] = [];
  for (const [key, entry] of captured) {
    if ('value' in entry) {
      const text = JSON.stringify(entry.value, null, 1);
      if (text !== undefined) members.push(` ${JSON.stringify(key)}: ${indent(text, ' ')}`);
      continue;
    }
    const records: string[] = [];
    for (const [name, record] of entry.table) {
      const text = recordText(record);
      if (text !== undefined) records.push(`  ${JSON.stringify(name)}: ${text}`);
      if (performance.now() >= until) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        until = performance.now() + SLICE_MS;
      }
    }
    members.push(records.length === 0 ? ` ${JSON.stringify(key)}: {}` : ` ${JSON.stringify(key)}: {\n${records.join(',\n')}\n }`);
  }
  return members.length === 0 ? '{}' : `{\n${members.join(',\n')}\n}`;
}

/** A table record's JSON, indented for its depth; kept for frozen records. */
function recordText(record: unknown): string | undefined {
  const cacheable = typeof record === 'object' && record !== null && Object.isFrozen(record);
  if (cacheable) {
    const kept = recordTexts.get(record);
    if (kept !== undefined) return kept;
  }
  const json = JSON.stringify(record, null, 1);
  if (json === undefined) return undefined;
  const text = indent(json, '  ');
  if (cacheable) recordTexts.set(record, text);
  return text;
}

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
