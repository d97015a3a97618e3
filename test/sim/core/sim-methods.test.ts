/**
 * The simulator's own methods (never in spdk_tgt) and the simulator marker in spdk_get_version.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

let sim: RunningSim;
let c: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'S' });
  c = await SimClient.connect(sim.socket);
  await c.call('bdev_malloc_create', { name: 'm', num_blocks: 256, block_size: 4096 });
});

afterAll(async () => {
  c.close();
  await sim.stop();
});

describe('sim_ methods', () => {
  it('spdk_get_version says it is the simulator, beside the version it imitates', async () => {
    expect(await c.call('spdk_get_version')).toEqual({
      version: 'SPDK v26.05',
      fields: { major: 26, minor: 5, patch: 0, suffix: '' },
      simulator: { name: 'spdk-conductor-sim', version: '0.1.0' },
    });
  });

  it('writes, reads and checksums blocks', async () => {
    const data = randomBytes(8192);
    await c.call('sim_bdev_write', { name: 'm', offset_blocks: 10, data_base64: data.toString('base64') });
    const r = await c.call<{ data_base64: string }>('sim_bdev_read', { name: 'm', offset_blocks: 10, num_blocks: 2 });
    expect(Buffer.from(r.data_base64, 'base64').equals(data)).toBe(true);
    const sum = await c.call('sim_bdev_checksum', { name: 'm', offset_blocks: 10, num_blocks: 2 });
    expect(sum).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), offset_blocks: 10, num_blocks: 2 });
    const whole = await c.call<{ num_blocks: number }>('sim_bdev_checksum', { name: 'm' });
    expect(whole.num_blocks).toBe(256);
    await expect(c.call('sim_bdev_read', { name: 'nope', offset_blocks: 0, num_blocks: 1 })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(c.call('sim_bdev_read', { name: 'm', offset_blocks: 255, num_blocks: 2 })).rejects.toMatchObject({ code: -22 });
  });

  it('makes a bdev fail I/O, and everything built on it', async () => {
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'm', lvs_name: 'l', cluster_sz: 65536 });
    await c.call('bdev_lvol_create', { lvs_name: 'l', lvol_name: 'v', size_in_mib: 1, thin_provision: true });
    await c.call('sim_bdev_fail_io', { name: 'm', enable: true });
    await expect(c.call('sim_bdev_read', { name: 'm', offset_blocks: 0, num_blocks: 1 })).rejects.toEqual(new RpcFailure(-5, 'Input/output error'));
    await expect(c.call('sim_bdev_write', { name: 'l/v', offset_blocks: 0, data_base64: randomBytes(4096).toString('base64') })).rejects.toEqual(new RpcFailure(-5, 'Input/output error'));
    await c.call('sim_bdev_fail_io', { name: 'm', enable: false });
    await c.call('sim_bdev_write', { name: 'l/v', offset_blocks: 0, data_base64: randomBytes(4096).toString('base64') });
  });

  it('delays the answers of one method, or of all', async () => {
    await c.call('sim_rpc_delay', { method: 'spdk_get_version', ms: 150 });
    let t = performance.now();
    await c.call('spdk_get_version');
    expect(performance.now() - t).toBeGreaterThanOrEqual(150);
    t = performance.now();
    await c.call('bdev_get_bdevs', { name: 'm' });
    expect(performance.now() - t).toBeLessThan(100);
    await c.call('sim_rpc_delay', { method: 'spdk_get_version', ms: 0 });
    t = performance.now();
    await c.call('spdk_get_version');
    expect(performance.now() - t).toBeLessThan(100);
  });

  it('times the previous request on the connection: arrival to answer written, CPU meanwhile, polls waited', async () => {
    const fresh = await SimClient.connect(sim.socket);
    try {
      expect(await fresh.call('sim_request_time')).toBeNull();
      await fresh.call('spdk_get_version');
      const quick = await fresh.call<{ method: string; wall_ms: number; cpu_ms: number; polls: number }>('sim_request_time');
      // Handled at the first poll after it arrived, written at the next.
      expect(quick).toMatchObject({ method: 'spdk_get_version', polls: 2 });
      expect(quick.cpu_ms).toBeGreaterThanOrEqual(0);
      expect(quick.wall_ms).toBeGreaterThan(0);
      // Its own time only: the sim_request_time asked just now is the previous one for the next ask.
      expect(await fresh.call('sim_request_time')).toMatchObject({ method: 'sim_request_time' });
      await fresh.call('sim_rpc_delay', { method: 'spdk_get_version', ms: 100 });
      await fresh.call('spdk_get_version');
      const delayed = await fresh.call<{ method: string; wall_ms: number; polls: number }>('sim_request_time');
      expect(delayed.method).toBe('spdk_get_version');
      expect(delayed.wall_ms).toBeGreaterThanOrEqual(100);
      expect(delayed.polls).toBeGreaterThan(2);
    } finally {
      await fresh.call('sim_rpc_delay', { method: 'spdk_get_version', ms: 0 });
      fresh.close();
    }
  });

  it('lists itself in rpc_get_methods with the spdk_tgt methods it simulates', async () => {
    const methods = await c.call<string[]>('rpc_get_methods');
    for (const m of ['spdk_get_version', 'bdev_get_bdevs', 'bdev_lvol_create', 'env_dpdk_get_mem_stats', 'sim_bdev_write', 'sim_set_memory']) {
      expect(methods).toContain(m);
    }
  });
});

describe('bdev_get_bdevs', () => {
  it("lists bdevs in registration order with spdk_tgt's keys", async () => {
    const list = await c.call<Array<Record<string, unknown>>>('bdev_get_bdevs');
    expect(list[0]!['name']).toBe('m');
    expect(Object.keys(list[0]!)).toEqual([
      'name',
      'aliases',
      'product_name',
      'block_size',
      'num_blocks',
      'preferred_write_alignment',
      'preferred_write_granularity',
      'optimal_write_size',
      'preferred_unmap_alignment',
      'preferred_unmap_granularity',
      'uuid',
      'numa_id',
      'assigned_rate_limits',
      'claimed',
      'claim_type',
      'zoned',
      'supported_io_types',
      'driver_specific',
    ]);
    await expect(c.call('bdev_get_bdevs', { name: 'nope' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
  });

  it('waits up to `timeout` ms for a bdev to appear', async () => {
    const waiting = c.call<unknown[]>('bdev_get_bdevs', { name: 'late', timeout: 2000 });
    const other = await SimClient.connect(sim.socket);
    await other.call('bdev_malloc_create', { name: 'late', num_blocks: 16, block_size: 4096 });
    other.close();
    expect((await waiting).length).toBe(1);
  });
});
