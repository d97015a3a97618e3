/**
 * DH-HMAC-CHAP on an NVMe/TCP qpair, as SPDK v26.05's lib/nvmf/auth.c serves it: Authentication
 * Send (fctype 0x05) and Receive (0x06) carrying AUTH_Negotiate, DH-HMAC-CHAP_Challenge, _Reply,
 * _Success1, _Success2, AUTH_Failure1/2, with the same state machine, the same checks in the same
 * order and the same answers (statuses, reason code explanations), the same timeouts (the
 * controller's KATO, else 120 s; a qpair that sent AUTH_Failure1 is disconnected 100 ms later).
 * The responses are computed as nvme_auth.c computes them (spdk_nvme_dhchap_calculate, the
 * secret transformed per its <hh>, nvme_auth_transform_key; with an ffdhe group the challenge
 * is augmented by the hash of the DH shared secret, ./ffdhe.ts). Secrets are read through the
 * keyring at the Reply, as spdk does, and never logged.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { KeyContent, SimKey } from '../../keyring/keyring.js';
import { parseDhchapKey, type Secret } from '../../keyring/secrets.js';
import type { QpairAuth, Subsystem, TargetController } from '../subsystem.js';
import { fail, ok, Sc, Sct, type Completion } from './admin.js';
import { ffdheKey } from './ffdhe.js';

/** SPDK_NVMF_AUTH_SECP_NVME. */
const SECP_NVME = 0xe9;
const AUTH_TYPE = { COMMON: 0x00, DHCHAP: 0x01 } as const;
const AUTH_ID = { NEGOTIATE: 0x00, CHALLENGE: 0x01, REPLY: 0x02, SUCCESS1: 0x03, SUCCESS2: 0x04, FAILURE2: 0xf0, FAILURE1: 0xf1 } as const;
/** AUTH_Failure reason code (SPDK_NVMF_AUTH_FAILURE) and its explanations. */
const FAILURE_RC = 1;
export const Rce = {
  FAILED: 0x1,
  PROTOCOL_UNUSABLE: 0x2,
  SCC_MISMATCH: 0x3,
  HASH_UNUSABLE: 0x4,
  DHGROUP_UNUSABLE: 0x5,
  INCORRECT_PAYLOAD: 0x6,
  INCORRECT_PROTOCOL_MESSAGE: 0x7,
} as const;
const RCE_NAMES: Record<number, string> = {
  1: 'authentication failed',
  2: 'authentication protocol unusable',
  3: 'secure channel concatenation mismatch',
  4: 'hash function unusable',
  5: 'DH group unusable',
  6: 'incorrect payload',
  7: 'incorrect protocol message',
};
/** NVMF_AUTH_DEFAULT_KATO_US and NVMF_AUTH_FAILURE1_DELAY_US, in ms. */
const DEFAULT_TIMEOUT_MS = 120_000;
const FAILURE1_DELAY_MS = 100;
/** Sizes of spdk_nvmf_auth_negotiate, _auth_descriptor, _dhchap_challenge/_reply/_success1/_success2, _auth_failure. */
const NEGOTIATE_BYTES = 8;
const DESCRIPTOR_BYTES = 64;
const MSG16_BYTES = 16;
const FAILURE_BYTES = 8;
const ID_LIST_MAX = 30;

/** spdk_nvmf_dhchap_hash ids with their digest lengths; strongest first (nvmf_auth_negotiate_exec's order). */
const DIGESTS: ReadonlyArray<{ id: number; name: 'sha256' | 'sha384' | 'sha512'; len: number }> = [
  { id: 3, name: 'sha512', len: 64 },
  { id: 2, name: 'sha384', len: 48 },
  { id: 1, name: 'sha256', len: 32 },
];
/** spdk_nvmf_dhchap_dhgroup ids, strongest first. */
const DHGROUPS: ReadonlyArray<{ id: number; name: string }> = [
  { id: 5, name: 'ffdhe8192' },
  { id: 4, name: 'ffdhe6144' },
  { id: 3, name: 'ffdhe4096' },
  { id: 2, name: 'ffdhe3072' },
  { id: 1, name: 'ffdhe2048' },
  { id: 0, name: 'null' },
];

