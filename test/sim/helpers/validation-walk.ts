/**
 * Walks a module's validation table (spdk/sim/<module>/validation.ts) against a running simulator:
 * for every method, params without each required field, with each field of the wrong type, with
 * each integer past its width (one more than the maximum, -1 for the unsigned, a fraction), and
 * an unknown key where decoding is strict, each answered with the row's decode failure; and each
 * of the row's named checks, tripped by the example the test file gives for it, answered with the
 * check's code and message. A check without an example fails the walk, so every row is exercised.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { DECODE_FAILED, failedCheck, type ParamSpec, type ParamType, type ValidationTable } from '../../../spdk/sim/core/decode.js';
import type { SimClient } from './sim-client.js';

/** Params for a check, as JSON text where an integer must be exact past 2^53. */
export type CheckExample = Record<string, unknown> | string;

export interface CheckExpectation {
  readonly params: CheckExample;
  readonly code: number;
  readonly message: string;
}

/** `"<method>: <check name>"` → the params that trip it and what spdk_tgt answers. */
export type CheckExamples = Readonly<Record<string, CheckExpectation>>;

const OUT_OF_RANGE: Record<string, readonly string[]> = {
  uint8: ['256', '-1', '1.5'],
  uint16: ['65536', '-1', '1.5'],
  uint32: ['4294967296', '-1', '1.5'],
  uint64: ['18446744073709551616', '-1', '1.5'],
  int32: ['2147483648', '-2147483649', '1.5'],
};

function sample(type: ParamType): unknown {
  if (typeof type === 'string') {
    if (type === 'string') return 'x';
    if (type === 'boolean') return true;
    if (type === 'uuid') return randomUUID();
    return 1;
  }
  if ('enum' in type) return type.enum[0];
  if ('object' in type) return minimal(type.object);
  return [];
}

function wrongType(type: ParamType): unknown {
  if (typeof type === 'string') return type === 'string' || type === 'uuid' ? 42 : 'not-a-number-or-bool';
  if ('enum' in type) return 1;
  if ('object' in type) return 'not-an-object';
  return 'not-an-array';
}

/** The required fields with sample values (they decode; a check may still refuse them). */
export function minimal(specs: readonly ParamSpec[]): Record<string, unknown> {
  return Object.fromEntries(specs.filter((s) => s.required).map((s) => [s.name, sample(s.type)]));
}

/** Params text with `path`'s value replaced by raw JSON text. */
function withRaw(base: Record<string, unknown>, path: readonly string[], raw: string): string {
  const marker = `__raw_${randomUUID()}__`;
  const copy = structuredClone(base);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path[path.length - 1]!] = marker;
  return JSON.stringify(copy).replace(JSON.stringify(marker), raw);
}

interface DecodeCase {
  readonly what: string;
  readonly params: unknown;
  readonly raw?: string;
}

/** The cases that must fail decoding for one method's specs, nested objects included. */
function decodeCases(specs: readonly ParamSpec[], relaxed: boolean): DecodeCase[] {
  const cases: DecodeCase[] = [];
  const base = minimal(specs);
  if (specs.some((s) => s.required)) cases.push({ what: 'no params', params: undefined });
  cases.push({ what: 'params as an array', params: [1] });
  if (!relaxed) cases.push({ what: 'an unknown key', params: { ...base, bogus_key: 1 } });
  const visit = (level: readonly ParamSpec[], path: readonly string[]) => {
    for (const s of level) {
      const here = [...path, s.name];
      const name = here.join('.');
      const fill = (value: unknown) => {
        const copy = structuredClone(base);
        let at: Record<string, unknown> = copy;
        for (const key of path) {
          at[key] ??= {};
          at = at[key] as Record<string, unknown>;
        }
        if (value === undefined) delete at[s.name];
        else at[s.name] = value;
        return copy;
      };
      if (s.required) cases.push({ what: `no ${name}`, params: fill(undefined) });
      cases.push({ what: `${name} of the wrong type`, params: fill(wrongType(s.type)) });
      const widths = typeof s.type === 'string' ? OUT_OF_RANGE[s.type] : undefined;
      for (const raw of widths ?? []) cases.push({ what: `${name} ${raw} (${s.type as string})`, params: undefined, raw: withRaw(fill(0), here, raw) });
      if (typeof s.type === 'object' && 'object' in s.type) visit(s.type.object, here);
    }
  };
  visit(specs, []);
  return cases;
}

/** Registers the walk's tests for `table`; `client()` is the connection to a running simulator. */
export function walkTable(table: ValidationTable, client: () => SimClient, examples: CheckExamples): void {
  for (const [method, rule] of Object.entries(table)) {
    const failure = rule.failure ?? DECODE_FAILED;
    const cases = decodeCases(rule.specs, rule.relaxed === true);
    it.each(cases)(`${method}: $what is ${failure.code} "${failure.message}"`, async ({ params, raw }) => {
      const r = raw === undefined ? await client().request(method, params) : await client().requestText(method, raw);
      expect(r.error).toEqual({ code: failure.code, message: failure.message });
    });
    for (const check of rule.checks ?? []) {
      const key = `${method}: ${check.name}`;
      it(`${key}`, async () => {
        const example = examples[key];
        expect(example, `no example for "${key}"`).toBeDefined();
        const r = typeof example!.params === 'string' ? await client().requestText(method, example!.params) : await client().request(method, example!.params);
        expect(r.error).toEqual({ code: example!.code, message: example!.message });
        if (typeof example!.params !== 'string') expect(failedCheck(rule, example!.params)).toBe(check);
      });
    }
  }
}
