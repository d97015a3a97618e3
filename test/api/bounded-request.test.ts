/**
 * boundedRequest names the field a refusal is about from the path it walked (made only when it
 * refuses): list indices, nested messages, map keys (a top-level key as its own field, a deeper
 * one as its map), and the code the field's name implies.
 */
import { describe, expect, it } from 'vitest';
import { boundedRequest } from '../../src/api/validate.js';

function refusal(request: object): string {
  try {
    boundedRequest(request);
    return 'accepted';
  } catch (error) {
    const e = error as { code: string; message: string };
    return `${e.code} ${e.message}`;
  }
}

describe('boundedRequest', () => {
  it('accepts what keeps the bounds, whatever its shape', () => {
    expect(refusal({ name: 'r1', hostNqns: ['a', 'b'], labels: { someKey: 'v' }, spec: { members: [{ replicaName: 'x' }] } })).toBe('accepted');
    expect(refusal({ name: 'é'.repeat(2000) })).toBe('accepted');
  });

  it('names the field of a bad value by its path, in proto names', () => {
    expect(refusal({ hostNqns: ['ok', 'bad\n'] })).toMatch(/^INVALID_NQN host_nqns\[1\]: holds a control character/);
    expect(refusal({ labels: { someKey: 'bad\u0000' } })).toMatch(/^INVALID_LABELS labels\.some_key: holds a control character/);
    expect(refusal({ spec: { members: [{ replicaName: 'ok' }, { replicaName: 'x'.repeat(5000) }] } })).toMatch(/^INVALID_NAME spec\.members\[1\]\.replica_name: 5000 bytes long/);
    expect(refusal({ spec: { nestedThing: { deeperKey: [[['x\u0002']]] } } })).toMatch(/^INVALID_ARGUMENT spec\.nested_thing\.deeper_key\[0\]\[0\]\[0\]: /);
    expect(refusal({ name: '\u{1F600}'.repeat(1500) })).toMatch(/^INVALID_NAME name: 6000 bytes long/);
  });

  it('names a bad map key as its map, a bad top-level key as itself', () => {
    expect(refusal({ labels: { 'bad\u0007Key': 'v' } })).toMatch(/^INVALID_LABELS labels: holds a control character/);
    expect(refusal({ 'topKey\u0001': 'v' })).toMatch(/^INVALID_ARGUMENT top_key\u0001: holds a control character/);
  });

  it('names the list, map or level that is too long or too deep', () => {
    expect(refusal({ hostNqns: Array.from({ length: 5000 }, () => 'x') })).toMatch(/^INVALID_NQN host_nqns: 5000 entries/);
    expect(refusal({ labels: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 'x'])) })).toMatch(/^INVALID_LABELS labels: 5000 entries/);
    expect(refusal({ a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 'x' } } } } } } } } } })).toMatch(/^INVALID_ARGUMENT a\.b\.c\.d\.e\.f\.g\.h\.i: nested deeper/);
  });

  it('starts each request from the top after a refusal', () => {
    expect(refusal({ spec: { members: [{ replicaName: 'bad\n' }] } })).toMatch(/spec\.members\[0\]\.replica_name/);
    expect(refusal({ name: 'bad\n' })).toMatch(/^INVALID_NAME name: /);
  });
});
