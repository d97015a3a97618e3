/**
 * The S3 endpoints' name lookups (src/objectstore/endpoint-lookup.ts): one getaddrinfo per name
 * while it runs, at most LOOKUP_LANES of them for the process, and a caller that stops waiting
 * after its bound with the reason. A dead resolver is a resolve the test never settles; through
 * S3Store the lookups are net.connect's, on the SDK's real requests to the test S3 server.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointLookups, LOOKUP_LANES, type Resolve } from '../../src/objectstore/endpoint-lookup.js';
import { S3Store } from '../../src/objectstore/s3-store.js';
import { startS3, type TestS3 } from '../backup/helpers/s3-server.js';
import { conductorRefusal } from '../helpers/refusal.js';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A resolver the test answers by hand: each call waits until `answer` or `fail` is called for its name. */
function handResolver(): { resolve: Resolve; calls: string[]; answer(name: string, addresses: LookupAddress[]): void } {
  const waiting = new Map<string, Array<(a: LookupAddress[]) => void>>();
  const calls: string[] = [];
  return {
    calls,
    resolve: (hostname) =>
      new Promise((resolve) => {
        calls.push(hostname);
        waiting.set(hostname, [...(waiting.get(hostname) ?? []), resolve]);
      }),
    answer(name, addresses) {
      for (const resolve of waiting.get(name) ?? []) resolve(addresses);
      waiting.delete(name);
    },
  };
}

const V4 = { all: true, family: 0 } as LookupAllOptions;

describe('EndpointLookups', () => {
  it('shares one lookup of a name among its callers, and looks the name up again once it has returned', async () => {
    const r = handResolver();
    const lookups = new EndpointLookups(r.resolve);
    const answers = Array.from({ length: 8 }, () => lookups.addresses('s3.example', V4, 5_000));
    expect(r.calls).toEqual(['s3.example']);
    r.answer('s3.example', [{ address: '192.0.2.7', family: 4 }]);
    for (const a of await Promise.all(answers)) expect(a).toEqual([{ address: '192.0.2.7', family: 4 }]);
    // Nothing is kept past the lookup: a changed record is seen by the next connection.
    const again = lookups.addresses('s3.example', V4, 5_000);
    expect(r.calls).toEqual(['s3.example', 's3.example']);
    r.answer('s3.example', [{ address: '192.0.2.8', family: 4 }]);
    expect(await again).toEqual([{ address: '192.0.2.8', family: 4 }]);
  });

  it('a dead resolver: callers fail after their bound with the reason, later ones at once, and it holds at most its lanes', async () => {
    const r = handResolver();
    const lookups = new EndpointLookups(r.resolve);
    const first = conductorRefusal(lookups.addresses('dead.example', V4, 150));
    const e1 = await first;
    expect(e1.code).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(e1.message).toMatch(/lookup of dead\.example has not returned in 0\.\d s.*the node's resolver does not answer \(DNS unreachable\?\); its calls are not retried/);
    // Still hung: a caller now shares it and fails at once, and no second lookup of the name runs.
    const e2 = await conductorRefusal(lookups.addresses('dead.example', V4, 60_000));
    expect(e2.code).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(r.calls).toEqual(['dead.example']);
    // Other names take the other lanes; past them a name waits for one and fails after its bound.
    const others = Array.from({ length: LOOKUP_LANES }, (_, i) => conductorRefusal(lookups.addresses(`dead${i}.example`, V4, 150)));
    expect(r.calls.length).toBe(LOOKUP_LANES);
    for (const e of await Promise.all(others)) expect(e.code).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(lookups.busy).toBe(LOOKUP_LANES);
    // The resolver answers again: the lane is free, and the name is looked up anew.
    r.answer('dead.example', []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lookups.busy).toBe(LOOKUP_LANES - 1);
    const back = lookups.addresses('dead.example', V4, 5_000);
    expect(r.calls.at(-1)).toBe('dead.example');
    r.answer('dead.example', [{ address: '192.0.2.9', family: 4 }]);
    expect(await back).toEqual([{ address: '192.0.2.9', family: 4 }]);
  });

  it("answers net.connect's lookup in both of its shapes, and an empty answer is ENOTFOUND", async () => {
    const lookups = new EndpointLookups(async () => [
      { address: '192.0.2.1', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
    const lookup = lookups.forConnections(5_000);
    const all = await new Promise((resolve, reject) => lookup('a.example', { all: true, hints: 32 }, (err, a) => (err ? reject(err) : resolve(a))));
    expect(all).toEqual([
      { address: '192.0.2.1', family: 4 },
      { address: '2001:db8::1', family: 6 },
    ]);
    const one = await new Promise((resolve, reject) => lookup('a.example', { family: 4 }, (err, a, f) => (err ? reject(err) : resolve([a, f]))));
    expect(one).toEqual(['192.0.2.1', 4]);
    const none = new EndpointLookups(async () => []).forConnections(5_000);
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => none('b.example', {}, (e) => resolve(e)));
    expect(err?.code).toBe('ENOTFOUND');
  });
});

describe('S3Store name lookups', { timeout: 60_000 }, () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  const endpoint = () => `http://localhost:${s3.port}`;

  it('looks the endpoint up through the lookups: a burst of 8 puts costs one lookup', async () => {
    const asked: string[] = [];
    const lookups = new EndpointLookups((hostname: string, options: LookupAllOptions) => {
      asked.push(hostname);
      return new Promise((resolve, reject) => dnsLookup(hostname, options, (err, a) => (err ? reject(err) : resolve(a))));
    });
    const store = new S3Store({ endpoint: endpoint(), region: 'us-east-1', bucket: 'backups', prefix: 'lookup/', forcePathStyle: true, credentials, requestTimeoutMs: 10_000, lookups });
    try {
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.put(`volumes/v1/blocks/k${i}`, Buffer.from(`block ${i}`))));
      expect(await store.get('volumes/v1/blocks/k3')).toEqual(Buffer.from('block 3'));
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(new Set(asked)).toEqual(new Set(['localhost']));
      // Eight connections opened at once, one getaddrinfo (later ones only if a connection was new after it returned).
      expect(asked.length).toBeLessThan(8);
    } finally {
      await store.close();
    }
  });

  it('a dead resolver: 8 puts at once fail BACKUP_TARGET_UNREACHABLE naming the lookup, with one lookup running', async () => {
    const r = handResolver();
    const lookups = new EndpointLookups(r.resolve);
    const store = new S3Store({ endpoint: endpoint(), region: 'us-east-1', bucket: 'backups', prefix: 'dead/', forcePathStyle: true, credentials, requestTimeoutMs: 300, lookups });
    const served = s3.requests.length;
    try {
      const errors = await Promise.all(Array.from({ length: 8 }, (_, i) => conductorRefusal(store.put(`volumes/v1/blocks/d${i}`, Buffer.from('x')))));
      for (const e of errors) {
        expect(e.code).toBe('BACKUP_TARGET_UNREACHABLE');
        expect(e.message).toContain('lookup of localhost');
      }
      expect(r.calls).toEqual(['localhost']);
      expect(lookups.busy).toBe(1);
      expect(s3.requests.length).toBe(served);
    } finally {
      r.answer('localhost', []);
      await store.close();
    }
  });
});
