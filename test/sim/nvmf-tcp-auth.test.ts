/**
 * DH-HMAC-CHAP over NVMe/TCP (spdk/sim/nvmf/tcp/auth.ts): Authentication Send / Receive on the
 * admin and I/O queues, driven by a scripted host (scripts/lib/nvme-tcp-wire.ts) whose messages
 * and HMACs are built from the specification. Expected values are SPDK v26.05's (lib/nvmf/auth.c).
 *
 * NVMF_TCP_TARGET=real SPDK_TGT=<spdk_tgt> runs the same file against real spdk_tgt (under
 * `flock /tmp/real-spdk.lock`); every protocol check is the same on both (the log check is the
 * simulator's own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authRecvSqe,
  authSendSqe,
  connectQpair,
  dhchap,
  dhchapMac,
  dhchapSecret,
  enable,
  negotiateMsg,
  parseAuth,
  parseChallenge,
  readSqe,
  replyMsg,
  sqe,
  type WireHost,
  type Done,
} from '../../scripts/lib/nvme-tcp-wire.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { dhchapKey, writeKey } from './helpers/key-files.js';
import { SimClient } from './helpers/sim-client.js';
import { REAL_TCP_TARGET, startTcpTarget } from './helpers/tcp-target.js';

const REAL = REAL_TCP_TARGET;

const NQN = 'nqn.2016-06.io.spdk:auth1';
/** One-way hosts, one per key transformation (hh 0, 1, 2, 3). */
const ONEWAY = ['nqn.2016-06.io.spdk:host-hh0', 'nqn.2016-06.io.spdk:host-hh1', 'nqn.2016-06.io.spdk:host-hh2', 'nqn.2016-06.io.spdk:host-hh3'];
/** A host with a host key and a controller key. */
const BIDI = 'nqn.2016-06.io.spdk:host-bidi';
/** A host on the allow-list without keys. */
const PLAIN = 'nqn.2016-06.io.spdk:host-plain';
const BS = 512;
const keys: Record<string, string> = {};
let ckey = '';
let target: { socket: string; stop(): Promise<void>; stderr?: () => string };
let rpc: SimClient;
let port: number;
const open: WireHost[] = [];

async function admin(hostnqn: string, kato = 0): Promise<{ host: WireHost; done: Done; cntlid: number }> {
  const { host, done } = await connectQpair(port, NQN, hostnqn, 0, { kato });
  open.push(host);
  return { host, done, cntlid: done.cqe.cdw0 & 0xffff };
}

async function ioQpair(hostnqn: string, cntlid: number): Promise<{ host: WireHost; done: Done }> {
  const r = await connectQpair(port, NQN, hostnqn, 1, { cntlid, sqsize: 31 });
  open.push(r.host);
  return r;
}

const atr = (d: Done) => (d.cqe.cdw0 >>> 17) & 1;

/** The connection ends; resolves with how long it took. */
async function closedWithin(h: WireHost, ms: number): Promise<number> {
  const t0 = Date.now();
  await Promise.race([h.closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms))]);
  return Date.now() - t0;
}

beforeAll(async () => {
  port = portBlock();
  target = await startTcpTarget('nvmf-tcp-auth');
  rpc = await SimClient.connect(target.socket);
  const dir = tempDir('nvmf-tcp-auth-keys');
  await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
  await rpc.call('bdev_malloc_create', { name: 'am0', num_blocks: 2048, block_size: BS });
  await rpc.call('nvmf_create_subsystem', { nqn: NQN, serial_number: 'SPDK00000000000009' });
  await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'am0' } });
  const sizes = [48, 32, 48, 64];
  for (const [i, host] of ONEWAY.entries()) {
    keys[host] = dhchapKey(sizes[i], i);
    await rpc.call('keyring_file_add_key', { name: `k${i}`, path: writeKey(dir, `k${i}`, keys[host]!) });
    await rpc.call('nvmf_subsystem_add_host', { nqn: NQN, host, dhchap_key: `k${i}` });
  }
  keys[BIDI] = dhchapKey(32, 1);
  ckey = dhchapKey(64, 3);
  await rpc.call('keyring_file_add_key', { name: 'kb', path: writeKey(dir, 'kb', keys[BIDI]!) });
  await rpc.call('keyring_file_add_key', { name: 'kc', path: writeKey(dir, 'kc', ckey) });
  await rpc.call('nvmf_subsystem_add_host', { nqn: NQN, host: BIDI, dhchap_key: 'kb', dhchap_ctrlr_key: 'kc' });
  await rpc.call('nvmf_subsystem_add_host', { nqn: NQN, host: PLAIN });
  await rpc.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
}, 90_000);

