/**
 * Raid superblocks as data on the members (issue 15 item 4, transcripts 13 and 17): they outlive
 * the raid unless cleared, examine brings a raid back from them after a restart, a member removed
 * before the crash is re-added and rebuilt, and a lone member assembles a phantom raid.
 *
 * A "restart" here is a new target over the same member objects (their data is what persists).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimRpcError } from '../../../spdk/sim/core/contract.js';
import { RaidModule } from '../../../spdk/sim/raid/index.js';
import { readSuperblock } from '../../../spdk/sim/raid/superblock.js';
import { FakeTarget, MemBdev, pattern, waitFor } from './fake-target.js';

interface RaidInfo {
  name: string;
  uuid: string;
  state: string;
  num_base_bdevs_discovered: number;
  num_base_bdevs_operational: number;
  process?: { type: string; target: string };
  base_bdevs_list: Array<{ name: string | null; uuid: string; is_configured: boolean; data_offset: number; data_size: number }>;
}

const ZERO = '00000000-0000-0000-0000-000000000000';
let target: FakeTarget;

function start(...members: MemBdev[]): FakeTarget {
  target = new FakeTarget().install(new RaidModule());
  for (const m of members) {
    m.claim = null;
    target.bdevs.add(m);
  }
  return target;
}

/** The target dies; a new one starts with no raid, no claims and the members' data as it was. */
async function restart(all: MemBdev[], ...present: MemBdev[]): Promise<void> {
  await target.close();
  for (const m of all) m.claim = null;
  start(...present);
}

async function raids(): Promise<RaidInfo[]> {
  return (await target.call('bdev_raid_get_bdevs', { category: 'all' })) as RaidInfo[];
}

async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await p.then(
    () => new Error('expected an error'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SimRpcError);
  return { code: (err as SimRpcError).code, message: (err as SimRpcError).message };
}

async function write(raid: string, lba: number, data: Buffer): Promise<void> {
  await target.bdevs.get(raid)!.write(lba, data);
}

async function read(raid: string, lba: number, blocks: number): Promise<Buffer> {
  return target.bdevs.get(raid)!.read(lba, blocks);
}

afterEach(async () => {
  await target?.close();
});

