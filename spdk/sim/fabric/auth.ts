/**
 * In-band authentication on the simulator's fabric. Real NVMe-oF runs DH-HMAC-CHAP as
 * AUTH_Send/AUTH_Receive exchanges and TLS as a handshake under NVMe/TCP; the simulator keeps
 * what decides the outcome and nothing else: each side proves it holds the same secret as the
 * other by an HMAC over a fresh nonce and both NQNs, so secrets never cross the wire (and never
 * reach a log). The target picks the strongest digest and DH group both sides allow, as
 * nvmf_auth_negotiate_exec does; the group is reported, no DH exchange is computed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../keyring/secrets.js';

/** Weakest first (the order spdk prints them in); the target prefers the last it can use. */
export const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
export const DHGROUPS = ['null', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const;

/** DH-HMAC-CHAP as the host offers it in its CONNECT. */
export interface ChapOffer {
  readonly digests: readonly string[];
  readonly dhgroups: readonly string[];
  /** HMAC of the host's secret; absent when the host has no usable key. */
  readonly response?: string;
  /** The host has a controller key and wants the controller to prove itself (bidirectional). */
  readonly bidirectional: boolean;
}

/** TLS as the host offers it: proof of the configured PSK. */
export interface TlsOffer {
  readonly binder: string;
}

/** What the target answers a completed DH-HMAC-CHAP with. */
export interface ChapResult {
  readonly digest: string;
  readonly dhgroup: string;
  /** HMAC of the controller key, when the host asked for bidirectional authentication. */
  readonly ctrlrResponse?: string;
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

function mac(secret: Secret, label: string, nonce: string, hostnqn: string, subnqn: string): string {
  return createHmac('sha256', secret.bytes)
    .update([label, String(secret.hash), nonce, hostnqn, subnqn].join('\0'))
    .digest('hex');
}

/** The host's answer to the challenge (role "host") or the controller's (role "ctrlr"). */
export function chapResponse(secret: Secret, role: 'host' | 'ctrlr', nonce: string, hostnqn: string, subnqn: string): string {
  return mac(secret, `DHHC ${role}`, nonce, hostnqn, subnqn);
}

export function pskBinder(psk: Secret, nonce: string, hostnqn: string, subnqn: string): string {
  return mac(psk, 'TLS PSK', nonce, hostnqn, subnqn);
}

/** Constant-time comparison of two hex proofs. */
export function sameProof(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The strongest digest and DH group the host offers (the target allows all of them). */
export function negotiate(offer: ChapOffer): { digest: string; dhgroup: string } | null {
  const digest = [...DIGESTS].reverse().find((d) => offer.digests.includes(d));
  const dhgroup = [...DHGROUPS].reverse().find((g) => offer.dhgroups.includes(g));
  return digest === undefined || dhgroup === undefined ? null : { digest, dhgroup };
}
