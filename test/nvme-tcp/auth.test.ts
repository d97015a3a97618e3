/**
 * DH-HMAC-CHAP of the NVMe/TCP host (src/nvme-tcp/auth.ts): message encodings byte for byte, and
 * whole transactions replayed from exchanges with a real spdk_tgt v26.05 (captured 2026-12-07 with
 * this host's Authentication Send/Receive on 127.0.0.1; the target accepted every Reply below, and
 * the Success1 responses R2 are spdk_tgt's own computation), so the key transformation, the
 * response and (ffdhe2048) the DH value and augmented challenge are checked against SPDK, not
 * against this code.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ConductorError } from '../../src/errors.js';
import {
  type AuthChannel,
  augmentChallenge,
  authenticate,
  decodeAuthMessage,
  dhchapResponse,
  encodeFailure,
  encodeNegotiate,
  encodeReply,
  encodeSuccess2,
  transformKey,
} from '../../src/nvme-tcp/auth.js';
import { type EphemeralKey, ffdhePrime } from '../../src/nvme-tcp/ffdhe.js';
import { authReceiveSqe, authSendSqe } from '../../src/nvme-tcp/sqe.js';
import { decodeSecret } from '../../src/validation/nvme-secrets.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:kat';
const HOST1 = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000c001';
const HOST2 = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000c002';
/** hh 01 (SHA-256 transform), key 00112233…eeff twice. */
const KEY1 = 'DHHC-1:01:ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8qDMNU:';
/** hh 00 (no transform), key 0123456789abcdef × 4. */
const KEY2 = 'DHHC-1:00:ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze/wsXcs:';
/** hh 03 (SHA-512 transform), 64-byte key fedcba9876543210 × 8: the controller key of HOST2. */
const CTRLR2 = 'DHHC-1:03:/ty6mHZUMhD+3LqYdlQyEP7cuph2VDIQ/ty6mHZUMhD+3LqYdlQyEP7cuph2VDIQ/ty6mHZUMhD+3LqYdlQyEMCCfgQ=:';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const log = pino({ level: 'silent' });

/** Captured on queue 0: spdk_tgt with all digests chose sha512; HOST1 one way. */
const ONE_WAY_SHA512 = {
  tid: 0x619d,
  negotiate: hex('000000009d61000101000301010203000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'),
  challenge: hex('010100009d614000030000005d2274631e31ceb4ca2ce1494cb53af3baf0f39579647f006c890cdff0d3087fcead045110f5c34619d31cdbefe7793312263c408e5f7d4bb6f664de364c76fc0bf9af3e'),
  reply: hex('010200009d6140000000000000000000b4418a870e70e7c9cc894019455d7aed191cac3c34d9d70a5499ef1b4f47748da638985dbda853cc70f3066551cd232793020a25a486f8b72c45a78ac0861c10' + '00'.repeat(64)),
  success1: hex('010300009d6140000000000000000000'),
};

/** Captured on queue 0: spdk_tgt allowed only sha256 (nvmf_set_config); HOST2 both ways. */
const BIDI_SHA256 = {
  tid: 0x98dd,
  challenge: hex('01010000dd982000010000002c3f67ae04c470f5f49ecf133ae8edaaa9fd6b0e93ee791cd1740a5dd35adda26a0ab4fd'),
  reply: hex('01020000dd9820000100000091b23c2e0c89d87b56eebe044d037fe2c87bb67a415f6e4bb6ae61a1d55e43e1c66c24726e1fb65355e2a77184150edf3c3085379f4615c2d32f01da75b199a097164421'),
  success1: hex('01030000dd9820000100000000000000c97c3894399e90a4d04f08023bb69501b2bcf229575a77f1cc2f940be0131480'),
  success2: hex('01040000dd9800000000000000000000'),
};

