import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NvmfModule } from '../../../spdk/sim/nvmf/index.js';
import { FakeTarget, freePort, MemBdev, rpcError } from './fake-target.js';

const NQN = 'nqn.2016-06.io.spdk:replica1';
const INVALID = { code: -32602, message: 'Invalid parameters' };
const INTERNAL = { code: -32603, message: 'Internal error' };
let b: FakeTarget;

const listen = (nqn: string, trsvcid: string, traddr = '127.0.0.1', trtype = 'tcp') => b.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype, adrfam: 'ipv4', traddr, trsvcid } });

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

beforeEach(async () => {
  b = new FakeTarget('B').install(new NvmfModule());
  b.bdevs.add(new MemBdev('MallocB', 4096, 4096, 'cdcacb8e-5c46-4736-ae85-9167dea0c111'));
  b.bdevs.add(new MemBdev('MallocB2', 4096));
  await b.call('nvmf_create_transport', { trtype: 'TCP' });
});

afterEach(async () => {
  await b.close();
});

describe('transport', () => {
  it('exists once, with spdk_tgt defaults, and lists its iobuf caches', async () => {
    expect(await rpcError(b.call('nvmf_create_transport', { trtype: 'TCP' }))).toEqual({
      code: -32603,
      message: "Transport type 'TCP' already exists",
    });
    expect(await b.call('nvmf_get_transports')).toEqual([expect.objectContaining({ trtype: 'TCP', max_queue_depth: 128, max_io_qpairs_per_ctrlr: 127, kas: 100, min_kato: 10000 })]);
    expect(b.memory.iobufUsers.get('nvmf_TCP')).toEqual([4096, 512]);
    expect(await rpcError(b.call('nvmf_get_transports', { trtype: 'RDMA' }))).toEqual({ code: -19, message: 'No such device' });
  });
});

