/**
 * NVMe-oF in-band authentication between two real simulator processes (A host, B target), case
 * by case as transcript 18 recorded spdk_tgt v26.05: DH-HMAC-CHAP one-way and bidirectional,
 * wrong and missing keys, the -17 that an attached controller puts in front of everything,
 * nvmf_subsystem_set_keys and bdev_nvme_set_keys, TLS PSK on secure_channel listeners. The two
 * processes each read their own key files: the fabric compares the secrets in them, so a key of
 * the right name with other content is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { dhchapKey, tlsPsk, writeKey } from '../helpers/key-files.js';
import { SimClient, type RpcResponse } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

const AUTH = 'nqn.2016-06.io.spdk:auth';
const TLS = 'nqn.2016-06.io.spdk:tls';
const H0 = 'nqn.2014-08.org.nvmexpress:uuid:0e6b5f3a-0000-4000-8000-00000000a000';
const H1 = 'nqn.2014-08.org.nvmexpress:uuid:0e6b5f3a-0000-4000-8000-00000000a001';
const H2 = 'nqn.2014-08.org.nvmexpress:uuid:0e6b5f3a-0000-4000-8000-00000000a002';
const EIO = { code: -5, message: 'Input/output error' };
const ENOKEY = { code: -126, message: 'Required key not available' };

let a: RunningSim;
let b: RunningSim;
let ra: SimClient;
let rb: SimClient;
let authPort: string;
let tlsPort: string;

const A = (method: string, params?: unknown): Promise<RpcResponse> => ra.request(method, params);
const B = (method: string, params?: unknown): Promise<RpcResponse> => rb.request(method, params);

function freePort(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(String(port)));
    });
  });
}

const attach = (name: string, subnqn: string, hostnqn: string, extra: Record<string, unknown> = {}) =>
  A('bdev_nvme_attach_controller', { name, trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: subnqn === TLS ? tlsPort : authPort, subnqn, hostnqn, ...extra });

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ctrlrState = async (name: string) => ((await A('bdev_nvme_get_controllers', { name })).result as Array<{ ctrlrs: Array<{ state: string; cntlid: number }> }> | undefined)?.[0]?.ctrlrs[0];

beforeAll(async () => {
  const dir = tempDir('sim-auth-keys-');
  [a, b] = await Promise.all([startSim({ name: 'A' }), startSim({ name: 'B' })]);
  [ra, rb] = await Promise.all([SimClient.connect(a.socket), SimClient.connect(b.socket)]);
  [authPort, tlsPort] = [await freePort(), await freePort()];
  // Both targets add the same files, as in the recording; keybad is A's only.
  const files: Record<string, string> = {
    key0: dhchapKey(48, 0),
    ckey0: dhchapKey(64, 3),
    key1: dhchapKey(32, 1),
    ckey1: dhchapKey(48, 2),
    psk0: tlsPsk(),
    psk1: tlsPsk(),
  };
  for (const [name, content] of Object.entries(files)) {
    const path = writeKey(dir, name, content);
    expect(await B('keyring_file_add_key', { name, path })).toMatchObject({ result: true });
    expect(await A('keyring_file_add_key', { name, path })).toMatchObject({ result: true });
  }
  // Same name as B's key0 on A, other secret: a separate file A reads.
  const hostDir = tempDir('sim-auth-host-keys-');
  await A('keyring_file_add_key', { name: 'keybad', path: writeKey(hostDir, 'keybad', dhchapKey(48, 0)) });

  await B('bdev_null_create', { name: 'null0', num_blocks: 8192, block_size: 4096 });
  await B('bdev_null_create', { name: 'null1', num_blocks: 8192, block_size: 4096 });
  await B('nvmf_create_transport', { trtype: 'TCP' });
  await B('nvmf_create_subsystem', { nqn: AUTH, allow_any_host: false, serial_number: 'RECAUTH' });
  await B('nvmf_subsystem_add_ns', { nqn: AUTH, namespace: { bdev_name: 'null0' } });
  await B('nvmf_subsystem_add_listener', { nqn: AUTH, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: authPort } });
  expect(await B('nvmf_subsystem_add_host', { nqn: AUTH, host: H0, dhchap_key: 'key0', dhchap_ctrlr_key: 'ckey0' })).toMatchObject({ result: true });
  expect(await B('nvmf_subsystem_add_host', { nqn: AUTH, host: H1, dhchap_key: 'key1' })).toMatchObject({ result: true });
  expect(await A('bdev_nvme_set_options', { dhchap_digests: ['sha256', 'sha384', 'sha512'], dhchap_dhgroups: ['null', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096'] })).toMatchObject({ result: true });
}, 30_000);

afterAll(async () => {
  ra?.close();
  rb?.close();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('target side: add_host with keys (transcript 18 lines 32-37)', () => {
  it('refuses an unknown key name (-32602) and a controller key alone (-32603); accepts a PSK name as dhchap_key', async () => {
    expect((await B('nvmf_subsystem_add_host', { nqn: AUTH, host: H2, dhchap_key: 'nokey' })).error).toEqual({ code: -32602, message: 'Invalid parameters' });
    expect((await B('nvmf_subsystem_add_host', { nqn: AUTH, host: H2, dhchap_ctrlr_key: 'ckey0' })).error).toEqual({ code: -32603, message: 'Internal error' });
    expect(await B('nvmf_subsystem_add_host', { nqn: AUTH, host: H2, dhchap_key: 'psk0' })).toMatchObject({ result: true });
    const [sub] = (await B('nvmf_get_subsystems', { nqn: AUTH })).result as Array<{ hosts: unknown[] }>;
    expect(sub!.hosts).toEqual([
      { nqn: H2, dhchap_key: 'psk0' },
      { nqn: H1, dhchap_key: 'key1' },
      { nqn: H0, dhchap_key: 'key0', dhchap_ctrlr_key: 'ckey0' },
    ]);
  });

  it('nvmf_set_config is a start-up method: refused after framework init, left out of rpc_get_methods current', async () => {
    expect((await B('nvmf_set_config', { dhchap_digests: ['sha256'], dhchap_dhgroups: ['null'] })).error).toEqual({
      code: -1,
      message: 'Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.',
    });
    expect((await B('rpc_get_methods')).result).toContain('nvmf_set_config');
    expect((await B('rpc_get_methods', { current: true })).result).not.toContain('nvmf_set_config');
    expect((await B('rpc_get_methods', { current: true })).result).toContain('keyring_file_add_key');
  });

  it('bdev_nvme_set_options refuses an unknown digest as a decode failure', async () => {
    expect((await A('bdev_nvme_set_options', { dhchap_digests: ['md5'] })).error).toEqual({ code: -32603, message: 'spdk_json_decode_object failed' });
  });
});

describe('DH-HMAC-CHAP attach (lines 41-65)', () => {
  it('bidirectional with the right keys: attached, the qpairs show the negotiated digest and group', async () => {
    expect(await attach('c0', AUTH, H0, { dhchap_key: 'key0', dhchap_ctrlr_key: 'ckey0' })).toMatchObject({ result: ['c0n1'] });
    const qpairs = (await B('nvmf_subsystem_get_qpairs', { nqn: AUTH })).result as Array<Record<string, unknown>>;
    expect(qpairs.length).toBeGreaterThan(0);
    for (const q of qpairs) expect(q.auth).toEqual({ state: 'completed', digest: 'sha512', dhgroup: 'ffdhe4096' });
    // While c0 is attached, any attach to the same trid with the same host NQN is -17 first.
    expect((await attach('c8', AUTH, H0, { dhchap_key: 'nokey' })).error).toEqual({ code: -17, message: 'File exists' });
  });

  it('unidirectional with the right key; a second host on the same subsystem answers []', async () => {
    expect(await attach('c1', AUTH, H1, { dhchap_key: 'key1' })).toMatchObject({ result: [] });
    expect((await ctrlrState('c1'))?.state).toBe('enabled');
    expect(await A('bdev_nvme_detach_controller', { name: 'c0' })).toMatchObject({ result: true });
    expect(await A('bdev_nvme_detach_controller', { name: 'c1' })).toMatchObject({ result: true });
  });

  it.each([
    ['bidirectional asked, the target has no controller key for the host', 'c2', H1, { dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' }, EIO],
    ['wrong host key (same name pattern, other secret)', 'c3', H0, { dhchap_key: 'keybad', dhchap_ctrlr_key: 'ckey0' }, EIO],
    ['right host key, wrong controller key', 'c4', H0, { dhchap_key: 'key0', dhchap_ctrlr_key: 'ckey1' }, EIO],
    ['no key at all', 'c5', H0, {}, EIO],
    ['a key name missing from the host keyring', 'c6', H0, { dhchap_key: 'nokey' }, ENOKEY],
    ['a controller key only', 'c7', H0, { dhchap_ctrlr_key: 'ckey0' }, EIO],
  ])('%s: refused', async (_what, name, host, keys, error) => {
    expect((await attach(name, AUTH, host, keys)).error).toEqual(error);
    expect((await A('bdev_nvme_get_controllers')).result).toEqual([]);
    expect((await B('nvmf_subsystem_get_controllers', { nqn: AUTH })).result).toEqual([]);
  });

  it('the host key alone attaches although the target could prove itself too', async () => {
    expect(await attach('c7b', AUTH, H0, { dhchap_key: 'key0' })).toMatchObject({ result: ['c7bn1'] });
    expect(await A('bdev_nvme_detach_controller', { name: 'c7b' })).toMatchObject({ result: true });
  });

  it('the secret is compared, not the name: rewriting the target key file refuses the next attach', async () => {
    const keys = (await B('keyring_get_keys')).result as Array<{ name: string; path: string }>;
    const key1 = keys.find((k) => k.name === 'key1')!;
    // A reads its own copy under another path: give B's key1 other content through a new key.
    const dir = tempDir('sim-auth-rewrite-');
    const path = writeKey(dir, 'key1b', dhchapKey(32, 1));
    await B('keyring_file_add_key', { name: 'key1b', path });
    await B('nvmf_subsystem_set_keys', { nqn: AUTH, host: H1, dhchap_key: 'key1b' });
    expect((await attach('c1x', AUTH, H1, { dhchap_key: 'key1' })).error).toEqual(EIO);
    // Same file content on both sides again: accepted.
    writeFileSync(path, readFileSync(key1.path, 'utf8'));
    expect(await attach('c1x', AUTH, H1, { dhchap_key: 'key1' })).toMatchObject({ result: ['c1xn1'] });
    await A('bdev_nvme_detach_controller', { name: 'c1x' });
    await B('nvmf_subsystem_set_keys', { nqn: AUTH, host: H1, dhchap_key: 'key1' });
    await B('keyring_file_remove_key', { name: 'key1b' });
  });
});

describe('keys in use, set_keys, re-authentication (lines 66-91)', () => {
  it('removing keys in use keeps them listed as removed; set_keys moves the host to new keys; bdev_nvme_set_keys re-authenticates', async () => {
    expect(await attach('c0', AUTH, H0, { dhchap_key: 'key0', dhchap_ctrlr_key: 'ckey0' })).toMatchObject({ result: ['c0n1'] });
    const cntlid = (await ctrlrState('c0'))!.cntlid;
    expect(await B('keyring_file_remove_key', { name: 'key0' })).toMatchObject({ result: true });
    expect(await A('keyring_file_remove_key', { name: 'key0' })).toMatchObject({ result: true });
    const aKeys = (await A('keyring_get_keys')).result as Array<Record<string, unknown>>;
    expect(aKeys.find((k) => k.name === 'key0')).toEqual({ name: 'key0', module: 'keyring_file', removed: true, probed: false, refcnt: 1 });
    expect(aKeys.find((k) => k.name === 'ckey0')?.refcnt).toBe(2);
    expect((await ctrlrState('c0'))?.state).toBe('enabled');
    expect((await A('keyring_file_remove_key', { name: 'nope' })).error).toEqual(ENOKEY);

    expect(await B('nvmf_subsystem_set_keys', { nqn: AUTH, host: H0, dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' })).toMatchObject({ result: true });
    expect((await B('nvmf_subsystem_set_keys', { nqn: AUTH, host: H0, dhchap_key: 'nokey' })).error).toEqual({ code: -32602, message: 'Invalid parameters' });
    // The old key0 of B was released with the host's switch to key1: gone from the list.
    expect(((await B('keyring_get_keys')).result as Array<{ name: string }>).some((k) => k.name === 'key0')).toBe(false);

    expect(await A('bdev_nvme_set_keys', { name: 'c0', dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' })).toMatchObject({ result: true });
    expect(await ctrlrState('c0')).toMatchObject({ state: 'enabled', cntlid });
    expect((await A('bdev_nvme_set_keys', { name: 'nope', dhchap_key: 'key1' })).error).toEqual({ code: -19, message: 'No such device' });
    expect((await A('bdev_nvme_set_keys', { name: 'c0', dhchap_key: 'nokey' })).error).toEqual(ENOKEY);
  });

  it('re-authentication with a wrong key is -13 and the controller keeps resetting until detached', async () => {
    expect((await A('bdev_nvme_set_keys', { name: 'c0', dhchap_key: 'keybad' })).error).toEqual({ code: -13, message: 'Permission denied' });
    await waitFor('c0 resetting', 2000, async () => (await ctrlrState('c0'))?.state === 'resetting');
    // Still resetting a second later: it retries, never gives up on its own.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await ctrlrState('c0'))?.state).toBe('resetting');
    const retries = a
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"nvme_ctrlr_reset_failed"') && l.includes('"name":"c0"')).length;
    expect(retries).toBeGreaterThan(3);
    expect(await A('bdev_nvme_detach_controller', { name: 'c0' })).toMatchObject({ result: true });
    expect((await A('bdev_nvme_get_controllers')).result).toEqual([]);
  });

  it('a controller stuck on a wrong key recovers once it is given the right one', async () => {
    expect(await attach('c0', AUTH, H0, { dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' })).toMatchObject({ result: ['c0n1'] });
    expect((await A('bdev_nvme_set_keys', { name: 'c0', dhchap_key: 'keybad' })).error).toEqual({ code: -13, message: 'Permission denied' });
    await waitFor('c0 resetting', 2000, async () => (await ctrlrState('c0'))?.state === 'resetting');
    expect(await A('bdev_nvme_set_keys', { name: 'c0', dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' })).toMatchObject({ result: true });
    await waitFor('c0 enabled', 3000, async () => (await ctrlrState('c0'))?.state === 'enabled');
    expect(await A('bdev_nvme_detach_controller', { name: 'c0' })).toMatchObject({ result: true });
  });

  it('the target side takes the new keys for new connections', async () => {
    expect(await attach('c9', AUTH, H0, { dhchap_key: 'key1', dhchap_ctrlr_key: 'ckey1' })).toMatchObject({ result: ['c9n1'] });
    expect(await A('bdev_nvme_detach_controller', { name: 'c9' })).toMatchObject({ result: true });
  });
});

describe('TLS PSK (lines 92-127)', () => {
  it('secure_channel is refused on an allow_any_host subsystem', async () => {
    await B('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:tlsany', allow_any_host: true });
    const port = await freePort();
    expect(
      (await B('nvmf_subsystem_add_listener', { nqn: 'nqn.2016-06.io.spdk:tlsany', listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port }, secure_channel: true }))
        .error,
    ).toEqual({
      code: -32603,
      message: "Cannot establish secure channel, when 'allow_any_host' is set",
    });
  });

  it('add_host takes a PSK by keyring name only, and never shows it', async () => {
    await B('nvmf_create_subsystem', { nqn: TLS, allow_any_host: false, serial_number: 'RECTLS' });
    await B('nvmf_subsystem_add_ns', { nqn: TLS, namespace: { bdev_name: 'null1' } });
    expect(await B('nvmf_subsystem_add_listener', { nqn: TLS, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: tlsPort }, secure_channel: true })).toMatchObject({
      result: true,
    });
    expect(await B('nvmf_subsystem_add_host', { nqn: TLS, host: H0, psk: 'psk0' })).toMatchObject({ result: true });
    const keys = (await B('keyring_get_keys')).result as Array<{ name: string; path: string }>;
    for (const psk of [keys.find((k) => k.name === 'psk0')!.path, 'nokey', 'key1']) {
      expect((await B('nvmf_subsystem_add_host', { nqn: TLS, host: H1, psk })).error).toEqual({ code: -32603, message: 'Internal error' });
    }
    expect(await B('nvmf_subsystem_add_host', { nqn: TLS, host: H1, psk: 'psk1', dhchap_key: 'key1' })).toMatchObject({ result: true });
    const [sub] = (await B('nvmf_get_subsystems', { nqn: TLS })).result as Array<{ hosts: unknown[] }>;
    expect(sub!.hosts).toEqual([{ nqn: H1, dhchap_key: 'key1' }, { nqn: H0 }]);
    expect(b.stderr()).not.toContain('NVMeTLSkey-1');
  });

  it('attach with the right PSK; no auth in the qpairs', async () => {
    expect(await attach('t0', TLS, H0, { psk: 'psk0' })).toMatchObject({ result: ['t0n1'] });
    const qpairs = (await B('nvmf_subsystem_get_qpairs', { nqn: TLS })).result as Array<Record<string, unknown>>;
    expect(qpairs.length).toBeGreaterThan(0);
    for (const q of qpairs) expect(q.auth).toBeUndefined();
    expect(await A('bdev_nvme_detach_controller', { name: 't0' })).toMatchObject({ result: true });
  });

  it.each([
    ['wrong PSK', 't1', TLS, H0, { psk: 'psk1' }, EIO],
    ['no PSK to a secure_channel listener', 't2', TLS, H0, {}, EIO],
    ['PSK given as a file path', 't3', TLS, H0, { psk: '/var/tmp/rec/keys/psk0' }, ENOKEY],
    ['PSK name not in the keyring', 't4', TLS, H0, { psk: 'nokey' }, ENOKEY],
    ['a DH-HMAC-CHAP key as PSK', 't4b', TLS, H0, { psk: 'key1' }, { code: -19, message: 'No such device' }],
    ['right PSK, host not on the subsystem', 't4c', TLS, H2, { psk: 'psk0' }, EIO],
    ['PSK to a listener without secure_channel', 't5', AUTH, H1, { psk: 'psk0', dhchap_key: 'key1' }, EIO],
  ])('%s: refused', async (_what, name, sub, host, keys, error) => {
    expect((await attach(name, sub, host, keys)).error).toEqual(error);
    expect((await A('bdev_nvme_get_controllers')).result).toEqual([]);
  });

  it('a failed TLS attempt to a plain listener drops the established TLS controller, which resets and comes back', async () => {
    expect(await attach('t0', TLS, H0, { psk: 'psk0' })).toMatchObject({ result: ['t0n1'] });
    const before = (await ctrlrState('t0'))!.cntlid;
    expect((await attach('t5', AUTH, H1, { psk: 'psk0', dhchap_key: 'key1' })).error).toEqual(EIO);
    expect((await ctrlrState('t0'))?.state).toBe('resetting');
    await waitFor('t0 enabled again', 3000, async () => (await ctrlrState('t0'))?.state === 'enabled');
    expect((await ctrlrState('t0'))!.cntlid).not.toBe(before);
    expect(await A('bdev_nvme_detach_controller', { name: 't0' })).toMatchObject({ result: true });
  });

  it('attach references its keys until detach', async () => {
    const refcnt = async (name: string) => ((await A('keyring_get_keys')).result as Array<{ name: string; refcnt: number }>).find((k) => k.name === name)?.refcnt;
    const before = await refcnt('psk0');
    expect(await attach('t0', TLS, H0, { psk: 'psk0' })).toMatchObject({ result: ['t0n1'] });
    expect(await refcnt('psk0')).toBe(before! + 1);
    await A('bdev_nvme_detach_controller', { name: 't0' });
    expect(await refcnt('psk0')).toBe(before);
    expect(a.stderr()).not.toContain('NVMeTLSkey-1');
    expect(a.stderr()).not.toContain('DHHC-1');
  });
});
