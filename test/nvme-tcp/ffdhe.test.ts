/**
 * The FFDHE side of the host's DH-HMAC-CHAP (src/nvme-tcp/ffdhe.ts, auth.ts): the RFC 7919 primes,
 * the public value check, and whole transactions whose controller side is the simulator's target
 * code (spdk/sim/nvmf/tcp/ffdhe.ts and auth.ts, written apart from the host: its primes computed from
 * the RFC's formula, its augmented challenge and responses its own), so both sides agree only if each
 * follows SPDK v26.05. test/real/nvme-tcp-host.test.ts runs them against spdk_tgt itself.
 */
import crypto from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { augment as simAugment, dhchapResponse as simResponse } from '../../spdk/sim/nvmf/tcp/auth.js';
import { ffdheKey as simKey, ffdhePrime as simPrime } from '../../spdk/sim/nvmf/tcp/ffdhe.js';
import { ConductorError } from '../../src/errors.js';
import { type AuthChannel, augmentChallenge, authenticate, encodeFailure, encodeReply, transformKey } from '../../src/nvme-tcp/auth.js';
import { DH_GROUP_NAMES, ephemeralKey, ffdhePrime, publicValueProblem } from '../../src/nvme-tcp/ffdhe.js';
import { decodeSecret } from '../../src/validation/nvme-secrets.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:ffdhe';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-0000000ffd4e';
/** hh 00, key 0123456789abcdef × 4. */
const KEY = 'DHHC-1:00:ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze/wsXcs:';
/** hh 03, 64-byte key fedcba9876543210 × 8. */
const CTRLR_KEY = 'DHHC-1:03:/ty6mHZUMhD+3LqYdlQyEP7cuph2VDIQ/ty6mHZUMhD+3LqYdlQyEP7cuph2VDIQ/ty6mHZUMhD+3LqYdlQyEMCCfgQ=:';
const log = pino({ level: 'silent' });
const BITS = [0, 2048, 3072, 4096, 6144, 8192];
const HASHES = { 1: { name: 'sha256', hl: 32 }, 2: { name: 'sha384', hl: 48 }, 3: { name: 'sha512', hl: 64 } } as const;

