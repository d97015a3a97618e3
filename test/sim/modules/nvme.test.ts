/**
 * bdev_nvme against an in-process nvmf target over real TCP: attach rules and errors (transcripts
 * 01, 08, 14, 15), host allow-lists, cntlid ranges, namespaces, ANA and multipath.
 */
import { describe, expect, it } from 'vitest';
import { freePort, pattern, rpcError, waitFor } from './fake-target.js';
import { NQN, nvmeFixture } from './nvme-fixture.js';

const f = nvmeFixture();

describe('bdev_nvme_attach_controller', () => {
  it('connects, registers <name>n1 and moves data both ways', async () => {
    await f.exportReplica({ allow_any_host: true, serial_number: 'SPDKB0001', model_number: 'replica1' });
    const started = Date.now();
    expect(await f.attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 })).toEqual(['r1n1']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    const [ctrlr] = await f.ctrlrs();
    expect(ctrlr).toEqual({
      state: 'enabled',
      trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: f.port, subnqn: NQN },
      cntlid: 1,
      host: { nqn: expect.stringMatching(/^nqn\.2014-08\.org\.nvmexpress:uuid:[0-9a-f-]{36}$/), addr: '', svcid: '', no_shn_notification: false },
    });
    const bdev = f.a.bdevs.get('r1n1')!;
    expect(bdev).toMatchObject({ productName: 'NVMe disk', blockSize: 4096, numBlocks: 4096, uuid: f.replica.uuid, aliases: [f.replica.uuid] });
    expect(bdev.describe()).toMatchObject({
      optimal_write_size: 32,
      numa_id: -1,
      driver_specific: {
        nvme: [
          {
            trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: f.port, subnqn: NQN },
            ctrlr_data: { cntlid: 1, model_number: 'replica1', serial_number: 'SPDKB0001', firmware_revision: '26.05', ana_reporting: false },
            ns_data: { id: 1, can_share: true },
          },
        ],
        mp_policy: 'active_passive',
      },
    });
    await bdev.write(8, pattern(3, 1));
    expect(f.replica.contents().subarray(8 * 4096, 11 * 4096)).toEqual(pattern(3, 1));
    await f.replica.write(100, pattern(1, 2));
    expect(await bdev.read(100, 1)).toEqual(pattern(1, 2));
    const hostnqn = ctrlr!.host.nqn;
    expect(await f.b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([{ cntlid: 1, cntrltype: 'io', hostnqn, hostid: hostnqn.split(':uuid:')[1], num_io_qpairs: 1 }]);
    const qpairs = (await f.b.call('nvmf_subsystem_get_qpairs', { nqn: NQN })) as Array<{ qid: number; peer_address: { trsvcid: string } }>;
    expect(qpairs.map((q) => q.qid)).toEqual([0, 1]);
    expect(qpairs[0]!.peer_address.trsvcid).not.toBe(qpairs[1]!.peer_address.trsvcid);
    expect(f.a.memory.used.size).toBe(1);
  });

  it('answers the error cases of transcript 08', async () => {
    await f.exportReplica();
    await f.attach();
    expect(await rpcError(f.attach())).toEqual({ code: -114, message: 'A controller named r1 already exists with the specified network path' });
    expect(await rpcError(f.attach({ subnqn: 'nqn.2016-06.io.spdk:replica1-nope' }))).toEqual({
      code: -114,
      message: 'A controller named r1 already exists with the specified network path',
    });
    expect(await rpcError(f.attach({}, 'r1dup'))).toEqual({ code: -17, message: 'File exists' });
    expect(await rpcError(f.attach({ trsvcid: '1' }, 'nolisten'))).toEqual({ code: -5, message: 'Input/output error' });
    expect(await rpcError(f.attach({ subnqn: 'nqn.2016-06.io.spdk:nope' }, 'badnqn'))).toEqual({ code: -5, message: 'Input/output error' });
    expect(await rpcError(f.attach({ trtype: 'bogus' }, 'x'))).toEqual({ code: -19, message: 'No such device' });
    const decodeFailed = { code: -32603, message: 'spdk_json_decode_object failed' };
    expect(await rpcError(f.a.call('bdev_nvme_attach_controller', { name: 'x', trtype: 'tcp' }))).toEqual(decodeFailed);
    expect(await rpcError(f.attach({ ctrlr_loss_timeout_sec: '10' }, 'x'))).toEqual(decodeFailed);
    expect(await rpcError(f.attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: -1 }, 'x'))).toEqual(decodeFailed);
    expect(await rpcError(f.a.call('bdev_nvme_get_controllers', { name: 'nope' }))).toEqual({ code: -22, message: 'Controller nope does not exist' });
    expect(await rpcError(f.a.call('bdev_nvme_detach_controller', { name: 'nope' }))).toEqual({ code: -19, message: 'No such device' });
    expect((await f.a.call('bdev_nvme_get_controllers')) as unknown[]).toHaveLength(1);
  });

  it('validates the timeout combinations exactly as spdk_tgt, after the duplicate-path check', async () => {
    await f.exportReplica();
    // The trid is attached as r1: every combination below is masked by -17 first.
    await f.attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 });
    expect(await rpcError(f.attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 15 }, 't1'))).toEqual({
      code: -17,
      message: 'File exists',
    });
    await f.a.call('bdev_nvme_detach_controller', { name: 'r1' });
    const cases: Array<[Record<string, number>, boolean]> = [
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 15 }, false],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 0 }, false],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 20 }, false],
      [{ ctrlr_loss_timeout_sec: 0, reconnect_delay_sec: 2 }, false],
      [{ ctrlr_loss_timeout_sec: 0, fast_io_fail_timeout_sec: 5 }, false],
      [{ ctrlr_loss_timeout_sec: -2, reconnect_delay_sec: 2 }, false],
      [{ ctrlr_loss_timeout_sec: -1, reconnect_delay_sec: 2 }, true],
      [{ ctrlr_loss_timeout_sec: -1, reconnect_delay_sec: 0 }, false],
      [{ ctrlr_loss_timeout_sec: -1, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 }, true],
      [{ ctrlr_loss_timeout_sec: -1, reconnect_delay_sec: 5, fast_io_fail_timeout_sec: 2 }, false],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 1 }, false],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 10 }, true],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 10 }, true],
      [{ reconnect_delay_sec: 2 }, false],
      [{ ctrlr_loss_timeout_sec: 10 }, false],
      [{ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 }, true],
    ];
    for (const [timeouts, ok] of cases) {
      if (ok) {
        expect(await f.attach(timeouts, 't')).toEqual(['tn1']);
        await f.a.call('bdev_nvme_detach_controller', { name: 't' });
      } else {
        expect(await rpcError(f.attach(timeouts, 't')), JSON.stringify(timeouts)).toEqual({ code: -22, message: 'Invalid argument' });
      }
    }
    expect(f.a.memory.used.size).toBe(0);
  });

  it('fails with -19 and leaves nothing when the qpairs do not fit in DMA memory', async () => {
    await f.exportReplica();
    f.a.memory.capacity = 1024;
    expect(await rpcError(f.attach())).toEqual({ code: -19, message: 'No such device' });
    expect(await f.a.call('bdev_nvme_get_controllers')).toEqual([]);
    expect(f.a.bdevs.get('r1n1')).toBeUndefined();
    expect(await f.b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
  });

  it('answers [] when the namespace uuid is already a bdev here (another host NQN, same namespace)', async () => {
    await f.exportReplica();
    await f.attach();
    expect(await f.attach({ hostnqn: 'nqn.2016-06.io.spdk:host-c' }, 'r1c')).toEqual([]);
    expect((await f.ctrlrs('r1c'))[0]).toMatchObject({ state: 'enabled', cntlid: 2 });
  });

  it('lists each path as a bdev_nvme_attach_controller in framework_get_config', async () => {
    await f.exportReplica();
    await f.attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 });
    const entries = f.a.config('bdev');
    expect(entries.map((e) => e.method)).toEqual(['bdev_raid_set_options', 'bdev_nvme_set_options', 'bdev_nvme_attach_controller', 'bdev_nvme_set_hotplug']);
    expect(entries[1]!.params).toMatchObject({ io_queue_requests: 512, ctrlr_loss_timeout_sec: 0 });
    expect(entries[2]!.params).toEqual({
      name: 'r1',
      trtype: 'TCP',
      adrfam: 'IPv4',
      traddr: '127.0.0.1',
      trsvcid: f.port,
      subnqn: NQN,
      prchk_reftag: false,
      prchk_guard: false,
      ctrlr_loss_timeout_sec: 10,
      reconnect_delay_sec: 2,
      fast_io_fail_timeout_sec: 5,
      hostnqn: (await f.ctrlrs())[0]!.host.nqn,
      hdgst: false,
      ddgst: false,
      multipath: 'multipath',
      fabrics_connect_timeout_us: 500000,
      num_io_queues: 127,
      multipath_opts: { policy: 'active_passive' },
    });
  });

  it('refuses set_options once a controller exists, and bad timeouts always', async () => {
    expect(await f.a.call('bdev_nvme_set_options', { keep_alive_timeout_ms: 5000 })).toBe(true);
    expect(await rpcError(f.a.call('bdev_nvme_set_options', { ctrlr_loss_timeout_sec: 10 }))).toEqual({ code: -22, message: 'Invalid argument' });
    await f.exportReplica();
    await f.attach();
    expect(await rpcError(f.a.call('bdev_nvme_set_options', { keep_alive_timeout_ms: 5000 }))).toEqual({
      code: -1,
      message: 'RPC not permitted with nvme controllers already attached',
    });
  });
});

