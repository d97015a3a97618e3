/**
 * Which key users survive a restart or a reconcile (key-users.ts): a rebuild copy's keys
 * (`copy/<replica>/<copy host NQN>`) live only while that copy runs, so a restart (nothing runs
 * yet) releases them, and a reconcile mid-copy keeps them.
 */
import { describe, expect, it } from 'vitest';
import { copyKeyUser, splitKeyUser } from '../../../src/domain/node/keys.js';
import { keyUserLive } from '../../../src/domain/node/key-users.js';
import type { DomainContext } from '../../../src/domain/node/context.js';

const ctx = { state: { exportOf: () => undefined }, inventory: { exports: new Map() } } as unknown as Pick<DomainContext, 'state' | 'inventory'>;
const records = { get: () => undefined };
const HOST_A = 'nqn.2024-11.io.spdk-conductor:copy-host:a';
const HOST_B = 'nqn.2024-11.io.spdk-conductor:copy-host:b';

describe('a rebuild copy’s key user', () => {
  it('is copy/<replica>/<copy host NQN>: two copies out of one replica into different targets hold their own', () => {
    expect(copyKeyUser('r1', HOST_A)).toBe(`copy/r1/${HOST_A}`);
    expect(splitKeyUser(copyKeyUser('r1', HOST_A))).toEqual(['copy', 'r1', HOST_A]);
    expect(copyKeyUser('r1', HOST_A)).not.toBe(copyKeyUser('r1', HOST_B));
  });

  it('is released at a restart (no copy runs) and kept by a reconcile only while its copy runs', () => {
    expect(keyUserLive(copyKeyUser('r1', HOST_A), ctx, records)).toBe(false);
    const copying = (user: string) => user === copyKeyUser('r1', HOST_A);
    expect(keyUserLive(copyKeyUser('r1', HOST_A), ctx, records, () => false, copying)).toBe(true);
    expect(keyUserLive(copyKeyUser('r1', HOST_B), ctx, records, () => false, copying)).toBe(false);
    expect(keyUserLive(copyKeyUser('r2', HOST_A), ctx, records, () => false, copying)).toBe(false);
  });
});