describe('RFC 7919 groups', () => {
  it('has the five primes of RFC 7919 (the same numbers the simulator computes from the RFC formula), 2^64 - 1 at both ends', () => {
    for (let id = 1; id <= 5; id++) {
      const p = ffdhePrime(id)!;
      expect(p.length).toBe(BITS[id]! / 8);
      expect(p.equals(simPrime(id)!)).toBe(true);
      expect(p.subarray(0, 8).equals(Buffer.alloc(8, 0xff))).toBe(true);
      expect(p.subarray(-8).equals(Buffer.alloc(8, 0xff))).toBe(true);
    }
    expect(ffdhePrime(0)).toBeUndefined();
    expect(ffdhePrime(6)).toBeUndefined();
    expect(DH_GROUP_NAMES).toEqual(['null', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192']);
  });

  it('refuses a public value outside 1 < y < p-1 or not of the prime size', () => {
    const p = ffdhePrime(1)!;
    const n = (v: bigint) => Buffer.from(v.toString(16).padStart(512, '0'), 'hex');
    const pv = BigInt(`0x${p.toString('hex')}`);
    for (const y of [0n, 1n, pv - 1n, pv, pv + 1n]) expect(publicValueProblem(1, n(y))).toMatch(/outside 1 < y < p-1 of ffdhe2048/);
    expect(publicValueProblem(1, n(2n))).toBeUndefined();
    expect(publicValueProblem(1, n(pv - 2n))).toBeUndefined();
    expect(publicValueProblem(1, Buffer.alloc(255, 1))).toMatch(/255 bytes, ffdhe2048 needs 256/);
    expect(publicValueProblem(0, Buffer.alloc(0))).toMatch(/not an FFDHE group/);
  });

  it("agrees on the shared secret with the simulator's key of every group; values and secret padded to the prime's size", () => {
    for (let id = 1; id <= 5; id++) {
      const host = ephemeralKey(id);
      const target = simKey(id)!;
      expect(host.publicValue.length).toBe(BITS[id]! / 8);
      expect(publicValueProblem(id, host.publicValue)).toBeUndefined();
      const secret = host.sharedSecret(target.pub);
      expect(secret.length).toBe(BITS[id]! / 8);
      expect(secret.equals(target.derive(host.publicValue))).toBe(true);
    }
    // A fresh key each time
    expect(ephemeralKey(1).publicValue.equals(ephemeralKey(1).publicValue)).toBe(false);
    expect(() => ephemeralKey(1).sharedSecret(Buffer.alloc(256))).toThrow(/outside 1 < y < p-1/);
  });

  it('augments a challenge as the simulator does (HMAC(H(secret), C) with the negotiated hash), and leaves it alone without a secret', () => {
    const secret = crypto.randomBytes(256);
    for (const [id, h] of Object.entries(HASHES)) {
      const c = crypto.randomBytes(h.hl);
      expect(augmentChallenge(Number(id), c, secret)).toEqual(simAugment(c, secret, h.name));
      expect(augmentChallenge(Number(id), c, undefined)).toBe(c);
    }
  });
});

/** A controller side built from the simulator's code: the Challenge, then Success1 from what the host replied. */
function simController(o: { group: number; hash: 1 | 2 | 3; tid: number; bidirectional: boolean; dhValue?: Buffer }) {
  const { name, hl } = HASHES[o.hash];
  const key = o.group === 0 ? undefined : simKey(o.group)!;
  const c1 = crypto.randomBytes(hl);
  const seqnum = 0x5eed;
  const dhv = o.dhValue ?? key?.pub ?? Buffer.alloc(0);
  const challenge = Buffer.alloc(16 + hl + dhv.length);
  challenge[0] = 1;
  challenge[1] = 1;
  challenge.writeUInt16LE(o.tid, 4);
  challenge[6] = hl;
  challenge[8] = o.hash;
  challenge[9] = o.group;
  challenge.writeUInt16LE(dhv.length, 10);
  challenge.writeUInt32LE(seqnum, 12);
  c1.copy(challenge, 16);
  dhv.copy(challenge, 16 + hl);
  const sent: Buffer[] = [];
  let verdict: 'accepted' | 'refused' | undefined;
  const channel: AuthChannel = {
    async send(message) {
      sent.push(Buffer.from(message));
    },
    async receive() {
      if (sent.length === 1) return challenge;
      const reply = sent[1]!;
      const dhvlen = reply.readUInt16LE(10);
      const secret = key ? key.derive(reply.subarray(16 + 2 * hl, 16 + 2 * hl + dhvlen)) : null;
      const r1 = simResponse(transformKey(decodeSecret('dhchap', KEY), HOSTNQN), name, 'HostHost', seqnum, o.tid, HOSTNQN, SUBNQN, simAugment(c1, secret, name));
      if (!r1.equals(reply.subarray(16, 16 + hl))) {
        verdict = 'refused';
        return encodeFailure(0xf1, o.tid, 1);
      }
      verdict = 'accepted';
      const s1 = Buffer.alloc(16 + (o.bidirectional ? hl : 0));
      s1[0] = 1;
      s1[1] = 3;
      s1.writeUInt16LE(o.tid, 4);
      s1[6] = hl;
      if (o.bidirectional) {
        s1[8] = 1;
        const c2 = reply.subarray(16 + hl, 16 + 2 * hl);
        simResponse(transformKey(decodeSecret('dhchap', CTRLR_KEY), SUBNQN), name, 'Controller', reply.readUInt32LE(12), o.tid, SUBNQN, HOSTNQN, simAugment(c2, secret, name)).copy(s1, 16);
      }
      return s1;
    },
  };
  return { channel, sent, verdict: () => verdict };
}

const base = { qid: 0, hostnqn: HOSTNQN, subnqn: SUBNQN, target: 'ffdhe', log } as const;

describe('DH-HMAC-CHAP transactions with FFDHE groups (the controller side from the simulator)', () => {
  for (let group = 1; group <= 5; group++) {
    const hash = ((group % 3) + 1) as 1 | 2 | 3;
    it(`${DH_GROUP_NAMES[group]} with ${HASHES[hash].name}, both ways: the Reply carries the host's value, both responses cover the secret`, async () => {
      const sim = simController({ group, hash, tid: 0x100 + group, bidirectional: true });
      const outcome = await authenticate(sim.channel, { ...base, tid: 0x100 + group, key: decodeSecret('dhchap', KEY), ctrlrKey: decodeSecret('dhchap', CTRLR_KEY) });
      expect(sim.verdict()).toBe('accepted');
      expect(outcome).toMatchObject({ digest: HASHES[hash].name, dhgroup: DH_GROUP_NAMES[group], bidirectional: true });
      const reply = sim.sent[1]!;
      const { hl } = HASHES[hash];
      expect(reply.readUInt16LE(10)).toBe(BITS[group]! / 8);
      expect(reply.length).toBe(16 + 2 * hl + BITS[group]! / 8);
      expect(sim.sent.map((m) => m[1])).toEqual([0x00, 0x02, 0x04]);
    });
  }

  it('the NULL group when the controller picks it: no DH value in the Reply', async () => {
    const sim = simController({ group: 0, hash: 3, tid: 9, bidirectional: true });
    const outcome = await authenticate(sim.channel, { ...base, tid: 9, key: decodeSecret('dhchap', KEY), ctrlrKey: decodeSecret('dhchap', CTRLR_KEY) });
    expect(outcome).toMatchObject({ dhgroup: 'null', bidirectional: true });
    expect(sim.sent[1]!.readUInt16LE(10)).toBe(0);
    expect(sim.sent[1]!.length).toBe(16 + 2 * 64);
  });

  it('a pinned host key gives the Reply encodeReply builds from it (the value after R1 and C2)', async () => {
    const hostKey = ephemeralKey(1);
    const sim = simController({ group: 1, hash: 1, tid: 3, bidirectional: false });
    await authenticate(sim.channel, { ...base, tid: 3, key: decodeSecret('dhchap', KEY), dhKey: () => hostKey });
    const reply = sim.sent[1]!;
    expect(reply.subarray(16 + 64)).toEqual(hostKey.publicValue);
    expect(reply).toEqual(encodeReply({ tid: 3, response: reply.subarray(16, 48), dhValue: hostKey.publicValue }));
  });

  it("a wrong controller key under ffdhe3072: the controller's response does not verify (AUTH_Failure2 sent)", async () => {
    const sim = simController({ group: 2, hash: 2, tid: 4, bidirectional: true });
    const error = await authenticate(sim.channel, { ...base, tid: 4, key: decodeSecret('dhchap', KEY), ctrlrKey: decodeSecret('dhchap', KEY) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConductorError);
    expect((error as ConductorError).code).toBe('NVME_AUTH_FAILED');
    expect((error as ConductorError).message).toMatch(/does not verify/);
    expect(sim.sent.at(-1)).toEqual(encodeFailure(0xf0, 4, 1));
  });

  it("refuses the controller's DH value 1, p-1 or a cut one, and a group it did not offer, with AUTH_Failure2 (incorrect payload) and no Reply", async () => {
    const p = ffdhePrime(1)!;
    const pMinus1 = Buffer.from(p);
    pMinus1[p.length - 1] = 0xfe;
    const one = Buffer.alloc(256);
    one[255] = 1;
    const cases: [Buffer | undefined, readonly ('null' | 'ffdhe2048' | 'ffdhe8192')[] | undefined, RegExp][] = [
      [one, undefined, /outside 1 < y < p-1 of ffdhe2048/],
      [pMinus1, undefined, /outside 1 < y < p-1 of ffdhe2048/],
      [Buffer.alloc(128, 7), undefined, /DHVLEN is 128, ffdhe2048 needs 256/],
      [undefined, ['null', 'ffdhe8192'], /DH group 1 \(ffdhe2048\), which this host did not offer \(offered: null, ffdhe8192\)/],
    ];
    for (const [dhValue, dhgroups, message] of cases) {
      const sim = simController({ group: 1, hash: 1, tid: 5, bidirectional: false, ...(dhValue ? { dhValue } : {}) });
      const error = (await authenticate(sim.channel, { ...base, tid: 5, key: decodeSecret('dhchap', KEY), ...(dhgroups ? { dhgroups } : {}) }).catch((e: unknown) => e)) as ConductorError;
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toMatch(message);
      expect(sim.sent.map((m) => m[1])).toEqual([0x00, 0xf0]);
      expect(sim.sent[1]).toEqual(encodeFailure(0xf0, 5, 6));
    }
  });

  it('offers only the groups allowed, in SPDK order whatever the order given; AUTH_Failure1 DH group unusable names them; none allowed is refused', async () => {
    const sent: Buffer[] = [];
    const channel: AuthChannel = {
      async send(m) {
        sent.push(Buffer.from(m));
      },
      async receive() {
        return encodeFailure(0xf1, 6, 5);
      },
    };
    const error = (await authenticate(channel, { ...base, tid: 6, key: decodeSecret('dhchap', KEY), dhgroups: ['ffdhe8192', 'null', 'ffdhe3072'] }).catch((e: unknown) => e)) as ConductorError;
    expect([sent[0]![11], ...sent[0]!.subarray(42, 46)]).toEqual([3, 0, 2, 5, 0]);
    expect(error.code).toBe('NVME_AUTH_FAILED');
    expect(error.message).toMatch(/DH group not usable \(RC 1, RCE 5\): the target allows none of the DH groups offered \(null, ffdhe3072, ffdhe8192\)/);
    const none = (await authenticate(channel, { ...base, tid: 6, key: decodeSecret('dhchap', KEY), dhgroups: [] }).catch((e: unknown) => e)) as ConductorError;
    expect(none.code).toBe('INVALID_ARGUMENT');
  });
});
