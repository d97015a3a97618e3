/**
 * The integer decoders against spdk v26.05's lib/json/json_util.c, case by case: each width at
 * its bounds and one past them, fractions and exponents json_number_split can or cannot fold into
 * an integer, minus zero, significands past u64, and exponents past i64. Then the same rules
 * through objectDecoder on params the simulator's own scanner produced, where 2^64 - 1 and 2^64
 * are told apart although they are one double.
 */
import { describe, expect, it } from 'vitest';
import { SimRpcError } from '../../../spdk/sim/core/contract.js';
import { DECODE_FAILED, objectDecoder, relaxedDecoder, type ParamSpec } from '../../../spdk/sim/core/decode.js';
import { decodeInteger, type IntegerWidth } from '../../../spdk/sim/core/json-integer.js';
import { scanValue } from '../../../spdk/sim/core/json-scan.js';

type Case = readonly [text: string, expected: bigint | null];

const BOUNDS: Record<IntegerWidth, readonly Case[]> = {
  uint8: [
    ['0', 0n],
    ['255', 255n],
    ['256', null],
    ['-1', null],
  ],
  uint16: [
    ['0', 0n],
    ['65535', 65535n],
    ['65536', null],
    ['-1', null],
  ],
  uint32: [
    ['0', 0n],
    ['4294967295', 4294967295n],
    ['4294967296', null],
    ['-1', null],
  ],
  int32: [
    ['2147483647', 2147483647n],
    ['2147483648', null],
    ['-2147483648', -2147483648n],
    ['-2147483649', null],
    ['-1', -1n],
  ],
  uint64: [
    ['18446744073709551615', 18446744073709551615n],
    ['18446744073709551616', null],
    ['18446744073709551614', 18446744073709551614n],
    ['99999999999999999999', null],
    ['9007199254740993', 9007199254740993n],
    ['-1', null],
  ],
};

/** Forms json_number_split folds into an integer, or leaves an exponent (refused). */
const FORMS: readonly Case[] = [
  ['1.0', 1n],
  ['1.00', 1n],
  ['10e-1', 1n],
  ['1e3', 1000n],
  ['1E+3', 1000n],
  ['25e-1', null],
  ['1.5', null],
  ['0.5', null],
  ['0.0', null],
  ['0e-1', null],
  ['0e5', 0n],
  ['0.0e1', 0n],
  ['1e19', 10000000000000000000n],
  ['1e20', null],
  ['1.8446744073709551615e19', 18446744073709551615n],
  // 21 significant digits: the significand overflows before the exponent could fold them.
  ['1.00000000000000000000', null],
  ['100000000000000000000e-2', null],
  ['1e9223372036854775807', null],
  ['1e9223372036854775808', null],
  ['1e-9223372036854775808', null],
  ['1e-9223372036854775809', null],
  // spdk_tgt would loop 2^63 times on this one; its outcome is 0.
  ['0e9223372036854775807', 0n],
  ['1e00000000000000000000000000000001', 10n],
];

