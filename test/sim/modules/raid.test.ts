import { afterEach, describe, expect, it } from 'vitest';
import { SimRpcError } from '../../../spdk/sim/core/contract.js';
import { RaidModule } from '../../../spdk/sim/raid/index.js';
import { CrashError, FakeTarget, MemBdev, pattern, waitFor } from './fake-target.js';

interface RaidInfo {
  name: string;
  uuid: string;
  state: string;
  num_base_bdevs_discovered: number;
  num_base_bdevs_operational: number;
  process?: { type: string; target: string; progress: { blocks: number; percent: number } };
  base_bdevs_list: Array<{ name: string | null; uuid: string; is_configured: boolean; data_offset: number; data_size: number }>;
}

let target: FakeTarget;

function setup(blocks = 16384): { m0: MemBdev; m1: MemBdev; m2: MemBdev } {
  target = new FakeTarget().install(new RaidModule());
  const m0 = new MemBdev('m0', blocks);
  const m1 = new MemBdev('m1', blocks);
  const m2 = new MemBdev('m2', blocks);
  for (const b of [m0, m1, m2]) target.bdevs.add(b);
  return { m0, m1, m2 };
}

async function raids(category = 'all'): Promise<RaidInfo[]> {
  return (await target.call('bdev_raid_get_bdevs', { category })) as RaidInfo[];
}

async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SimRpcError);
  const { code, message } = err as SimRpcError;
  return { code, message };
}

afterEach(async () => {
  await target?.close();
});

describe('bdev_raid_create', () => {
  it('builds an online raid1 that registers a Raid Volume and claims its members', async () => {
    const { m0, m1 } = setup();
    expect(await target.call('bdev_raid_create', { name: 'raid1', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] })).toBe(true);
    const [raid] = await raids();
    expect(raid).toMatchObject({
      name: 'raid1',
      strip_size_kb: 0,
      state: 'online',
      raid_level: 'raid1',
      superblock: false,
      num_base_bdevs: 2,
      num_base_bdevs_discovered: 2,
      num_base_bdevs_operational: 2,
      base_bdevs_list: [
        { name: 'm0', uuid: m0.uuid, is_configured: true, data_offset: 0, data_size: 16384 },
        { name: 'm1', uuid: m1.uuid, is_configured: true, data_offset: 0, data_size: 16384 },
      ],
    });
    expect(raid!.process).toBeUndefined();
    const volume = target.bdevs.get('raid1')!;
    expect(volume.productName).toBe('Raid Volume');
    expect(volume.aliases).toEqual([raid!.uuid]);
    expect(volume.numBlocks).toBe(16384);
    expect(m0.claim).toEqual({ module: 'raid', holder: 'raid1', claimType: 'exclusive_write' });
    expect(volume.describe()).toMatchObject({ driver_specific: { raid: { uuid: raid!.uuid, state: 'online' } } });
  });

  it('sits in configuring with a missing member and comes online when it appears', async () => {
    setup();
    expect(await target.call('bdev_raid_create', { name: 'rmissing', raid_level: 'raid1', base_bdevs: ['late', 'm1'] })).toBe(true);
    expect(await raids('configuring')).toMatchObject([
      {
        name: 'rmissing',
        uuid: '00000000-0000-0000-0000-000000000000',
        state: 'configuring',
        num_base_bdevs_discovered: 1,
        num_base_bdevs_operational: 2,
        base_bdevs_list: [
          { name: 'late', uuid: '00000000-0000-0000-0000-000000000000', is_configured: false, data_size: 0 },
          { name: 'm1', is_configured: true, data_size: 16384 },
        ],
      },
    ]);
    expect(target.bdevs.get('rmissing')).toBeUndefined();
    target.bdevs.add(new MemBdev('late', 16384));
    // Examine reads the new bdev's start (for a superblock) before the raid takes it.
    await waitFor(async () => (await raids('online')).length === 1, 5000, 'the raid online');
    expect(target.bdevs.get('rmissing')?.productName).toBe('Raid Volume');
  });

  it('answers the error cases of transcript 08 exactly', async () => {
    setup();
    await target.call('bdev_raid_create', { name: 'raid1', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    expect(await rpcError(target.call('bdev_raid_create', { name: 'raid1', raid_level: 'raid1', base_bdevs: ['m2'] }))).toEqual({
      code: -17,
      message: 'Failed to create RAID bdev raid1: File exists',
    });
    expect(await rpcError(target.call('bdev_raid_create', { name: 'rone', raid_level: 'raid1', base_bdevs: ['m2'] }))).toEqual({
      code: -22,
      message: 'Failed to create RAID bdev rone: Invalid argument',
    });
    expect(await rpcError(target.call('bdev_raid_create', { name: 'r0', raid_level: 'raid0', base_bdevs: ['m2'] }))).toEqual({
      code: -22,
      message: 'Failed to create RAID bdev r0: Invalid argument',
    });
    expect(await rpcError(target.call('bdev_raid_create', { name: 'rclaimed', raid_level: 'raid1', base_bdevs: ['m0', 'm2'] }))).toEqual({
      code: -1,
      message: 'Failed to create RAID bdev rclaimed: Operation not permitted',
    });
    expect((await raids()).map((r) => r.name)).toEqual(['raid1']);
    expect(target.bdevs.get('m2')!.claim).toBeNull();
    const decodeFail = { code: -32700, message: 'spdk_json_decode_object failed' };
    expect(await rpcError(target.call('bdev_raid_create', { name: 'rx', raid_level: 'raid1', base_bdevs: 'm2' }))).toEqual(decodeFail);
    expect(await rpcError(target.call('bdev_raid_create', { name: 'rx', raid_level: 'raid7', base_bdevs: ['m2'] }))).toEqual(decodeFail);
    expect(await rpcError(target.call('bdev_raid_get_bdevs', { category: 'bogus' }))).toEqual(decodeFail);
    expect(await rpcError(target.call('bdev_raid_delete', { name: 'nope' }))).toEqual({ code: -19, message: 'raid bdev nope not found' });
    expect(await rpcError(target.call('bdev_raid_remove_base_bdev', { name: 'nope' }))).toEqual({
      code: -19,
      message: 'Failed to remove base bdev from raid bdev',
    });
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'nope', base_bdev: 'm2' }))).toEqual({
      code: -19,
      message: 'raid bdev nope is not found in config',
    });
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'raid1', base_bdev: 'm2' }))).toEqual({
      code: -22,
      message: 'Failed to add base bdev m2 to RAID bdev raid1: Invalid argument',
    });
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'raid1' }))).toEqual({
      code: -32603,
      message: 'spdk_json_decode_object failed',
    });
    expect(await rpcError(target.call('bdev_raid_set_options', { process_window_size_kb: 0 }))).toEqual({
      code: -22,
      message: 'Invalid argument',
    });
  });

  it('puts the data of a superblock raid 1 MiB into each member (transcript 13)', async () => {
    const { m0 } = setup(8192);
    await target.call('bdev_raid_create', { name: 'raidsb', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    const [raid] = await raids();
    expect(raid).toMatchObject({ superblock: true, state: 'online' });
    expect(raid!.uuid).not.toBe('00000000-0000-0000-0000-000000000000');
    expect(raid!.base_bdevs_list[0]).toMatchObject({ data_offset: 256, data_size: 7936 });
    const volume = target.bdevs.get('raidsb')!;
    expect(volume.numBlocks).toBe(7936);
    await volume.write(0, pattern(1, 7));
    expect(m0.contents().subarray(256 * 4096, 257 * 4096)).toEqual(pattern(1, 7));
  });
});

