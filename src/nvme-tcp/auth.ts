/**
 * DH-HMAC-CHAP, the NVMe in-band authentication protocol (NVMe Base specification 2.x, section
 * 8.3.5 / TP 8006), as the host runs it on one queue after a Connect whose completion asked for it
 * (AUTHREQ.ATR): Authentication Send and Receive commands carry the messages, SECP E9h, SPSP 0101h.
 * This host offers SHA-256, SHA-384 and SHA-512 and the DH groups allowed (default all: NULL and
 * ffdhe2048 ... ffdhe8192, in the order SPDK's own host offers them): the controller chooses the hash
 * and the group (spdk_tgt its strongest allowed of each).
 *
 *   host -> AUTH_Negotiate             controller -> DH-HMAC-CHAP_Challenge (C1, seqnum S1, hash, DH group and value)
 *   host -> DH-HMAC-CHAP_Reply (R1, its DH value; C2 and S2 when bidirectional)
 *   controller -> DH-HMAC-CHAP_Success1 (R2 when bidirectional)    host -> DH-HMAC-CHAP_Success2
 *   controller -> AUTH_Failure1 in place of a message it refuses; host -> AUTH_Failure2 when R2 is wrong
 *
 * Messages, little-endian (T_ID u16 @4 in all of them):
 *   AUTH_Negotiate   (72): type 00h @0, id 00h @1, SC_C @6, NAPD 1 @7, then one descriptor:
 *                          AUTHID 01h @8, HALEN @10, DHLEN @11, hash IDs @12 (30), DH group IDs @42 (30)
 *   Challenge (16 + hl + dhvlen): type 01h, id 01h, HL @6, HASHID @8, DHGID @9, DHVLEN u16 @10, SEQNUM u32 @12,
 *                          C1 @16, the controller's DH value @16 + hl
 *   Reply (16 + 2 hl + dhvlen): type 01h, id 02h, HL @6, CVALID @8, DHVLEN u16 @10, SEQNUM u32 @12 (S2, else 0),
 *                          R1 @16, C2 @16 + hl (zeros when CVALID 0: the field is always there), the host's DH
 *                          value @16 + 2 hl
 *   Success1 (16 [+ hl]):  type 01h, id 03h, HL @6, RVALID @8, R2 @16
 *   Success2 (16):         type 01h, id 04h
 *   AUTH_Failure1/2 (8):   type 00h, id F1h / F0h, RC @6 (01h), RCE @7 (the reason)
 *
 * Keys: a DHHC-1 secret's key is first transformed by the hash its hh names (00: none, else
 * HMAC(key, NQN || "NVMe-over-Fabrics"), the host key with the host NQN, the controller key with
 * the subsystem NQN); a response is HMAC with the negotiated hash, keyed by the transformed key,
 * over C || SEQNUM (u32) || T_ID (u16) || SC_C (u8) || "HostHost" || NQNh || 00h || NQNs, and for
 * the controller's over C2 || S2 || T_ID || SC_C || "Controller" || NQNs || 00h || NQNh. With the
 * NULL DH group C is the challenge as it is; with an FFDHE group each side sends an ephemeral public
 * value (./ffdhe.ts) and C is the augmented challenge HMAC(H(g^xy mod p), challenge) with the
 * negotiated hash, for C1 and for C2 alike (nvme_auth_augment_challenge). Checked byte for byte
 * against spdk_tgt v26.05 (lib/nvme/nvme_auth.c, lib/nvmf/auth.c; test/nvme-tcp/auth.test.ts pins
 * exchanges it accepted).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { ConductorError } from '../errors.js';
import type { DecodedSecret } from '../validation/nvme-secrets.js';
import { DH_GROUP_NAMES, type DhGroupName, dhGroupId, dhGroupName, type EphemeralKey, ephemeralKey, ffdhePrime, publicValueProblem } from './ffdhe.js';

export { DH_GROUP_NAMES, type DhGroupName } from './ffdhe.js';

export const AUTH_TYPE = { COMMON: 0x00, DHCHAP: 0x01 } as const;
export const AUTH_ID = { NEGOTIATE: 0x00, CHALLENGE: 0x01, REPLY: 0x02, SUCCESS1: 0x03, SUCCESS2: 0x04, FAILURE2: 0xf0, FAILURE1: 0xf1 } as const;
export const HASH = { SHA256: 0x01, SHA384: 0x02, SHA512: 0x03 } as const;
export const DHGROUP_NULL = 0x00;
/** AUTH_Failure reason code: the only one defined. */
export const RC_FAILURE = 0x01;
/** Reason code explanations (RCE). */
export const RCE = {
  FAILED: 0x01,
  PROTOCOL_UNUSABLE: 0x02,
  SCC_MISMATCH: 0x03,
  HASH_UNUSABLE: 0x04,
  DHGROUP_UNUSABLE: 0x05,
  INCORRECT_PAYLOAD: 0x06,
  INCORRECT_PROTOCOL_MESSAGE: 0x07,
} as const;