afterAll(async () => {
  for (const h of open) h.close();
  rpc?.close();
  await target?.stop();
});

async function qpairAuth(cntlid: number, qid: number): Promise<Record<string, unknown> | undefined> {
  const qpairs = await rpc.call<Array<{ cntlid: number; qid: number; state: string; auth?: Record<string, unknown> }>>('nvmf_subsystem_get_qpairs', { nqn: NQN });
  const q = qpairs.find((e) => e.cntlid === cntlid && e.qid === qid);
  return q && { state: q.state, ...(q.auth ? { auth: q.auth } : {}) };
}

describe('successful DH-HMAC-CHAP', () => {
  for (const [hash, name] of [
    [1, 'sha256'],
    [2, 'sha384'],
    [3, 'sha512'],
  ] as const) {
    it(`one-way with ${name}: Challenge, Reply, Success1 (rvalid 0), then the admin queue serves`, async () => {
      const hostnqn = ONEWAY[hash]!;
      const { host, done, cntlid } = await admin(hostnqn);
      expect(done.cqe).toMatchObject({ sct: 0, sc: 0 });
      expect(atr(done)).toBe(1);
      expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'authenticating', auth: { state: 'negotiate', digest: 'unknown', dhgroup: 'null' } });
      const run = await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, hashes: [hash], tid: 0x100 + hash });
      expect(run.negotiate.cqe).toMatchObject({ sct: 0, sc: 0 });
      expect(run.challenge).toMatchObject({ hl: [0, 32, 48, 64][hash], hashId: hash, dhgId: 0, dhvlen: 0 });
      expect(run.challenge!.seqnum).not.toBe(0);
      // The Challenge is 16 bytes + HL (the C2HData carries the message, not the 4096 asked for).
      expect(run.received[0]!.raw.length).toBe(16 + run.challenge!.hl);
      expect(run.received[0]!.tid).toBe(0x100 + hash);
      expect(run.reply!.cqe).toMatchObject({ sct: 0, sc: 0 });
      const s1 = run.received[1]!;
      expect([s1.type, s1.id, s1.tid, s1.raw[6], s1.raw[8], s1.raw.length]).toEqual([1, 3, 0x100 + hash, run.challenge!.hl, 0, 16]);
      expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'enabled', auth: { state: 'completed', digest: name, dhgroup: 'null' } });
      expect((await enable(host)).cqe).toMatchObject({ sct: 0, sc: 0 });
      const id = await host.command(sqe({ opcode: 0x06, cdw10: 1, sglLength: 4096 }));
      expect(id.cqe.sc).toBe(0);
      expect(id.data.toString('latin1', 4, 24).trim()).toBe('SPDK00000000000009');
      host.close();
    });
  }

  it('the strongest digest the host offers is chosen (sha512 of all three; hh 0 key)', async () => {
    const hostnqn = ONEWAY[0]!;
    const { host } = await admin(hostnqn);
    const run = await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, hashes: [1, 3, 2] });
    expect(run.challenge).toMatchObject({ hashId: 3, hl: 64 });
    expect(run.received[1]).toMatchObject({ type: 1, id: 3 });
    expect((await enable(host)).cqe.sc).toBe(0);
    host.close();
  });

  it('bidirectional: Success1 carries the controller response (rvalid 1), Success2 completes it', async () => {
    const { host, done, cntlid } = await admin(BIDI);
    expect(atr(done)).toBe(1);
    const run = await dhchap(host, { hostnqn: BIDI, subnqn: NQN, key: keys[BIDI]!, ctrlrKey: ckey, hashes: [2] });
    expect(run.challenge).toMatchObject({ hashId: 2, hl: 48 });
    expect(run.received[1]!.raw.length).toBe(16 + 48);
    expect(run.ctrlrVerified).toBe(true);
    // Between Success1 and Success2 the qpair is still authenticating.
    expect(run.success2!.cqe).toMatchObject({ sct: 0, sc: 0 });
    expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'enabled', auth: { state: 'completed', digest: 'sha384', dhgroup: 'null' } });
    expect((await enable(host)).cqe.sc).toBe(0);
    host.close();
  });
});