/** Captured on queue 0: sha512, HOST2 both ways. */
const BIDI_SHA512 = {
  tid: 0xd614,
  challenge: hex('0101000014d64000030000005f227463659bba2afb2b55734f466fb0d2e9a09502f980a3a4605dc7c8bdcc1763b60eb4afc8fbfbdeabd1b5e6f7ccb8a1fdbbf1ecbbeb39c6e3f77977a92f89a86f38e1'),
  reply: hex(
    '0102000014d6400001000000df40dadcbf0266a634ce231018f5faf925479462f076a8e907da853062ee6fc87947ee9693d112852884213dd14b20039a7633f0c2e75e2bf4cfab21bc8af6495d3eb75f24' +
      '8565fd52f08ffadeaf8544e451d66365872592f726c95dd8e965707e890bffae70aee6c2c519fce86ea7ce6bca7bb27e5cfd61c90dfede8b4cec6b64a7d196',
  ),
  success1: hex('0103000014d640000100000000000000ab12d790cf27c850d7303e9e24b6097b198d48e55dead6d9c7ed93bf3ab8ff9611e84bcf69d70b42014d43f5a60e6332461d48d84a4e951338c41b4f7f92ad01'),
  success2: hex('0104000014d600000000000000000000'),
};

/**
 * Captured on queue 0: spdk_tgt allowed only sha384 and ffdhe2048 (nvmf_set_config); HOST2 both ways.
 * The host's DH private exponent was pinned to FFDHE_X (public value 2^x mod p, computed here with
 * BigInt arithmetic, apart from node:crypto); spdk_tgt accepted the Reply and its Success1 R2 was
 * computed over the augmented C2 with the shared secret it derived.
 */
const BIDI_FFDHE2048_SHA384 = {
  tid: 0x2048,
  negotiate: hex('000000004820000101000306010203000000000000000000000000000000000000000000000000000000000102030405000000000000000000000000000000000000000000000000'),
  challenge: hex(
    '01010000482030000201000107c9f8062a0279967dd6b6b18acc7c25b4a6a9e35424a0b17726f8c7da97fd52636ab7d23400bd12e20712de5b620b32ea73dd5487e62a3a500bd28e8457b13a122e809e' +
      '541eaff725237d1931e1048268fbdc2bbe554e16b82bb344b08093b3dc686029127954dd86bcdd2d903118240e7db9be618e53410b85928102e8093e7745cfbe908d1af79d56e94f5558ecf0b564f7a9' +
      '35bbdc2286c334e536bcb83943d3e269317a1adf2f7779f1eda714073aa488a607db392a3019f28fc564da0dc1545cda963a9bf6e8676ac13c2d13b8cff110099dafe6d89ac771eb730216d2b3a63df3' +
      '6802c2787711f6f7e3f3c5ce37eb6653735cd2076fe660e089cdb32007cdfd8f6d6656beeec8d478c917f1bc69e448fad64be0a85fa8a670d03af164fa4b194684b97c8cc6c540b09e916be0f8966f48',
  ),
  reply: hex(
    '0102000048203000010000010badcafea9f85ccfdc88f0c6ae530ace0a11ff443c0ee5bdecf1cde969e3ded52109cc3f4ab8b7b029e9df54d3cf064124f32a8f00112233445566778899aabbccddeeff' +
      '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff27f41ff4efb7a92dfbc62c8ac1ec7422802913c530767c16520fbeca0b83902049d81a7f72158d46c9788a9855fd9eb1' +
      'e87a2b36a93722a58bcc0c8169198f56020b232b290b5c16cf678d5f2ce72f6ee630a13d4b153526e2b56ebf315cfd76f8a56fee204b6b215a5ca2626a3bbdb1514661c9323d064b7df60f84c8260cf7' +
      'f1ddce33703702eca3ddd3b62e89c7cd7809b1c585418420b1c6700628887443349b7b454655093beb9fe63bee9827788bd956432e629801856c2091a41bc18f9ca0144831299d855203462fe3367619' +
      '3e71899b5578dd4c00709952a4249aafbaf0f2a683f879ccec589848fceec7d48f3ef80674ddbad231324ac51ed706c1',
  ),
  success1: hex('01030000482030000100000000000000677f66537382ef77f7f096adac0dc1cbd931c6738ca84a81bc2eae2f83ba58beac63609cdf6f3bcb731fe8803ef8f12c'),
  success2: hex('01040000482000000000000000000000'),
};
/** The host's private exponent in BIDI_FFDHE2048_SHA384. */
const FFDHE_X = BigInt(`0x${'c0ffee'.repeat(10)}5eed`);