type State = 'negotiate' | 'challenge' | 'reply' | 'success1' | 'success2' | 'failure1' | 'completed' | 'error';

/** What the authentication needs of its qpair. */
export interface AuthQpair {
  readonly sub: Subsystem;
  readonly ctrl: TargetController;
  readonly qid: number;
  /** The qpair is ENABLED (re-authentication) rather than AUTHENTICATING. */
  enabled(): boolean;
  /** nvmf_qpair_set_state(ENABLED). */
  enable(): void;
  /** spdk_nvmf_qpair_disconnect: the connection is closed (the controller goes with its admin qpair). */
  disconnect(): void;
  /** nvmf_subsystem_get_qpairs' `auth` object follows the state. */
  report(auth: QpairAuth): void;
}

export interface AuthEnv {
  readKey(key: SimKey): KeyContent;
  log(event: string, fields?: Record<string, unknown>): void;
}

/** The subsystem's sequence number counter (subsys->auth_seqnum): random start, never 0. */
const seqnums = new WeakMap<Subsystem, number>();
function nextSeqnum(sub: Subsystem): number {
  let s = seqnums.get(sub) ?? 0;
  if (s === 0) s = randomInt(0, 0x1_0000_0000);
  s = (s + 1) >>> 0;
  if (s === 0) s = 1;
  seqnums.set(sub, s);
  return s;
}

