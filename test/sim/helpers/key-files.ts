/**
 * Key files for the simulator's keyring, built as SPDK's test/nvmf/common.sh format_key builds
 * them: `<prefix>:<hh>:<base64(secret + crc32 little-endian)>:` where the secret is the ASCII of
 * a random hex string, written with the mode given (keyring_file wants 0600).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

function formatKey(prefix: string, hash: number, secret: Buffer): string {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(secret));
  return `${prefix}:${hash.toString(16).padStart(2, '0')}:${Buffer.concat([secret, crc]).toString('base64')}:`;
}

/** A DH-HMAC-CHAP secret of `bytes` (32, 48 or 64) ASCII hex characters. */
export function dhchapKey(bytes = 48, hash = 0): string {
  return formatKey('DHHC-1', hash, Buffer.from(randomBytes(bytes / 2).toString('hex')));
}

/** A TLS PSK interchange key of 32 bytes (hash 1 = SHA-256). */
export function tlsPsk(): string {
  return formatKey('NVMeTLSkey-1', 1, Buffer.from(randomBytes(16).toString('hex')));
}

/** Writes `content` to `dir/name` with `mode` (0600 by default) and returns the path. */
export function writeKey(dir: string, name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}