/** A channel that answers each Authentication Receive with the next of `answers` and keeps what was sent. */
function scripted(answers: Buffer[]): AuthChannel & { sent: Buffer[] } {
  const queue = [...answers];
  const sent: Buffer[] = [];
  return {
    sent,
    async send(message) {
      sent.push(Buffer.from(message));
    },
    async receive(what) {
      const next = queue.shift();
      if (!next) throw new Error(`no answer scripted for ${what}`);
      return next;
    },
  };
}

/** random() returning C2 and S2 of a captured Reply (the bytes this host drew then). */
function replayRandom(reply: Buffer): (bytes: number) => Buffer {
  const hl = reply[6]!;
  return (bytes) => (bytes === 4 ? reply.subarray(12, 16) : reply.subarray(16 + hl, 16 + 2 * hl));
}

/** b^e mod m by square and multiply. */
function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let base = b % m;
  for (let x = e; x > 0n; x >>= 1n) {
    if (x & 1n) r = (r * base) % m;
    base = (base * base) % m;
  }
  return r;
}

/** An ffdhe2048 key with private exponent `x`, in BigInt arithmetic (not node:crypto). */
function pinnedFfdhe2048(x: bigint): EphemeralKey {
  const p = BigInt(`0x${ffdhePrime(1)!.toString('hex')}`);
  const bytes = (v: bigint) => Buffer.from(v.toString(16).padStart(512, '0'), 'hex');
  return { publicValue: bytes(modPow(2n, x, p)), sharedSecret: (y) => bytes(modPow(BigInt(`0x${y.toString('hex')}`), x, p)) };
}

async function refusal(p: Promise<unknown>): Promise<ConductorError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConductorError);
  return error as ConductorError;
}