const RCE_TEXT: Readonly<Record<number, string>> = {
  [RCE.FAILED]: 'authentication failed',
  [RCE.PROTOCOL_UNUSABLE]: 'authentication protocol not usable',
  [RCE.SCC_MISMATCH]: 'secure channel concatenation mismatch',
  [RCE.HASH_UNUSABLE]: 'hash function not usable',
  [RCE.DHGROUP_UNUSABLE]: 'DH group not usable',
  [RCE.INCORRECT_PAYLOAD]: 'incorrect payload',
  [RCE.INCORRECT_PROTOCOL_MESSAGE]: 'incorrect protocol message',
};

export const DIGESTS: Readonly<Record<number, { readonly name: 'sha256' | 'sha384' | 'sha512'; readonly bytes: number }>> = {
  [HASH.SHA256]: { name: 'sha256', bytes: 32 },
  [HASH.SHA384]: { name: 'sha384', bytes: 48 },
  [HASH.SHA512]: { name: 'sha512', bytes: 64 },
};

/** The hashes offered, in the order of the descriptor (the controller picks its strongest). */
const OFFERED_HASHES = [HASH.SHA256, HASH.SHA384, HASH.SHA512];
/** Every DH group, in the order SPDK's host offers them (NULL, ffdhe2048 ... ffdhe8192). */
const ALL_DH_GROUP_IDS: readonly number[] = DH_GROUP_NAMES.map(dhGroupId);
/** AL of each Authentication Receive: room for any message (spdk_tgt's host asks for as much). */
export const AUTH_RECEIVE_BYTES = 4096;
const HEADER_BYTES = 16;
const FAILURE_BYTES = 8;
const NEGOTIATE_BYTES = 8 + 64;

// ---- keys and responses ----

/** The transformed key (section 8.3.5.5.7 of the base spec): hh 00 the key itself, else HMAC with hh's hash over NQN || "NVMe-over-Fabrics". */
export function transformKey(secret: DecodedSecret, nqn: string): Buffer {
  if (secret.hash === 0) return Buffer.from(secret.key);
  const digest = DIGESTS[secret.hash];
  if (!digest) throw new ConductorError('INVALID_SECRET', `a DH-HMAC-CHAP secret with an unsupported hash identifier ${secret.hash}`);
  return createHmac(digest.name, secret.key).update(nqn, 'utf8').update('NVMe-over-Fabrics', 'ascii').digest();
}

export interface ResponseInput {
  /** The negotiated hash (HASHID). */
  readonly hash: number;
  /** The transformed key. */
  readonly key: Buffer;
  /** The challenge (C1 or C2), hl bytes, augmented with an FFDHE group (augmentChallenge). */
  readonly challenge: Buffer;
  readonly seqnum: number;
  readonly tid: number;
  /** SC_C: 0 (no secure channel concatenation). */
  readonly scc?: number;
  /** "HostHost" for the host's response, "Controller" for the controller's. */
  readonly role: 'HostHost' | 'Controller';
  /** NQNh then NQNs for the host's response, NQNs then NQNh for the controller's. */
  readonly nqn1: string;
  readonly nqn2: string;
}

