/**
 * The DMA heap: malloc bdevs need a free 2 MiB-aligned run (fragmentation decides, transcript 14),
 * the budget modes behave like spdk_tgt's (legacy and --no-huge are hard caps, the default heap
 * grows from the hugepage pool), env_dpdk_get_mem_stats writes the dump, and the sim_ knobs work.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { freePort } from '../modules/fake-target.js';

const ENOMEM = { code: -12, message: 'Cannot allocate memory' };
let running: RunningSim[] = [];

async function sim(args: string[]): Promise<{ sim: RunningSim; c: SimClient }> {
  const s = await startSim({ name: 'M', args });
  running.push(s);
  return { sim: s, c: await SimClient.connect(s.socket) };
}

afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

/** Creates malloc bdevs of `blocks` 4 KiB blocks until one fails; returns how many succeeded. */
async function fill(c: SimClient, prefix: string, blocks: number): Promise<number> {
  for (let i = 0; ; i++) {
    const r = await c.request('bdev_malloc_create', { name: `${prefix}${i}`, num_blocks: blocks, block_size: 4096 });
    if (r.error) {
      expect(r.error).toEqual(ENOMEM);
      return i;
    }
  }
}

function heapStats(dump: string): Record<string, number> {
  const block = dump.slice(dump.indexOf('Heap id:0'), dump.indexOf('Heap id:1'));
  return Object.fromEntries([...block.matchAll(/\t(\w+):(\d+),/g)].map((m) => [m[1]!, Number(m[2])]));
}

describe('a legacy 1024 MiB heap (spdk_tgt -s 1024 --env-context=--legacy-mem)', () => {
  it('fails malloc bdevs by fragmentation exactly where spdk_tgt did', async () => {
    const { c } = await sim(['--mem-mib', '1024']);
    await c.call('nvmf_create_transport', { trtype: 'TCP' }).catch(() => undefined);
    expect(await fill(c, 'm16_', 4096)).toBe(1);
    expect(await fill(c, 'm8_', 2048)).toBe(0);
    expect(await fill(c, 'm4_', 1024)).toBe(14);
    expect(await fill(c, 'm2_', 512)).toBe(12);
    expect(await fill(c, 'm1_', 256)).toBe(5);
    expect(await fill(c, 'm64k_', 16)).toBe(5);
    // Plenty is free in small pieces: a 4 KiB lvstore metadata write does not need DMA, a 512-byte malloc does.
    expect((await c.request('bdev_malloc_create', { name: 'one', num_blocks: 1, block_size: 512 })).error).toEqual(ENOMEM);
    await c.call('bdev_malloc_delete', { name: 'm16_0' });
    await c.call('bdev_malloc_create', { name: 'again', num_blocks: 4096, block_size: 4096 });
    expect((await c.request('bdev_malloc_create', { name: 'again2', num_blocks: 4096, block_size: 4096 })).error).toEqual(ENOMEM);
  });
});

describe('a --no-huge heap', () => {
  it('does not start below what start-up needs, and is one contiguous block above it', async () => {
    await expect(startSim({ name: 'small', args: ['--mem-mib', '800', '--no-huge'] })).rejects.toThrow(/exited/);
    const { c } = await sim(['--mem-mib', '1024', '--no-huge']);
    // Transcript 14 phase 5: two 16 MiB members, then seven 16 MiB fills, then -12.
    expect(await fill(c, 'n16_', 4096)).toBe(9);
  });
});

describe('NVMe/TCP attaches at heap exhaustion (transcript 14, phase 2: --no-huge -s 852)', () => {
  it('fit 56 controllers, fail the next with -19 leaving nothing behind, and fit it once one is detached', async () => {
    const { c: a } = await sim(['--mem-mib', '852', '--no-huge']);
    const { c: b } = await sim([]);
    await a.call('nvmf_create_transport', { trtype: 'TCP' });
    await a.call('bdev_malloc_create', { name: 'keep1', num_blocks: 256, block_size: 4096 });
    await b.call('nvmf_create_transport', { trtype: 'TCP' });
    const port = String(await freePort());
    const exportOne = async (n: number): Promise<string> => {
      const nqn = `nqn.2016-06.io.spdk:mem-r${n}`;
      await b.call('bdev_null_create', { name: `rnull${n}`, num_blocks: 8192, block_size: 512 });
      await b.call('nvmf_create_subsystem', { nqn, allow_any_host: true });
      await b.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: `rnull${n}` } });
      await b.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port } });
      return nqn;
    };
    const attach = (name: string, subnqn: string, extra: object = {}) =>
      a.request('bdev_nvme_attach_controller', { name, trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port, subnqn, ...extra });
    // As recorded: cx0, a second controller to its subsystem under another host NQN, detached again.
    const first = await exportOne(0);
    expect((await attach('cx0', first)).result).toEqual(['cx0n1']);
    expect((await attach('cx0c', first, { hostnqn: 'nqn.2016-06.io.spdk:host-c' })).result).toEqual([]);
    await a.call('bdev_nvme_detach_controller', { name: 'cx0c' });
    let n = 1;
    let failed: { code: number; message: string } | undefined;
    for (; n < 80 && failed === undefined; n++) {
      const r = await attach(`cx${n}`, await exportOne(n));
      failed = r.error;
    }
    const last = n - 1;
    expect({ attached: last, failed }).toEqual({ attached: 56, failed: { code: -19, message: 'No such device' } });
    expect((await a.request('bdev_nvme_get_controllers', { name: `cx${last}` })).error).toEqual({ code: -22, message: `Controller cx${last} does not exist` });
    await a.call('bdev_nvme_detach_controller', { name: 'cx1' });
    expect((await attach(`cx${last}`, `nqn.2016-06.io.spdk:mem-r${last}`)).result).toEqual([`cx${last}n1`]);
  }, 120_000);
});