describe('DH-HMAC-CHAP messages', () => {
  it('encodes AUTH_Negotiate as spdk_tgt accepted it: one DH-HMAC-CHAP descriptor, SHA-256/384/512, the NULL DH group only', () => {
    expect(encodeNegotiate(ONE_WAY_SHA512.tid, [0])).toEqual(ONE_WAY_SHA512.negotiate);
    expect(encodeNegotiate(ONE_WAY_SHA512.tid, [0]).length).toBe(72);
  });

  it('offers every DH group by default, in the order SPDK v26.05 host offers them (NULL, ffdhe2048 ... ffdhe8192: DHLEN 6)', () => {
    const all = encodeNegotiate(0x1234);
    const expected = Buffer.from(ONE_WAY_SHA512.negotiate);
    expected.writeUInt16LE(0x1234, 4);
    expected[11] = 6;
    Buffer.of(0, 1, 2, 3, 4, 5).copy(expected, 42);
    expect(all).toEqual(expected);
  });

  it('encodes Reply (both fields always there), Success2 and AUTH_Failure2', () => {
    const r = Buffer.alloc(32, 0xaa);
    expect(encodeReply({ tid: 0x1234, response: r })).toEqual(Buffer.concat([hex('0102 0000 3412 20 00 00 00 0000 00000000'), r, Buffer.alloc(32)]));
    const c = Buffer.alloc(32, 0xbb);
    expect(encodeReply({ tid: 0x1234, response: r, ctrlrChallenge: c, seqnum: 0x01020304 })).toEqual(Buffer.concat([hex('0102 0000 3412 20 00 01 00 0000 04030201'), r, c]));
    expect(encodeSuccess2(0xd614)).toEqual(BIDI_SHA512.success2);
    expect(encodeFailure(0xf0, 0xbeef, 1)).toEqual(hex('00f0 0000 efbe 01 01'));
  });

  it('encodes Authentication Send and Receive SQEs as sent to spdk_tgt (SECP E9h, SPSP 01h 01h, TL/AL the SGL length)', () => {
    expect(authSendSqe(72)).toEqual(hex('7f000000050000000000000000000000000000000000000000000000000000004800000000000001000101e94800000000000000000000000000000000000000'));
    expect(authReceiveSqe(4096)).toEqual(hex('7f00000006000000000000000000000000000000000000000000000000000000001000000000005a000101e90010000000000000000000000000000000000000'));
  });

  it('decodes a challenge, a Success1 with and without a response, and AUTH_Failure1; refuses one cut short', () => {
    expect(decodeAuthMessage(BIDI_SHA256.challenge)).toEqual({
      kind: 'challenge',
      tid: 0x98dd,
      hl: 32,
      hash: 1,
      dhgroup: 0,
      dhvlen: 0,
      seqnum: 0xae673f2c,
      challenge: BIDI_SHA256.challenge.subarray(16),
      dhValue: Buffer.alloc(0),
    });
    expect(decodeAuthMessage(ONE_WAY_SHA512.success1)).toEqual({ kind: 'success1', tid: 0x619d, hl: 64, rvalid: false, response: undefined });
    expect(decodeAuthMessage(BIDI_SHA256.success1)).toMatchObject({ kind: 'success1', rvalid: true, response: BIDI_SHA256.success1.subarray(16) });
    expect(decodeAuthMessage(hex('00f1 0000 0100 01 06'))).toEqual({ kind: 'failure1', tid: 1, rc: 1, rce: 6 });
    expect(() => decodeAuthMessage(BIDI_SHA256.challenge.subarray(0, 40))).toThrow(/shorter than 48/);
  });
});

describe('DH-HMAC-CHAP keys and responses (known answers from spdk_tgt v26.05)', () => {
  it('uses an hh 00 key as it is, and transforms hh 01-03 keys with HMAC over the NQN and "NVMe-over-Fabrics"', () => {
    const key2 = decodeSecret('dhchap', KEY2);
    expect(transformKey(key2, HOST2)).toEqual(key2.key);
    expect(transformKey(decodeSecret('dhchap', KEY1), HOST1).length).toBe(32);
    expect(transformKey(decodeSecret('dhchap', CTRLR2), SUBNQN).length).toBe(64);
  });

  it("computes the controller's response R2 exactly as spdk_tgt did (sha256 and sha512, an hh 03 controller key)", () => {
    for (const x of [BIDI_SHA256, BIDI_SHA512]) {
      const hl = x.reply[6]!;
      const r2 = dhchapResponse({
        hash: x.challenge[8]!,
        key: transformKey(decodeSecret('dhchap', CTRLR2), SUBNQN),
        challenge: x.reply.subarray(16 + hl, 16 + 2 * hl),
        seqnum: x.reply.readUInt32LE(12),
        tid: x.tid,
        role: 'Controller',
        nqn1: SUBNQN,
        nqn2: HOST2,
      });
      expect(r2).toEqual(x.success1.subarray(16));
    }
  });

  it('answers the captured sha512 challenge one way with the Reply spdk_tgt accepted (an hh 01 key; the NULL group only offered)', async () => {
    const channel = scripted([ONE_WAY_SHA512.challenge, ONE_WAY_SHA512.success1]);
    const outcome = await authenticate(channel, {
      qid: 0,
      tid: ONE_WAY_SHA512.tid,
      hostnqn: HOST1,
      subnqn: SUBNQN,
      key: decodeSecret('dhchap', KEY1),
      dhgroups: ['null'],
      target: 'kat',
      log,
    });
    expect(channel.sent).toEqual([ONE_WAY_SHA512.negotiate, ONE_WAY_SHA512.reply]);
    expect(outcome).toEqual({
      digest: 'sha512',
      dhgroup: 'null',
      bidirectional: false,
      messages: [
        { name: 'AUTH_Negotiate', bytes: 72, from: 'host' },
        { name: 'DH-HMAC-CHAP_Challenge', bytes: 80, from: 'controller' },
        { name: 'DH-HMAC-CHAP_Reply', bytes: 144, from: 'host' },
        { name: 'DH-HMAC-CHAP_Success1', bytes: 16, from: 'controller' },
      ],
    });
  });

  it('runs the captured bidirectional transactions byte for byte (an hh 00 host key), ending with Success2', async () => {
    for (const x of [BIDI_SHA256, BIDI_SHA512]) {
      const channel = scripted([x.challenge, x.success1]);
      const outcome = await authenticate(channel, {
        qid: 0,
        tid: x.tid,
        hostnqn: HOST2,
        subnqn: SUBNQN,
        key: decodeSecret('dhchap', KEY2),
        ctrlrKey: decodeSecret('dhchap', CTRLR2),
        target: 'kat',
        log,
        random: replayRandom(x.reply),
      });
      expect(channel.sent).toEqual([encodeNegotiate(x.tid), x.reply, x.success2]);
      expect(outcome).toMatchObject({ bidirectional: true, dhgroup: 'null' });
    }
    expect(BIDI_SHA256.reply.length).toBe(80);
    expect(BIDI_SHA256.success1.length).toBe(48);
  });
});