/**
 * The challenge a response covers (nvme_auth_augment_challenge): with the NULL group the challenge
 * itself, with an FFDHE group HMAC(H(secret), challenge), H and the HMAC the negotiated hash and
 * `secret` the padded g^xy mod p.
 */
export function augmentChallenge(hash: number, challenge: Buffer, secret: Buffer | undefined): Buffer {
  if (!secret) return challenge;
  const digest = DIGESTS[hash];
  if (!digest) throw new Error(`hash identifier ${hash} is not SHA-256/384/512`);
  return createHmac(digest.name, createHash(digest.name).update(secret).digest()).update(challenge).digest();
}

/** A DH-HMAC-CHAP response: HMAC(key, C || SEQNUM || T_ID || SC_C || role || NQN1 || 00h || NQN2), C already augmented (augmentChallenge). */
export function dhchapResponse(r: ResponseInput): Buffer {
  const digest = DIGESTS[r.hash];
  if (!digest) throw new Error(`hash identifier ${r.hash} is not SHA-256/384/512`);
  const numbers = Buffer.alloc(7);
  numbers.writeUInt32LE(r.seqnum >>> 0, 0);
  numbers.writeUInt16LE(r.tid & 0xffff, 4);
  numbers[6] = r.scc ?? 0;
  return createHmac(digest.name, r.key).update(r.challenge).update(numbers).update(r.role, 'ascii').update(r.nqn1, 'utf8').update(Buffer.of(0)).update(r.nqn2, 'utf8').digest();
}

// ---- messages ----

/** AUTH_Negotiate offering the three hashes and `dhgroups` (ids, in the order given; default all, SPDK's host's order). */
export function encodeNegotiate(tid: number, dhgroups: readonly number[] = ALL_DH_GROUP_IDS): Buffer {
  const b = Buffer.alloc(NEGOTIATE_BYTES);
  b[0] = AUTH_TYPE.COMMON;
  b[1] = AUTH_ID.NEGOTIATE;
  b.writeUInt16LE(tid, 4);
  b[6] = 0; // SC_C: no secure channel concatenation
  b[7] = 1; // NAPD: one protocol descriptor
  b[8] = AUTH_TYPE.DHCHAP;
  b[10] = OFFERED_HASHES.length;
  b[11] = dhgroups.length;
  Buffer.from(OFFERED_HASHES).copy(b, 12);
  Buffer.from(dhgroups).copy(b, 42);
  return b;
}

export interface Reply {
  readonly tid: number;
  readonly response: Buffer;
  /** C2, bidirectional only (same length as the response). */
  readonly ctrlrChallenge?: Buffer;
  /** S2, bidirectional only. */
  readonly seqnum?: number;
  /** The host's DH public value (FFDHE groups only). */
  readonly dhValue?: Buffer;
}

export function encodeReply(r: Reply): Buffer {
  const hl = r.response.length;
  const dhvlen = r.dhValue?.length ?? 0;
  const b = Buffer.alloc(HEADER_BYTES + 2 * hl + dhvlen);
  b[0] = AUTH_TYPE.DHCHAP;
  b[1] = AUTH_ID.REPLY;
  b.writeUInt16LE(r.tid, 4);
  b[6] = hl;
  b[8] = r.ctrlrChallenge ? 1 : 0;
  b.writeUInt16LE(dhvlen, 10); // DHVLEN: 0 with the NULL group
  b.writeUInt32LE(r.ctrlrChallenge ? (r.seqnum ?? 0) >>> 0 : 0, 12);
  r.response.copy(b, HEADER_BYTES);
  r.ctrlrChallenge?.copy(b, HEADER_BYTES + hl);
  r.dhValue?.copy(b, HEADER_BYTES + 2 * hl);
  return b;
}

