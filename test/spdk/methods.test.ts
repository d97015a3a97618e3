import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CallOptions, SpdkCaller } from '../../src/spdk/call.js';
import { loadContracts } from '../../src/spdk/contracts.js';
import {
  SpdkMethods,
  type Bdev,
  type Lvol,
  type Lvstore,
  type NvmeController,
  type NvmeIoPaths,
  type NvmfController,
  type NvmfListener,
  type NvmfQpair,
  type NvmfSubsystem,
  type NvmfTransport,
  type RaidBdev,
  type Reactors,
  type ShallowCopyStatus,
  type SpdkVersion,
  type ThreadStats,
  type IobufModuleStats,
} from '../../src/spdk/methods/index.js';

interface Call {
  method: string;
  params: unknown;
  options: CallOptions | undefined;
}

/** A caller that records what it was asked and answers with a fixed value. */
function fakeCaller(answer: unknown): { caller: SpdkCaller; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    caller: {
      call<T>(method: string, params?: object, options?: CallOptions): Promise<T> {
        calls.push({ method, params, options });
        return Promise.resolve(answer as T);
      },
    },
  };
}

const contracts = loadContracts();
const lvol = 'lvs/replica-1';
const nqn = 'nqn.2016-06.io.spdk:replica-1';
const listen = { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: '4420' };

type Case = [label: string, invoke: (m: SpdkMethods, o: CallOptions) => Promise<unknown>, method: string, params: object | undefined];

