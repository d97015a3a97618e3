/**
 * The two key file formats spdk_tgt reads, checked as it checks them: DH-HMAC-CHAP secrets
 * (`DHHC-1:<hh>:<base64(secret + crc32)>:`, nvme_auth_get_key) and TLS PSK interchange keys
 * (`NVMeTLSkey-1:<hh>:<base64(psk + crc32)>:`, nvme_tcp_parse_interchange_psk). A parsed secret
 * stays in memory for the comparison the fabric makes; it is never logged or answered.
 */
import { crc32 } from 'node:zlib';

export interface Secret {
  /** The <hh> field: the transformation (DH-HMAC-CHAP) or the PSK hash. */
  readonly hash: number;
  readonly bytes: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeChecked(b64: string, sizes: readonly number[]): Buffer | null {
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return null;
  const raw = Buffer.from(b64, 'base64');
  if (!sizes.includes(raw.length - 4)) return null;
  const secret = raw.subarray(0, raw.length - 4);
  if (crc32(secret) !== raw.readUInt32LE(raw.length - 4)) return null;
  return Buffer.from(secret);
}

/** A DH-HMAC-CHAP secret of 32, 48 or 64 bytes; null for anything else. */
export function parseDhchapKey(content: string): Secret | null {
  const m = /^DHHC-1:([0-9a-fA-F]{2}):([^:]*):/.exec(content);
  if (m === null) return null;
  const bytes = decodeChecked(m[2]!, [32, 48, 64]);
  return bytes === null ? null : { hash: Number.parseInt(m[1]!, 16), bytes };
}

/** A configured TLS PSK of 32 or 48 bytes (hash 0 = none, 1 = SHA-256, 2 = SHA-384); null otherwise. */
export function parsePsk(content: string): Secret | null {
  const m = /^NVMeTLSkey-1:([0-9a-fA-F]{2}):([^:]*):$/.exec(content);
  if (m === null) return null;
  const hash = Number.parseInt(m[1]!, 16);
  const sizes = hash === 1 ? [32] : hash === 2 ? [48] : hash === 0 ? [32, 48] : [];
  const bytes = decodeChecked(m[2]!, sizes);
  return bytes === null ? null : { hash, bytes };
}
