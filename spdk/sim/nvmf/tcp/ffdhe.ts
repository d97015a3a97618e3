/**
 * The RFC 7919 finite-field groups DH-HMAC-CHAP names (ffdhe2048 ... ffdhe8192, generator 2),
 * computed from the RFC's definition p = 2^b - 2^(b-64) + (floor(2^(b-130) e) + X) * 2^64 - 1
 * instead of copied: each matches OpenSSL's built-in group (`openssl genpkey -genparam -algorithm
 * DH -pkeyopt group:ffdheN`), which spdk_tgt uses.
 */
import { createDiffieHellman } from 'node:crypto';

/** Bits and X of each group, by its DH-HMAC-CHAP id (1-5). */
const GROUPS: Record<number, { bits: number; x: bigint }> = {
  1: { bits: 2048, x: 560316n },
  2: { bits: 3072, x: 2625351n },
  3: { bits: 4096, x: 5736041n },
  4: { bits: 6144, x: 15705020n },
  5: { bits: 8192, x: 10965728n },
};

const primes = new Map<number, Buffer>();

/** floor(e * 2^bits), from the series sum of 1/k! in fixed point (64 guard bits). */
function eScaled(bits: number): bigint {
  let term = 1n << BigInt(bits + 64);
  let sum = 0n;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum >> 64n;
}

/** The group's prime, big-endian, bits/8 bytes; undefined for the NULL group or an unknown id. */
export function ffdhePrime(id: number): Buffer | undefined {
  const g = GROUPS[id];
  if (!g) return undefined;
  let p = primes.get(id);
  if (!p) {
    const b = BigInt(g.bits);
    const value = (1n << b) - (1n << (b - 64n)) + ((eScaled(g.bits - 130) + g.x) << 64n) - 1n;
    p = Buffer.from(value.toString(16).padStart(g.bits / 4, '0'), 'hex');
    primes.set(id, p);
  }
  return p;
}

/** A left-zero-padded big-endian number of `bytes` (BN_bn2binpad). */
export function padTo(b: Buffer, bytes: number): Buffer {
  if (b.length >= bytes) return b;
  return Buffer.concat([Buffer.alloc(bytes - b.length), b]);
}

/** An ephemeral key pair of the group: its public value (padded to the prime's size) and a derive of the shared secret (padded too; throws on an invalid peer value). */
export function ffdheKey(id: number): { pub: Buffer; derive(peer: Buffer): Buffer } | undefined {
  const prime = ffdhePrime(id);
  if (!prime) return undefined;
  const dh = createDiffieHellman(prime, Buffer.from([2]));
  dh.generateKeys();
  return {
    pub: padTo(dh.getPublicKey(), prime.length),
    derive: (peer) => padTo(dh.computeSecret(peer), prime.length),
  };
}