describe('ffdhe groups', () => {
  it('the strongest group offered is chosen and its public value rides in the Challenge (ffdhe4096 of ffdhe2048 + ffdhe4096: 512 bytes)', async () => {
    const { host } = await admin(ONEWAY[3]!);
    const neg = negotiateMsg(1, { dhgroups: [1, 3] });
    expect((await host.command(authSendSqe(neg.length), { inCapsule: neg })).cqe.sc).toBe(0);
    const r = await host.command(authRecvSqe(4096));
    expect(parseChallenge(r.data)).toMatchObject({ dhgId: 3, dhvlen: 512, hl: 64 });
    expect(r.data.length).toBe(16 + 64 + 512);
    host.close();
  });

  for (const [group, name, hash, bidi] of [
    [1, 'ffdhe2048', 1, false],
    [2, 'ffdhe3072', 2, false],
    [5, 'ffdhe8192', 3, true],
  ] as const) {
    it(`${bidi ? 'bidirectional' : 'one-way'} with ${name}: the responses cover the DH secret`, async () => {
      const hostnqn = bidi ? BIDI : ONEWAY[hash]!;
      const { host, cntlid } = await admin(hostnqn);
      const run = await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, hashes: [hash], dhgroups: [0, group], ...(bidi ? { ctrlrKey: ckey } : {}) });
      expect(run.challenge).toMatchObject({ dhgId: group, dhvlen: [0, 256, 384, 512, 768, 1024][group] });
      expect(run.received[1]).toMatchObject({ type: 1, id: 3 });
      if (bidi) expect(run.ctrlrVerified).toBe(true);
      expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'enabled', auth: { state: 'completed', digest: ['', 'sha256', 'sha384', 'sha512'][hash], dhgroup: name } });
      expect((await enable(host)).cqe.sc).toBe(0);
      host.close();
    });
  }

  it('a Reply without a DH value, or with an invalid one (0), under ffdhe2048: AUTH_Failure1 authentication failed', async () => {
    const hostnqn = ONEWAY[1]!;
    for (const dhv of [Buffer.alloc(0), Buffer.alloc(256)]) {
      const { host } = await admin(hostnqn);
      const neg = negotiateMsg(6, { hashes: [1], dhgroups: [1] });
      await host.command(authSendSqe(neg.length), { inCapsule: neg });
      const ch = parseChallenge((await host.command(authRecvSqe(4096))).data);
      expect(ch.dhgId).toBe(1);
      const reply = replyMsg(6, Buffer.alloc(32), { dhv });
      expect((await host.command(authSendSqe(reply.length), { inCapsule: reply })).cqe.sc).toBe(0);
      const r = await host.command(authRecvSqe(4096));
      expect([r.data[1], r.data[7]]).toEqual([0xf1, 1]);
      await closedWithin(host, 3000);
    }
  });

  it('a Receive too short for the Challenge with its DH value: AUTH_Failure1 incorrect payload in that Receive', async () => {
    const { host } = await admin(ONEWAY[1]!);
    const neg = negotiateMsg(8, { hashes: [1], dhgroups: [1] });
    await host.command(authSendSqe(neg.length), { inCapsule: neg });
    const r = await host.command(authRecvSqe(16 + 32 + 255));
    expect([r.cqe.sc, r.data[1], r.data.readUInt16LE(4), r.data[7], r.data.length]).toEqual([0, 0xf1, 8, 6, 8]);
    await closedWithin(host, 3000);
  });
});

