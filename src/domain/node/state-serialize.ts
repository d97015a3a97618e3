/**
 * The state file's text, made in slices: at 3,000 replicas one JSON.stringify of the whole file
 * holds the event loop for ~15 ms. The tables are captured in one tick (records are replaced on
 * change, never mutated: see StateFile and EngineRecords), so the text is the state of that tick,
 * byte for byte what JSON.stringify(data, null, 1) gives.
 *
 * A frozen record's text is kept with it: the file is written whole after each burst of changes,
 * and re-serializing 1,000 unchanged exports per write was most of what a ReplicaCreate allocated.
 * With its entry kept whole and one join, 60 writes of 1,000 exports cost ~80 ms of CPU (~280 ms
 * when each write quoted keys and joined per table).
 */
import { SLICE_MS } from './slices.js';

/**
 * A frozen record's entry in its table (`  "key": {…}`), kept with the key it was made for: a
 * record is the same object from write to write, and building its entry again per write (key
 * quoted, text spliced, then flattened by the join) cost more than the rest of the write.
 */
const recordEntries = new WeakMap<object, { key: string; entry: string }>();

/** Records between two looks at the clock: a kept entry costs less than reading the clock. */
const RECORDS_PER_CLOCK_READ = 64;

/** Deep-freezes a record so that its text may be kept (see recordEntries); returns it. */
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
  // One flat list of pieces joined once: nested joins and splices copy every record's text again.
  const parts: string[] = [];
  let members = 0;
  for (const [key, entry] of captured) {
    if ('value' in entry) {
      const text = JSON.stringify(entry.value, null, 1);
      if (text !== undefined) parts.push(`${members++ === 0 ? '{\n' : ',\n'} ${JSON.stringify(key)}: ${indent(text, ' ')}`);
      continue;
    }
    parts.push(`${members++ === 0 ? '{\n' : ',\n'} ${JSON.stringify(key)}: {`);
    let records = 0;
    for (const [name, record] of entry.table) {
      const text = recordEntry(name, record);
      if (text !== undefined) parts.push(records++ === 0 ? '\n' : ',\n', text);
      if (records % RECORDS_PER_CLOCK_READ === 0 && performance.now() >= until) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        until = performance.now() + SLICE_MS;
      }
    }
    parts.push(records === 0 ? '}' : '\n }');
  }
  parts.push(members === 0 ? '{}' : '\n}');
  return parts.join('');
}

/** A table record's entry (`  "name": ` and its JSON, indented for its depth); kept for frozen records. */
function recordEntry(name: string, record: unknown): string | undefined {
  const cacheable = typeof record === 'object' && record !== null && Object.isFrozen(record);
  if (cacheable) {
    const kept = recordEntries.get(record);
    if (kept !== undefined && kept.key === name) return kept.entry;
  }
  const json = JSON.stringify(record, null, 1);
  if (json === undefined) return undefined;
  const entry = `  ${JSON.stringify(name)}: ${indent(json, '  ')}`;
  if (cacheable) recordEntries.set(record, { key: name, entry });
  return entry;
}

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
