/**
 * bdev_nvme against an in-process nvmf target over real TCP on 127.0.0.1: attach rules and errors,
 * the reconnect / fast-io-fail / ctrlr-loss timeline (scaled down from transcripts 02, 04, 06),
 * host allow-lists, ANA, multipath and the sim_ fabric faults.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NvmeModule } from '../../../spdk/sim/nvme/index.js';
import { NvmfModule } from '../../../spdk/sim/nvmf/index.js';
import { RaidModule } from '../../../spdk/sim/raid/index.js';
import { FakeTarget, freePort, MemBdev, pattern, rpcError, waitFor } from './fake-target.js';

const NQN = 'nqn.2016-06.io.spdk:replica1';
let a: FakeTarget;
let b: FakeTarget;
let port: string;
let replica: MemBdev;

interface Ctrlr {
  state: string;
  cntlid: number;
  trid: { trsvcid: string };
  host: { nqn: string };
}

async function exportReplica(opts: Record<string, unknown> = { allow_any_host: true }, nqn = NQN, bdev = 'replica'): Promise<void> {
  await b.call('nvmf_create_subsystem', { nqn, ...opts });
  await b.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
  await b.call('nvmf_subsystem_add_listener', {
    nqn,
    listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port },
  });
}

function attach(extra: Record<string, unknown> = {}, name = 'r1'): Promise<unknown> {
  return a.call('bdev_nvme_attach_controller', {
    name,
    trtype: 'tcp',
    traddr: '127.0.0.1',
    adrfam: 'ipv4',
    trsvcid: port,
    subnqn: NQN,
    ...extra,
  });
}

async function ctrlrs(name = 'r1'): Promise<Ctrlr[]> {
  const all = (await a.call('bdev_nvme_get_controllers')) as Array<{ name: string; ctrlrs: Ctrlr[] }>;
  return all.find((c) => c.name === name)?.ctrlrs ?? [];
}

async function raidOperational(): Promise<number> {
  const [raid] = (await a.call('bdev_raid_get_bdevs', { category: 'all' })) as Array<{ num_base_bdevs_operational: number }>;
  return raid!.num_base_bdevs_operational;
}

beforeEach(async () => {
  port = String(await freePort());
  b = new FakeTarget('B').install(new NvmfModule());
  a = new FakeTarget('A').install(new RaidModule(), new NvmeModule());
  replica = new MemBdev('replica', 4096, 4096, 'cdcacb8e-5c46-4736-ae85-9167dea0c111');
  b.bdevs.add(replica);
  await b.call('nvmf_create_transport', { trtype: 'TCP' });
});

afterEach(async () => {
  await a.close();
  await b.close();
});

describe('bdev_nvme_attach_controller', () => {
  it('connects, registers <name>n1 and moves data both ways', async () => {
    await exportReplica({ allow_any_host: true, serial_number: 'SPDKB0001', model_number: 'replica1' });
    const started = Date.now();
    expect(await attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 })).toEqual(['r1n1']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    const [ctrlr] = await ctrlrs();
    expect(ctrlr).toEqual({
      state: 'enabled',
      trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port, subnqn: NQN },
      cntlid: 1,
      host: { nqn: expect.stringMatching(/^nqn\.2014-08\.org\.nvmexpress:uuid:[0-9a-f-]{36}$/), addr: '', svcid: '', no_shn_notification: false },
    });
    const bdev = a.bdevs.get('r1n1')!;
    expect(bdev).toMatchObject({ productName: 'NVMe disk', blockSize: 4096, numBlocks: 4096, uuid: replica.uuid, aliases: [replica.uuid] });
    expect(bdev.describe()).toMatchObject({
      optimal_write_size: 32,
      numa_id: -1,
      driver_specific: {
        nvme: [
          {
            trid: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port, subnqn: NQN },
            ctrlr_data: { cntlid: 1, model_number: 'replica1', serial_number: 'SPDKB0001', firmware_revision: '26.05', ana_reporting: false },
            ns_data: { id: 1, can_share: true },
          },
        ],
        mp_policy: 'active_passive',
      },
    });
    await bdev.write(8, pattern(3, 1));
    expect(replica.contents().subarray(8 * 4096, 11 * 4096)).toEqual(pattern(3, 1));
    await replica.write(100, pattern(1, 2));
    expect(await bdev.read(100, 1)).toEqual(pattern(1, 2));
    const hostnqn = ctrlr!.host.nqn;
    expect(await b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([
      { cntlid: 1, cntrltype: 'io', hostnqn, hostid: hostnqn.split(':uuid:')[1], num_io_qpairs: 1 },
    ]);
    const qpairs = (await b.call('nvmf_subsystem_get_qpairs', { nqn: NQN })) as Array<{ qid: number; peer_address: { trsvcid: string } }>;
    expect(qpairs.map((q) => q.qid)).toEqual([0, 1]);
    expect(qpairs[0]!.peer_address.trsvcid).not.toBe(qpairs[1]!.peer_address.trsvcid);
    expect(a.memory.used.size).toBe(1);
  });

  it('answers the error cases of transcript 08', async () => {
    await exportReplica();
    await attach();
    expect(await rpcError(attach())).toEqual({ code: -114, message: 'A controller named r1 already exists with the specified network path' });
    expect(await rpcError(attach({ subnqn: 'nqn.2016-06.io.spdk:replica1-nope' }))).toEqual({
      code: -114,
      message: 'A controller named r1 already exists with the specified network path',
    });
    expect(await rpcError(attach({}, 'r1dup'))).toEqual({ code: -17, message: 'File exists' });
    expect(await rpcError(attach({ trsvcid: '1' }, 'nolisten'))).toEqual({ code: -5, message: 'Input/output error' });
    expect(await rpcError(attach({ subnqn: 'nqn.2016-06.io.spdk:nope' }, 'badnqn'))).toEqual({ code: -5, message: 'Input/output error' });
    expect(await rpcError(attach({ trtype: 'bogus' }, 'x'))).toEqual({ code: -19, message: 'No such device' });
    const decodeFailed = { code: -32603, message: 'spdk_json_decode_object failed' };
    expect(await rpcError(a.call('bdev_nvme_attach_controller', { name: 'x', trtype: 'tcp' }))).toEqual(decodeFailed);
    expect(await rpcError(attach({ ctrlr_loss_timeout_sec: '10' }, 'x'))).toEqual(decodeFailed);
    expect(await rpcError(attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: -1 }, 'x'))).toEqual(decodeFailed);
    expect(await rpcError(a.call('bdev_nvme_get_controllers', { name: 'nope' }))).toEqual({ code: -22, message: 'Controller nope does not exist' });
    expect(await rpcError(a.call('bdev_nvme_detach_controller', { name: 'nope' }))).toEqual({ code: -19, message: 'No such device' });
    expect((await a.call('bdev_nvme_get_controllers')) as unknown[]).toHaveLength(1);
  });

  it('validates the timeout combinations exactly as spdk_tgt, after the duplicate-path check', async () => {
    await exportReplica();
    // The trid is attached as r1: every combination below is masked by -17 first.
    await attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 });
    expect(await rpcError(attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 15 }, 't1'))).toEqual({
      code: -17,
      message: 'File exists',
    });
    await a.call('bdev_nvme_detach_controller', { name: 'r1' });
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
        expect(await attach(timeouts, 't')).toEqual(['tn1']);
        await a.call('bdev_nvme_detach_controller', { name: 't' });
      } else {
        expect(await rpcError(attach(timeouts, 't')), JSON.stringify(timeouts)).toEqual({ code: -22, message: 'Invalid argument' });
      }
    }
    expect(a.memory.used.size).toBe(0);
  });

  it('fails with -19 and leaves nothing when the qpairs do not fit in DMA memory', async () => {
    await exportReplica();
    a.memory.capacity = 1024;
    expect(await rpcError(attach())).toEqual({ code: -19, message: 'No such device' });
    expect(await a.call('bdev_nvme_get_controllers')).toEqual([]);
    expect(a.bdevs.get('r1n1')).toBeUndefined();
    expect(await b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
  });

  it('answers [] when the namespace uuid is already a bdev here (another host NQN, same namespace)', async () => {
    await exportReplica();
    await attach();
    expect(await attach({ hostnqn: 'nqn.2016-06.io.spdk:host-c' }, 'r1c')).toEqual([]);
    expect((await ctrlrs('r1c'))[0]).toMatchObject({ state: 'enabled', cntlid: 2 });
  });

  it('lists each path as a bdev_nvme_attach_controller in framework_get_config', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 });
    const entries = a.config('bdev');
    expect(entries.map((e) => e.method)).toEqual([
      'bdev_raid_set_options',
      'bdev_nvme_set_options',
      'bdev_nvme_attach_controller',
      'bdev_nvme_set_hotplug',
    ]);
    expect(entries[1]!.params).toMatchObject({ io_queue_requests: 512, ctrlr_loss_timeout_sec: 0 });
    expect(entries[2]!.params).toEqual({
      name: 'r1',
      trtype: 'TCP',
      adrfam: 'IPv4',
      traddr: '127.0.0.1',
      trsvcid: port,
      subnqn: NQN,
      prchk_reftag: false,
      prchk_guard: false,
      ctrlr_loss_timeout_sec: 10,
      reconnect_delay_sec: 2,
      fast_io_fail_timeout_sec: 5,
      hostnqn: (await ctrlrs())[0]!.host.nqn,
      hdgst: false,
      ddgst: false,
      multipath: 'multipath',
      fabrics_connect_timeout_us: 500000,
      num_io_queues: 127,
      multipath_opts: { policy: 'active_passive' },
    });
  });

  it('refuses set_options once a controller exists, and bad timeouts always', async () => {
    expect(await a.call('bdev_nvme_set_options', { keep_alive_timeout_ms: 5000 })).toBe(true);
    expect(await rpcError(a.call('bdev_nvme_set_options', { ctrlr_loss_timeout_sec: 10 }))).toEqual({ code: -22, message: 'Invalid argument' });
    await exportReplica();
    await attach();
    expect(await rpcError(a.call('bdev_nvme_set_options', { keep_alive_timeout_ms: 5000 }))).toEqual({
      code: -1,
      message: 'RPC not permitted with nvme controllers already attached',
    });
  });
});

describe('host allow-list and cntlid range (transcript 15)', () => {
  it('refuses a host not on the list in ~15 ms with -5, accepts one that is', async () => {
    await exportReplica({ allow_any_host: false });
    await b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    const started = Date.now();
    expect(await rpcError(attach({ hostnqn: 'nqn.2016-06.io.spdk:host-denied' }, 'hbad'))).toEqual({ code: -5, message: 'Input/output error' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(14);
    expect(took).toBeLessThan(100);
    expect(await rpcError(a.call('bdev_nvme_get_controllers', { name: 'hbad' }))).toEqual({ code: -22, message: 'Controller hbad does not exist' });
    expect(await attach({ hostnqn: 'nqn.2016-06.io.spdk:host-allowed' }, 'h1')).toEqual(['h1n1']);
  });

  it('drops a removed host at once; its controller reconnects in vain and is deleted at ctrlr-loss', async () => {
    await exportReplica({ allow_any_host: false });
    await b.call('nvmf_subsystem_add_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    await attach({ hostnqn: 'nqn.2016-06.io.spdk:host-allowed', ctrlr_loss_timeout_sec: 2, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 1 }, 'h1');
    const removed = Date.now();
    await b.call('nvmf_subsystem_remove_host', { nqn: NQN, host: 'nqn.2016-06.io.spdk:host-allowed' });
    await waitFor(async () => (await ctrlrs('h1'))[0]?.state === 'reconnect_is_delayed', 500, 'reconnect_is_delayed');
    expect(Date.now() - removed).toBeLessThan(200);
    expect(await b.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
    await waitFor(async () => (await ctrlrs('h1')).length === 0, 4000, 'controller deleted');
    const gone = Date.now() - removed;
    expect(gone).toBeGreaterThan(1900);
    expect(gone).toBeLessThan(2600);
    expect(a.bdevs.get('h1n1')).toBeUndefined();
  });

  it('refuses a controller beyond max_cntlid', async () => {
    await exportReplica({ allow_any_host: true, min_cntlid: 10, max_cntlid: 12 });
    for (let i = 0; i < 3; i++) await attach({ hostnqn: `nqn.2016-06.io.spdk:cnt-host${i}` }, `c3_${i}`);
    expect(await rpcError(attach({ hostnqn: 'nqn.2016-06.io.spdk:cnt-host3' }, 'c3_3'))).toEqual({ code: -5, message: 'Input/output error' });
    const cntlids = ((await b.call('nvmf_subsystem_get_controllers', { nqn: NQN })) as Array<{ cntlid: number }>).map((c) => c.cntlid);
    expect(cntlids).toEqual([10, 11, 12]);
  });
});

describe('replica loss (transcripts 02, 04, 06; timeouts 3/1/2 instead of 10/2/5)', () => {
  async function engine(): Promise<MemBdev> {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 3, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 });
    const local = new MemBdev('local1', 4096);
    a.bdevs.add(local);
    await a.call('bdev_raid_create', { name: 'raid1', raid_level: 'raid1', base_bdevs: ['r1n1', 'local1'] });
    return local;
  }

  it('idle: retries every reconnect_delay, the bdev goes at ctrlr-loss, the controller just after', async () => {
    await engine();
    const lost = Date.now();
    await b.call('nvmf_delete_subsystem', { nqn: NQN });
    await waitFor(async () => (await ctrlrs())[0]?.state === 'reconnect_is_delayed', 300, 'reconnect_is_delayed');
    expect(await raidOperational()).toBe(2);
    await waitFor(() => a.bdevs.get('r1n1') === undefined, 5000, 'bdev removal');
    const bdevGone = Date.now() - lost;
    expect(await raidOperational()).toBe(1);
    await waitFor(async () => (await ctrlrs()).length === 0, 2000, 'controller removal');
    const ctrlrGone = Date.now() - lost;
    expect(bdevGone).toBeGreaterThan(2950);
    expect(bdevGone).toBeLessThan(3500);
    expect(ctrlrGone - bdevGone).toBeLessThan(400);
    const attempts = a.logs.filter((l) => l.event === 'nvme_ctrlr_reset_failed').map((l) => l.fields!.elapsedSec);
    expect(attempts).toEqual([0, 1, 2, 3]);
    const [raid] = (await a.call('bdev_raid_get_bdevs', { category: 'online' })) as Array<{ base_bdevs_list: unknown[] }>;
    expect(raid!.base_bdevs_list[0]).toEqual({
      name: null,
      uuid: '00000000-0000-0000-0000-000000000000',
      is_configured: false,
      data_offset: 0,
      data_size: 4096,
    });
    expect(a.memory.used.size).toBe(0);
  });

  it('under writes: the raid fails the member at the first attempt after fast-io-fail; the write never fails', async () => {
    const local = await engine();
    const raid = a.bdevs.get('raid1')!;
    const lost = Date.now();
    await b.call('nvmf_delete_subsystem', { nqn: NQN });
    await raid.write(0, pattern(2, 7));
    const stalled = Date.now() - lost;
    expect(stalled).toBeGreaterThan(1900);
    expect(stalled).toBeLessThan(2600);
    expect(local.contents().subarray(0, 8192)).toEqual(pattern(2, 7));
    expect(await raidOperational()).toBe(1);
    expect(a.logs.some((l) => l.fields?.message === "Failing base bdev in slot 0 ('r1n1') of raid bdev 'raid1'")).toBe(true);
    // The NVMe bdev stays (unclaimed) until ctrlr-loss; new I/O to it fails at once.
    const nvmeBdev = a.bdevs.get('r1n1')!;
    expect(nvmeBdev.claim).toBeNull();
    await expect(nvmeBdev.read(0, 1)).rejects.toMatchObject({ errno: -5 });
    await waitFor(() => a.bdevs.get('r1n1') === undefined, 3000, 'bdev removal');
  });

  it('a blip shorter than ctrlr-loss ends at the next attempt and leaves the raid untouched', async () => {
    await engine();
    const lost = Date.now();
    await b.call('nvmf_delete_subsystem', { nqn: NQN });
    await new Promise((r) => setTimeout(r, 1500));
    await exportReplica();
    await waitFor(async () => (await ctrlrs())[0]?.state === 'enabled', 3000, 'enabled again');
    const back = Date.now() - lost;
    expect(back).toBeGreaterThan(1900);
    expect(back).toBeLessThan(2500);
    expect((await ctrlrs())[0]!.cntlid).toBe(1);
    expect(await raidOperational()).toBe(2);
    await a.bdevs.get('raid1')!.write(4, pattern(1, 9));
    expect(replica.contents().subarray(4 * 4096, 5 * 4096)).toEqual(pattern(1, 9));
  });
});

describe('fabric faults', () => {
  it('sim_fabric_cut on a controller: it resets and is back at once with a new cntlid', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 3, reconnect_delay_sec: 1 });
    expect(await a.call('sim_fabric_cut', { controller: 'r1' })).toBe(true);
    await waitFor(async () => (await ctrlrs())[0]?.cntlid === 2, 500, 'reconnected');
    expect((await ctrlrs())[0]!.state).toBe('enabled');
    expect(await rpcError(a.call('sim_fabric_cut', { controller: 'nope' }))).toEqual({ code: -19, message: 'No such device' });
  });

  it('sim_fabric_cut on a subsystem drops its hosts, who reconnect', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 3, reconnect_delay_sec: 1 });
    expect(await b.call('sim_fabric_cut', { nqn: NQN })).toBe(true);
    await waitFor(async () => (await ctrlrs())[0]?.cntlid === 2, 500, 'reconnected');
  });

  it('sim_fabric_blackhole stalls I/O without closing; it completes when lifted', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 3, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 });
    const bdev = a.bdevs.get('r1n1')!;
    await b.call('sim_fabric_blackhole', { nqn: NQN, enable: true });
    let done = false;
    const write = bdev.write(0, pattern(1, 3)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect((await ctrlrs())[0]!.state).toBe('enabled');
    await b.call('sim_fabric_blackhole', { nqn: NQN, enable: false });
    await write;
    expect(replica.contents().subarray(0, 4096)).toEqual(pattern(1, 3));
  });

  it('sim_fabric_blackhole on a controller: the host stalls its own traffic until lifted', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 3, reconnect_delay_sec: 1 });
    expect(await a.call('sim_fabric_blackhole', { controller: 'r1', enable: true })).toBe(true);
    let done = false;
    const read = a.bdevs.get('r1n1')!.read(0, 1).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    await a.call('sim_fabric_blackhole', { controller: 'r1', enable: false });
    await read;
    expect(await rpcError(a.call('sim_fabric_blackhole', { controller: 'r1' }))).toEqual({ code: -32602, message: 'Invalid parameters' });
  });

  it('sim_listeners_kill: connections refused until sim_listeners_restore, then back at the next attempt', async () => {
    await exportReplica();
    await attach({ ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1 });
    await b.call('sim_listeners_kill');
    await waitFor(async () => (await ctrlrs())[0]?.state === 'reconnect_is_delayed', 300, 'reconnect_is_delayed');
    await new Promise((r) => setTimeout(r, 1200));
    expect((await ctrlrs())[0]!.state).toBe('reconnect_is_delayed');
    await b.call('sim_listeners_restore');
    await waitFor(async () => (await ctrlrs())[0]?.state === 'enabled', 1500, 'enabled');
  });
});

describe('namespaces, ANA and multipath', () => {
  it('removing the namespace removes the host bdev; adding it back brings it back', async () => {
    await exportReplica();
    await attach();
    await b.call('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 1 });
    await waitFor(() => a.bdevs.get('r1n1') === undefined, 500, 'bdev removal');
    expect((await ctrlrs())[0]!.state).toBe('enabled');
    await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'replica' } });
    await waitFor(() => a.bdevs.get('r1n1'), 500, 'bdev back');
  });

  it('shows the listener ANA state as ns_data.ana_state ~50 ms later, and io_paths accessible', async () => {
    await exportReplica({ allow_any_host: true, ana_reporting: true });
    await attach();
    a.bdevs.claim('r1n1', { module: 'nvmf_tgt', holder: 'nqn.2016-06.io.spdk:engine', claimType: 'exclusive_write' });
    const nsData = () =>
      ((a.bdevs.get('r1n1')!.describe().driver_specific as { nvme: Array<{ ns_data: Record<string, unknown> }> }).nvme[0]!.ns_data);
    expect(nsData()).toEqual({ id: 1, ana_state: 'optimized', can_share: true });
    const set = Date.now();
    await b.call('nvmf_subsystem_listener_set_ana_state', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port },
      ana_state: 'inaccessible',
    });
    await waitFor(() => nsData().ana_state === 'inaccessible', 1000, 'ana change');
    expect(Date.now() - set).toBeGreaterThanOrEqual(45);
    const paths = (await a.call('bdev_nvme_get_io_paths')) as { poll_groups: Array<{ io_paths: Array<{ accessible: boolean; connected: boolean }> }> };
    expect(paths.poll_groups[0]!.io_paths[0]).toMatchObject({ accessible: false, connected: true });
    await expect(a.bdevs.get('r1n1')!.read(0, 1)).rejects.toMatchObject({ errno: -5 });
  });

  it('two listeners, one name: one bdev with two paths that survives losing one', async () => {
    const port2 = String(await freePort());
    await exportReplica();
    await b.call('nvmf_subsystem_add_listener', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port2 },
    });
    expect(await attach({ ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 }, 'h1')).toEqual(['h1n1']);
    expect(await attach({ trsvcid: port2, multipath: 'multipath', ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 }, 'h1')).toEqual(['h1n1']);
    expect((await ctrlrs('h1')).map((c) => [c.trid.trsvcid, c.cntlid])).toEqual([
      [port, 1],
      [port2, 2],
    ]);
    await b.call('nvmf_subsystem_remove_listener', {
      nqn: NQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port },
    });
    await waitFor(async () => (await ctrlrs('h1'))[0]?.state === 'reconnect_is_delayed', 300, 'first path lost');
    expect((await ctrlrs('h1'))[1]!.state).toBe('enabled');
    await a.bdevs.get('h1n1')!.write(1, pattern(1, 4));
    expect(replica.contents().subarray(4096, 8192)).toEqual(pattern(1, 4));
  });
});
