/**
 * NVMe in-band authentication secrets in their interchange formats, checked as spdk_tgt v26.05
 * parses them (lib/nvme/nvme_auth.c, include/spdk_internal/nvme_tcp.h), so a bad secret is refused
 * at the edge instead of failing later as an I/O error on attach:
 *
 *   DH-HMAC-CHAP  DHHC-1:<hh>:<base64 of key + CRC-32>:        hh 00-03, key 32, 48 or 64 bytes
 *   TLS PSK       NVMeTLSkey-1:<hh>:<base64 of key + CRC-32>:  hh 00 (32 or 48), 01 (32), 02 (48)
 *
 * The CRC-32 (IEEE, little-endian) covers the key. Problems never quote the secret.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export type SecretKind = 'dhchap' | 'psk';

/** spdk_tgt reads key files into a 256-byte buffer (SPDK_TLS_PSK_MAX_LEN, NVME_AUTH_CHAP_KEY_MAX_SIZE). */
const SECRET_MAX_CHARS = 200;

const FORMATS: Readonly<Record<SecretKind, { pattern: RegExp; example: string; keyBytes: (hash: number) => readonly number[] }>> = {
  dhchap: {
    pattern: /^DHHC-1:([0-9a-fA-F]{2}):([A-Za-z0-9+/]+={0,2}):$/,
    example: 'DHHC-1:01:<base64>: (as nvme gen-dhchap-key prints it)',
    keyBytes: (hash) => (hash <= 3 ? [32, 48, 64] : []),
  },
  psk: {
    pattern: /^NVMeTLSkey-1:([0-9a-fA-F]{2}):([A-Za-z0-9+/]+={0,2}):$/,
    example: 'NVMeTLSkey-1:01:<base64>: (as nvme gen-tls-key prints it)',
    keyBytes: (hash) => (hash === 0 ? [32, 48] : hash === 1 ? [32] : hash === 2 ? [48] : []),
  },
};

const NAMES: Readonly<Record<SecretKind, string>> = { dhchap: 'a DH-HMAC-CHAP secret', psk: 'a TLS PSK' };

/** Why `value` is not a secret of `kind`, or undefined when it is one. Never quotes the value. */
export function secretProblem(kind: SecretKind, value: unknown): string | undefined {
  const format = FORMATS[kind];
  const what = NAMES[kind];
  if (typeof value !== 'string' || value === '') return `${what} is required`;
  if (value.length > SECRET_MAX_CHARS) return `${what} is at most ${SECRET_MAX_CHARS} characters (${value.length} given)`;
  const parts = split(kind, value);
  if (!parts) return `not ${what} in its interchange format; use ${format.example}`;
  const hh = value.split(':')[1]!;
  const sizes = format.keyBytes(parts.hash);
  if (sizes.length === 0) return `${what} with an unsupported hash identifier ${hh}`;
  const keyBytes = parts.raw.length - 4;
  if (!sizes.includes(keyBytes)) return `${what} whose key is ${Math.max(0, keyBytes)} bytes; hash ${hh} needs ${sizes.join(' or ')}`;
  if (crc32(parts.raw.subarray(0, keyBytes)) !== parts.raw.readUInt32LE(keyBytes)) return `${what} whose CRC-32 does not match its key (mistyped or truncated)`;
  return undefined;
}

/** A secret's hash identifier (hh) and its key bytes (the CRC-32 taken off). */
export interface DecodedSecret {
  readonly hash: number;
  readonly key: Buffer;
}

/** The parts of a secret secretProblem() accepted; throws (without quoting it) on one it would not. */
export function decodeSecret(kind: SecretKind, value: string): DecodedSecret {
  const problem = secretProblem(kind, value);
  if (problem) throw new Error(problem);
  const parts = split(kind, value)!;
  return { hash: parts.hash, key: parts.raw.subarray(0, parts.raw.length - 4) };
}

function split(kind: SecretKind, value: string): { hash: number; raw: Buffer } | undefined {
  const match = FORMATS[kind].pattern.exec(value);
  return match ? { hash: Number.parseInt(match[1]!, 16), raw: Buffer.from(match[2]!, 'base64') } : undefined;
}

/**
 * A new random DH-HMAC-CHAP secret in its interchange format: `bytes` (32, 48 or 64) random key
 * bytes, hash identifier 00 (the key is used as it is, not transformed).
 */
export function newDhchapSecret(bytes: 32 | 48 | 64 = 32): string {
  const key = randomBytes(bytes);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(key));
  return `DHHC-1:00:${Buffer.concat([key, crc]).toString('base64')}:`;
}

/**
 * A new random TLS PSK in its interchange format: 32 random key bytes, hash identifier 01 (the
 * PSK is turned into the retained PSK with SHA-256, as nvme gen-tls-key makes it by default).
 */
export function newTlsPsk(): string {
  const key = randomBytes(32);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(key));
  return `NVMeTLSkey-1:01:${Buffer.concat([key, crc]).toString('base64')}:`;
}
