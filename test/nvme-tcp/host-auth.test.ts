/**
 * The NVMe/TCP host's DH-HMAC-CHAP as host.ts runs it on both queues, against the mini target
 * acting as an authenticating controller (its side built from the same response computation, which
 * test/nvme-tcp/auth.test.ts pins against spdk_tgt v26.05): success one way and both ways, the
 * refusals, and a connect whose deadline or abort falls in the middle of the exchange.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { NvmeTcpHost, type NvmeTcpConnectOptions } from '../../src/nvme-tcp/host.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { type MiniAuth, MiniTarget } from './mini-target.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:auth-mini';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-00000000a017';

function secret(hh: number, bytes: number): string {
  const key = crypto.randomBytes(bytes);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlib.crc32(key));
  return `DHHC-1:0${hh}:${Buffer.concat([key, crc]).toString('base64')}:`;
}

const KEY = secret(1, 32);
const CTRLR_KEY = secret(2, 48);

const targets: MiniTarget[] = [];
afterEach(async () => {
  for (const t of targets.splice(0)) await t.close();
});

async function start(auth?: Partial<MiniAuth>): Promise<MiniTarget> {
  const t = await MiniTarget.start({
    cpda: 0,
    maxh2cdata: 4096,
    r2tBytes: 131_072,
    c2hBytes: 131_072,
    success: true,
    blocks: 256,
    ...(auth ? { auth: { hostnqn: HOSTNQN, subnqn: SUBNQN, key: KEY, ...auth } } : {}),
  });
  targets.push(t);
  return t;
}

const connect = (t: MiniTarget, extra: { dhchap?: NvmeTcpConnectOptions['dhchap']; timeoutMs?: number; signal?: AbortSignal } = {}) =>
  NvmeTcpHost.connect({ address: '127.0.0.1', port: t.port, subnqn: SUBNQN, hostnqn: HOSTNQN, ...extra });

async function roundTrip(host: NvmeTcpHost): Promise<void> {
  const data = crypto.randomBytes(64 * 1024);
  await host.write(1, 0, data);
  expect((await host.read(1, 0, data.length)).equals(data)).toBe(true);
}

describe('NVMe/TCP host DH-HMAC-CHAP on both queues', () => {
  it('authenticates the admin and the I/O queue one way, then reads and writes', async () => {
    const t = await start({ hash: 1 });
    const host = await connect(t, { dhchap: { key: KEY } });
    expect(host.authentication).toEqual({ digest: 'sha256', dhgroup: 'null', bidirectional: false });
    expect(t.authenticated).toBe(2);
    await roundTrip(host);
    await host.close();
  });

  it('authenticates both ways (Success2 on each queue)', async () => {
    const t = await start({ ctrlrKey: CTRLR_KEY, hash: 2 });
    const host = await connect(t, { dhchap: { key: KEY, ctrlrKey: CTRLR_KEY } });
    expect(host.authentication).toEqual({ digest: 'sha384', dhgroup: 'null', bidirectional: true });
    expect(t.authenticated).toBe(2);
    expect(t.authSent.filter((m) => m[0] === 1 && m[1] === 4)).toHaveLength(2);
    await roundTrip(host);
    await host.close();
  });

  it('connects without authenticating when the controller does not ask, keys given or not', async () => {
    const t = await start();
    const host = await connect(t, { dhchap: { key: KEY, ctrlrKey: CTRLR_KEY } });
    expect(host.authentication).toBeUndefined();
    expect(t.authSent).toHaveLength(0);
    await host.close();
  });

  it('reports no authentication for a controller that asks on the admin queue and not on the I/O queue', async () => {
    const t = await start({ ctrlrKey: CTRLR_KEY, adminOnly: true });
    const host = await connect(t, { dhchap: { key: KEY, ctrlrKey: CTRLR_KEY } });
    expect(t.authenticated).toBe(1);
    expect(host.authentication).toBeUndefined();
    await roundTrip(host);
    await host.close();
  });

  it('FAILED_PRECONDITION when the controller asks and no key is given, or asks for secure channel concatenation', async () => {
    const none = await conductorRefusal(connect(await start({})));
    expect(none.code).toBe('FAILED_PRECONDITION');
    expect(none.message).toMatch(/asks for authentication; no DH-HMAC-CHAP key given/);
    const ascr = await conductorRefusal(connect(await start({ ascr: true }), { dhchap: { key: KEY } }));
    expect(ascr.code).toBe('FAILED_PRECONDITION');
    expect(ascr.message).toMatch(/secure channel concatenation/);
  });

  it('NVME_AUTH_FAILED for a wrong key (AUTH_Failure1), and for a controller that does not prove the controller key (AUTH_Failure2 sent)', async () => {
    const wrong = await conductorRefusal(connect(await start({}), { dhchap: { key: secret(1, 32) } }));
    expect(wrong.code).toBe('NVME_AUTH_FAILED');
    expect(wrong.details).toMatchObject({ qid: 0, rc: 1, rce: 1 });
    const t = await start({ ctrlrKey: secret(2, 48) });
    const impostor = await conductorRefusal(connect(t, { dhchap: { key: KEY, ctrlrKey: CTRLR_KEY } }));
    expect(impostor.code).toBe('NVME_AUTH_FAILED');
    expect(impostor.message).toMatch(/does not verify/);
    expect(t.authSent.at(-1)!.subarray(0, 2)).toEqual(Buffer.from([0x00, 0xf0]));
  });

  it('INVALID_SECRET for a malformed secret, before any connection', async () => {
    const t = await start({});
    const bad = await conductorRefusal(connect(t, { dhchap: { key: KEY, ctrlrKey: 'DHHC-1:01:not-base64:' } }));
    expect(bad.code).toBe('INVALID_SECRET');
    expect(bad.message).toMatch(/dhchap\.ctrlrKey/);
    expect(t.h2c).toHaveLength(0);
  });

  it('INVALID_ARGUMENT for no DH group or an unknown one, before any connection; the groups allowed are the ones offered', async () => {
    const t = await start({});
    for (const [dhgroups, message] of [
      [[], /dhchap\.dhgroups must list at least one of null, ffdhe2048/],
      [['ffdhe2048', 'modp2048'], /dhchap\.dhgroups: "modp2048" is not a DH group/],
    ] as const) {
      const bad = await conductorRefusal(connect(t, { dhchap: { key: KEY, dhgroups: dhgroups as never } }));
      expect(bad.code).toBe('INVALID_ARGUMENT');
      expect(bad.message).toMatch(message);
    }
    expect(t.h2c).toHaveLength(0);
    const host = await connect(t, { dhchap: { key: KEY, dhgroups: ['ffdhe4096', 'null'] } });
    // AUTH_Negotiate of each queue: DHLEN 2, NULL then ffdhe4096
    expect(t.authSent.filter((m) => m[0] === 0 && m[1] === 0).map((m) => [m[11], m[42], m[43]])).toEqual([
      [2, 0, 3],
      [2, 0, 3],
    ]);
    await host.close();
  });

  it("DEADLINE_EXCEEDED when the exchange outlasts the connect's deadline, and CANCELLED on abort mid-exchange", async () => {
    const stalled = await start({ stallAt: 'challenge' });
    const started = Date.now();
    const late = await conductorRefusal(connect(stalled, { dhchap: { key: KEY }, timeoutMs: 400 }));
    expect(late.code).toBe('DEADLINE_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(3000);
    const controller = new AbortController();
    const pending = conductorRefusal(connect(await start({ stallAt: 'success1' }), { dhchap: { key: KEY }, signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('test abort')), 100);
    const aborted = await pending;
    expect(aborted.code).toBe('CANCELLED');
    expect(aborted.message).toMatch(/test abort/);
  });
});