describe('raid1 I/O', () => {
  it('writes to every member and reads back', async () => {
    const { m0, m1 } = setup();
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    const volume = target.bdevs.get('r')!;
    await volume.write(10, pattern(4, 1));
    expect(await volume.read(10, 4)).toEqual(pattern(4, 1));
    expect(m0.contents().subarray(10 * 4096, 14 * 4096)).toEqual(pattern(4, 1));
    expect(m1.contents().subarray(10 * 4096, 14 * 4096)).toEqual(pattern(4, 1));
  });

  it('fails a member whose write fails, completes the write on the other and stays online', async () => {
    const { m0, m1 } = setup();
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    m0.failWrites = true;
    await target.bdevs.get('r')!.write(0, pattern(1, 2));
    expect(m1.contents().subarray(0, 4096)).toEqual(pattern(1, 2));
    const [raid] = await raids();
    expect(raid).toMatchObject({ state: 'online', num_base_bdevs_discovered: 1, num_base_bdevs_operational: 1 });
    expect(raid!.base_bdevs_list[0]).toEqual({
      name: null,
      uuid: '00000000-0000-0000-0000-000000000000',
      is_configured: false,
      data_offset: 0,
      data_size: 16384,
    });
    expect(m0.claim).toBeNull();
    expect(target.logs.map((l) => l.fields?.message)).toContain("Failing base bdev in slot 0 ('m0') of raid bdev 'r'");
  });

  it('serves a read from the other member when one fails and fails it out only if rewriting fails too', async () => {
    const { m0, m1 } = setup();
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    const volume = target.bdevs.get('r')!;
    await volume.write(0, pattern(2, 3));
    m0.failReads = true;
    m1.failReads = true;
    await expect(volume.read(0, 2)).rejects.toMatchObject({ errno: -5 });
    m1.failReads = false;
    m0.failWrites = true;
    expect(await volume.read(0, 2)).toEqual(pattern(2, 3));
    expect((await raids())[0]!.num_base_bdevs_operational).toBe(1);
  });

  it('drops a member that leaves the registry (hot-remove) and stays online', async () => {
    setup();
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    target.bdevs.remove('m0', 'hot-remove');
    expect((await raids('online'))[0]).toMatchObject({ num_base_bdevs_discovered: 1, num_base_bdevs_operational: 1 });
    target.bdevs.remove('m1', 'hot-remove');
    expect(await raids()).toEqual([]);
    expect(target.bdevs.get('r')).toBeUndefined();
  });
});