export function encodeSuccess2(tid: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b[0] = AUTH_TYPE.DHCHAP;
  b[1] = AUTH_ID.SUCCESS2;
  b.writeUInt16LE(tid, 4);
  return b;
}

export function encodeFailure(id: typeof AUTH_ID.FAILURE1 | typeof AUTH_ID.FAILURE2, tid: number, rce: number): Buffer {
  const b = Buffer.alloc(FAILURE_BYTES);
  b[0] = AUTH_TYPE.COMMON;
  b[1] = id;
  b.writeUInt16LE(tid, 4);
  b[6] = RC_FAILURE;
  b[7] = rce;
  return b;
}

export type AuthMessage =
  | {
      readonly kind: 'challenge';
      readonly tid: number;
      readonly hl: number;
      readonly hash: number;
      readonly dhgroup: number;
      readonly dhvlen: number;
      readonly seqnum: number;
      readonly challenge: Buffer;
      /** The controller's DH public value (DHVLEN bytes; empty with the NULL group). */
      readonly dhValue: Buffer;
    }
  | { readonly kind: 'success1'; readonly tid: number; readonly hl: number; readonly rvalid: boolean; readonly response: Buffer | undefined }
  | { readonly kind: 'failure1'; readonly tid: number; readonly rc: number; readonly rce: number }
  | { readonly kind: 'other'; readonly type: number; readonly id: number };

/** Decodes a message the controller sent (`data`: exactly the bytes it sent); throws AuthPayloadError when one is cut short. */
export function decodeAuthMessage(data: Buffer): AuthMessage {
  if (data.length < 2) throw new AuthPayloadError(`a ${data.length}-byte message`);
  const type = data[0]!;
  const id = data[1]!;
  if (type === AUTH_TYPE.COMMON && id === AUTH_ID.FAILURE1) {
    need(data, FAILURE_BYTES, 'AUTH_Failure1');
    return { kind: 'failure1', tid: data.readUInt16LE(4), rc: data[6]!, rce: data[7]! };
  }
  if (type === AUTH_TYPE.DHCHAP && id === AUTH_ID.CHALLENGE) {
    need(data, HEADER_BYTES, 'DH-HMAC-CHAP_Challenge');
    const hl = data[6]!;
    const dhvlen = data.readUInt16LE(10);
    need(data, HEADER_BYTES + hl + dhvlen, `DH-HMAC-CHAP_Challenge with HL ${hl} and DHVLEN ${dhvlen}`);
    return {
      kind: 'challenge',
      tid: data.readUInt16LE(4),
      hl,
      hash: data[8]!,
      dhgroup: data[9]!,
      dhvlen,
      seqnum: data.readUInt32LE(12),
      challenge: Buffer.from(data.subarray(HEADER_BYTES, HEADER_BYTES + hl)),
      dhValue: Buffer.from(data.subarray(HEADER_BYTES + hl, HEADER_BYTES + hl + dhvlen)),
    };
  }
  if (type === AUTH_TYPE.DHCHAP && id === AUTH_ID.SUCCESS1) {
    need(data, HEADER_BYTES, 'DH-HMAC-CHAP_Success1');
    const hl = data[6]!;
    const rvalid = data[8] === 1;
    if (rvalid) need(data, HEADER_BYTES + hl, `DH-HMAC-CHAP_Success1 with RVALID and HL ${hl}`);
    return { kind: 'success1', tid: data.readUInt16LE(4), hl, rvalid, response: rvalid ? Buffer.from(data.subarray(HEADER_BYTES, HEADER_BYTES + hl)) : undefined };
  }
  return { kind: 'other', type, id };
}

export class AuthPayloadError extends Error {}

function need(data: Buffer, bytes: number, what: string): void {
  if (data.length < bytes) throw new AuthPayloadError(`${what} of ${data.length} bytes, shorter than ${bytes}`);
}

