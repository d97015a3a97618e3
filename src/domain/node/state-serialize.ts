/**
 * The state file's text, made in slices: at 3,000 replicas one JSON.stringify of the whole file
 * holds the event loop for ~15 ms. The tables are captured in one tick (records are replaced on
 * change, never mutated: see StateFile and EngineRecords), so the text is the state of that tick,
 * byte for byte what JSON.stringify(data, null, 1) gives.
 */
import { SLICE_MS } from './slices.js';

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
      const text = JSON.stringify(record, null, 1);
      if (text !== undefined) records.push(`  ${JSON.stringify(name)}: ${indent(text, '  ')}`);
      if (performance.now() >= until) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        until = performance.now() + SLICE_MS;
      }
    }
    members.push(records.length === 0 ? ` ${JSON.stringify(key)}: {}` : ` ${JSON.stringify(key)}: {\n${records.join(',\n')}\n }`);
  }
  return members.length === 0 ? '{}' : `{\n${members.join(',\n')}\n}`;
}

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
