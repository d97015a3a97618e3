import { describe, expect, it } from 'vitest';
import { captureState, frozenRecord, serializeState } from '../../../src/domain/node/state-serialize.js';

describe('state file serialization in slices', () => {
  it('gives byte for byte what JSON.stringify(data, null, 1) gives, empty tables and absent keys included', async () => {
    const data = {
      version: 2,
      disks: { d1: { name: 'd1', kind: 'aio', path: '/x "quoted"\n', clusterSize: 1048576 } },
      exports: {},
      engines: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`v${i}`, { name: `v${i}`, replicas: [{ name: `r${i}`, kind: 'local' }], hostNqns: [], port: 4420 + i }])),
      snapshots: { 'r1/s1': { createdAtMs: 1, labels: { a: 'b' }, userCreated: true } },
      intents: { gone: undefined },
      keyUsers: undefined,
    };
    expect(await serializeState(captureState(data))).toBe(JSON.stringify(data, null, 1));
    expect(await serializeState(captureState({}))).toBe(JSON.stringify({}, null, 1));
  });

  it('writes the state of the tick it was captured in, whatever changes while it is made', async () => {
    const data: { version: number; exports: Record<string, { port: number }> } = { version: 2, exports: {} };
    for (let i = 0; i < 20_000; i++) data.exports[`r${i}`] = { port: i };
    const expected = JSON.stringify(data, null, 1);
    const text = serializeState(captureState(data));
    // Records are replaced, never mutated, by the state file's writers.
    data.exports.r0 = { port: -1 };
    delete data.exports.r1;
    data.exports.late = { port: 7 };
    expect(await text).toBe(expected);
  });

  it("keeps a frozen record's text and serializes a replaced one anew", async () => {
    const data: { version: number; exports: Record<string, unknown> } = { version: 2, exports: {} };
    for (let i = 0; i < 100; i++) data.exports[`r${i}`] = frozenRecord({ replica: `r${i}`, hostNqns: [`h${i}`], port: i, security: { hostKeys: { [`h${i}`]: `k${i}` } } });
    expect(Object.isFrozen((data.exports.r0 as { hostNqns: string[] }).hostNqns)).toBe(true);
    expect(await serializeState(captureState(data))).toBe(JSON.stringify(data, null, 1));
    data.exports.r0 = frozenRecord({ replica: 'r0', hostNqns: ['h0', 'h1'], port: 1 });
    data.exports.r1 = { replica: 'r1', hostNqns: [], port: 2 };
    expect(await serializeState(captureState(data))).toBe(JSON.stringify(data, null, 1));
    // The same frozen record under another key: its kept entry names the first key, not this one.
    data.exports.moved = data.exports.r2;
    delete data.exports.r2;
    expect(await serializeState(captureState(data))).toBe(JSON.stringify(data, null, 1));
  });
});