export function messageName(type: number, id: number): string {
  const names: Record<number, string> =
    type === AUTH_TYPE.COMMON
      ? { [AUTH_ID.NEGOTIATE]: 'AUTH_Negotiate', [AUTH_ID.FAILURE1]: 'AUTH_Failure1', [AUTH_ID.FAILURE2]: 'AUTH_Failure2' }
      : { [AUTH_ID.CHALLENGE]: 'DH-HMAC-CHAP_Challenge', [AUTH_ID.REPLY]: 'DH-HMAC-CHAP_Reply', [AUTH_ID.SUCCESS1]: 'DH-HMAC-CHAP_Success1', [AUTH_ID.SUCCESS2]: 'DH-HMAC-CHAP_Success2' };
  return names[id] ?? `message type ${type} id ${id}`;
}

export function reasonText(rc: number, rce: number): string {
  return `${rc === RC_FAILURE ? (RCE_TEXT[rce] ?? `reason explanation ${rce}`) : `reason code ${rc}, explanation ${rce}`} (RC ${rc}, RCE ${rce})`;
}

// ---- the transaction ----

/** The queue's Authentication Send and Receive; both reject with the command's or the queue's error. */
export interface AuthChannel {
  send(message: Buffer, what: string): Promise<void>;
  /** Resolves with the bytes the controller sent. */
  receive(what: string): Promise<Buffer>;
}

export interface AuthOptions {
  readonly qid: number;
  /** T_ID of this transaction. */
  readonly tid: number;
  readonly hostnqn: string;
  readonly subnqn: string;
  readonly key: DecodedSecret;
  /** Given: bidirectional (the controller proves it holds this key). */
  readonly ctrlrKey?: DecodedSecret;
  /** DH groups offered (default all); offered in SPDK's host's order whatever the order given. */
  readonly dhgroups?: readonly DhGroupName[];
  /** "nqn... at 127.0.0.1:4420", for messages. */
  readonly target: string;
  readonly log: Logger;
  /** Random bytes (C2, S2); tests pin them. */
  readonly random?: (bytes: number) => Buffer;
  /** The ephemeral DH key of an FFDHE group (default ./ffdhe.ts ephemeralKey); tests pin it. */
  readonly dhKey?: (dhgroup: number) => EphemeralKey;
}

export interface AuthOutcome {
  readonly digest: 'sha256' | 'sha384' | 'sha512';
  /** The DH group the controller chose. */
  readonly dhgroup: DhGroupName;
  readonly bidirectional: boolean;
  /** Message sizes in the order sent and received. */
  readonly messages: readonly { readonly name: string; readonly bytes: number; readonly from: 'host' | 'controller' }[];
}