describe('failures', () => {
  it('a wrong host key: the Reply succeeds, the next Receive is AUTH_Failure1 (rc 1, rce 1 authentication failed), the connection ends ~100 ms later', async () => {
    const hostnqn = ONEWAY[1]!;
    const { host, cntlid } = await admin(hostnqn);
    const run = await dhchap(host, { hostnqn, subnqn: NQN, key: dhchapKey(32, 1), tid: 7 });
    expect(run.reply!.cqe).toMatchObject({ sct: 0, sc: 0 });
    const f1 = run.received[1]!;
    expect([f1.type, f1.id, f1.tid, f1.raw[6], f1.raw[7], f1.raw.length]).toEqual([0, 0xf1, 7, 1, 1, 8]);
    expect(await qpairAuth(cntlid, 0)).toMatchObject({ state: 'authenticating', auth: { state: 'failure1', digest: 'sha512' } });
    const took = await closedWithin(host, 3000);
    console.log(`AUTH_Failure1 -> connection closed ${took} ms later`);
    expect(took).toBeLessThan(1000);
    // The controller went with its admin qpair.
    await until('controller gone', async () => ((await qpairAuth(cntlid, 0)) === undefined ? true : undefined), 5000);
  });

  it('no authentication while it is required: Authentication Required (sct 1, sc 0x91) for admin commands and Property Set', async () => {
    const hostnqn = ONEWAY[2]!;
    const { host } = await admin(hostnqn);
    expect((await enable(host)).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    expect((await host.command(sqe({ opcode: 0x06, cdw10: 1, sglLength: 4096 }))).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    expect((await host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 }))).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    host.close();
  });

  it('a Receive before any Send: AUTH_Failure1 incorrect protocol message (rce 7), then the connection ends', async () => {
    const { host } = await admin(ONEWAY[2]!);
    const r = await host.command(authRecvSqe(4096));
    expect(r.cqe.sc).toBe(0);
    expect([r.data[0], r.data[1], r.data[6], r.data[7], r.data.length]).toEqual([0, 0xf1, 1, 7, 8]);
    await closedWithin(host, 3000);
  });

  it('the host offers no DH-HMAC-CHAP protocol, an unknown hash, or a secure channel (SC_C 1)', async () => {
    const cases: Array<{ neg: Buffer; rce: number }> = [
      { neg: negotiateMsg(1, { authId: 0x02 }), rce: 2 },
      { neg: negotiateMsg(1, { hashes: [4, 5] }), rce: 4 },
      { neg: negotiateMsg(1, { scc: 1 }), rce: 3 },
    ];
    for (const c of cases) {
      const { host } = await admin(ONEWAY[3]!);
      expect((await host.command(authSendSqe(c.neg.length), { inCapsule: c.neg })).cqe.sc).toBe(0);
      const r = await host.command(authRecvSqe(4096));
      expect([r.data[1], r.data[7]]).toEqual([0xf1, c.rce]);
      await closedWithin(host, 3000);
    }
  });

  it('malformed commands: a wrong SECP, SPSP or transfer length is Invalid Field with DNR; a short Negotiate is Failure1 incorrect payload', async () => {
    const { host } = await admin(ONEWAY[3]!);
    const neg = negotiateMsg(9);
    for (const cmd of [authSendSqe(neg.length, { secp: 0xea }), authSendSqe(neg.length, { spsp0: 0 }), authSendSqe(neg.length + 1, { sglLength: neg.length })]) {
      expect((await host.command(cmd, { inCapsule: neg })).cqe).toMatchObject({ sct: 0, sc: 0x02, dnr: true });
    }
    expect((await host.command(authRecvSqe(4096, { secp: 0 }))).cqe).toMatchObject({ sct: 0, sc: 0x02, dnr: true });
    // Still in negotiate: a Negotiate with NAPD 2 but one descriptor is an incorrect payload.
    const bad = negotiateMsg(9, { napd: 2 });
    expect((await host.command(authSendSqe(bad.length), { inCapsule: bad })).cqe.sc).toBe(0);
    const r = await host.command(authRecvSqe(4096));
    expect([r.data[1], r.data.readUInt16LE(4), r.data[7]]).toEqual([0xf1, 9, 6]);
    await closedWithin(host, 3000);
  });

  it('a Send without data is an incorrect payload; a Receive with no room for AUTH_Failure1 is Invalid Field (DNR) and the connection ends at once', async () => {
    const { host } = await admin(ONEWAY[0]!);
    expect((await host.command(authSendSqe(0, { sglLength: 0 }))).cqe).toMatchObject({ sct: 0, sc: 0 });
    const r = await host.command(authRecvSqe(4));
    expect(r.cqe).toMatchObject({ sct: 0, sc: 0x02, dnr: true });
    const took = await closedWithin(host, 3000);
    console.log(`connection closed ${took} ms after the Invalid Field`);
  });

  it('an I/O qpair that does not finish authenticating is disconnected after the controller KATO (10 s); its admin qpair, kept alive, stays', async () => {
    const hostnqn = ONEWAY[0]!;
    const { host, cntlid } = await admin(hostnqn, 10_000);
    await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]! });
    expect((await enable(host)).cqe.sc).toBe(0);
    const keepAlive = setInterval(() => void host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 })).catch(() => {}), 2000);
    try {
      const { host: io } = await ioQpair(hostnqn, cntlid);
      const neg = negotiateMsg(1);
      const t0 = Date.now();
      await io.command(authSendSqe(neg.length), { inCapsule: neg });
      await closedWithin(io, 15_000);
      const took = Date.now() - t0;
      console.log(`authentication timeout: I/O qpair closed ${took} ms after the Negotiate`);
      expect(took).toBeGreaterThan(9_000);
      expect(host.gone).toBe(false);
      expect((await host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 }))).cqe.sc).toBe(0);
    } finally {
      clearInterval(keepAlive);
      host.close();
    }
  }, 30_000);

  it('a Reply with the wrong HL is an incorrect payload (rce 6); a second Negotiate an incorrect protocol message (rce 7)', async () => {
    const hostnqn = ONEWAY[0]!;
    {
      const { host } = await admin(hostnqn);
      const neg = negotiateMsg(3, { hashes: [1] });
      await host.command(authSendSqe(neg.length), { inCapsule: neg });
      const ch = parseChallenge((await host.command(authRecvSqe(4096))).data);
      const reply = replyMsg(3, Buffer.alloc(32), { hl: 48 });
      expect((await host.command(authSendSqe(reply.length), { inCapsule: reply })).cqe.sc).toBe(0);
      const r = await host.command(authRecvSqe(4096));
      expect([r.data[1], r.data[7]]).toEqual([0xf1, 6]);
      expect(ch.hl).toBe(32);
      await closedWithin(host, 3000);
    }
    {
      const { host } = await admin(hostnqn);
      const neg = negotiateMsg(4);
      await host.command(authSendSqe(neg.length), { inCapsule: neg });
      expect((await host.command(authSendSqe(neg.length), { inCapsule: neg })).cqe.sc).toBe(0);
      const r = await host.command(authRecvSqe(4096));
      expect([r.data[1], r.data[7]]).toEqual([0xf1, 7]);
      await closedWithin(host, 3000);
    }
  });

  it('bidirectional asked of a host entry without a controller key: AUTH_Failure1 authentication failed', async () => {
    const hostnqn = ONEWAY[0]!;
    const { host } = await admin(hostnqn);
    const run = await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, ctrlrKey: ckey });
    expect([run.received[1]!.id, run.received[1]!.raw[7]]).toEqual([0xf1, 1]);
    await closedWithin(host, 3000);
  });

  it('a wrong controller key on the host side: Success1 does not verify; Failure2 leaves the qpair waiting (no Success2)', async () => {
    const { host, cntlid } = await admin(BIDI);
    const run = await dhchap(host, { hostnqn: BIDI, subnqn: NQN, key: keys[BIDI]!, ctrlrKey: dhchapKey(64, 3) });
    expect(run.ctrlrVerified).toBe(false);
    const f2 = Buffer.alloc(8);
    f2[1] = 0xf0;
    f2.writeUInt16LE(1, 4);
    f2[6] = 1;
    f2[7] = 1;
    expect((await host.command(authSendSqe(8), { inCapsule: f2 })).cqe.sc).toBe(0);
    expect(await qpairAuth(cntlid, 0)).toMatchObject({ state: 'authenticating', auth: { state: 'error' } });
    expect((await enable(host)).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    host.close();
  });
});