describe('the default (dynamic) heap', () => {
  it('grows by mapping hugepages while the pool has them', async () => {
    const { c } = await sim([]);
    await c.call('sim_set_memory', { hugepages_free: 40 });
    expect(await fill(c, 'd16_', 4096)).toBe(4);
    expect((await c.request('bdev_malloc_create', { name: 'd8', num_blocks: 2048, block_size: 4096 })).error).toEqual(ENOMEM);
    await c.call('bdev_malloc_create', { name: 'd2', num_blocks: 512, block_size: 4096 });
    // 40 - 4 x 9 pages - 2 for d2 = 2 free; deleting a 16 MiB malloc gives its 9 pages back.
    await c.call('bdev_malloc_delete', { name: 'd16_0' });
    const after = await c.call<{ hugepages_free: number }>('sim_set_memory', {});
    expect(after.hugepages_free).toBe(11);
    await c.call('bdev_malloc_create', { name: 'd16_again', num_blocks: 4096, block_size: 4096 });
  });

  it('takes DMA memory away on demand (sim_set_memory consume_mib), and gives it back', async () => {
    const { c } = await sim(['--mem-mib', '1024', '--no-huge']);
    const before = await c.call<{ free_size: number }>('sim_set_memory', {});
    const during = await c.call<{ free_size: number }>('sim_set_memory', { consume_mib: 100 });
    expect(before.free_size - during.free_size).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    expect(await fill(c, 'p16_', 4096)).toBe(4);
    await expect(c.call('sim_set_memory', { consume_mib: 4096 })).rejects.toEqual(new RpcFailure(-12, 'Cannot allocate memory'));
    const after = await c.call<{ free_size: number }>('sim_set_memory', { consume_mib: 0 });
    expect(after.free_size).toBeGreaterThan(during.free_size);
  });

  it('fails the next allocations on demand (sim_fail_next_allocs)', async () => {
    const { c } = await sim([]);
    await c.call('sim_fail_next_allocs', { count: 1 });
    expect((await c.request('bdev_malloc_create', { name: 'x', num_blocks: 16, block_size: 4096 })).error).toEqual(ENOMEM);
    expect(await c.call('bdev_malloc_create', { name: 'x', num_blocks: 16, block_size: 4096 })).toBe('x');
  });
});

describe('memory reports', () => {
  it("env_dpdk_get_mem_stats writes spdk_tgt's dump, whose heap figures follow the allocations", async () => {
    const { c } = await sim(['--mem-mib', '1024']);
    const { filename } = await c.call<{ filename: string }>('env_dpdk_get_mem_stats');
    const before = readFileSync(filename, 'utf8');
    for (const section of ['DPDK memory size', 'DPDK memory layout', 'DPDK memzones.', 'DPDK mempools.', 'DPDK malloc stats.', 'DPDK malloc heaps.']) {
      expect(before).toContain(section);
    }
    expect(heapStats(before)).toMatchObject({ Heap_size: 1073741824, Greatest_free_size: 18874368 });
    await c.call('bdev_malloc_create', { name: 'm', num_blocks: 4096, block_size: 4096 });
    await c.call('env_dpdk_get_mem_stats');
    const after = heapStats(readFileSync(filename, 'utf8'));
    expect(heapStats(before).Free_size! - after.Free_size!).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(after.Greatest_free_size).toBe(8 * 1024 * 1024);
    expect(after.Alloc_count).toBe(heapStats(before).Alloc_count! + 1);
  });

  it('iobuf_get_stats lists the iobuf users with their caches', async () => {
    const { c } = await sim([]);
    const stats = await c.call<Array<{ module: string; small_pool: Record<string, number> }>>('iobuf_get_stats');
    expect(stats.map((s) => s.module)).toEqual(['accel', 'bdev']);
    expect(Object.keys(stats[0]!.small_pool)).toEqual(['cache', 'main', 'retry', 'cache_size']);
  });

  it('refuses params sim_set_memory does not know', async () => {
    const { c } = await sim([]);
    await expect(c.call('sim_set_memory', { heap_mib: 1 })).rejects.toEqual(new RpcFailure(-32603, 'spdk_json_decode_object failed'));
  });
});
