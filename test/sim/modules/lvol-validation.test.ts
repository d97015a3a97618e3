/**
 * The lvol module's validation table (spdk/sim/lvol/validation.ts) walked on a simulator process,
 * and issue 15's lvol cases: cluster_sz 0 takes the default, a thin lvol whose byte size wraps
 * u64 is created (size_in_mib * 1024 * 1024 in C), clear_method checked after the lvstore.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LVOL_VALIDATION } from '../../../spdk/sim/lvol/validation.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable, type CheckExamples } from '../helpers/validation-walk.js';

const EINVAL = { code: -22, message: 'Invalid argument' };
const examples: CheckExamples = {
  'bdev_lvol_create_lvstore: clear_method none, unmap or write_zeroes (any case)': {
    params: { bdev_name: 'nope', lvs_name: 'l', clear_method: 'zero' },
    code: -22,
    message: 'Invalid clear_method parameter',
  },
  'bdev_lvol_create_lvstore: lvs_name between 1 and 63 characters': { params: { bdev_name: 'nope', lvs_name: 'l'.repeat(64) }, ...EINVAL },
  'bdev_lvol_create_lvstore: md_page_size 0 or a power of 2 from 4096 to 65536': { params: { bdev_name: 'nope', lvs_name: 'l', md_page_size: 12288 }, ...EINVAL },
};

let sim: RunningSim;
let client: SimClient;
let dir: string;

beforeAll(async () => {
  dir = tempDir('sim-lvol-validation-');
  sim = await startSim({ name: 'LV', socket: join(dir, 'lv.sock') });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('lvol validation table', () => {
  walkTable(LVOL_VALIDATION, () => client, examples);
});

describe('issue 15 examples (lvol)', () => {
  it('checks an lvstore name before looking the bdev up; an empty one is -22', async () => {
    expect((await client.request('bdev_lvol_create_lvstore', { bdev_name: 'nope', lvs_name: '' })).error).toEqual(EINVAL);
    expect((await client.request('bdev_lvol_create_lvstore', { bdev_name: 'nope', lvs_name: 'ok' })).error).toEqual({ code: -19, message: 'No such device' });
  });

  it('takes cluster_sz 0 as the default and creates thin lvols whose byte size wraps u64', async () => {
    const file = join(dir, 'lvs.img');
    writeFileSync(file, '');
    truncateSync(file, 64 * 1024 * 1024);
    await client.call('bdev_aio_create', { name: 'a0', filename: file, block_size: 512 });
    await client.call('bdev_lvol_create_lvstore', { bdev_name: 'a0', lvs_name: 'lvs0', cluster_sz: 0 });
    const [lvs] = await client.call<Array<{ cluster_size: number }>>('bdev_lvol_get_lvstores', { lvs_name: 'lvs0' });
    expect(lvs!.cluster_size).toBe(4 * 1024 * 1024);

    // 2^44 MiB is 2^64 bytes: 0 in u64. 2^44 + 1 MiB wraps to 1 MiB.
    const wrapped = await client.requestText('bdev_lvol_create', '{"lvs_name":"lvs0","lvol_name":"w0","size_in_mib":17592186044416,"thin_provision":true}');
    expect(typeof wrapped.result).toBe('string');
    const one = await client.requestText('bdev_lvol_create', '{"lvs_name":"lvs0","lvol_name":"w1","size_in_mib":17592186044417,"thin_provision":true}');
    expect(typeof one.result).toBe('string');
    const [w1] = await client.call<Array<{ block_size: number; num_blocks: number }>>('bdev_get_bdevs', { name: 'lvs0/w1' });
    expect(w1!.block_size * w1!.num_blocks).toBe(4 * 1024 * 1024); // one cluster

    // Past what the simulator maps (a 2^24-cluster map) the blobstore's ENOMEM, never a stall.
    const huge = await client.requestText('bdev_lvol_create', '{"lvs_name":"lvs0","lvol_name":"w2","size_in_mib":18446744073709551615,"thin_provision":true}');
    expect(huge.error).toEqual({ code: -32602, message: 'Cannot allocate memory' });
    const resize = await client.requestText('bdev_lvol_resize', '{"name":"lvs0/w1","size_in_mib":8796093022208}');
    expect(resize.error).toEqual({ code: -32602, message: 'Cannot allocate memory' });

    // clear_method is checked once the lvstore is found (rpc_bdev_lvol_create's order).
    expect((await client.request('bdev_lvol_create', { lvs_name: 'nope', lvol_name: 'c', size_in_mib: 4, clear_method: 'x' })).error).toEqual({ code: -19, message: 'No such device' });
    expect((await client.request('bdev_lvol_create', { lvs_name: 'lvs0', lvol_name: 'c', size_in_mib: 4, clear_method: 'x' })).error).toEqual({
      code: -22,
      message: 'Invalid clean_method option',
    });
    expect(typeof (await client.call('bdev_lvol_create', { lvs_name: 'lvs0', lvol_name: 'c', size_in_mib: 4, clear_method: 'UNMAP' }))).toBe('string');
  });
});