describe('subsystems', () => {
  it('creates, lists (discovery first, NQN order) and deletes', async () => {
    await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:zz', allow_any_host: true });
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true, serial_number: 'SPDKB0001', model_number: 'replica1' });
    expect(await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB' } })).toBe(1);
    const subs = (await b.call('nvmf_get_subsystems')) as Array<{ nqn: string }>;
    expect(subs.map((s) => s.nqn)).toEqual(['nqn.2014-08.org.nvmexpress.discovery', NQN, 'nqn.2016-06.io.spdk:zz']);
    expect(subs[0]).toEqual({ nqn: 'nqn.2014-08.org.nvmexpress.discovery', subtype: 'Discovery', listen_addresses: [], allow_any_host: true, hosts: [] });
    expect(subs[1]).toEqual({
      nqn: NQN,
      subtype: 'NVMe',
      listen_addresses: [],
      allow_any_host: true,
      hosts: [],
      serial_number: 'SPDKB0001',
      model_number: 'replica1',
      max_namespaces: 32,
      passthrough: false,
      min_cntlid: 1,
      max_cntlid: 65519,
      dmrsl: 2097152,
      wzsl: 12,
      namespaces: [
        {
          nsid: 1,
          bdev_name: 'MallocB',
          name: 'MallocB',
          nguid: 'CDCACB8E5C464736AE859167DEA0C111',
          uuid: 'cdcacb8e-5c46-4736-ae85-9167dea0c111',
        },
      ],
    });
    expect(b.bdevs.get('MallocB')!.claim).toEqual({ module: 'nvmf_tgt', holder: NQN, claimType: 'exclusive_write' });
    expect(await b.call('nvmf_delete_subsystem', { nqn: NQN })).toBe(true);
    expect(b.bdevs.get('MallocB')!.claim).toBeNull();
  });

  it('answers the create/delete error cases of transcripts 08 and 15', async () => {
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true }))).toEqual({
      code: -32603,
      message: `Unable to create subsystem ${NQN}`,
    });
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'not-an-nqn', allow_any_host: true }))).toEqual({
      code: -32603,
      message: 'Unable to create subsystem not-an-nqn',
    });
    expect(await rpcError(b.call('nvmf_create_subsystem', { allow_any_host: true }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad1', serial_number: 'S'.repeat(21) }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad2', model_number: 'M'.repeat(41) }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad3', serial_number: 'serialé' }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad4', min_cntlid: 20, max_cntlid: 10 }))).toEqual({
      code: -32602,
      message: 'Invalid cntlid range [20-10]',
    });
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad5', min_cntlid: 0 }))).toEqual({
      code: -32602,
      message: 'Invalid cntlid range [0-65519]',
    });
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:bad6', max_cntlid: 65520 }))).toEqual({
      code: -32602,
      message: 'Invalid cntlid range [1-65520]',
    });
    expect(await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:ok7', serial_number: 'S'.repeat(20), model_number: 'M'.repeat(40) })).toBe(true);
    expect(await rpcError(b.call('nvmf_delete_subsystem', { nqn: 'nqn.2016-06.io.spdk:nope' }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_get_subsystems', { nqn: 'nqn.2016-06.io.spdk:nope' }))).toEqual({ code: -19, message: 'No such device' });
  });

  it('refuses the 1024th subsystem (the discovery subsystem is the first)', async () => {
    for (let i = 0; i < 1022; i++) await b.call('nvmf_create_subsystem', { nqn: `nqn.2016-06.io.spdk:mem-s${i}`, allow_any_host: true });
    expect(await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:mem-s1022' })).toBe(true);
    expect(await rpcError(b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:mem-s1023' }))).toEqual({
      code: -32603,
      message: 'Unable to create subsystem nqn.2016-06.io.spdk:mem-s1023',
    });
  });
});

describe('namespaces', () => {
  it('answers the add_ns/remove_ns error cases', async () => {
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:other', allow_any_host: true });
    await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB' } });
    // Already used by another subsystem (claimed).
    expect(await rpcError(b.call('nvmf_subsystem_add_ns', { nqn: 'nqn.2016-06.io.spdk:other', namespace: { bdev_name: 'MallocB' } }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'nope' } }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_subsystem_add_ns', { nqn: 'nqn.2016-06.io.spdk:nope', namespace: { bdev_name: 'MallocB2' } }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB2', nsid: 1 } }))).toEqual(INVALID);
    expect(await rpcError(b.call('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 7 }))).toEqual(INVALID);
    expect(await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB2', nsid: 5 } })).toBe(5);
    expect(await b.call('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 1 })).toBe(true);
    expect(b.bdevs.get('MallocB')!.claim).toBeNull();
  });

  it('drops a namespace whose bdev is deleted', async () => {
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB' } });
    b.bdevs.remove('MallocB', 'deleted');
    const [, sub] = (await b.call('nvmf_get_subsystems')) as Array<{ namespaces: unknown[] }>;
    expect(sub!.namespaces).toEqual([]);
  });
});

describe('listeners', () => {
  it('listen on real TCP ports on 127.0.0.1 and close them when removed', async () => {
    const port = await freePort();
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    expect(await listen(NQN, String(port))).toBe(true);
    expect(await canConnect(port)).toBe(true);
    expect(await rpcError(listen(NQN, String(port)))).toEqual(INVALID);
    expect(await rpcError(listen(NQN, String(port), '127.0.0.1', 'rdma'))).toEqual(INVALID);
    expect(await rpcError(listen(NQN, '4420', '10.255.255.1'))).toEqual(INVALID);
    expect(await rpcError(listen('nqn.2016-06.io.spdk:nope', String(port)))).toEqual(INVALID);
    const listeners = (await b.call('nvmf_subsystem_get_listeners', { nqn: NQN })) as unknown[];
    expect(listeners).toEqual([{ address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: String(port) } }]);
    expect(
      await b.call('nvmf_subsystem_remove_listener', {
        nqn: NQN,
        listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) },
      }),
    ).toBe(true);
    expect(await canConnect(port)).toBe(false);
  });

  it('share a port between subsystems, also when added in one poll', async () => {
    const port = String(await freePort());
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:two', allow_any_host: true });
    const address = { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port };
    const out = await Promise.all([
      b.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: address }),
      b.call('nvmf_subsystem_add_listener', { nqn: 'nqn.2016-06.io.spdk:two', listen_address: address }),
    ]);
    expect(out).toEqual([true, true]);
    await b.call('nvmf_subsystem_remove_listener', { nqn: NQN, listen_address: address });
    expect(await canConnect(Number(port))).toBe(true);
    await b.call('nvmf_delete_subsystem', { nqn: 'nqn.2016-06.io.spdk:two' });
    expect(await canConnect(Number(port))).toBe(false);
  });

  it('keep ANA states per group only with ana_reporting', async () => {
    const port = String(await freePort());
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true, ana_reporting: true });
    await b.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:noana', allow_any_host: true });
    await listen(NQN, port);
    await listen('nqn.2016-06.io.spdk:noana', port);
    const address = { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port };
    expect(await b.call('nvmf_subsystem_listener_set_ana_state', { nqn: NQN, listen_address: address, ana_state: 'non_optimized', anagrpid: 2 })).toBe(true);
    const [l] = (await b.call('nvmf_subsystem_get_listeners', { nqn: NQN })) as Array<{ ana_states: Array<{ ana_group: number; ana_state: string }> }>;
    expect(l!.ana_states).toHaveLength(32);
    expect(l!.ana_states.slice(0, 3)).toEqual([
      { ana_group: 1, ana_state: 'optimized' },
      { ana_group: 2, ana_state: 'non_optimized' },
      { ana_group: 3, ana_state: 'optimized' },
    ]);
    const setFailed = { code: -32603, message: 'error setting ANA state: -22' };
    expect(await rpcError(b.call('nvmf_subsystem_listener_set_ana_state', { nqn: NQN, listen_address: { ...address, trsvcid: '1' }, ana_state: 'optimized' }))).toEqual(setFailed);
    expect(await rpcError(b.call('nvmf_subsystem_listener_set_ana_state', { nqn: 'nqn.2016-06.io.spdk:noana', listen_address: address, ana_state: 'inaccessible' }))).toEqual(setFailed);
    for (const bad of ['change', 'persistent_loss', 'bogus']) {
      expect(await rpcError(b.call('nvmf_subsystem_listener_set_ana_state', { nqn: NQN, listen_address: address, ana_state: bad }))).toEqual(INVALID);
    }
    expect(await b.call('nvmf_subsystem_get_listeners', { nqn: 'nqn.2016-06.io.spdk:noana' })).toEqual([{ address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port } }]);
  });
});