describe('DH-HMAC-CHAP with an FFDHE group (known answer from spdk_tgt v26.05)', () => {
  it('runs the captured ffdhe2048 / sha384 bidirectional transaction byte for byte: the Reply spdk_tgt accepted, its R2 verified', async () => {
    const x = BIDI_FFDHE2048_SHA384;
    const key = pinnedFfdhe2048(FFDHE_X);
    const challenge = decodeAuthMessage(x.challenge);
    expect(challenge).toMatchObject({ kind: 'challenge', hash: 2, hl: 48, dhgroup: 1, dhvlen: 256 });
    const channel = scripted([x.challenge, x.success1]);
    const outcome = await authenticate(channel, {
      qid: 0,
      tid: x.tid,
      hostnqn: HOST2,
      subnqn: SUBNQN,
      key: decodeSecret('dhchap', KEY2),
      ctrlrKey: decodeSecret('dhchap', CTRLR2),
      target: 'kat',
      log,
      random: replayRandom(x.reply),
      dhKey: (group) => {
        expect(group).toBe(1);
        return key;
      },
    });
    expect(channel.sent).toEqual([x.negotiate, x.reply, x.success2]);
    expect(x.reply.subarray(16 + 2 * 48)).toEqual(key.publicValue);
    expect(outcome).toMatchObject({ digest: 'sha384', dhgroup: 'ffdhe2048', bidirectional: true });
    expect(outcome.messages.map((m) => m.bytes)).toEqual([72, 16 + 48 + 256, 16 + 2 * 48 + 256, 16 + 48, 16]);
  });

  it("the same Reply computed with node:crypto's DiffieHellman given the captured private exponent (the secret padded to 256 bytes)", () => {
    const x = BIDI_FFDHE2048_SHA384;
    const dh = crypto.createDiffieHellman(ffdhePrime(1)!, Buffer.of(2));
    dh.setPrivateKey(Buffer.from(FFDHE_X.toString(16), 'hex'));
    const secret = dh.computeSecret(x.challenge.subarray(16 + 48));
    const viaBigInt = pinnedFfdhe2048(FFDHE_X).sharedSecret(x.challenge.subarray(16 + 48));
    expect(Buffer.concat([Buffer.alloc(256 - secret.length), secret])).toEqual(viaBigInt);
    const r1 = dhchapResponse({
      hash: 2,
      key: transformKey(decodeSecret('dhchap', KEY2), HOST2),
      challenge: augmentChallenge(2, x.challenge.subarray(16, 64), viaBigInt),
      seqnum: x.challenge.readUInt32LE(12),
      tid: x.tid,
      role: 'HostHost',
      nqn1: HOST2,
      nqn2: SUBNQN,
    });
    expect(r1).toEqual(x.reply.subarray(16, 64));
  });
});