/** Runs one DH-HMAC-CHAP transaction; throws NVME_AUTH_FAILED when a side is refused, INTERNAL when the controller breaks the protocol. */
export async function authenticate(channel: AuthChannel, o: AuthOptions): Promise<AuthOutcome> {
  const random = o.random ?? randomBytes;
  const messages: { name: string; bytes: number; from: 'host' | 'controller' }[] = [];
  const where = `DH-HMAC-CHAP on queue ${o.qid} to ${o.target}`;
  const offered = o.dhgroups ? ALL_DH_GROUP_IDS.filter((id) => o.dhgroups!.includes(dhGroupName(id)!)) : ALL_DH_GROUP_IDS;
  if (offered.length === 0) throw new ConductorError('INVALID_ARGUMENT', `${where}: no DH group allowed (dhgroups is empty)`);
  const send = async (message: Buffer, name: string) => {
    messages.push({ name, bytes: message.length, from: 'host' });
    await channel.send(message, `Authentication Send (${name}) on queue ${o.qid}`);
  };
  const receive = async (expected: string): Promise<AuthMessage> => {
    const data = await channel.receive(`Authentication Receive (${expected}) on queue ${o.qid}`);
    let message: AuthMessage;
    try {
      message = decodeAuthMessage(data);
    } catch (error) {
      if (!(error instanceof AuthPayloadError)) throw error;
      throw await protocolFailure(`the controller sent ${error.message}`, RCE.INCORRECT_PAYLOAD);
    }
    messages.push({ name: messageName(data[0]!, data[1]!), bytes: data.length, from: 'controller' });
    if (message.kind === 'failure1') {
      throw new ConductorError('NVME_AUTH_FAILED', `${where} was refused with AUTH_Failure1: ${reasonText(message.rc, message.rce)}${failure1Hint(message.rce, offered)}`, {
        qid: o.qid,
        rc: message.rc,
        rce: message.rce,
        step: expected,
      });
    }
    return message;
  };
  /** AUTH_Failure2 (best effort: the queue may be gone), then the error to throw. */
  const protocolFailure = async (problem: string, rce: number, code: 'INTERNAL' | 'NVME_AUTH_FAILED' = 'INTERNAL'): Promise<ConductorError> => {
    try {
      await send(encodeFailure(AUTH_ID.FAILURE2, o.tid, rce), 'AUTH_Failure2');
    } catch (error) {
      o.log.debug({ qid: o.qid, reason: (error as Error).message }, 'AUTH_Failure2 not sent');
    }
    return new ConductorError(code, `${where} failed: ${problem} (sent AUTH_Failure2: ${reasonText(RC_FAILURE, rce)})`, { qid: o.qid, rce });
  };

  await send(encodeNegotiate(o.tid, offered), 'AUTH_Negotiate');
  const challenge = await receive('DH-HMAC-CHAP_Challenge');
  if (challenge.kind !== 'challenge') throw await protocolFailure(`${describe(challenge)} came where DH-HMAC-CHAP_Challenge was expected`, RCE.INCORRECT_PROTOCOL_MESSAGE);
  const digest = DIGESTS[challenge.hash];
  const challengeProblem =
    challenge.tid !== o.tid
      ? `the challenge is for T_ID ${challenge.tid}, not ${o.tid}`
      : challenge.seqnum === 0
        ? 'the challenge has SEQNUM 0'
        : !digest
          ? `the challenge names hash ${challenge.hash}, which this host did not offer`
          : challenge.hl !== digest.bytes
            ? `the challenge's HL is ${challenge.hl}, ${digest.name} needs ${digest.bytes}`
            : dhValueProblem(challenge, offered);
  if (challengeProblem || !digest) throw await protocolFailure(challengeProblem ?? 'no digest', RCE.INCORRECT_PAYLOAD);
  const dhgroup = dhGroupName(challenge.dhgroup)!;

  // An FFDHE group: this host's ephemeral key, and g^xy mod p from the controller's value (checked above)
  let dhValue: Buffer | undefined;
  let secret: Buffer | undefined;
  if (challenge.dhgroup !== DHGROUP_NULL) {
    const key = (o.dhKey ?? ephemeralKey)(challenge.dhgroup);
    dhValue = key.publicValue;
    try {
      secret = key.sharedSecret(challenge.dhValue);
    } catch (error) {
      throw await protocolFailure(`no shared secret from the controller's ${dhgroup} value: ${(error as Error).message}`, RCE.INCORRECT_PAYLOAD);
    }
  }

  const response = dhchapResponse({
    hash: challenge.hash,
    key: transformKey(o.key, o.hostnqn),
    challenge: augmentChallenge(challenge.hash, challenge.challenge, secret),
    seqnum: challenge.seqnum,
    tid: o.tid,
    role: 'HostHost',
    nqn1: o.hostnqn,
    nqn2: o.subnqn,
  });
  let expected: Buffer | undefined;
  let ctrlrChallenge: Buffer | undefined;
  let seqnum = 0;
  if (o.ctrlrKey) {
    ctrlrChallenge = random(digest.bytes);
    // S2: any number but 0
    seqnum = random(4).readUInt32LE(0) || 1;
    expected = dhchapResponse({
      hash: challenge.hash,
      key: transformKey(o.ctrlrKey, o.subnqn),
      challenge: augmentChallenge(challenge.hash, ctrlrChallenge, secret),
      seqnum,
      tid: o.tid,
      role: 'Controller',
      nqn1: o.subnqn,
      nqn2: o.hostnqn,
    });
  }
  await send(encodeReply({ tid: o.tid, response, ctrlrChallenge, seqnum, dhValue }), 'DH-HMAC-CHAP_Reply');

  const success = await receive('DH-HMAC-CHAP_Success1');
  if (success.kind !== 'success1') throw await protocolFailure(`${describe(success)} came where DH-HMAC-CHAP_Success1 was expected`, RCE.INCORRECT_PROTOCOL_MESSAGE);
  if (success.tid !== o.tid) throw await protocolFailure(`DH-HMAC-CHAP_Success1 is for T_ID ${success.tid}, not ${o.tid}`, RCE.INCORRECT_PAYLOAD);
  if (expected) {
    if (!success.rvalid || !success.response) throw await protocolFailure('DH-HMAC-CHAP_Success1 has no response (RVALID 0) to the controller challenge', RCE.INCORRECT_PAYLOAD);
    if (success.hl !== digest.bytes) throw await protocolFailure(`DH-HMAC-CHAP_Success1's HL is ${success.hl}, ${digest.name} needs ${digest.bytes}`, RCE.INCORRECT_PAYLOAD);
    if (!timingSafeEqual(success.response, expected)) {
      throw await protocolFailure(
        "the controller's response to the host's challenge does not verify: it does not hold the controller key given (a wrong controller key, or another target)",
        RCE.FAILED,
        'NVME_AUTH_FAILED',
      );
    }
    await send(encodeSuccess2(o.tid), 'DH-HMAC-CHAP_Success2');
  }
  return { digest: digest.name, dhgroup, bidirectional: expected !== undefined, messages };
}