describe('hosts', () => {
  it('keeps an allow-list, newest first, with spdk_tgt errors', async () => {
    await b.call('nvmf_create_subsystem', { nqn: NQN });
    expect(await b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-a' })).toBe(true);
    expect(await b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-b' })).toBe(true);
    expect(await rpcError(b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-a' }))).toEqual(INTERNAL);
    expect(await rpcError(b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'not-an-nqn' }))).toEqual(INTERNAL);
    expect(await rpcError(b.call('nvmf_subsystem_add_host', { nqn: 'nqn.2016-06.io.spdk:nope', host: 'nqn.2016-06.io.spdk:host-a' }))).toEqual(INVALID);
    const [, sub] = (await b.call('nvmf_get_subsystems')) as Array<{ hosts: unknown; allow_any_host: boolean }>;
    expect(sub!.hosts).toEqual([{ nqn: 'nqn.2016-06.io.spdk:host-b' }, { nqn: 'nqn.2016-06.io.spdk:host-a' }]);
    expect(sub!.allow_any_host).toBe(false);
    expect(await b.call('nvmf_subsystem_remove_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-a' })).toBe(true);
    expect(await rpcError(b.call('nvmf_subsystem_remove_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-a' }))).toEqual(INTERNAL);
    expect(await b.call('nvmf_subsystem_allow_any_host', { nqn: NQN, allow_any_host: true })).toBe(true);
  });
});

describe('hazards', () => {
  it('fails add_ns pipelined in the poll of its subsystem create, but not in the next poll', async () => {
    const out = await b.poll([
      { method: 'nvmf_create_subsystem', params: { nqn: NQN, allow_any_host: true } },
      { method: 'nvmf_subsystem_add_ns', params: { nqn: NQN, namespace: { bdev_name: 'MallocB' } } },
    ]);
    expect(out[0]).toBe(true);
    expect(out[1]).toMatchObject(INTERNAL);
    expect(b.bdevs.get('MallocB')!.claim).toBeNull();
    expect(await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'MallocB' } })).toBe(1);
  });

  it('lets independent subsystems share a poll', async () => {
    const out = await b.poll([
      { method: 'nvmf_create_subsystem', params: { nqn: NQN, allow_any_host: true } },
      { method: 'nvmf_create_subsystem', params: { nqn: 'nqn.2016-06.io.spdk:two', allow_any_host: true } },
    ]);
    expect(out).toEqual([true, true]);
  });
});
