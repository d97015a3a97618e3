import { describe, expect, it } from 'vitest';
import { FramingError, JsonSplitter } from '../../src/spdk/framing.js';

function splitAll(chunks: Buffer[]): unknown[] {
  const splitter = new JsonSplitter();
  const out: unknown[] = [];
  for (const chunk of chunks) splitter.push(chunk, { onValue: (v) => out.push(v), onMalformed: (t) => out.push({ malformed: t }) });
  return out;
}

const values: unknown[] = [
  { jsonrpc: '2.0', id: 1, result: { version: 'SPDK v26.05', fields: { major: 26 } } },
  { jsonrpc: '2.0', id: 2, result: ['a"b', 'c\\', '\\"', '}{', '][', 'ünïcødé ✓'] },
  [
    { jsonrpc: '2.0', id: 3, result: true },
    { jsonrpc: '2.0', id: 4, error: { code: -19, message: 'No such device' } },
  ],
  { jsonrpc: '2.0', id: 5, result: { nested: [[[{ deep: '\\\\' }]]], empty: {}, list: [] } },
];

describe('JsonSplitter', () => {
  it('finds each value in a stream with and without separators', () => {
    const text = JSON.stringify(values[0]) + '\n' + JSON.stringify(values[1]) + JSON.stringify(values[2]) + ' \r\n\t' + JSON.stringify(values[3]);
    expect(splitAll([Buffer.from(text)])).toEqual(values);
  });

  it('gives the same values for every way of cutting the stream in two, and byte by byte', () => {
    const bytes = Buffer.from(values.map((v) => JSON.stringify(v)).join('\n') + '\n');
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(splitAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(values);
    }
    expect(splitAll([...bytes].map((b) => Buffer.from([b])))).toEqual(values);
  });

  it('holds a value cut inside a multi-byte character until it is whole', () => {
    const bytes = Buffer.from(JSON.stringify({ s: '✓✓✓' }));
    const middle = bytes.indexOf(Buffer.from('✓')) + 1;
    expect(splitAll([bytes.subarray(0, middle), bytes.subarray(middle)])).toEqual([{ s: '✓✓✓' }]);
  });

  it('reports a value in progress, and forgets it on reset', () => {
    const splitter = new JsonSplitter();
    const out: string[] = [];
    const handlers = { onValue: (v: unknown) => out.push(JSON.stringify(v)), onMalformed: () => undefined };
    splitter.push(Buffer.from('{"id":1,"res'), handlers);
    expect(splitter.midValue).toBe(true);
    splitter.reset();
    expect(splitter.midValue).toBe(false);
    splitter.push(Buffer.from('{"id":2}'), handlers);
    expect(out).toEqual(['{"id":2}']);
  });

  it('refuses bytes that cannot start a value', () => {
    const splitter = new JsonSplitter();
    const handlers = { onValue: () => undefined, onMalformed: () => undefined };
    expect(() => splitter.push(Buffer.from('{"a":1} garbage'), handlers)).toThrow(FramingError);
  });

  it('refuses a value over the size limit instead of buffering without end', () => {
    const splitter = new JsonSplitter({ maxValueBytes: 1024 });
    expect(() => {
      const handlers = { onValue: () => undefined, onMalformed: () => undefined };
      for (let i = 0; i < 10; i++) splitter.push(Buffer.from(i === 0 ? '{"x":"' + 'a'.repeat(200) : 'a'.repeat(200)), handlers);
    }).toThrow(/exceeded 1024 bytes/);
  });

  it('reads pretty-printed values, and values that share a line', () => {
    const text = JSON.stringify(values[3], null, 2) + '\n' + JSON.stringify(values[0]) + JSON.stringify(values[1]) + '\n';
    expect(splitAll([Buffer.from(text)])).toEqual([values[3], values[0], values[1]]);
  });

  it('skips a complete value that is not valid JSON and goes on', () => {
    expect(splitAll([Buffer.from('{"a":}\n{"b":1}\n{"c" 2}{"d":2}')])).toEqual([{ malformed: '{"a":}' }, { b: 1 }, { malformed: '{"c" 2}' }, { d: 2 }]);
  });

  it('splits a 1 MB response made of many strings in linear time', () => {
    const big = { jsonrpc: '2.0', id: 9, result: Array.from({ length: 5000 }, (_, i) => ({ name: `lvs/vol${i}`, aliases: [`u-${i}`], x: 'y'.repeat(150) })) };
    const bytes = Buffer.from(JSON.stringify(big) + '\n');
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const out = splitAll([bytes.subarray(0, 65536), bytes.subarray(65536)]);
    expect(out).toEqual([big]);
  });
});

