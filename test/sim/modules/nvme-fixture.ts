/**
 * A bdev_nvme host (A, with raid) and an nvmf target (B) in one process, talking over real TCP on
 * 127.0.0.1, for the nvme tests. `replica` is B's exported bdev.
 */
import { afterEach, beforeEach } from 'vitest';
import { NvmeModule } from '../../../spdk/sim/nvme/index.js';
import { NvmfModule } from '../../../spdk/sim/nvmf/index.js';
import { RaidModule } from '../../../spdk/sim/raid/index.js';
import { FakeTarget, freePort, MemBdev } from './fake-target.js';

export const NQN = 'nqn.2016-06.io.spdk:replica1';

export interface Ctrlr {
  state: string;
  cntlid: number;
  trid: { trsvcid: string };
  host: { nqn: string };
}

export interface NvmeFixture {
  a: FakeTarget;
  b: FakeTarget;
  port: string;
  replica: MemBdev;
  exportReplica(opts?: Record<string, unknown>, nqn?: string, bdev?: string): Promise<void>;
  attach(extra?: Record<string, unknown>, name?: string): Promise<unknown>;
  ctrlrs(name?: string): Promise<Ctrlr[]>;
  raidOperational(): Promise<number>;
}

/** Registers beforeEach/afterEach that build and tear down a fresh pair; read it inside tests. */
export function nvmeFixture(): NvmeFixture {
  const f = {} as NvmeFixture;
  beforeEach(async () => {
    f.port = String(await freePort());
    f.b = new FakeTarget('B').install(new NvmfModule());
    f.a = new FakeTarget('A').install(new RaidModule(), new NvmeModule());
    f.replica = new MemBdev('replica', 4096, 4096, 'cdcacb8e-5c46-4736-ae85-9167dea0c111');
    f.b.bdevs.add(f.replica);
    await f.b.call('nvmf_create_transport', { trtype: 'TCP' });
  });
  afterEach(async () => {
    await f.a.close();
    await f.b.close();
  });
  f.exportReplica = async (opts = { allow_any_host: true }, nqn = NQN, bdev = 'replica') => {
    await f.b.call('nvmf_create_subsystem', { nqn, ...opts });
    await f.b.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
    await f.b.call('nvmf_subsystem_add_listener', {
      nqn,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: f.port },
    });
  };
  f.attach = (extra = {}, name = 'r1') =>
    f.a.call('bdev_nvme_attach_controller', {
      name,
      trtype: 'tcp',
      traddr: '127.0.0.1',
      adrfam: 'ipv4',
      trsvcid: f.port,
      subnqn: NQN,
      ...extra,
    });
  f.ctrlrs = async (name = 'r1') => {
    const all = (await f.a.call('bdev_nvme_get_controllers')) as Array<{ name: string; ctrlrs: Ctrlr[] }>;
    return all.find((c) => c.name === name)?.ctrlrs ?? [];
  };
  f.raidOperational = async () => {
    const [raid] = (await f.a.call('bdev_raid_get_bdevs', { category: 'all' })) as Array<{ num_base_bdevs_operational: number }>;
    return raid!.num_base_bdevs_operational;
  };
  return f;
}