describe('decodeInteger follows spdk_json_number_to_*', () => {
  for (const [width, cases] of Object.entries(BOUNDS) as Array<[IntegerWidth, readonly Case[]]>) {
    it.each(cases)(`${width} %s`, (text, expected) => {
      expect(decodeInteger(text, width)).toBe(expected);
    });
  }

  it.each(FORMS)('uint64 %s', (text, expected) => {
    expect(decodeInteger(text, 'uint64')).toBe(expected);
  });

  it('refuses -0 for the unsigned widths and reads it as 0 for int32', () => {
    for (const w of ['uint8', 'uint16', 'uint32', 'uint64'] as const) expect(decodeInteger('-0', w)).toBeNull();
    expect(decodeInteger('-0', 'int32')).toBe(0n);
    expect(decodeInteger('-0.0e1', 'int32')).toBe(0n);
  });

  it('applies the exponent before the range check', () => {
    expect(decodeInteger('2.55e2', 'uint8')).toBe(255n);
    expect(decodeInteger('2.56e2', 'uint8')).toBeNull();
    expect(decodeInteger('-2.147483648e9', 'int32')).toBe(-2147483648n);
    expect(decodeInteger('4.294967296e9', 'uint32')).toBeNull();
  });

  it('answers fast on a 200 KB number', () => {
    const started = performance.now();
    expect(decodeInteger(`0.${'0'.repeat(200_000)}1`, 'uint64')).toBeNull();
    expect(decodeInteger(`1e${'0'.repeat(200_000)}1`, 'uint64')).toBe(10n);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

/** Params as the RPC server sees them: scanned by the simulator's tokenizer. */
function scanned(json: string): unknown {
  const r = scanValue(Buffer.from(json), 0);
  if (r.kind !== 'ok') throw new Error(`not JSON: ${json}`);
  return r.value;
}

function accepts(decode: (p: unknown) => void, json: string): boolean {
  try {
    decode(scanned(json));
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(SimRpcError);
    expect({ code: (err as SimRpcError).code, message: (err as SimRpcError).message }).toEqual(DECODE_FAILED);
    return false;
  }
}

describe('objectDecoder decodes integers from the scanned text', () => {
  const malloc = objectDecoder([
    { name: 'block_size', type: 'uint32', required: true },
    { name: 'num_blocks', type: 'uint64', required: true },
    { name: 'numa_id', type: 'int32' },
  ]);

  it.each([
    ['{"block_size": 512, "num_blocks": 18446744073709551615}', true],
    ['{"block_size": 512, "num_blocks": 18446744073709551616}', false],
    ['{"block_size": 512, "num_blocks": 1e3}', true],
    ['{"block_size": 512.0, "num_blocks": 8}', true],
    ['{"block_size": 512.5, "num_blocks": 8}', false],
    ['{"block_size": 512, "num_blocks": -0}', false],
    ['{"block_size": 512, "num_blocks": 0.0}', false],
    ['{"block_size": 4294967296, "num_blocks": 8}', false],
    ['{"block_size": 512, "num_blocks": 8, "numa_id": -0}', true],
    ['{"block_size": 512, "num_blocks": 8, "numa_id": -2147483649}', false],
    ['{"block_size": 512, "num_blocks": "8"}', false],
    ['{"block_size": 512, "num_blocks": true}', false],
    ['{"block_size": 512, "num_blocks": null}', false],
    ['{"block_size": 512, "num_blocks": [8]}', false],
  ])('%s: %s', (json, ok) => {
    expect(accepts(malloc, json)).toBe(ok);
  });

  it('decodes integers in nested objects and arrays', () => {
    const ns: ParamSpec[] = [
      { name: 'namespace', type: { object: [{ name: 'nsid', type: 'uint32' }] }, required: true },
      { name: 'ids', type: { array: 'uint16', maxCount: 4 } },
    ];
    const decode = objectDecoder(ns);
    expect(accepts(decode, '{"namespace": {"nsid": 4294967295}, "ids": [1, 6.5535e4]}')).toBe(true);
    expect(accepts(decode, '{"namespace": {"nsid": 4294967296}}')).toBe(false);
    expect(accepts(decode, '{"namespace": {"nsid": 1}, "ids": [1, 65536]}')).toBe(false);
    expect(accepts(decode, '{"namespace": {"nsid": 1}, "ids": [1, 2, 3, 4, 5]}')).toBe(false);
  });

  it('refuses a string with an embedded NUL, as spdk_json_strdup does', () => {
    const decode = objectDecoder([{ name: 'name', type: 'string', required: true }]);
    expect(accepts(decode, '{"name": "a\\u0000b"}')).toBe(false);
    expect(accepts(decode, '{"name": "a\\u0001b"}')).toBe(true);
  });

  it('refuses a key given twice; relaxed decoding skips unknown keys even twice', () => {
    const specs: ParamSpec[] = [{ name: 'nsid', type: 'uint32', required: true }];
    expect(accepts(objectDecoder(specs), '{"nsid": 1, "nsid": 1}')).toBe(false);
    expect(accepts(relaxedDecoder(specs, DECODE_FAILED), '{"nsid": 1, "nsid": 1}')).toBe(false);
    expect(accepts(relaxedDecoder(specs, DECODE_FAILED), '{"nsid": 1, "x": 1, "x": 2}')).toBe(true);
    expect(accepts(relaxedDecoder(specs, DECODE_FAILED), '{"nsid": 1.5, "x": 1}')).toBe(false);
  });
});