describe('host allow-list and cntlid range (transcript 15)', () => {
  it('refuses a host not on the list in ~15 ms with -5, accepts one that is', async () => {
    await f.exportReplica({ allow_any_host: false });
    await f.b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    const started = Date.now();
    expect(await rpcError(f.attach({ hostnqn: 'nqn.2016-06.io.spdk:host-denied' }, 'hbad'))).toEqual({ code: -5, message: 'Input/output error' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(14);
    expect(took).toBeLessThan(100);
    expect(await rpcError(f.a.call('bdev_nvme_get_controllers', { name: 'hbad' }))).toEqual({ code: -22, message: 'Controller hbad does not exist' });
    expect(await f.attach({ hostnqn: 'nqn.2016-06.io.spdk:host-allowed' }, 'h1')).toEqual(['h1n1']);
  });

  it('drops a removed host at once; its controller reconnects in vain and is deleted at ctrlr-loss', async () => {
    await f.exportReplica({ allow_any_host: false });
    await f.b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    await f.attach({ hostnqn: 'nqn.2016-06.io.spdk:host-allowed', ctrlr_loss_timeout_sec: 2, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 1 }, 'h1');
    const removed = Date.now();
    await f.b.call('nvmf_subsystem_remove_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    await waitFor(async () => (await f.ctrlrs('h1'))[0]?.state === 'reconnect_is_delayed', 500, 'reconnect_is_delayed');
    expect(Date.now() - removed).toBeLessThan(200);
    expect(await f.b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
    await waitFor(async () => (await f.ctrlrs('h1')).length === 0, 4000, 'controller deleted');
    const gone = Date.now() - removed;
    expect(gone).toBeGreaterThan(1900);
    expect(gone).toBeLessThan(2600);
    expect(f.a.bdevs.get('h1n1')).toBeUndefined();
  });

  it('refuses a controller beyond max_cntlid', async () => {
    await f.exportReplica({ allow_any_host: true, min_cntlid: 10, max_cntlid: 12 });
    for (let i = 0; i < 3; i++) await f.attach({ hostnqn: `nqn.2016-06.io.spdk:cnt-host${i}` }, `c3_${i}`);
    expect(await rpcError(f.attach({ hostnqn: 'nqn.2016-06.io.spdk:cnt-host3' }, 'c3_3'))).toEqual({ code: -5, message: 'Input/output error' });
    const cntlids = ((await f.b.call('nvmf_subsystem_get_controllers', { nqn: NQN })) as Array<{ cntlid: number }>).map((c) => c.cntlid);
    expect(cntlids).toEqual([10, 11, 12]);
  });
});

describe('namespaces, ANA and multipath', () => {
  it('removing the namespace removes the host bdev; adding it back brings it back', async () => {
    await f.exportReplica();
    await f.attach();
    await f.b.call('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 1 });
    await waitFor(() => f.a.bdevs.get('r1n1') === undefined, 500, 'bdev removal');
    expect((await f.ctrlrs())[0]!.state).toBe('enabled');
    await f.b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'replica' } });
    await waitFor(() => f.a.bdevs.get('r1n1'), 500, 'bdev back');
  });

  it('shows the listener ANA state as ns_data.ana_state ~50 ms later, and io_paths accessible', async () => {
    await f.exportReplica({ allow_any_host: true, ana_reporting: true });
    await f.attach();
    f.a.bdevs.claim('r1n1', { module: 'nvmf_tgt', holder: 'nqn.2016-06.io.spdk:engine', claimType: 'exclusive_write' });
    const nsData = () => (f.a.bdevs.get('r1n1')!.describe().driver_specific as { nvme: Array<{ ns_data: Record<string, unknown> }> }).nvme[0]!.ns_data;
    expect(nsData()).toEqual({ id: 1, ana_state: 'optimized', can_share: true });
    const set = Date.now();
    await f.b.call('nvmf_subsystem_listener_set_ana_state', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: f.port },
      ana_state: 'inaccessible',
    });
    await waitFor(() => nsData().ana_state === 'inaccessible', 1000, 'ana change');
    expect(Date.now() - set).toBeGreaterThanOrEqual(45);
    const paths = (await f.a.call('bdev_nvme_get_io_paths')) as { poll_groups: Array<{ io_paths: Array<{ accessible: boolean; connected: boolean }> }> };
    expect(paths.poll_groups[0]!.io_paths[0]).toMatchObject({ accessible: false, connected: true });
    await expect(f.a.bdevs.get('r1n1')!.read(0, 1)).rejects.toMatchObject({ errno: -5 });
  });

  it('two listeners, one name: one bdev with two paths that survives losing one', async () => {
    const port2 = String(await freePort());
    await f.exportReplica();
    await f.b.call('nvmf_subsystem_add_listener', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port2 },
    });
    expect(await f.attach({ ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 }, 'h1')).toEqual(['h1n1']);
    expect(await f.attach({ trsvcid: port2, multipath: 'multipath', ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 }, 'h1')).toEqual(['h1n1']);
    expect((await f.ctrlrs('h1')).map((c) => [c.trid.trsvcid, c.cntlid])).toEqual([
      [f.port, 1],
      [port2, 2],
    ]);
    await f.b.call('nvmf_subsystem_remove_listener', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: f.port },
    });
    await waitFor(async () => (await f.ctrlrs('h1'))[0]?.state === 'reconnect_is_delayed', 300, 'first path lost');
    expect((await f.ctrlrs('h1'))[1]!.state).toBe('enabled');
    await f.a.bdevs.get('h1n1')!.write(1, pattern(1, 4));
    expect(f.replica.contents().subarray(4096, 8192)).toEqual(pattern(1, 4));
  });
});