/** spdk_nvmf_qpair_auth: one per qpair, created at Connect (ATR) or by an Authentication command on an enabled qpair. */
export class QpairAuthentication {
  private state: State = 'negotiate';
  private tid = 0;
  private digest = -1;
  private dhgroup = 0;
  private cval: Buffer = Buffer.alloc(0);
  private seqnum = 0;
  private cvalid = false;
  /** The controller's ephemeral DH key (auth->dhkey) for an ffdhe group. */
  private dhkey: ReturnType<typeof ffdheKey> | null = null;
  private failReason = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly q: AuthQpair,
    private readonly env: AuthEnv,
  ) {
    this.setState('negotiate');
    this.rearm();
  }

  get done(): boolean {
    return this.state === 'completed';
  }

  /**
   * nvmf_qpair_auth_init on a qpair whose transaction completed (re-authentication): spdk reuses
   * the structure, resetting only the digest and the state, so the previous DH group shows until
   * the Negotiate and a CVALID of an earlier bidirectional transaction stays set (a one-way Reply
   * then still gets RVALID 1 and must be followed by Success2).
   */
  restart(): void {
    this.digest = -1;
    this.setState('negotiate');
    this.rearm();
  }

  /** Timers go with the qpair. */
  destroy(): void {
    this.cleanup();
  }

  /** nvmf_auth_request_exec after nvmf_auth_check_state. `length` is the command's SGL length. */
  exec(cmd: Buffer, length: number, data: Buffer | undefined): Completion {
    const send = cmd[4] === 0x05;
    const spsp0 = cmd[41]!;
    const spsp1 = cmd[42]!;
    const secp = cmd[43]!;
    const len = cmd.readUInt32LE(44);
    // nvmf_auth_check_command.
    if (secp !== SECP_NVME || spsp0 !== 1 || spsp1 !== 1 || len !== length) {
      this.log('nvmf_auth_invalid_command', {
        reason: secp !== SECP_NVME ? `invalid secp=${secp}` : len !== length ? `invalid length: ${len} != ${length}` : `invalid spsp0=${spsp0}, spsp1=${spsp1}`,
      });
      return fail(Sct.GENERIC, Sc.INVALID_FIELD, true);
    }
    return send ? this.sendExec(length, data) : this.recvExec(length);
  }

  // --- AUTHENTICATION_SEND

  private sendExec(length: number, data: Buffer | undefined): Completion {
    // nvmf_auth_get_message: no data, no message.
    if (length === 0 || !data || data.length < 6) return this.fail1(Rce.INCORRECT_PAYLOAD, 'no message');
    const type = data[0]!;
    const id = data[1]!;
    if (type === AUTH_TYPE.COMMON) {
      if (id === AUTH_ID.NEGOTIATE) return this.negotiate(data, length);
      if (id === AUTH_ID.FAILURE2) return this.failure2(data, length);
      return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `unexpected auth_id=${id}`);
    }
    if (type === AUTH_TYPE.DHCHAP) {
      if (id === AUTH_ID.REPLY) return this.reply(data, length);
      if (id === AUTH_ID.SUCCESS2) return this.success2(data, length);
      return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `unexpected auth_id=${id}`);
    }
    return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `unexpected auth_type=${type}`);
  }

  private negotiate(msg: Buffer, length: number): Completion {
    if (this.state !== 'negotiate') return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `invalid state: ${this.state}`);
    this.tid = msg.readUInt16LE(4);
    const napd = msg.length >= NEGOTIATE_BYTES ? msg[7]! : 0;
    if (length < NEGOTIATE_BYTES || length !== NEGOTIATE_BYTES + napd * DESCRIPTOR_BYTES) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid message length: ${length}`);
    if (msg[6] !== 0) return this.fail1(Rce.SCC_MISMATCH, 'scc mismatch');
    let desc: Buffer | null = null;
    for (let i = 0; i < napd; i++) {
      const d = msg.subarray(NEGOTIATE_BYTES + i * DESCRIPTOR_BYTES, NEGOTIATE_BYTES + (i + 1) * DESCRIPTOR_BYTES);
      if (d[0] === AUTH_TYPE.DHCHAP) {
        desc = d;
        break;
      }
    }
    if (!desc) return this.fail1(Rce.PROTOCOL_UNUSABLE, 'no usable protocol found');
    const halen = desc[2]!;
    const dhlen = desc[3]!;
    if (halen > ID_LIST_MAX || dhlen > ID_LIST_MAX) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid halen=${halen}, dhlen=${dhlen}`);
    const hashes = [...desc.subarray(4, 4 + halen)];
    const groups = [...desc.subarray(34, 34 + dhlen)];
    const digest = DIGESTS.find((d) => hashes.includes(d.id));
    if (!digest) return this.fail1(Rce.HASH_UNUSABLE, 'no usable digests found');
    const dhgroup = DHGROUPS.find((g) => groups.includes(g.id));
    if (!dhgroup) return this.fail1(Rce.DHGROUP_UNUSABLE, 'no usable dhgroups found');
    this.rearm();
    this.digest = digest.id;
    this.dhgroup = dhgroup.id;
    this.setState('challenge');
    return ok();
  }

  private reply(msg: Buffer, length: number): Completion {
    if (this.state !== 'reply') return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `invalid state=${this.state}`);
    if (length < MSG16_BYTES) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid message length=${length}`);
    const hl = digestLength(this.digest);
    const msgHl = msg[6]!;
    const cvalid = msg[8]!;
    const dhvlen = msg.readUInt16LE(10);
    const seqnum = msg.readUInt32LE(12);
    if (hl === 0 || msgHl !== hl) return this.fail1(Rce.INCORRECT_PAYLOAD, `hash length mismatch: ${msgHl} != ${hl}`);
    if (dhvlen % 4 !== 0) return this.fail1(Rce.INCORRECT_PAYLOAD, `dhvlen=${dhvlen} is not multiple of 4`);
    if (length !== MSG16_BYTES + 2 * hl + dhvlen) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid message length: ${length} != ${MSG16_BYTES + 2 * hl}`);
    if (msg.readUInt16LE(4) !== this.tid) return this.fail1(Rce.INCORRECT_PAYLOAD, `transaction id mismatch: ${msg.readUInt16LE(4)} != ${this.tid}`);
    if (cvalid !== 0 && cvalid !== 1) return this.fail1(Rce.INCORRECT_PAYLOAD, `unexpected cvalid=${cvalid}`);
    if (cvalid && seqnum === 0) return this.fail1(Rce.INCORRECT_PAYLOAD, 'unexpected seqnum=0 with cvalid=1');
    const { sub, ctrl } = this.q;
    const keys = sub.hostKeys.get(ctrl.hostnqn);
    const key = keys?.dhchapKey ? this.secret(keys.dhchapKey) : null;
    if (!key) return this.fail1(Rce.FAILED, "couldn't get DH-HMAC-CHAP key");
    const name = digestName(this.digest)!;
    let dhsec: Buffer | null = null;
    if (this.dhgroup !== 0) {
      try {
        dhsec = this.dhkey!.derive(msg.subarray(MSG16_BYTES + 2 * hl, MSG16_BYTES + 2 * hl + dhvlen));
      } catch {
        return this.fail1(Rce.FAILED, "couldn't derive DH secret");
      }
    }
    const hostKey = transformKey(key, ctrl.hostnqn);
    if (!hostKey) return this.fail1(Rce.FAILED, 'failed to calculate challenge response: Invalid argument');
    const expected = dhchapResponse(hostKey, name, 'HostHost', this.seqnum, this.tid, ctrl.hostnqn, sub.nqn, augment(this.cval, dhsec, name));
    if (!timingSafeEqual(msg.subarray(MSG16_BYTES, MSG16_BYTES + hl), expected)) return this.fail1(Rce.FAILED, 'challenge response mismatch');
    if (cvalid) {
      const ckey = keys?.dhchapCtrlrKey ? this.secret(keys.dhchapCtrlrKey) : null;
      if (!ckey) return this.fail1(Rce.FAILED, 'missing DH-HMAC-CHAP ctrlr key');
      const ctrlrKey = transformKey(ckey, sub.nqn);
      if (!ctrlrKey) return this.fail1(Rce.FAILED, 'failed to calculate ctrlr challenge response: Invalid argument');
      const c2 = msg.subarray(MSG16_BYTES + hl, MSG16_BYTES + 2 * hl);
      this.cval = dhchapResponse(ctrlrKey, name, 'Controller', seqnum, this.tid, sub.nqn, ctrl.hostnqn, augment(c2, dhsec, name));
      this.cvalid = true;
    }
    this.rearm();
    this.setState('success1');
    return ok();
  }

  private success2(msg: Buffer, length: number): Completion {
    if (this.state !== 'success2') return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `invalid state=${this.state}`);
    if (length !== MSG16_BYTES) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid message length=${length}`);
    if (msg.readUInt16LE(4) !== this.tid) return this.fail1(Rce.INCORRECT_PAYLOAD, `transaction id mismatch: ${msg.readUInt16LE(4)} != ${this.tid}`);
    this.complete(true);
    return ok();
  }

  private failure2(msg: Buffer, length: number): Completion {
    if (this.state !== 'success2') return this.fail1(Rce.INCORRECT_PROTOCOL_MESSAGE, `invalid state=${this.state}`);
    if (length !== FAILURE_BYTES) return this.fail1(Rce.INCORRECT_PAYLOAD, `invalid message length=${length}`);
    if (msg.readUInt16LE(4) !== this.tid) return this.fail1(Rce.INCORRECT_PAYLOAD, `transaction id mismatch: ${msg.readUInt16LE(4)} != ${this.tid}`);
    // The host did not accept the controller's response. The qpair waits in "error" for its timeout.
    this.log('nvmf_auth_failed', { reason: `ctrlr authentication failed: rc=${msg[6]}, rce=${msg[7]}` });
    this.setState('error');
    return ok();
  }

  /** nvmf_auth_request_fail1: the Send succeeds; the next Receive carries AUTH_Failure1. */
  private fail1(rce: number, detail: string): Completion {
    this.setState('failure1');
    this.failReason = rce;
    this.log('nvmf_auth_failed', { reason: `${RCE_NAMES[rce]}: ${detail}`, rce });
    return ok();
  }

  // --- AUTHENTICATION_RECV

  private recvExec(length: number): Completion {
    if (this.state === 'challenge') {
      const r = this.challenge(length);
      return typeof r === 'number' ? this.recvFailure1(length, r) : r;
    }
    if (this.state === 'success1') {
      const r = this.success1(length);
      return typeof r === 'number' ? this.recvFailure1(length, r) : r;
    }
    if (this.state === 'failure1') return this.recvFailure1(length, this.failReason);
    this.log('nvmf_auth_failed', { reason: `${RCE_NAMES[Rce.INCORRECT_PROTOCOL_MESSAGE]}: receive in state ${this.state}`, rce: Rce.INCORRECT_PROTOCOL_MESSAGE });
    return this.recvFailure1(length, Rce.INCORRECT_PROTOCOL_MESSAGE);
  }

  private challenge(length: number): Completion | number {
    const hl = digestLength(this.digest);
    let dhv: Buffer = Buffer.alloc(0);
    if (this.dhgroup !== 0) {
      this.dhkey = ffdheKey(this.dhgroup) ?? null;
      if (!this.dhkey) {
        this.log('nvmf_auth_failed', { reason: 'failed to generate DH key', rce: Rce.FAILED });
        return Rce.FAILED;
      }
      dhv = this.dhkey.pub;
    }
    if (length < MSG16_BYTES + hl + dhv.length) {
      this.log('nvmf_auth_failed', { reason: `invalid message length: ${length}`, rce: Rce.INCORRECT_PAYLOAD });
      return Rce.INCORRECT_PAYLOAD;
    }
    this.seqnum = nextSeqnum(this.q.sub);
    this.cval = randomBytes(hl);
    this.rearm();
    const m = Buffer.alloc(MSG16_BYTES + hl + dhv.length);
    m[0] = AUTH_TYPE.DHCHAP;
    m[1] = AUTH_ID.CHALLENGE;
    m.writeUInt16LE(this.tid, 4);
    m[6] = hl;
    m[8] = this.digest;
    m[9] = this.dhgroup;
    m.writeUInt16LE(dhv.length, 10);
    m.writeUInt32LE(this.seqnum, 12);
    this.cval.copy(m, MSG16_BYTES);
    dhv.copy(m, MSG16_BYTES + hl);
    this.setState('reply');
    return { status: 0, data: m, length: m.length };
  }

  private success1(length: number): Completion | number {
    const hl = digestLength(this.digest);
    const size = MSG16_BYTES + (this.cvalid ? hl : 0);
    if (length < size) {
      this.log('nvmf_auth_failed', { reason: `invalid message length: ${length}`, rce: Rce.INCORRECT_PAYLOAD });
      return Rce.INCORRECT_PAYLOAD;
    }
    const m = Buffer.alloc(size);
    m[0] = AUTH_TYPE.DHCHAP;
    m[1] = AUTH_ID.SUCCESS1;
    m.writeUInt16LE(this.tid, 4);
    // The kernel initiator always expects hl, whatever rvalid says.
    m[6] = hl;
    if (!this.cvalid) {
      this.complete(false);
    } else {
      this.rearm();
      this.setState('success2');
      this.cval.copy(m, MSG16_BYTES);
      m[8] = 1;
    }
    return { status: 0, data: m, length: size };
  }

  /** nvmf_auth_recv_failure1: AUTH_Failure1, then the qpair is disconnected 100 ms later. */
  private recvFailure1(length: number, rce: number): Completion {
    if (length < FAILURE_BYTES) {
      // Completed first, then the qpair goes.
      this.setState('error');
      this.cleanup();
      setImmediate(() => this.disconnect('no room for AUTH_Failure1'));
      return fail(Sct.GENERIC, Sc.INVALID_FIELD, true);
    }
    const m = Buffer.alloc(FAILURE_BYTES);
    m[0] = AUTH_TYPE.COMMON;
    m[1] = AUTH_ID.FAILURE1;
    m.writeUInt16LE(this.tid, 4);
    m[6] = FAILURE_RC;
    m[7] = rce;
    this.setState('failure1');
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.disconnect(`AUTH_Failure1 sent (${RCE_NAMES[rce] ?? rce})`);
    }, FAILURE1_DELAY_MS);
    this.timer.unref();
    return { status: 0, data: m, length: FAILURE_BYTES };
  }

  // --- state

  private complete(bidirectional: boolean): void {
    this.q.enable();
    this.setState('completed');
    this.cleanup();
    this.log('nvmf_auth_success', { digest: digestName(this.digest), dhgroup: dhgroupName(this.dhgroup), bidirectional });
  }

  private disconnect(reason: string): void {
    this.setState('error');
    this.cleanup();
    this.log('nvmf_auth_disconnect', { reason });
    this.q.disconnect();
  }

  /** nvmf_auth_rearm_poller: the controller's KATO, or 120 s without one. */
  private rearm(): void {
    this.clearTimer();
    const ms = this.q.ctrl.kato > 0 ? this.q.ctrl.kato : DEFAULT_TIMEOUT_MS;
    this.timer = setTimeout(() => this.timedOut(), ms);
    this.timer.unref();
  }

  /** nvmf_auth_timeout_poller: fatal unless the qpair is enabled (re-authentication). */
  private timedOut(): void {
    this.timer = null;
    this.log('nvmf_auth_failed', { reason: 'authentication timed out' });
    if (this.q.enabled()) {
      this.setState('completed');
      this.cleanup();
    } else this.disconnect('authentication timed out');
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** nvmf_auth_qpair_cleanup: the timer and the DH key go. */
  private cleanup(): void {
    this.clearTimer();
    this.dhkey = null;
  }

  private setState(state: State): void {
    this.state = state;
    this.q.report({ state, digest: digestName(this.digest) ?? 'unknown', dhgroup: dhgroupName(this.dhgroup) ?? 'unknown' });
  }

  private secret(key: SimKey): Secret | null {
    const read = this.env.readKey(key);
    return 'content' in read ? parseDhchapKey(read.content) : null;
  }

  private log(event: string, fields: Record<string, unknown>): void {
    const { sub, ctrl, qid } = this.q;
    this.env.log(event, { subnqn: sub.nqn, hostnqn: ctrl.hostnqn, cntlid: ctrl.cntlid, qid, ...fields });
  }
}

function digestLength(id: number): number {
  return DIGESTS.find((d) => d.id === id)?.len ?? 0;
}

function digestName(id: number): string | undefined {
  return DIGESTS.find((d) => d.id === id)?.name;
}

function dhgroupName(id: number): string | undefined {
  return DHGROUPS.find((g) => g.id === id)?.name;
}

/** nvme_auth_transform_key: the secret as is (hh 00) or HMAC-SHA-<hh>(secret, nqn || "NVMe-over-Fabrics"); null for another hh. */
export function transformKey(secret: Secret, nqn: string): Buffer | null {
  if (secret.hash === 0) return secret.bytes;
  const name = DIGESTS.find((d) => d.id === secret.hash)?.name;
  if (!name) return null;
  return createHmac(name, secret.bytes).update(nqn).update('NVMe-over-Fabrics').digest();
}

/** nvme_auth_augment_challenge: with a DH secret, HMAC(H(secret), challenge); without, the challenge itself. */
export function augment(challenge: Buffer, dhsec: Buffer | null, digest: string): Buffer {
  if (!dhsec) return challenge;
  return createHmac(digest, createHash(digest).update(dhsec).digest()).update(challenge).digest();
}

/**
 * spdk_nvme_dhchap_calculate, the challenge already augmented:
 * HMAC(key, C || seqnum (le32) || T_ID (le16) || SC_C 0 || type || nqn1 || 0x00 || nqn2).
 */
export function dhchapResponse(key: Buffer, digest: string, type: 'HostHost' | 'Controller', seqnum: number, tid: number, nqn1: string, nqn2: string, challenge: Buffer): Buffer {
  const fields = Buffer.alloc(7);
  fields.writeUInt32LE(seqnum >>> 0, 0);
  fields.writeUInt16LE(tid, 4);
  return createHmac(digest, key)
    .update(challenge)
    .update(fields)
    .update(type)
    .update(nqn1)
    .update(Buffer.from([0]))
    .update(nqn2)
    .digest();
}