describe('I/O queues', () => {
  it('an I/O qpair of an authenticated controller authenticates on its own after Connect (ATR), refused I/O until then', async () => {
    const hostnqn = ONEWAY[3]!;
    const { host, cntlid } = await admin(hostnqn);
    expect((await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]! })).received[1]).toMatchObject({ id: 3 });
    expect((await enable(host)).cqe.sc).toBe(0);
    const { host: io, done } = await ioQpair(hostnqn, cntlid);
    expect(done.cqe).toMatchObject({ sct: 0, sc: 0, cdw0: cntlid | 0x2_0000 });
    expect((await io.command(readSqe(1, 0, 1, BS))).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    expect(await qpairAuth(cntlid, 1)).toEqual({ state: 'authenticating', auth: { state: 'negotiate', digest: 'unknown', dhgroup: 'null' } });
    const run = await dhchap(io, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, hashes: [1] });
    expect(run.received[1]).toMatchObject({ type: 1, id: 3 });
    expect(await qpairAuth(cntlid, 1)).toEqual({ state: 'enabled', auth: { state: 'completed', digest: 'sha256', dhgroup: 'null' } });
    const read = await io.command(readSqe(1, 0, 1, BS));
    expect(read.cqe.sc).toBe(0);
    expect(read.data.length).toBe(BS);
    io.close();
    host.close();
  });

  it('a failed I/O qpair authentication drops that qpair only; the admin qpair stays', async () => {
    const hostnqn = ONEWAY[3]!;
    const { host, cntlid } = await admin(hostnqn);
    await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]! });
    expect((await enable(host)).cqe.sc).toBe(0);
    const { host: io } = await ioQpair(hostnqn, cntlid);
    const run = await dhchap(io, { hostnqn, subnqn: NQN, key: dhchapKey(64, 3) });
    expect([run.received[1]!.id, run.received[1]!.raw[7]]).toEqual([0xf1, 1]);
    await closedWithin(io, 3000);
    expect(host.gone).toBe(false);
    expect((await host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 }))).cqe.sc).toBe(0);
    host.close();
  });
});