/** Why the challenge's DH group or value will not do (a group not offered, a DHVLEN that is not the group's, a value outside 1 < y < p-1), or undefined. */
function dhValueProblem(challenge: Extract<AuthMessage, { kind: 'challenge' }>, offered: readonly number[]): string | undefined {
  const name = dhGroupName(challenge.dhgroup);
  if (!name || !offered.includes(challenge.dhgroup)) {
    return `the challenge names DH group ${challenge.dhgroup}${name ? ` (${name})` : ''}, which this host did not offer (offered: ${offered.map((id) => dhGroupName(id)).join(', ')})`;
  }
  if (challenge.dhgroup === DHGROUP_NULL) return challenge.dhvlen === 0 ? undefined : `the challenge names the NULL DH group with DHVLEN ${challenge.dhvlen}`;
  const bytes = ffdhePrime(challenge.dhgroup)!.length;
  if (challenge.dhvlen !== bytes) return `the challenge's DHVLEN is ${challenge.dhvlen}, ${name} needs ${bytes}`;
  const problem = publicValueProblem(challenge.dhgroup, challenge.dhValue);
  return problem && `the controller sent ${problem}`;
}

function failure1Hint(rce: number, offered: readonly number[]): string {
  if (rce === RCE.FAILED) return ': a wrong DH-HMAC-CHAP key, the subsystem holds none for this host, or a controller key asked for that it lacks';
  if (rce === RCE.DHGROUP_UNUSABLE) return `: the target allows none of the DH groups offered (${offered.map((id) => dhGroupName(id)).join(', ')})`;
  return '';
}

function describe(m: AuthMessage): string {
  if (m.kind === 'other') return messageName(m.type, m.id);
  return m.kind === 'challenge' ? 'DH-HMAC-CHAP_Challenge' : m.kind === 'success1' ? 'DH-HMAC-CHAP_Success1' : 'AUTH_Failure1';
}
