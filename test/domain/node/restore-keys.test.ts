/**
 * The pieces of a restore's own DH-HMAC-CHAP key pair (backup/restore-nvmf.ts) that stand alone: the
 * secrets are valid DH-HMAC-CHAP secrets, never the same twice, and a restore's key user is live
 * exactly while the data path restores that replica (a reconcile keeps a running restore's keys,
 * a start releases every restore's).
 */
import { describe, expect, it } from 'vitest';
import { keyUserLive } from '../../../src/domain/node/key-users.js';
import { restoreKeyUser, splitKeyUser } from '../../../src/domain/node/keys.js';
import { newDhchapSecret, secretProblem } from '../../../src/validation/nvme-secrets.js';

const none = { state: { exportOf: () => undefined }, inventory: { exports: new Map() } } as unknown as Parameters<typeof keyUserLive>[1];
const records = { get: () => undefined } as unknown as Parameters<typeof keyUserLive>[2];

describe("a restore's key pair", () => {
  it('is two valid, different DH-HMAC-CHAP secrets of 32, 48 or 64 bytes', () => {
    for (const bytes of [32, 48, 64] as const) {
      const a = newDhchapSecret(bytes);
      const b = newDhchapSecret(bytes);
      expect(secretProblem('dhchap', a)).toBeUndefined();
      expect(a).not.toBe(b);
      expect(a.startsWith('DHHC-1:00:')).toBe(true);
      expect(Buffer.from(a.split(':')[2]!, 'base64')).toHaveLength(bytes + 4);
    }
  });

  it('is held by restore/<replica>/host, live only while that replica is being restored', () => {
    const user = restoreKeyUser('back');
    expect(splitKeyUser(user)).toEqual(['restore', 'back', 'host']);
    expect(keyUserLive(user, none, records, (replica) => replica === 'back')).toBe(true);
    expect(keyUserLive(user, none, records, (replica) => replica === 'other')).toBe(false);
    // At start nothing restores: every restore's keys are released.
    expect(keyUserLive(user, none, records)).toBe(false);
  });
});
