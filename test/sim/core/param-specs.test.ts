/**
 * The core's param table (spdk/sim/core/param-specs.ts) agrees with spdk_tgt v26.05's schema.json,
 * and every method in it refuses what the schema does not allow (unknown key, missing required
 * key, wrong type, negative unsigned) with the error spdk_tgt gives: -32603
 * "spdk_json_decode_object failed" (transcript 08).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../../spdk/sim/core/decode.js';
import { NO_PARAM_METHODS, PARAM_SPECS } from '../../../spdk/sim/core/param-specs.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

interface SchemaParam {
  readonly name: string;
  readonly type: string;
  readonly required?: boolean;
}

const schema = JSON.parse(readFileSync(new URL('../../../../shared/spdk/schema.json', import.meta.url), 'utf8')) as {
  methods: Array<{ name: string; params: SchemaParam[] }>;
};
const byName = new Map(schema.methods.map((m) => [m.name, m.params]));
const table = PARAM_SPECS as Record<string, readonly ParamSpec[]>;
const DECODE_FAILED = { code: -32603, message: 'spdk_json_decode_object failed' };

function sample(type: ParamSpec['type']): unknown {
  switch (type) {
    case 'string':
      return 'x';
    case 'boolean':
      return true;
    case 'uuid':
      return randomUUID();
    default:
      return 1;
  }
}

function valid(specs: readonly ParamSpec[]): Record<string, unknown> {
  return Object.fromEntries(specs.filter((s) => s.required).map((s) => [s.name, sample(s.type)]));
}

describe('the param table matches schema.json', () => {
  it.each(Object.keys(table))('%s', (method) => {
    const expected = (byName.get(method) ?? []).map((p) => ({ name: p.name, type: p.type, required: p.required === true })).sort((a, b) => a.name.localeCompare(b.name));
    const actual = table[method]!.map((p) => ({ name: p.name, type: p.type as string, required: p.required === true })).sort((a, b) => a.name.localeCompare(b.name));
    expect(byName.has(method)).toBe(true);
    expect(actual).toEqual(expected);
  });

  it('lists as parameterless exactly the methods schema.json gives no params', () => {
    for (const m of NO_PARAM_METHODS) expect(byName.get(m)).toEqual([]);
  });
});

describe('decoding refuses what the schema does not allow', () => {
  let sim: RunningSim;
  let client: SimClient;

  beforeAll(async () => {
    sim = await startSim({ name: 'P' });
    client = await SimClient.connect(sim.socket);
  });

  afterAll(async () => {
    client.close();
    await sim.stop();
  });

  const cases: Array<[string, string, unknown]> = [];
  for (const [method, specs] of Object.entries(table)) {
    cases.push([method, 'an unknown key', { ...valid(specs), bogus_key: 1 }]);
    cases.push([method, 'params as an array', [1]]);
    for (const s of specs.filter((x) => x.required)) {
      const p = valid(specs);
      delete p[s.name];
      cases.push([method, `no ${s.name}`, p]);
    }
    for (const s of specs) {
      const wrong = s.type === 'string' || s.type === 'uuid' ? 42 : 'not-a-number-or-bool';
      cases.push([method, `${s.name} of the wrong type`, { ...valid(specs), [s.name]: wrong }]);
      if (s.type === 'uint32' || s.type === 'uint64') cases.push([method, `${s.name} negative`, { ...valid(specs), [s.name]: -1 }]);
      if (s.type === 'uuid') cases.push([method, `${s.name} not a uuid`, { ...valid(specs), [s.name]: 'not-a-uuid' }]);
    }
  }

  it.each(cases)('%s: %s', async (method, _case, params) => {
    const r = await client.request(method, params);
    expect(r.error).toEqual(DECODE_FAILED);
  });

  it.each([...NO_PARAM_METHODS])('%s refuses params', async (method) => {
    const r = await client.request(method, { x: 1 });
    expect(r.error).toEqual({ code: -32602, message: `${method} method requires no parameters` });
  });
});
