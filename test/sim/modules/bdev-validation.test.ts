/**
 * The bdev module's validation table (spdk/sim/bdev/validation.ts) walked on a simulator process,
 * and the behaviours of issue 15 that follow from SPDK's code there: an empty bdev name (the bdev
 * layer's check), bdev_get_bdevs waiting out its timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BDEV_VALIDATION } from '../../../spdk/sim/bdev/validation.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable, type CheckExamples } from '../helpers/validation-walk.js';

const EINVAL = { code: -22, message: 'Invalid argument' };

const examples: CheckExamples = {
  'bdev_malloc_create: num_blocks must be greater than 0': { params: { num_blocks: 0, block_size: 512 }, ...EINVAL },
  'bdev_malloc_create: block_size a multiple of 512': { params: { num_blocks: 8, block_size: 520 }, ...EINVAL },
  'bdev_malloc_create: physical_block_size a multiple of 512': { params: { num_blocks: 8, block_size: 512, physical_block_size: 100 }, ...EINVAL },
  'bdev_malloc_create: md_size one of 0, 8, 16, 32, 64, 128': { params: { num_blocks: 8, block_size: 512, md_size: 7 }, ...EINVAL },
  'bdev_null_create: md_size one of 0, 8, 16, 32, 64, 128': { params: { name: 'n', num_blocks: 8, block_size: 512, md_size: 12 }, ...EINVAL },
  'bdev_null_create: block_size a multiple of 512': { params: { name: 'n', num_blocks: 8, block_size: 1000 }, ...EINVAL },
  'bdev_null_create: physical_block_size a multiple of 512': { params: { name: 'n', num_blocks: 8, block_size: 512, physical_block_size: 513 }, ...EINVAL },
  'bdev_null_create: num_blocks must be greater than 0': { params: { name: 'n', num_blocks: 0, block_size: 512 }, ...EINVAL },
};

let sim: RunningSim;
let client: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'BV' });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('bdev validation table', () => {
  walkTable(BDEV_VALIDATION, () => client, examples);
});

describe('issue 15 examples (bdev)', () => {
  it('refuses an empty malloc or null name with -22 and keeps nothing (spdk_bdev_register)', async () => {
    const before = (await client.call<unknown[]>('bdev_get_bdevs')).length;
    expect((await client.request('bdev_malloc_create', { name: '', num_blocks: 16, block_size: 512 })).error).toEqual(EINVAL);
    expect((await client.request('bdev_null_create', { name: '', num_blocks: 16, block_size: 512 })).error).toEqual(EINVAL);
    expect(await client.call<unknown[]>('bdev_get_bdevs')).toHaveLength(before);
    // The buffer was given back: the same size fits again.
    expect(await client.call('bdev_malloc_create', { name: 'm0', num_blocks: 16, block_size: 512 })).toBe('m0');
    expect(await client.call('bdev_malloc_delete', { name: 'm0' })).toBe(true);
  });

  it('answers malloc sizes past u64 as a decode failure and u64 max as -12, at once', async () => {
    const over = await client.requestText('bdev_malloc_create', '{"name":"mx","num_blocks":18446744073709551616,"block_size":512}');
    expect(over.error).toEqual({ code: -32603, message: 'spdk_json_decode_object failed' });
    const max = await client.requestText('bdev_malloc_create', '{"name":"mx","num_blocks":18446744073709551615,"block_size":512}');
    expect(max.error).toEqual({ code: -12, message: 'Cannot allocate memory' });
  });

  it('bdev_get_bdevs with a timeout waits for the bdev, then answers -110 "Connection timed out"', async () => {
    const started = performance.now();
    const r = await client.request('bdev_get_bdevs', { name: 'never', timeout: 300 });
    expect(r.error).toEqual({ code: -110, message: 'Connection timed out' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    // A bdev that appears while it waits is the answer.
    const waiting = client.request('bdev_get_bdevs', { name: 'late', timeout: 10_000 });
    await client.call('bdev_null_create', { name: 'late', num_blocks: 8, block_size: 512 });
    expect((await waiting).result).toMatchObject([{ name: 'late' }]);
    expect((await client.request('bdev_get_bdevs', { name: 'never' })).error).toEqual({ code: -19, message: 'No such device' });
  });
});