const CASES: Case[] = [
  ['bdev.getBdevs()', (m, o) => m.bdev.getBdevs(undefined, o), 'bdev_get_bdevs', undefined],
  ['bdev.getBdevs(name)', (m, o) => m.bdev.getBdevs({ name: lvol }, o), 'bdev_get_bdevs', { name: lvol }],
  ['bdev.waitForExamine', (m, o) => m.bdev.waitForExamine(o), 'bdev_wait_for_examine', undefined],
  ['bdev.mallocCreate', (m, o) => m.bdev.mallocCreate({ name: 'm0', block_size: 4096, num_blocks: 256 }, o), 'bdev_malloc_create', { name: 'm0', block_size: 4096, num_blocks: 256 }],
  ['bdev.mallocDelete', (m, o) => m.bdev.mallocDelete({ name: 'm0' }, o), 'bdev_malloc_delete', { name: 'm0' }],
  ['bdev.nullCreate', (m, o) => m.bdev.nullCreate({ name: 'n0', block_size: 512, num_blocks: 8 }, o), 'bdev_null_create', { name: 'n0', block_size: 512, num_blocks: 8 }],
  ['bdev.nullDelete', (m, o) => m.bdev.nullDelete({ name: 'n0' }, o), 'bdev_null_delete', { name: 'n0' }],
  ['bdev.aioCreate', (m, o) => m.bdev.aioCreate({ name: 'disk0', filename: '/dev/sdb', block_size: 4096 }, o), 'bdev_aio_create', { name: 'disk0', filename: '/dev/sdb', block_size: 4096 }],
  ['bdev.aioDelete', (m, o) => m.bdev.aioDelete({ name: 'disk0' }, o), 'bdev_aio_delete', { name: 'disk0' }],
  ['bdev.aioRescan', (m, o) => m.bdev.aioRescan({ name: 'disk0' }, o), 'bdev_aio_rescan', { name: 'disk0' }],
  ['bdev.uringCreate', (m, o) => m.bdev.uringCreate({ name: 'disk1', filename: '/dev/sdc' }, o), 'bdev_uring_create', { name: 'disk1', filename: '/dev/sdc' }],
  ['bdev.uringDelete', (m, o) => m.bdev.uringDelete({ name: 'disk1' }, o), 'bdev_uring_delete', { name: 'disk1' }],

  [
    'lvol.createLvstore',
    (m, o) => m.lvol.createLvstore({ bdev_name: 'disk0', lvs_name: 'lvs', cluster_sz: 1048576 }, o),
    'bdev_lvol_create_lvstore',
    { bdev_name: 'disk0', lvs_name: 'lvs', cluster_sz: 1048576 },
  ],
  ['lvol.deleteLvstore', (m, o) => m.lvol.deleteLvstore({ lvs_name: 'lvs' }, o), 'bdev_lvol_delete_lvstore', { lvs_name: 'lvs' }],
  ['lvol.getLvstores()', (m, o) => m.lvol.getLvstores(undefined, o), 'bdev_lvol_get_lvstores', undefined],
  ['lvol.getLvstores(name)', (m, o) => m.lvol.getLvstores({ lvs_name: 'lvs' }, o), 'bdev_lvol_get_lvstores', { lvs_name: 'lvs' }],
  ['lvol.renameLvstore', (m, o) => m.lvol.renameLvstore({ old_name: 'lvs', new_name: 'lvs2' }, o), 'bdev_lvol_rename_lvstore', { old_name: 'lvs', new_name: 'lvs2' }],
  [
    'lvol.create',
    (m, o) => m.lvol.create({ lvs_name: 'lvs', lvol_name: 'replica-1', size_in_mib: 64, thin_provision: true }, o),
    'bdev_lvol_create',
    { lvs_name: 'lvs', lvol_name: 'replica-1', size_in_mib: 64, thin_provision: true },
  ],
  ['lvol.delete', (m, o) => m.lvol.delete({ name: lvol }, o), 'bdev_lvol_delete', { name: lvol }],
  ['lvol.getLvols', (m, o) => m.lvol.getLvols({ lvs_name: 'lvs' }, o), 'bdev_lvol_get_lvols', { lvs_name: 'lvs' }],
  ['lvol.snapshot', (m, o) => m.lvol.snapshot({ lvol_name: lvol, snapshot_name: 'snap-1' }, o), 'bdev_lvol_snapshot', { lvol_name: lvol, snapshot_name: 'snap-1' }],
  ['lvol.clone', (m, o) => m.lvol.clone({ snapshot_name: 'lvs/snap-1', clone_name: 'c1' }, o), 'bdev_lvol_clone', { snapshot_name: 'lvs/snap-1', clone_name: 'c1' }],
  ['lvol.cloneBdev', (m, o) => m.lvol.cloneBdev({ bdev: 'r1n1', lvs_name: 'lvs', clone_name: 'c2' }, o), 'bdev_lvol_clone_bdev', { bdev: 'r1n1', lvs_name: 'lvs', clone_name: 'c2' }],
  ['lvol.setParent', (m, o) => m.lvol.setParent({ lvol_name: lvol, parent_name: 'lvs/snap-1' }, o), 'bdev_lvol_set_parent', { lvol_name: lvol, parent_name: 'lvs/snap-1' }],
  ['lvol.setParentBdev', (m, o) => m.lvol.setParentBdev({ lvol_name: lvol, parent_name: 'r1n1' }, o), 'bdev_lvol_set_parent_bdev', { lvol_name: lvol, parent_name: 'r1n1' }],
  ['lvol.resize', (m, o) => m.lvol.resize({ name: lvol, size_in_mib: 128 }, o), 'bdev_lvol_resize', { name: lvol, size_in_mib: 128 }],
  ['lvol.rename', (m, o) => m.lvol.rename({ old_name: lvol, new_name: 'replica-2' }, o), 'bdev_lvol_rename', { old_name: lvol, new_name: 'replica-2' }],
  ['lvol.inflate', (m, o) => m.lvol.inflate({ name: lvol }, o), 'bdev_lvol_inflate', { name: lvol }],
  ['lvol.decoupleParent', (m, o) => m.lvol.decoupleParent({ name: lvol }, o), 'bdev_lvol_decouple_parent', { name: lvol }],
  ['lvol.setReadOnly', (m, o) => m.lvol.setReadOnly({ name: lvol }, o), 'bdev_lvol_set_read_only', { name: lvol }],
  [
    'lvol.startShallowCopy',
    (m, o) => m.lvol.startShallowCopy({ src_lvol_name: 'lvs/snap-1', dst_bdev_name: 'r2n1' }, o),
    'bdev_lvol_start_shallow_copy',
    { src_lvol_name: 'lvs/snap-1', dst_bdev_name: 'r2n1' },
  ],
  ['lvol.checkShallowCopy', (m, o) => m.lvol.checkShallowCopy(7, o), 'bdev_lvol_check_shallow_copy', { operation_id: 7 }],

  ['raid.create', (m, o) => m.raid.create({ name: 'e1', raid_level: 'raid1', base_bdevs: ['r1n1', lvol] }, o), 'bdev_raid_create', { name: 'e1', raid_level: 'raid1', base_bdevs: ['r1n1', lvol] }],
  ['raid.delete', (m, o) => m.raid.delete({ name: 'e1' }, o), 'bdev_raid_delete', { name: 'e1' }],
  ['raid.getBdevs()', (m, o) => m.raid.getBdevs(undefined, o), 'bdev_raid_get_bdevs', { category: 'all' }],
  ['raid.getBdevs(online)', (m, o) => m.raid.getBdevs('online', o), 'bdev_raid_get_bdevs', { category: 'online' }],
  ['raid.addBaseBdev', (m, o) => m.raid.addBaseBdev({ raid_bdev: 'e1', base_bdev: 'r2n1' }, o), 'bdev_raid_add_base_bdev', { raid_bdev: 'e1', base_bdev: 'r2n1' }],
  ['raid.removeBaseBdev', (m, o) => m.raid.removeBaseBdev({ name: 'r2n1' }, o), 'bdev_raid_remove_base_bdev', { name: 'r2n1' }],
  ['raid.setOptions', (m, o) => m.raid.setOptions({ process_max_bandwidth_mb_sec: 16 }, o), 'bdev_raid_set_options', { process_max_bandwidth_mb_sec: 16 }],

  ['nvmf.createTransport', (m, o) => m.nvmf.createTransport({ trtype: 'TCP' }, o), 'nvmf_create_transport', { trtype: 'TCP' }],
  ['nvmf.getTransports', (m, o) => m.nvmf.getTransports(undefined, o), 'nvmf_get_transports', undefined],
  [
    'nvmf.createSubsystem',
    (m, o) => m.nvmf.createSubsystem({ nqn, allow_any_host: true, serial_number: 'SPDK0001' }, o),
    'nvmf_create_subsystem',
    { nqn, allow_any_host: true, serial_number: 'SPDK0001' },
  ],
  ['nvmf.deleteSubsystem', (m, o) => m.nvmf.deleteSubsystem({ nqn }, o), 'nvmf_delete_subsystem', { nqn }],
  ['nvmf.getSubsystems', (m, o) => m.nvmf.getSubsystems({ nqn }, o), 'nvmf_get_subsystems', { nqn }],
  ['nvmf.addNs', (m, o) => m.nvmf.addNs({ nqn, namespace: { bdev_name: lvol } }, o), 'nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: lvol } }],
  ['nvmf.removeNs', (m, o) => m.nvmf.removeNs({ nqn, nsid: 1 }, o), 'nvmf_subsystem_remove_ns', { nqn, nsid: 1 }],
  ['nvmf.addListener', (m, o) => m.nvmf.addListener({ nqn, listen_address: listen }, o), 'nvmf_subsystem_add_listener', { nqn, listen_address: listen }],
  ['nvmf.removeListener', (m, o) => m.nvmf.removeListener({ nqn, listen_address: listen }, o), 'nvmf_subsystem_remove_listener', { nqn, listen_address: listen }],
  ['nvmf.addHost', (m, o) => m.nvmf.addHost({ nqn, host: 'nqn.2014-08.org.nvmexpress:uuid:1' }, o), 'nvmf_subsystem_add_host', { nqn, host: 'nqn.2014-08.org.nvmexpress:uuid:1' }],
  ['nvmf.removeHost', (m, o) => m.nvmf.removeHost({ nqn, host: 'nqn.2014-08.org.nvmexpress:uuid:1' }, o), 'nvmf_subsystem_remove_host', { nqn, host: 'nqn.2014-08.org.nvmexpress:uuid:1' }],
  ['nvmf.allowAnyHost', (m, o) => m.nvmf.allowAnyHost({ nqn, allow_any_host: false }, o), 'nvmf_subsystem_allow_any_host', { nqn, allow_any_host: false }],
  [
    'nvmf.setListenerAnaState',
    (m, o) => m.nvmf.setListenerAnaState({ nqn, listen_address: listen, ana_state: 'inaccessible' }, o),
    'nvmf_subsystem_listener_set_ana_state',
    { nqn, listen_address: listen, ana_state: 'inaccessible' },
  ],
  ['nvmf.getControllers', (m, o) => m.nvmf.getControllers({ nqn }, o), 'nvmf_subsystem_get_controllers', { nqn }],
  ['nvmf.getListeners', (m, o) => m.nvmf.getListeners({ nqn }, o), 'nvmf_subsystem_get_listeners', { nqn }],
  ['nvmf.getQpairs', (m, o) => m.nvmf.getQpairs({ nqn }, o), 'nvmf_subsystem_get_qpairs', { nqn }],

  [
    'nvme.attachController',
    (m, o) =>
      m.nvme.attachController(
        { name: 'r1', trtype: 'tcp', traddr: '10.0.0.2', adrfam: 'ipv4', trsvcid: '4420', subnqn: nqn, ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 },
        o,
      ),
    'bdev_nvme_attach_controller',
    { name: 'r1', trtype: 'tcp', traddr: '10.0.0.2', adrfam: 'ipv4', trsvcid: '4420', subnqn: nqn, ctrlr_loss_timeout_sec: 10, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 5 },
  ],
  ['nvme.detachController', (m, o) => m.nvme.detachController({ name: 'r1' }, o), 'bdev_nvme_detach_controller', { name: 'r1' }],
  ['nvme.getControllers()', (m, o) => m.nvme.getControllers(undefined, o), 'bdev_nvme_get_controllers', undefined],
  ['nvme.getControllers(name)', (m, o) => m.nvme.getControllers({ name: 'r1' }, o), 'bdev_nvme_get_controllers', { name: 'r1' }],
  ['nvme.setOptions', (m, o) => m.nvme.setOptions({ bdev_retry_count: -1, transport_ack_timeout: 10 }, o), 'bdev_nvme_set_options', { bdev_retry_count: -1, transport_ack_timeout: 10 }],
  ['nvme.getIoPaths', (m, o) => m.nvme.getIoPaths({ name: 'r1n1' }, o), 'bdev_nvme_get_io_paths', { name: 'r1n1' }],

  ['info.getVersion', (m, o) => m.info.getVersion(o), 'spdk_get_version', undefined],
  ['info.getMethods', (m, o) => m.info.getMethods({ current: true }, o), 'rpc_get_methods', { current: true }],
  ['info.getReactors', (m, o) => m.info.getReactors(o), 'framework_get_reactors', undefined],
  ['info.getThreadStats', (m, o) => m.info.getThreadStats(o), 'thread_get_stats', undefined],
  ['info.dumpMemStats', (m, o) => m.info.dumpMemStats(o), 'env_dpdk_get_mem_stats', undefined],
  ['info.getIobufStats', (m, o) => m.info.getIobufStats(o), 'iobuf_get_stats', undefined],
];

describe('SpdkMethods', () => {
  it.each(CASES)('%s sends its method with exactly its params and options, and returns the answer', async (_, invoke, method, params) => {
    const answer = { answered: method };
    const { caller, calls } = fakeCaller(answer);
    const options: CallOptions = { deadlineMs: 1234, signal: new AbortController().signal };
    await expect(invoke(new SpdkMethods(caller), options)).resolves.toBe(answer);
    expect(calls).toEqual([{ method, params, options }]);
    expect(calls[0]!.options).toBe(options);
  });

  it.each(CASES)('%s sends params its contract accepts', async (_, invoke, method) => {
    const { caller, calls } = fakeCaller(undefined);
    await invoke(new SpdkMethods(caller), {});
    expect(contracts.get(method)?.validateParams(calls[0]!.params)).toBeUndefined();
  });

  it('sends no options when given none', async () => {
    const { caller, calls } = fakeCaller(true);
    await new SpdkMethods(caller).raid.delete({ name: 'e1' });
    expect(calls).toEqual([{ method: 'bdev_raid_delete', params: { name: 'e1' }, options: undefined }]);
  });

  it('passes spdk_tgt errors through untouched', async () => {
    const failure = new Error('raid bdev e1 not found');
    const caller: SpdkCaller = { call: () => Promise.reject(failure) };
    await expect(new SpdkMethods(caller).raid.delete({ name: 'e1' })).rejects.toBe(failure);
  });

  it('types each result as spdk_tgt returns it', () => {
    const m = new SpdkMethods(fakeCaller(undefined).caller);
    expectTypeOf(m.bdev.getBdevs).returns.resolves.toEqualTypeOf<Bdev[]>();
    expectTypeOf(m.bdev.waitForExamine).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf(m.bdev.mallocCreate).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(m.bdev.aioCreate).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(m.lvol.createLvstore).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(m.lvol.getLvstores).returns.resolves.toEqualTypeOf<Lvstore[]>();
    expectTypeOf(m.lvol.create).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(m.lvol.getLvols).returns.resolves.toEqualTypeOf<Lvol[]>();
    expectTypeOf(m.lvol.snapshot).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(m.lvol.startShallowCopy).returns.resolves.toEqualTypeOf<{ operation_id: number }>();
    expectTypeOf(m.lvol.checkShallowCopy).returns.resolves.toEqualTypeOf<ShallowCopyStatus>();
    expectTypeOf(m.raid.create).returns.resolves.toEqualTypeOf<boolean>();
    expectTypeOf(m.raid.getBdevs).returns.resolves.toEqualTypeOf<RaidBdev[]>();
    expectTypeOf(m.nvmf.getTransports).returns.resolves.toEqualTypeOf<NvmfTransport[]>();
    expectTypeOf(m.nvmf.getSubsystems).returns.resolves.toEqualTypeOf<NvmfSubsystem[]>();
    expectTypeOf(m.nvmf.addNs).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(m.nvmf.getControllers).returns.resolves.toEqualTypeOf<NvmfController[]>();
    expectTypeOf(m.nvmf.getListeners).returns.resolves.toEqualTypeOf<NvmfListener[]>();
    expectTypeOf(m.nvmf.getQpairs).returns.resolves.toEqualTypeOf<NvmfQpair[]>();
    expectTypeOf(m.nvme.attachController).returns.resolves.toEqualTypeOf<string[]>();
    expectTypeOf(m.nvme.getControllers).returns.resolves.toEqualTypeOf<NvmeController[]>();
    expectTypeOf(m.nvme.getIoPaths).returns.resolves.toEqualTypeOf<NvmeIoPaths>();
    expectTypeOf(m.info.getVersion).returns.resolves.toEqualTypeOf<SpdkVersion>();
    expectTypeOf(m.info.getMethods).returns.resolves.toEqualTypeOf<string[]>();
    expectTypeOf(m.info.getReactors).returns.resolves.toEqualTypeOf<Reactors>();
    expectTypeOf(m.info.getThreadStats).returns.resolves.toEqualTypeOf<ThreadStats>();
    expectTypeOf(m.info.dumpMemStats).returns.resolves.toEqualTypeOf<{ filename: string }>();
    expectTypeOf(m.info.getIobufStats).returns.resolves.toEqualTypeOf<IobufModuleStats[]>();
  });

  it('hands a recorded raid back with its empty slot and rebuild as typed fields', async () => {
    const recorded = [
      {
        name: 'raid1',
        uuid: '4d543f5a-6104-4e90-898e-d0f193ff7dbb',
        strip_size_kb: 0,
        state: 'online',
        raid_level: 'raid1',
        superblock: false,
        num_base_bdevs: 2,
        num_base_bdevs_discovered: 2,
        num_base_bdevs_operational: 2,
        process: { type: 'rebuild', target: 'r2n1', progress: { blocks: 512, percent: 3 } },
        base_bdevs_list: [
          { name: null, uuid: '00000000-0000-0000-0000-000000000000', is_configured: false, data_offset: 0, data_size: 16384 },
          { name: 'lvsA/local1', uuid: '820169a5-20d9-42d8-a733-022abd5a4448', is_configured: true, data_offset: 0, data_size: 16384 },
        ],
      },
    ];
    expect(contracts.get('bdev_raid_get_bdevs')?.validateResult(recorded)).toBeUndefined();
    const [raid] = await new SpdkMethods(fakeCaller(recorded).caller).raid.getBdevs();
    expect(raid?.process?.progress.percent).toBe(3);
    expect(raid?.base_bdevs_list.filter((slot) => slot.name === null)).toHaveLength(1);
    expectTypeOf(raid!.base_bdevs_list[0]!.name).toEqualTypeOf<string | null>();
  });
});