describe('re-authentication and hosts without keys', () => {
  it('an enabled qpair may authenticate again; a host entry without a key fails at the Reply', async () => {
    const hostnqn = ONEWAY[1]!;
    const { host } = await admin(hostnqn);
    await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]! });
    expect((await enable(host)).cqe.sc).toBe(0);
    const again = await dhchap(host, { hostnqn, subnqn: NQN, key: keys[hostnqn]!, tid: 2 });
    expect(again.received[1]).toMatchObject({ type: 1, id: 3, tid: 2 });
    expect((await host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 }))).cqe.sc).toBe(0);
    host.close();

    const { host: plain, done } = await admin(PLAIN);
    expect(atr(done)).toBe(0);
    expect((await enable(plain)).cqe.sc).toBe(0);
    const run = await dhchap(plain, { hostnqn: PLAIN, subnqn: NQN, key: dhchapKey() });
    expect(run.challenge).toBeDefined();
    expect([run.received[1]!.id, run.received[1]!.raw[7]]).toEqual([0xf1, 1]);
    await closedWithin(plain, 3000);
  });

  it('re-authentication after a bidirectional one keeps CVALID (auth.c never clears it): a one-way Reply still gets RVALID 1 and waits for Success2', async () => {
    const { host, cntlid } = await admin(BIDI);
    const first = await dhchap(host, { hostnqn: BIDI, subnqn: NQN, key: keys[BIDI]!, ctrlrKey: ckey, hashes: [1], dhgroups: [0] });
    expect(first.ctrlrVerified).toBe(true);
    expect((await enable(host)).cqe.sc).toBe(0);
    const again = await dhchap(host, { hostnqn: BIDI, subnqn: NQN, key: keys[BIDI]!, hashes: [1], tid: 3 });
    const s1 = again.received[1]!;
    expect([s1.id, s1.raw[8], s1.raw.length]).toEqual([3, 1, 16 + 32]);
    expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'enabled', auth: { state: 'success2', digest: 'sha256', dhgroup: 'null' } });
    // The qpair stays enabled meanwhile; Success2 completes the transaction.
    expect((await host.command(sqe({ opcode: 0x18, sglLength: 0, sglType: 0 }))).cqe.sc).toBe(0);
    const s2 = Buffer.alloc(16);
    s2[0] = 1;
    s2[1] = 4;
    s2.writeUInt16LE(3, 4);
    expect((await host.command(authSendSqe(16), { inCapsule: s2 })).cqe.sc).toBe(0);
    expect(await qpairAuth(cntlid, 0)).toEqual({ state: 'enabled', auth: { state: 'completed', digest: 'sha256', dhgroup: 'null' } });
    host.close();
  });

  it('a challenge response computed for the wrong NQN order is refused (the HMAC covers both NQNs)', async () => {
    const hostnqn = ONEWAY[2]!;
    const { host } = await admin(hostnqn);
    const neg = negotiateMsg(5, { hashes: [2] });
    await host.command(authSendSqe(neg.length), { inCapsule: neg });
    const ch = parseChallenge((await host.command(authRecvSqe(4096))).data);
    const r1 = dhchapMac(2, dhchapSecret(keys[hostnqn]!, hostnqn), ch.c1, ch.seqnum, 5, 'HostHost', NQN, hostnqn);
    const reply = replyMsg(5, r1);
    await host.command(authSendSqe(reply.length), { inCapsule: reply });
    const r = parseAuth((await host.command(authRecvSqe(4096))).data);
    expect([r.id, r.raw[7]]).toEqual([0xf1, 1]);
    await closedWithin(host, 3000);
  });
});

describe.skipIf(REAL)('the simulator log', () => {
  it('has auth successes and failures with their reasons, and no secret', () => {
    const events = target.stderr!()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; reason?: string; digest?: string });
    expect(events.some((e) => e.event === 'nvmf_auth_success' && e.digest === 'sha512')).toBe(true);
    const reasons = events.filter((e) => e.event === 'nvmf_auth_failed').map((e) => e.reason);
    expect(reasons).toContain('authentication failed: challenge response mismatch');
    expect(reasons).toContain('hash function unusable: no usable digests found');
    expect(reasons).toContain('authentication timed out');
    const log = target.stderr!();
    for (const k of [...Object.values(keys), ckey]) {
      const secret = k.split(':')[2]!;
      expect(log.includes(secret)).toBe(false);
      // The secret itself (ASCII hex characters in these keys).
      expect(log.includes(Buffer.from(secret, 'base64').subarray(0, 16).toString('latin1'))).toBe(false);
    }
  });
});