describe('JsonSplitter on a producer that writes one value per line', () => {
  const answer = (id: number, count: number) => ({ jsonrpc: '2.0', id, result: Array.from({ length: count }, (_, i) => ({ name: `e.vol${i}`, members: [`lvs/r${i}`, `u-${i}`], note: 'a"b\\c✓' })) });

  it('hands a multi-MB answer split into many chunks to onLarge whole, and the values around it in order', () => {
    const big = answer(2, 40_000);
    const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 1, result: true })}\n${JSON.stringify(big)}\n${JSON.stringify({ jsonrpc: '2.0', id: 3, result: [] })}\n`);
    expect(bytes.length).toBeGreaterThan(3_000_000);
    const splitter = new JsonSplitter();
    const out: unknown[] = [];
    const large: string[] = [];
    // Chunks of odd sizes, so that cuts fall inside strings, escapes and multi-byte characters.
    for (let at = 0; at < bytes.length; at += 65_531) {
      splitter.push(bytes.subarray(at, at + 65_531), { onValue: (v) => out.push(v), onMalformed: (t) => out.push({ malformed: t }), onLarge: (t) => large.push(t) });
    }
    expect(splitter.midValue).toBe(false);
    expect(out).toEqual([
      { jsonrpc: '2.0', id: 1, result: true },
      { jsonrpc: '2.0', id: 3, result: [] },
    ]);
    expect(large).toHaveLength(1);
    expect(JSON.parse(large[0]!)).toEqual(big);
  });

  it('splits by structure again when a later value is not alone on its line', () => {
    const first = Buffer.from(`${JSON.stringify(values[0])}\n`);
    const rest = Buffer.from(`${JSON.stringify(values[1])}${JSON.stringify(values[2])}\n${JSON.stringify(values[3], null, 2)}\n${JSON.stringify(values[0])}\n`);
    for (let cut = 1; cut < rest.length; cut += 7) {
      expect(splitAll([first, rest.subarray(0, cut), rest.subarray(cut)])).toEqual([values[0], values[1], values[2], values[3], values[0]]);
    }
  });

  it('reports a line that is not JSON once and goes on with the next', () => {
    expect(splitAll([Buffer.from('{"a":1}\n{"b":'), Buffer.from('}\n{"c":3}\n')])).toEqual([{ a: 1 }, { malformed: '{"b":}' }, { c: 3 }]);
  });

  it('refuses a value over the size limit while it waits for its newline', () => {
    const splitter = new JsonSplitter({ maxValueBytes: 1024 });
    const handlers = { onValue: () => undefined, onMalformed: () => undefined };
    splitter.push(Buffer.from('{"a":1}\n'), handlers);
    expect(() => {
      for (let i = 0; i < 10; i++) splitter.push(Buffer.from(i === 0 ? '{"x":"' + 'a'.repeat(200) : 'a'.repeat(200)), handlers);
    }).toThrow(/exceeded 1024 bytes/);
  });
});

describe('JsonSplitter when a line-delimited producer stops ending values with a newline', () => {
  it('finds the value once the stream pauses (settle), and scans by structure from then on', () => {
    const splitter = new JsonSplitter();
    const out: unknown[] = [];
    const handlers = { onValue: (v: unknown) => out.push(v), onMalformed: (t: string) => out.push({ malformed: t }) };
    splitter.push(Buffer.from('{"a":1}\n{"b":[1,'), handlers);
    expect(splitter.mayBeWhole).toBe(false);
    splitter.push(Buffer.from('2]}'), handlers);
    expect(out).toEqual([{ a: 1 }]);
    expect(splitter.mayBeWhole).toBe(true);
    splitter.settle(handlers);
    expect(out).toEqual([{ a: 1 }, { b: [1, 2] }]);
    splitter.push(Buffer.from('{"c":'), handlers);
    splitter.push(Buffer.from('3}'), handlers);
    expect(splitter.mayBeWhole).toBe(false);
    expect(out).toEqual([{ a: 1 }, { b: [1, 2] }, { c: 3 }]);
  });

  it('goes on waiting for the newline when the pause was inside the value', () => {
    const splitter = new JsonSplitter();
    const out: unknown[] = [];
    const handlers = { onValue: (v: unknown) => out.push(v), onMalformed: (t: string) => out.push({ malformed: t }) };
    splitter.push(Buffer.from('{"a":1}\n{"b":[{"x":1}'), handlers);
    expect(splitter.mayBeWhole).toBe(true);
    splitter.settle(handlers);
    expect(splitter.midValue).toBe(true);
    splitter.push(Buffer.from(',{"x":2}]}\n{"c":'), handlers);
    splitter.push(Buffer.from('3}\n'), handlers);
    expect(out).toEqual([{ a: 1 }, { b: [{ x: 1 }, { x: 2 }] }, { c: 3 }]);
  });
});