describe('rebuild', () => {
  it('copies window by window at process_max_bandwidth_mb_sec and drops the process key when done', async () => {
    const { m0, m2 } = setup(4096);
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    const volume = target.bdevs.get('r')!;
    for (let lba = 0; lba < 4096; lba += 512) await volume.write(lba, pattern(512, lba));
    expect(await target.call('bdev_raid_remove_base_bdev', { name: 'm1' })).toBe(true);
    await target.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 16 });
    const started = Date.now();
    expect(await target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'm2' })).toBe(true);
    const first = (await raids())[0]!;
    // Read right after the add: at most a few windows in (how many depends on the machine's load),
    // in whole 1 MiB windows, with the integer percent of them.
    const blocks = first.process!.progress.blocks;
    expect(first.process).toEqual({ type: 'rebuild', target: 'm2', progress: { blocks, percent: Math.floor((blocks * 100) / 4096) } });
    expect(blocks % 256).toBe(0);
    expect(blocks).toBeLessThan(4096);
    expect(first).toMatchObject({ num_base_bdevs_discovered: 2, num_base_bdevs_operational: 2 });
    expect(first.base_bdevs_list[1]).toMatchObject({ name: 'm2', is_configured: true });
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'm1' }))).toEqual({
      code: -1,
      message: 'Failed to add base bdev m1 to RAID bdev r: Operation not permitted',
    });

    const seen: number[] = [];
    // A write during the rebuild lands on the source, and on the target once its region is copied.
    let wroteDuring = false;
    await waitFor(
      async () => {
        const raid = (await raids())[0]!;
        if (raid.process) {
          seen.push(raid.process.progress.blocks);
          if (!wroteDuring && raid.process.progress.blocks >= 1024) {
            wroteDuring = true;
            await volume.write(0, pattern(8, 99));
            await volume.write(4000, pattern(8, 98));
          }
        }
        return raid.process === undefined;
      },
      5000,
      'rebuild to finish',
    );
    const elapsed = Date.now() - started;
    // 16 windows of 1 MiB at 16 MiB/s: two at once, then one per 62.5 ms.
    expect(elapsed).toBeGreaterThan(800);
    expect(elapsed).toBeLessThan(2000);
    expect(seen.every((b) => b % 256 === 0)).toBe(true);
    expect(new Set(seen).size).toBeGreaterThan(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(m2.contents().equals(m0.contents())).toBe(true);
    expect(m2.contents().subarray(0, 8 * 4096)).toEqual(pattern(8, 99));
    expect((await raids())[0]).toMatchObject({ num_base_bdevs_operational: 2, num_base_bdevs_discovered: 2 });
    expect(target.memory.used.size).toBe(0);
  });

  it('refuses a rebuild whose 16 windows do not fit in DMA memory and drops the member', async () => {
    const { m1 } = setup(4096);
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    await target.call('bdev_raid_remove_base_bdev', { name: 'm1' });
    target.memory.capacity = 16 * 1024 * 1024 - 1;
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'm1' }))).toEqual({
      code: -12,
      message: 'Failed to add base bdev to RAID bdev: Cannot allocate memory',
    });
    expect((await raids())[0]).toMatchObject({ num_base_bdevs_discovered: 1, num_base_bdevs_operational: 1 });
    expect(m1.claim).toBeNull();
    await target.call('bdev_raid_set_options', { process_window_size_kb: 64 });
    expect(await target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'm1' })).toBe(true);
    await waitFor(async () => (await raids())[0]!.process === undefined, 5000, 'rebuild');
  });

  it('removes the target when it fails during the copy', async () => {
    const { m2 } = setup(4096);
    await target.call('bdev_raid_create', { name: 'r', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
    await target.call('bdev_raid_remove_base_bdev', { name: 'm1' });
    await target.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 16 });
    m2.failWrites = true;
    await target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r', base_bdev: 'm2' });
    await waitFor(async () => (await raids())[0]!.process === undefined, 5000, 'rebuild to stop');
    expect((await raids())[0]).toMatchObject({ state: 'online', num_base_bdevs_operational: 1 });
    expect(m2.claim).toBeNull();
  });
});

describe('hazards', () => {
  it('crashes like spdk_tgt v26.05 when a create and a delete of one raid share a poll', async () => {
    setup();
    await expect(
      target.poll([
        { method: 'bdev_raid_create', params: { name: 'rx', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] } },
        { method: 'bdev_raid_delete', params: { name: 'rx' } },
      ]),
    ).rejects.toBeInstanceOf(CrashError);
    expect(target.crashed).toMatch(/rx/);
  });

  it('lets a create and a delete of different raids share a poll', async () => {
    setup();
    const out = await target.poll([
      { method: 'bdev_raid_create', params: { name: 'rx', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] } },
      { method: 'bdev_raid_delete', params: { name: 'ry' } },
    ]);
    expect(out[0]).toBe(true);
    expect(target.crashed).toBeNull();
  });
});