describe('DH-HMAC-CHAP failures', () => {
  const base = { qid: 0, tid: BIDI_SHA256.tid, hostnqn: HOST2, subnqn: SUBNQN, key: decodeSecret('dhchap', KEY2), target: 'kat', log };

  it('sends AUTH_Failure2 (authentication failed) and fails NVME_AUTH_FAILED when the controller response does not verify', async () => {
    const forged = Buffer.from(BIDI_SHA256.success1);
    forged[20] = forged[20]! ^ 1;
    const channel = scripted([BIDI_SHA256.challenge, forged]);
    const error = await refusal(authenticate(channel, { ...base, ctrlrKey: decodeSecret('dhchap', CTRLR2), random: replayRandom(BIDI_SHA256.reply) }));
    expect(error.code).toBe('NVME_AUTH_FAILED');
    expect(error.message).toMatch(/does not verify/);
    expect(channel.sent.at(-1)).toEqual(encodeFailure(0xf0, BIDI_SHA256.tid, 1));
  });

  it('fails NVME_AUTH_FAILED with the reason of an AUTH_Failure1, sending nothing more', async () => {
    const channel = scripted([BIDI_SHA256.challenge, hex('00f1 0000 dd98 01 01')]);
    const error = await refusal(authenticate(channel, base));
    expect(error.code).toBe('NVME_AUTH_FAILED');
    expect(error.message).toMatch(/AUTH_Failure1: authentication failed \(RC 1, RCE 1\)/);
    expect(error.details).toMatchObject({ rc: 1, rce: 1, step: 'DH-HMAC-CHAP_Success1' });
    expect(channel.sent.length).toBe(2);
  });

  it('refuses a challenge with an FFDHE group but no DH value, SEQNUM 0, another T_ID or a short HL, with AUTH_Failure2 (incorrect payload)', async () => {
    const variants: [string, (b: Buffer) => void, RegExp][] = [
      ['ffdhe2048', (b) => (b[9] = 1), /DHVLEN is 0, ffdhe2048 needs 256/],
      ['group 6', (b) => (b[9] = 6), /DH group 6, which this host did not offer/],
      ['seqnum 0', (b) => b.writeUInt32LE(0, 12), /SEQNUM 0/],
      ['T_ID', (b) => b.writeUInt16LE(7, 4), /T_ID 7/],
      ['HL', (b) => (b[6] = 16), /HL is 16/],
      ['hash', (b) => (b[8] = 9), /hash 9/],
    ];
    for (const [, change, message] of variants) {
      const challenge = Buffer.from(BIDI_SHA256.challenge);
      change(challenge);
      const channel = scripted([challenge]);
      const error = await refusal(authenticate(channel, base));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toMatch(message);
      expect(channel.sent.at(-1)).toEqual(encodeFailure(0xf0, BIDI_SHA256.tid, 6));
    }
  });

  it('refuses a message out of order with AUTH_Failure2 (incorrect protocol message)', async () => {
    const channel = scripted([BIDI_SHA256.success1]);
    const error = await refusal(authenticate(channel, base));
    expect(error.message).toMatch(/DH-HMAC-CHAP_Success1 came where DH-HMAC-CHAP_Challenge was expected/);
    expect(channel.sent.at(-1)).toEqual(encodeFailure(0xf0, BIDI_SHA256.tid, 7));
  });
});
