/**
 * keyring_file in a real simulator process, as transcript 18 recorded it: file rules at add time,
 * content read only when used, removal of a key in use, keyring_get_keys entries.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { dhchapKey, tlsPsk, writeKey } from '../helpers/key-files.js';
import { SimClient, type RpcResponse } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

const SUB = 'nqn.2016-06.io.spdk:kr';
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0e6b5f3a-0000-4000-8000-00000000b000';

let sim: RunningSim;
let rpc: SimClient;
let dir: string;

const call = (method: string, params?: unknown): Promise<RpcResponse> => rpc.request(method, params);
const keys = async () => (await call('keyring_get_keys')).result as Array<Record<string, unknown>>;

beforeAll(async () => {
  dir = tempDir('sim-keyring-');
  sim = await startSim({ name: 'K' });
  rpc = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  rpc?.close();
  await sim?.stop();
});

describe('keyring_file_add_key', () => {
  it('adds a 0600 file by absolute path and lists it as recorded', async () => {
    const path = writeKey(dir, 'k0', dhchapKey());
    expect(await call('keyring_file_add_key', { name: 'k0', path })).toMatchObject({ result: true });
    expect((await keys()).find((k) => k.name === 'k0')).toEqual({ name: 'k0', module: 'keyring_file', removed: false, probed: false, refcnt: 1, path });
  });

  it('refuses a duplicate name, mode 0644, a relative path and a missing file with the recorded errors', async () => {
    const path = writeKey(dir, 'dup', dhchapKey());
    expect((await call('keyring_file_add_key', { name: 'k0', path })).error).toEqual({ code: -17, message: 'File exists' });
    const open = writeKey(dir, 'open0644', dhchapKey(), 0o644);
    expect((await call('keyring_file_add_key', { name: 'open', path: open })).error).toEqual({ code: -1, message: 'Operation not permitted' });
    expect((await call('keyring_file_add_key', { name: 'rel', path: 'keys/key0' })).error).toEqual({ code: -1, message: 'Operation not permitted' });
    expect((await call('keyring_file_add_key', { name: 'missing', path: `${dir}/does-not-exist` })).error).toEqual({ code: -2, message: 'No such file or directory' });
    const names = (await keys()).map((k) => k.name);
    expect(names).not.toContain('open');
    expect(names).not.toContain('rel');
    expect(names).not.toContain('missing');
    // No secret and no key content in the log.
    expect(sim.stderr()).not.toContain('DHHC-1');
  });

  it('does not read the content at add time: a garbage file is accepted', async () => {
    const path = writeKey(dir, 'garbage', 'this is not a key\n');
    expect(await call('keyring_file_add_key', { name: 'garbage', path })).toMatchObject({ result: true });
  });

  it('refuses bad params with -32602 "Invalid argument"', async () => {
    expect((await call('keyring_file_add_key', { name: 'x' })).error).toEqual({ code: -32602, message: 'Invalid argument' });
    expect((await call('keyring_file_remove_key', { name: 'x', path: '/x' })).error).toEqual({ code: -32602, message: 'Invalid argument' });
  });
});

describe('keyring_file_remove_key', () => {
  it('removing an unknown key is -126', async () => {
    expect((await call('keyring_file_remove_key', { name: 'nope' })).error).toEqual({ code: -126, message: 'Required key not available' });
  });

  it('a key in use stays listed as removed (no path) until its user lets go, then is gone', async () => {
    await call('nvmf_create_transport', { trtype: 'TCP' });
    await call('nvmf_create_subsystem', { nqn: SUB, allow_any_host: false });
    const path = writeKey(dir, 'inuse', dhchapKey());
    await call('keyring_file_add_key', { name: 'inuse', path });
    expect(await call('nvmf_subsystem_add_host', { nqn: SUB, host: HOST, dhchap_key: 'inuse' })).toMatchObject({ result: true });
    expect((await keys()).find((k) => k.name === 'inuse')?.refcnt).toBe(2);
    expect(await call('keyring_file_remove_key', { name: 'inuse' })).toMatchObject({ result: true });
    const listed = await keys();
    expect(listed.at(-1)).toEqual({ name: 'inuse', module: 'keyring_file', removed: true, probed: false, refcnt: 1 });
    // The subsystem still names it.
    const [sub] = (await call('nvmf_get_subsystems', { nqn: SUB })).result as Array<{ hosts: unknown[] }>;
    expect(sub!.hosts).toEqual([{ nqn: HOST, dhchap_key: 'inuse' }]);
    // A new key of the same name can be added meanwhile; the old one is released with the host.
    expect(await call('keyring_file_add_key', { name: 'inuse', path })).toMatchObject({ result: true });
    expect(await call('nvmf_subsystem_remove_host', { nqn: SUB, host: HOST })).toMatchObject({ result: true });
    const after = (await keys()).filter((k) => k.name === 'inuse');
    expect(after).toEqual([{ name: 'inuse', module: 'keyring_file', removed: false, probed: false, refcnt: 1, path }]);
  });

  it('the file is checked again when the key is used: a PSK whose file became 0644 or vanished is refused', async () => {
    const path = writeKey(dir, 'psk-late', tlsPsk());
    await call('keyring_file_add_key', { name: 'psk-late', path });
    chmodSync(path, 0o644);
    expect((await call('nvmf_subsystem_add_host', { nqn: SUB, host: HOST, psk: 'psk-late' })).error).toEqual({ code: -32603, message: 'Internal error' });
    unlinkSync(path);
    expect((await call('nvmf_subsystem_add_host', { nqn: SUB, host: HOST, psk: 'psk-late' })).error).toEqual({ code: -32603, message: 'Internal error' });
    // Refused add_host leaves nothing behind: the host is not on the subsystem, no reference is kept.
    const [sub] = (await call('nvmf_get_subsystems', { nqn: SUB })).result as Array<{ hosts: unknown[] }>;
    expect(sub!.hosts).toEqual([]);
    expect((await keys()).find((k) => k.name === 'psk-late')?.refcnt).toBe(1);
  });

  it('framework_get_config lists the live keys as keyring_file_add_key calls', async () => {
    const config = (await call('framework_get_config', { name: 'keyring' })).result as Array<{ method: string; params: { name: string } }>;
    expect(config.every((e) => e.method === 'keyring_file_add_key')).toBe(true);
    expect(config.map((e) => e.params.name)).toContain('k0');
  });
});
