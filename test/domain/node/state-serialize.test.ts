import { describe, expect, it } from 'vitest';
import { captureState, frozenCopy, frozenRecord, renderState, TableText } from '../../../src/domain/node/state-serialize.js';

/** Each table of `data` (an object value) as a TableText of its records, as StateFile keeps them. */
function textsOf(data: Record<string, unknown>): Map<string, TableText> {
  const texts = new Map<string, TableText>();
  for (const [key, value] of Object.entries(data)) {
    if (key === 'version' || value === undefined) continue;
    const text = new TableText();
    for (const [name, record] of Object.entries(value as object)) text.set(name, frozenRecord(record));
    texts.set(key, text);
  }
  return texts;
}

async function rendered(data: object, texts: ReadonlyMap<string, TableText>): Promise<string> {
  return Buffer.concat(await renderState(captureState(data, texts))).toString();
}

/** A seeded generator: the same sequence every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('state file text', () => {
  it('is byte for byte what JSON.stringify(data, null, 1) gives, empty tables and absent keys included', async () => {
    const data = {
      version: 2,
      disks: { d1: { name: 'd1', kind: 'aio', path: '/x "quoted"\n', clusterSize: 1048576 } },
      exports: {},
      engines: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`v${i}`, { name: `v${i}`, replicas: [{ name: `r${i}`, kind: 'local' }], hostNqns: [], port: 4420 + i }])),
      snapshots: { 'r1/s1': { createdAtMs: 1, labels: { a: 'b', 'ü ✓': '"\\' }, userCreated: true } },
      intents: {},
      keyUsers: undefined,
      backupTarget: { kind: 'fs', path: '/b' },
    };
    expect(await rendered(data, textsOf(data))).toBe(JSON.stringify(data, null, 1));
    expect(await rendered({}, new Map())).toBe(JSON.stringify({}, null, 1));
  });

  it('is the state of the tick it was captured in, whatever changes while it is made', async () => {
    const data: { version: number; exports: Record<string, { port: number }> } = { version: 2, exports: {} };
    for (let i = 0; i < 20_000; i++) data.exports[`r${i}`] = { port: i };
    const texts = textsOf(data);
    const expected = JSON.stringify(data, null, 1);
    const pieces = renderState(captureState(data, texts));
    const exports = texts.get('exports')!;
    exports.set('r0', frozenRecord({ port: -1 }));
    exports.delete('r1');
    exports.set('r19999', frozenRecord({ port: -2 }));
    exports.set('late', frozenRecord({ port: 7 }));
    expect(Buffer.concat(await pieces).toString()).toBe(expected);
    // The next one has the changes, including those to blocks the first was making.
    data.exports.r0 = { port: -1 };
    delete data.exports.r1;
    data.exports.r19999 = { port: -2 };
    data.exports.late = { port: 7 };
    expect(await rendered(data, texts)).toBe(JSON.stringify(data, null, 1));
  });

  it('follows an object through sets, deletes and sets again: insertion order, array indices first, blocks split and merged', async () => {
    const next = random(7);
    const keys = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? String(i * 13) : `k${i}`));
    keys.push('4294967294', '4294967295', '01', '-1');
    const model: Record<string, unknown> = Object.create(null);
    const data = { version: 2, table: model };
    const text = new TableText();
    const texts = new Map([['table', text]]);
    for (let op = 0; op < 6000; op++) {
      const key = keys[Math.floor(next() * keys.length)]!;
      // Deletes more often than sets in the second half, so blocks thin out and merge.
      if (next() < (op < 3000 ? 0.3 : 0.6)) {
        delete model[key];
        text.delete(key);
      } else {
        const value = frozenRecord({ op, nested: { list: [op, `${key}\n`] } });
        model[key] = value;
        text.set(key, value);
      }
      if (op % 97 === 0) expect(await rendered(data, texts)).toBe(JSON.stringify(data, null, 1));
    }
    expect(await rendered(data, texts)).toBe(JSON.stringify(data, null, 1));
    for (const key of Object.keys(model)) text.delete(key);
    expect(await rendered({ version: 2, table: {} }, texts)).toBe(JSON.stringify({ version: 2, table: {} }, null, 1));
  });

  it("keeps a block's text in memory of its own, never a slice of Buffer's shared pool (a kept slice holds the whole slab)", async () => {
    const data = { version: 2, exports: { a: { port: 4420 }, b: { port: 4421 } } };
    const texts = textsOf(data);
    await rendered(data, texts);
    const kept = texts.get('exports')!.capture();
    expect(kept).toHaveLength(1);
    const bytes = kept[0] as Buffer;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });

  it("frozenCopy stores a caller's value without sharing it; a key __proto__ stays a key", () => {
    const labels = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, string>;
    const meta = { createdAt: 'now', labels, list: [{ n: 1 }] };
    const copy = frozenCopy(meta);
    labels.a = 'changed';
    meta.list[0]!.n = 2;
    expect(JSON.stringify(copy)).toBe('{"createdAt":"now","labels":{"__proto__":"x","a":"b"},"list":[{"n":1}]}');
    expect(Object.isFrozen(copy.labels) && Object.isFrozen(copy.list[0])).toBe(true);
    expect(Object.isFrozen(labels)).toBe(false);
  });
});
