/**
 * The fidelity replay's exception rules (helpers/fidelity/exceptions.ts): a method the simulator
 * does not register is a failure that says so, unless an exception names the method.
 */
import { describe, expect, it } from 'vitest';
import { EXCEPTIONS, exceptionFor, failureDetail, type FidelityException } from './helpers/fidelity/exceptions.js';

const REGISTERED = new Set(['bdev_get_bdevs', 'bdev_raid_get_bdevs']);

describe('fidelity exceptions', () => {
  it('does not excuse a method the simulator does not register', () => {
    expect(exceptionFor([], '01-info.jsonl', 3, 'bdev_frobnicate', REGISTERED)).toBeUndefined();
    expect(failureDetail('bdev_frobnicate', 'error -32601 where the recording has a result', REGISTERED)).toBe(
      "bdev_frobnicate is not registered by the simulator and no listed exception names it (simulate it, or list an exception with methods: ['bdev_frobnicate'] and its reason); error -32601 where the recording has a result",
    );
  });

  it('does not let a file- or line-wide exception hide an unregistered method', () => {
    const table: FidelityException[] = [
      { file: '01', lines: [3], reason: 'timed' },
      { file: '02', reason: 'whole file' },
    ];
    expect(exceptionFor(table, '01-info.jsonl', 3, 'bdev_frobnicate', REGISTERED)).toBeUndefined();
    expect(exceptionFor(table, '02-loss.jsonl', 9, 'bdev_frobnicate', REGISTERED)).toBeUndefined();
    // The same entries still excuse a registered method.
    expect(exceptionFor(table, '01-info.jsonl', 3, 'bdev_get_bdevs', REGISTERED)?.reason).toBe('timed');
    expect(exceptionFor(table, '02-loss.jsonl', 9, 'bdev_raid_get_bdevs', REGISTERED)?.reason).toBe('whole file');
  });

  it('excuses an unregistered method an exception names, until its module lands', () => {
    const table: FidelityException[] = [{ methods: ['bdev_frobnicate'], reason: 'module not built yet', until: ['bdev_frobnicate'] }];
    expect(exceptionFor(table, '05-x.jsonl', 1, 'bdev_frobnicate', REGISTERED)?.reason).toBe('module not built yet');
    expect(exceptionFor(table, '05-x.jsonl', 1, 'bdev_frobnicate', new Set([...REGISTERED, 'bdev_frobnicate']))).toBeUndefined();
  });

  it('leaves protocol probes and notes to the table', () => {
    expect(exceptionFor([], '09-framing.jsonl', 1, 'raw:truncated', REGISTERED)).toBeUndefined();
    expect(failureDetail('raw:truncated', 'differs', REGISTERED)).toBe('differs');
    expect(failureDetail('bdev_get_bdevs', 'differs', REGISTERED)).toBe('differs');
  });

  it('gives every listed exception a reason', () => {
    for (const e of EXCEPTIONS) expect(e.reason.length).toBeGreaterThan(10);
  });
});
