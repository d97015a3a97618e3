/**
 * The modules inside the real simulator process, through its RPC server and poll loop: hazards
 * that depend on requests sharing a 4 ms poll, DMA failures through the core's memory model,
 * framework_get_config entries. Needs the simulator built (`npx tsc -p tsconfig.json`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange, RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

let sim: RunningSim | null = null;
let rpc: SimClient | null = null;

async function start(): Promise<SimClient> {
  sim = await startSim({ name: 'P' });
  rpc = await SimClient.connect(sim.socket);
  return rpc;
}

afterEach(async () => {
  rpc?.close();
  await sim?.stop();
  sim = null;
  rpc = null;
});

const req = (id: number, method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

async function failure(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RpcFailure) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an RPC error');
}

describe('hazards of one poll', () => {
  it('a bdev_raid_create and bdev_raid_delete of one raid in one poll kill the process without an answer', async () => {
    const client = await start();
    await client.call('bdev_malloc_create', { name: 'm0', num_blocks: 1024, block_size: 4096 });
    await client.call('bdev_malloc_create', { name: 'm1', num_blocks: 1024, block_size: 4096 });
    const outcome = await rawExchange(sim!.socket, [req(1, 'bdev_raid_create', { name: 'rx', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] }) + req(2, 'bdev_raid_delete', { name: 'rx' })], {
      quietMs: 1000,
    });
    expect(outcome.text).toBe('');
    expect(outcome.closed).not.toBe(false);
    await new Promise<void>((resolve) => {
      if (sim!.proc.exitCode !== null || sim!.proc.signalCode !== null) resolve();
      else sim!.proc.once('exit', () => resolve());
    });
    expect(sim!.proc.signalCode ?? sim!.proc.exitCode).toMatch(/SIGSEGV|139/);
  });

  it('nvmf_subsystem_add_ns pipelined behind its subsystem create fails -32603 "Internal error"', async () => {
    const client = await start();
    await client.call('bdev_malloc_create', { name: 'm0', num_blocks: 1024, block_size: 4096 });
    const nqn = 'nqn.2016-06.io.spdk:p1';
    const outcome = await rawExchange(sim!.socket, [req(1, 'nvmf_create_subsystem', { nqn, allow_any_host: true }) + req(2, 'nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'm0' } })], {
      responses: 2,
    });
    const answers = outcome.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number });
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: 1, result: true },
      { jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'Internal error' } },
    ]);
    expect(await client.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'm0' } })).toBe(1);
  });
});

describe('DMA memory through the core', () => {
  it('an attach whose qpairs cannot be allocated fails -19 and leaves nothing', async () => {
    const client = await start();
    await client.call('sim_fail_next_allocs', { count: 1 });
    expect(await failure(client.call('bdev_nvme_attach_controller', { name: 'r1', trtype: 'tcp', traddr: '127.0.0.1', adrfam: 'ipv4', trsvcid: '9', subnqn: 'nqn.2016-06.io.spdk:x' }))).toEqual({
      code: -19,
      message: 'No such device',
    });
    expect(await client.call('bdev_nvme_get_controllers')).toEqual([]);
  });

  it('a rebuild whose windows cannot be allocated drops the member with -12', async () => {
    const client = await start();
    for (const name of ['m0', 'm1']) await client.call('bdev_malloc_create', { name, num_blocks: 1024, block_size: 4096 });
    await client.call('bdev_raid_create', { name: 'rr', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    await client.call('bdev_raid_remove_base_bdev', { name: 'm1' });
    await client.call('sim_fail_next_allocs', { count: 1 });
    expect(await failure(client.call('bdev_raid_add_base_bdev', { raid_bdev: 'rr', base_bdev: 'm1' }))).toEqual({
      code: -12,
      message: 'Failed to add base bdev to RAID bdev: Cannot allocate memory',
    });
    const [raid] = await client.call<Array<{ num_base_bdevs_discovered: number }>>('bdev_raid_get_bdevs', { category: 'all' });
    expect(raid!.num_base_bdevs_discovered).toBe(1);
    const [m1] = await client.call<Array<{ claimed: boolean }>>('bdev_get_bdevs', { name: 'm1' });
    expect(m1!.claimed).toBe(false);
  });
});

describe('framework_get_config', () => {
  it('lists bdev_raid_set_options before bdev_nvme_set_options and the raid after its members', async () => {
    const client = await start();
    await client.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 16 });
    for (const name of ['m0', 'm1']) await client.call('bdev_malloc_create', { name, num_blocks: 1024, block_size: 4096 });
    await client.call('bdev_raid_create', { name: 'rr', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    await client.call('bdev_raid_remove_base_bdev', { name: 'm0' });
    const config = await client.call<Array<{ method: string; params?: Record<string, unknown> }>>('framework_get_config', { name: 'bdev' });
    const methods = config.map((e) => e.method);
    expect(methods.indexOf('bdev_raid_set_options')).toBeLessThan(methods.indexOf('bdev_nvme_set_options'));
    expect(config.find((e) => e.method === 'bdev_raid_set_options')!.params).toEqual({
      process_window_size_kb: 1024,
      process_max_bandwidth_mb_sec: 16,
    });
    expect(config.find((e) => e.method === 'bdev_raid_create')!.params).toMatchObject({
      name: 'rr',
      raid_level: 'raid1',
      base_bdevs: ['removed_base_bdev_0', 'm1'],
    });
    expect(config.find((e) => e.method === 'bdev_nvme_set_options')!.params).toMatchObject({ io_queue_requests: 0, keep_alive_timeout_ms: 10000 });
    expect(methods.at(-1)).toBe('bdev_wait_for_examine');
  });
});
