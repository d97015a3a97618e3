/**
 * Which key users survive a restart or a reconcile (key-users.ts): a rebuild copy's keys
 * (`copy/<replica>/host`) live only while that copy runs, so a restart (nothing runs yet) releases
 * them, and a reconcile mid-copy keeps them.
 */
import { describe, expect, it } from 'vitest';
import { copyKeyUser, splitKeyUser } from '../../../src/domain/node/keys.js';
import { keyUserLive } from '../../../src/domain/node/key-users.js';
import type { DomainContext } from '../../../src/domain/node/context.js';

const ctx = { state: { exportOf: () => undefined }, inventory: { exports: new Map() } } as unknown as Pick<DomainContext, 'state' | 'inventory'>;
const records = { get: () => undefined };

describe('a rebuild copy’s key user', () => {
  it('is copy/<replica>/host', () => {
    expect(copyKeyUser('r1')).toBe('copy/r1/host');
    expect(splitKeyUser(copyKeyUser('r1'))).toEqual(['copy', 'r1', 'host']);
  });

  it('is released at a restart (no copy runs) and kept by a reconcile only while its copy runs', () => {
    expect(keyUserLive(copyKeyUser('r1'), ctx, records)).toBe(false);
    const copying = (replica: string) => replica === 'r1';
    expect(keyUserLive(copyKeyUser('r1'), ctx, records, () => false, copying)).toBe(true);
    expect(keyUserLive(copyKeyUser('r2'), ctx, records, () => false, copying)).toBe(false);
  });
});
