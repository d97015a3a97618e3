/**
 * The userspace NVMe/TCP host (src/nvme-tcp/) against the simulator's NVMe/TCP listeners
 * (spdk/sim/nvmf/tcp/, written separately from the same specification and SPDK v26.05 sources):
 * the two implementations check each other; test/real/nvme-tcp-host.test.ts checks the host
 * against the real spdk_tgt. Needs the simulator built (`npm run build`).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { portBlock } from '../helpers/ports.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type RunningSim, startSim } from '../sim/helpers/start-sim.js';
import { writeReadCompare, writesWhenKilled } from './io-checks.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:host-sim';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000051a1';
const MIB = 1024 * 1024;
const BLOCK = 4096;
const VOLUME = 24 * MIB;

describe('NVMe/TCP host against the simulator', () => {
  let sim: RunningSim;
  let rpc: SimClient;
  let port: number;
  const open: NvmeTcpHost[] = [];
  const connect = async (hostnqn = HOSTNQN, queueDepth?: number) => {
    const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn: SUBNQN, hostnqn, timeoutMs: 60_000, queueDepth });
    open.push(host);
    return host;
  };

  beforeAll(async () => {
    port = portBlock();
    sim = await startSim({ name: 'host-sim' });
    rpc = await SimClient.connect(sim.socket);
    await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    // A thin lvol, as a restore writes into
    await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: (VOLUME + 8 * MIB) / BLOCK, block_size: BLOCK });
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'ls', cluster_sz: MIB });
    await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'restore', size_in_mib: VOLUME / MIB, thin_provision: true });
    await rpc.call('nvmf_create_subsystem', { nqn: SUBNQN, allow_any_host: false });
    await rpc.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: HOSTNQN });
    await rpc.call('nvmf_subsystem_add_ns', { nqn: SUBNQN, namespace: { bdev_name: 'ls/restore' } });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: SUBNQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.map((h) => h.close()));
    rpc?.close();
    await sim?.stop();
  });

  it('connects, writes in-capsule, R2T and split writes at queue depth > 1, reads them back and flushes', async () => {
    const host = await connect();
    expect(host.maxTransferBytes).toBe(128 * 1024);
    expect(host.inCapsuleBytes).toBe(4096);
    const ns = await host.namespace();
    expect(ns).toEqual({ nsid: 1, blockBytes: BLOCK, blocks: VOLUME / BLOCK });
    // 16 writes of 512 KiB at once: 64 commands for 32 slots
    await writeReadCompare(host, 1, 8 * MIB, 16, 512 * 1024);
    // Never written: the thin lvol reads zeros
    expect((await host.read(1, 20 * MIB, MIB)).equals(Buffer.alloc(MIB))).toBe(true);
    await host.close();
    await until('the controller gone', async () => (await rpc.call<unknown[]>('nvmf_subsystem_get_controllers', { nqn: SUBNQN })).length === 0, 30_000);
  }, 120_000);

  it('bounds its queue depth by the target (CAP.MQES 127 for max_queue_depth 128), and works with one slot', async () => {
    const deep = await connect(HOSTNQN, 500);
    expect(deep.queueDepth).toBe(127);
    await deep.close();
    const single = await connect(HOSTNQN, 1);
    expect(single.queueDepth).toBe(1);
    const data = crypto.randomBytes(MIB);
    await Promise.all([single.write(1, 0, data.subarray(0, MIB / 2)), single.write(1, MIB / 2, data.subarray(MIB / 2))]);
    expect((await single.read(1, 0, MIB)).equals(data)).toBe(true);
    await single.close();
  }, 60_000);

  it('is refused, with the status decoded, for a host the subsystem does not allow', async () => {
    const error = await conductorRefusal(connect('nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000051ff'));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.message).toMatch(/invalid host \(SCT 1h, SC 84h/);
    expect(error.details).toMatchObject({ sct: 1, sc: 0x84 });
  }, 60_000);

  it('rejects an aborted write at once; its commands still in flight give their slots back when they complete', async () => {
    const host = await connect();
    await host.namespace(1);
    const controller = new AbortController();
    // 128 commands for 32 slots: many round trips, far from done one loop turn later
    const pending = conductorRefusal(host.write(1, 0, crypto.randomBytes(16 * MIB), controller.signal));
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.inFlight).toBeGreaterThan(0);
    controller.abort(new Error('the restore was cancelled'));
    const error = await pending;
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/the restore was cancelled/);
    await until('every slot back', () => host.inFlight === 0, 30_000);
    const data = crypto.randomBytes(MIB);
    await host.write(1, 0, data);
    expect((await host.read(1, 0, MIB)).equals(data)).toBe(true);
    await host.close();
  }, 60_000);

  it('fails writes in flight with UNAVAILABLE when the listeners are killed mid-write, long before their deadline', async () => {
    const host = await connect();
    const error = await writesWhenKilled(host, 1, 16 * MIB, () => rpc.call('sim_listeners_kill'));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/closed by the target|lost: (ECONNRESET|EPIPE)/);
    await host.close();
  }, 120_000);
});