describe('raid superblock', () => {
  it('outlives bdev_raid_delete: a new superblock raid over the members is EEXIST until clear_sb', async () => {
    const m0 = new MemBdev('m0', 4096);
    const m1 = new MemBdev('m1', 4096);
    start(m0, m1);
    await target.call('bdev_raid_create', { name: 'r1', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    const [raid] = await raids();
    expect(raid!.base_bdevs_list.map((b) => [b.data_offset, b.data_size])).toEqual([
      [256, 3840],
      [256, 3840],
    ]);
    await target.call('bdev_raid_delete', { name: 'r1' });
    expect(await rpcError(target.call('bdev_raid_create', { name: 'r2', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true }))).toEqual({
      code: -17,
      message: 'Failed to create RAID bdev r2: File exists',
    });
    expect(await raids()).toEqual([]);
    expect(m0.claim).toBeNull();

    // Made again under its own uuid and deleted with clear_sb: the members are free.
    await target.call('bdev_raid_create', { name: 'r1', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true, uuid: raid!.uuid });
    await target.call('bdev_raid_delete', { name: 'r1', clear_sb: true });
    expect(await target.call('bdev_raid_create', { name: 'r2', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true })).toBe(true);
  });

  it('outlives a delete mid-rebuild: the sources keep it (EEXIST), the rebuild target never got one; clear_sb frees all', async () => {
    // v26.05 writes the superblock to configured members when the raid is configured, a member
    // leaves, a resize, and a background process finishes; a rebuild target is configured from
    // its start, so it gets one only at the rebuild's end (or from a write in between).
    const [m0, m1, m2, m3] = ['m0', 'm1', 'm2', 'm3'].map((n) => new MemBdev(n, 4096));
    start(m0!, m1!, m2!, m3!);
    await target.call('bdev_raid_create', { name: 'r1', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    const uuid = (await raids())[0]!.uuid;
    await target.call('bdev_raid_remove_base_bdev', { name: 'm1' });
    // 15 MiB of data at 1 MiB/s: the rebuild is mid-way for seconds.
    await target.call('bdev_raid_set_options', { process_max_bandwidth_mb_sec: 1 });
    await target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r1', base_bdev: 'm2' });
    const rebuilding = (await raids())[0]!;
    expect(rebuilding.process).toMatchObject({ type: 'rebuild', target: 'm2' });
    await target.call('bdev_raid_delete', { name: 'r1' });
    expect(await raids()).toEqual([]);
    expect([m0, m1, m2].map((m) => m!.claim)).toEqual([null, null, null]);
    expect((await readSuperblock(m0!))?.uuid).toBe(uuid);
    expect((await readSuperblock(m1!))?.uuid).toBe(uuid);
    expect(await readSuperblock(m2!)).toBeNull();

    for (const bases of [
      ['m0', 'm2'],
      ['m2', 'm1'],
    ]) {
      expect(await rpcError(target.call('bdev_raid_create', { name: 'r2', raid_level: 'raid1', base_bdevs: bases, superblock: true }))).toEqual({
        code: -17,
        message: 'Failed to create RAID bdev r2: File exists',
      });
      expect(await raids()).toEqual([]);
      expect([m0, m1, m2].map((m) => m!.claim)).toEqual([null, null, null]);
    }
    // The half-rebuilt target carries no superblock: it makes a new superblock raid.
    expect(await target.call('bdev_raid_create', { name: 'r3', raid_level: 'raid1', base_bdevs: ['m2', 'm3'], superblock: true })).toBe(true);
    await target.call('bdev_raid_delete', { name: 'r3', clear_sb: true });

    // Again, deleted mid-rebuild with clear_sb: every configured member (the target too) is cleared.
    const [m4, m5, m6] = ['m4', 'm5', 'm6'].map((n) => new MemBdev(n, 4096));
    for (const m of [m4!, m5!, m6!]) target.bdevs.add(m);
    await target.call('bdev_raid_create', { name: 'r4', raid_level: 'raid1', base_bdevs: ['m4', 'm5'], superblock: true });
    await target.call('bdev_raid_remove_base_bdev', { name: 'm5' });
    await target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r4', base_bdev: 'm6' });
    expect((await raids())[0]!.process).toMatchObject({ type: 'rebuild', target: 'm6' });
    await target.call('bdev_raid_delete', { name: 'r4', clear_sb: true });
    expect(await readSuperblock(m4!)).toBeNull();
    expect(await readSuperblock(m6!)).toBeNull();
    // m5 left before the delete: it keeps the superblock it had then.
    expect(await readSuperblock(m5!)).not.toBeNull();
    expect(await target.call('bdev_raid_create', { name: 'r5', raid_level: 'raid1', base_bdevs: ['m4', 'm6'], superblock: true })).toBe(true);
  });

  it('comes back on examine after a restart: configuring with 1 of 2, online when the other appears, data intact', async () => {
    const m0 = new MemBdev('m0', 4096);
    const m1 = new MemBdev('m1', 4096);
    start(m0, m1);
    await target.call('bdev_raid_create', { name: 'r17', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    const uuid = (await raids())[0]!.uuid;
    const data = pattern(64, 17);
    await write('r17', 0, data);

    await restart([m0, m1], m0);
    const configuring = await waitFor(async () => (await raids())[0], 5000, 'the raid examined back');
    expect(configuring).toMatchObject({ name: 'r17', uuid, state: 'configuring', num_base_bdevs_discovered: 1, num_base_bdevs_operational: 2 });
    expect(configuring.base_bdevs_list).toEqual([
      { name: 'm0', uuid: m0.uuid, is_configured: true, data_offset: 256, data_size: 3840 },
      { name: null, uuid: m1.uuid, is_configured: false, data_offset: 256, data_size: 3840 },
    ]);
    target.bdevs.add(m1);
    await waitFor(async () => (await raids())[0]?.state === 'online', 5000, 'the raid online');
    expect((await read('r17', 0, 64)).equals(data)).toBe(true);
  });

  it('re-adds a member removed before the crash and rebuilds it; it is never counted in sync before', async () => {
    const m0 = new MemBdev('m0', 4096);
    const m1 = new MemBdev('m1', 4096);
    start(m0, m1);
    await target.call('bdev_raid_create', { name: 'r17', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    await write('r17', 0, pattern(64, 1));
    await target.call('bdev_raid_remove_base_bdev', { name: 'm1' });
    const fresh = pattern(64, 2);
    await write('r17', 0, fresh);

    await restart([m0, m1], m0);
    const alone = await waitFor(async () => (await raids())[0]?.state === 'online' && (await raids())[0], 5000, 'online with one member');
    expect(alone).toMatchObject({ num_base_bdevs_discovered: 1, num_base_bdevs_operational: 1 });
    expect(alone.base_bdevs_list[1]).toEqual({ name: null, uuid: ZERO, is_configured: false, data_offset: 256, data_size: 3840 });

    target.bdevs.add(m1);
    const readded = await waitFor(async () => (await raids())[0]?.process && (await raids())[0], 5000, 'the stale member rebuilding');
    expect(readded.process).toMatchObject({ type: 'rebuild', target: 'm1' });
    expect(target.logs.some((l) => l.fields?.message === 'Re-adding bdev m1 to raid bdev r17.')).toBe(true);
    await waitFor(async () => (await raids())[0]?.process === undefined, 20_000, 'the rebuild done');
    expect(await rpcError(target.call('bdev_raid_add_base_bdev', { raid_bdev: 'r17', base_bdev: 'm1' }))).toEqual({
      code: -22,
      message: 'Failed to add base bdev m1 to RAID bdev r17: Invalid argument',
    });
    // The rebuilt member alone holds the new data.
    m0.failReads = true;
    expect((await read('r17', 0, 64)).equals(fresh)).toBe(true);
  });

  it('assembles a phantom raid over a lone member that carries the superblock, which claims it', async () => {
    const m0 = new MemBdev('m0', 4096);
    const m1 = new MemBdev('m1', 4096);
    start(m0, m1);
    await target.call('bdev_raid_create', { name: 'r17', raid_level: 'raid1', base_bdevs: ['m0', 'm1'], superblock: true });
    await restart([m0, m1], m1);
    const phantom = await waitFor(async () => (await raids())[0], 5000, 'the phantom raid');
    expect(phantom).toMatchObject({ state: 'configuring', num_base_bdevs_discovered: 1 });
    expect(phantom.base_bdevs_list[0]).toMatchObject({ name: null, uuid: m0.uuid, is_configured: false });
    expect(m1.claim).toMatchObject({ module: 'raid', claimType: 'exclusive_write' });
    // Deleted without clear_sb it lets go, and comes back at the next restart.
    await target.call('bdev_raid_delete', { name: 'r17' });
    expect(m1.claim).toBeNull();
    await restart([m0, m1], m1);
    await waitFor(async () => (await raids()).length === 1, 5000, 'the phantom again');
  });
});
