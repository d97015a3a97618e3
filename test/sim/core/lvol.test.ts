/**
 * lvstores and lvols with real data: what a snapshot freezes, what clones share, what a merge,
 * an inflate, a decouple and a shallow copy do to the blocks, and that an lvstore on an aio file
 * comes back with its data after the bdev is re-created or the simulator restarted.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, ftruncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MIB = 1024 * 1024;
let sim: RunningSim;
let c: SimClient;

interface Lvol {
  alias: string;
  is_snapshot: boolean;
  is_clone: boolean;
  is_thin_provisioned: boolean;
  num_allocated_clusters: number;
}

async function write(name: string, offsetMib: number, data: Buffer): Promise<void> {
  const [bdev] = await c.call<Array<{ block_size: number }>>('bdev_get_bdevs', { name });
  for (let off = 0; off < data.length; off += 128 * 1024) {
    await c.call('sim_bdev_write', {
      name,
      offset_blocks: (offsetMib * MIB + off) / bdev!.block_size,
      data_base64: data.subarray(off, off + 128 * 1024).toString('base64'),
    });
  }
}

async function read(name: string, offsetMib: number, mib: number): Promise<Buffer> {
  const [bdev] = await c.call<Array<{ block_size: number }>>('bdev_get_bdevs', { name });
  const bs = bdev!.block_size;
  const parts: Buffer[] = [];
  for (let off = 0; off < mib * MIB; off += 128 * 1024) {
    const r = await c.call<{ data_base64: string }>('sim_bdev_read', { name, offset_blocks: (offsetMib * MIB + off) / bs, num_blocks: (128 * 1024) / bs });
    parts.push(Buffer.from(r.data_base64, 'base64'));
  }
  return Buffer.concat(parts);
}

async function lvols(): Promise<Map<string, Lvol>> {
  const list = await c.call<Lvol[]>('bdev_lvol_get_lvols');
  return new Map(list.map((l) => [l.alias, l]));
}

async function freeClusters(lvs: string): Promise<number> {
  const [s] = await c.call<Array<{ free_clusters: number }>>('bdev_lvol_get_lvstores', { lvs_name: lvs });
  return s!.free_clusters;
}

describe('lvols on a malloc bdev', () => {
  beforeEach(async () => {
    sim = await startSim({ name: 'L' });
    c = await SimClient.connect(sim.socket);
    await c.call('bdev_malloc_create', { name: 'm0', num_blocks: 65536, block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'lvs', cluster_sz: MIB });
  });

  afterEach(async () => {
    c.close();
    await sim.stop();
  });

  it('reports the lvstore geometry spdk_tgt reports, and claims its base bdev', async () => {
    const [s] = await c.call<Array<Record<string, unknown>>>('bdev_lvol_get_lvstores');
    expect(s).toMatchObject({ name: 'lvs', base_bdev: 'm0', total_data_clusters: 254, free_clusters: 254, block_size: 4096, cluster_size: MIB, max_growable_size: 34317795328 });
    const [m0] = await c.call<Array<Record<string, unknown>>>('bdev_get_bdevs', { name: 'm0' });
    expect(m0).toMatchObject({ claimed: true, claim_type: 'read_many_write_one' });
    await expect(c.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'other' })).rejects.toEqual(new RpcFailure(-1, 'Operation not permitted'));
  });

  it('allocates thin clusters on first write and thick ones at creation', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'thin', size_in_mib: 16, thin_provision: true });
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'thick', size_in_mib: 8, thin_provision: false });
    expect(await freeClusters('lvs')).toBe(254 - 8);
    await write('lvs/thin', 2, randomBytes(MIB + 4096));
    expect((await lvols()).get('lvs/thin')!.num_allocated_clusters).toBe(2);
    expect(await freeClusters('lvs')).toBe(254 - 10);
    await expect(c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'big', size_in_mib: 300, thin_provision: false })).rejects.toEqual(new RpcFailure(-32602, 'No space left on device'));
    await expect(c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'thin', size_in_mib: 1 })).rejects.toEqual(new RpcFailure(-17, 'File exists'));
  });

  it('a snapshot freezes the data, a clone shares it until written', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 8, thin_provision: true });
    const a = randomBytes(2 * MIB);
    await write('lvs/v', 0, a);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's' });
    const b = randomBytes(MIB);
    await write('lvs/v', 0, b);
    expect((await read('lvs/s', 0, 2)).equals(a)).toBe(true);
    expect((await read('lvs/v', 0, 2)).equals(Buffer.concat([b, a.subarray(MIB)]))).toBe(true);
    await c.call('bdev_lvol_clone', { snapshot_name: 'lvs/s', clone_name: 'c' });
    expect((await read('lvs/c', 0, 2)).equals(a)).toBe(true);
    const l = await lvols();
    expect(l.get('lvs/s')).toMatchObject({ is_snapshot: true, num_allocated_clusters: 2 });
    expect(l.get('lvs/c')).toMatchObject({ is_clone: true, num_allocated_clusters: 0 });
    expect(l.get('lvs/v')).toMatchObject({ is_clone: true, num_allocated_clusters: 1 });
    await expect(c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/s', snapshot_name: 'x' })).rejects.toEqual(new RpcFailure(-32602, 'Invalid argument'));
    await expect(c.call('bdev_lvol_clone', { snapshot_name: 'lvs/v', clone_name: 'x' })).rejects.toEqual(new RpcFailure(-32602, 'Invalid argument'));
    await expect(c.call('sim_bdev_write', { name: 'lvs/s', offset_blocks: 0, data_base64: randomBytes(4096).toString('base64') })).rejects.toBeInstanceOf(RpcFailure);
  });

  it('deleting a snapshot with one clone merges it into the clone; with two it is refused', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 8, thin_provision: true });
    const a = randomBytes(4 * MIB);
    await write('lvs/v', 0, a);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's' });
    const b = randomBytes(MIB);
    await write('lvs/v', 1, b);
    await c.call('bdev_lvol_clone', { snapshot_name: 'lvs/s', clone_name: 'c2' });
    await expect(c.call('bdev_lvol_delete', { name: 'lvs/s' })).rejects.toEqual(new RpcFailure(-32603, 'Operation not permitted'));
    await c.call('bdev_lvol_delete', { name: 'lvs/c2' });
    const free = await freeClusters('lvs');
    await c.call('bdev_lvol_delete', { name: 'lvs/s' });
    const v = (await lvols()).get('lvs/v')!;
    expect(v).toMatchObject({ is_clone: false, num_allocated_clusters: 4 });
    expect(await freeClusters('lvs')).toBe(free + 1);
    const expected = Buffer.concat([a.subarray(0, MIB), b, a.subarray(2 * MIB)]);
    expect((await read('lvs/v', 0, 4)).equals(expected)).toBe(true);
  });

  it('inflate and decouple copy data from the parents and cut the chain', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 4, thin_provision: true });
    const a = randomBytes(MIB);
    await write('lvs/v', 0, a);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's1' });
    const b = randomBytes(MIB);
    await write('lvs/v', 1, b);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's2' });
    await c.call('bdev_lvol_clone', { snapshot_name: 'lvs/s2', clone_name: 'c' });
    await c.call('bdev_lvol_decouple_parent', { name: 'lvs/c' });
    let l = await lvols();
    expect(l.get('lvs/c')).toMatchObject({ is_clone: true, num_allocated_clusters: 1 });
    await c.call('bdev_lvol_inflate', { name: 'lvs/v' });
    l = await lvols();
    expect(l.get('lvs/v')).toMatchObject({ is_clone: false, is_thin_provisioned: false, num_allocated_clusters: 4 });
    const expected = Buffer.concat([a, b, Buffer.alloc(2 * MIB)]);
    expect((await read('lvs/v', 0, 4)).equals(expected)).toBe(true);
    expect((await read('lvs/c', 0, 4)).equals(expected)).toBe(true);
    await expect(c.call('bdev_lvol_decouple_parent', { name: 'lvs/v' })).rejects.toEqual(new RpcFailure(-32602, 'Invalid argument'));
  });

  it("a shallow copy writes the snapshot's own clusters onto another bdev", async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 4, thin_provision: true });
    const a = randomBytes(MIB);
    await write('lvs/v', 2, a);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's' });
    await c.call('bdev_malloc_create', { name: 'dst', num_blocks: 1024, block_size: 4096 });
    await c.call('bdev_wait_for_examine');
    await write('dst', 0, Buffer.alloc(MIB, 7));
    const { operation_id } = await c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s', dst_bdev_name: 'dst' });
    let state: Record<string, unknown>;
    const deadline = Date.now() + 5000;
    do {
      state = await c.call('bdev_lvol_check_shallow_copy', { operation_id });
    } while (state['state'] === 'in progress' && Date.now() < deadline);
    expect(state).toEqual({ copied_clusters: 1, total_clusters: 1, state: 'complete' });
    await expect(c.call('bdev_lvol_check_shallow_copy', { operation_id })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    expect((await read('dst', 2, 1)).equals(a)).toBe(true);
    // Only the source's own clusters are written: the rest of dst keeps what it had.
    expect((await read('dst', 0, 1)).equals(Buffer.alloc(MIB, 7))).toBe(true);
  });

  it('a shallow copy from a writable lvol fails in the check, not in the start', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 4, thin_provision: true });
    await c.call('bdev_malloc_create', { name: 'dst', num_blocks: 1024, block_size: 4096 });
    await c.call('bdev_wait_for_examine');
    const { operation_id } = await c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/v', dst_bdev_name: 'dst' });
    expect(await c.call('bdev_lvol_check_shallow_copy', { operation_id })).toEqual({ copied_clusters: 0, total_clusters: 0, state: 'error', error: 'Operation not permitted' });
    await expect(c.call('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/v', dst_bdev_name: 'nope' })).rejects.toEqual(new RpcFailure(-32602, 'No such device'));
  });

  it('an esnap clone reads its external bdev until written, and keeps it claimed', async () => {
    await c.call('bdev_malloc_create', { name: 'ext', num_blocks: 1024, block_size: 4096 });
    const a = randomBytes(2 * MIB);
    await write('ext', 0, a);
    await c.call('bdev_lvol_clone_bdev', { bdev: 'ext', lvs_name: 'lvs', clone_name: 'e' });
    expect((await lvols()).get('lvs/e')).toMatchObject({ is_clone: false, num_allocated_clusters: 0 });
    expect((await c.call<Array<{ is_esnap_clone: boolean }>>('bdev_lvol_get_lvols')).find((l) => (l as unknown as Lvol).alias === 'lvs/e')!.is_esnap_clone).toBe(true);
    expect((await read('lvs/e', 0, 2)).equals(a)).toBe(true);
    const b = randomBytes(4096);
    await c.call('sim_bdev_write', { name: 'lvs/e', offset_blocks: 256, data_base64: b.toString('base64') });
    const expected = Buffer.from(a);
    b.copy(expected, MIB);
    expect((await read('lvs/e', 0, 2)).equals(expected)).toBe(true);
    expect((await read('ext', 0, 2)).equals(a)).toBe(true);
    const [ext] = await c.call<Array<{ claimed: boolean }>>('bdev_get_bdevs', { name: 'ext' });
    expect(ext!.claimed).toBe(true);
  });

  it('refuses to shrink an exported lvol, renames, and keeps read-only lvols read-only', async () => {
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 8, thin_provision: true });
    await c.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.spdk:v', allow_any_host: true });
    await c.call('nvmf_subsystem_add_ns', { nqn: 'nqn.2016-06.io.spdk:v', namespace: { bdev_name: 'lvs/v' } });
    await expect(c.call('bdev_lvol_resize', { name: 'lvs/v', size_in_mib: 4 })).rejects.toEqual(new RpcFailure(-32602, 'Device or resource busy'));
    await c.call('bdev_lvol_resize', { name: 'lvs/v', size_in_mib: 12 });
    await c.call('bdev_lvol_rename', { old_name: 'lvs/v', new_name: 'w' });
    const [w] = await c.call<Array<{ aliases: string[]; num_blocks: number }>>('bdev_get_bdevs', { name: 'lvs/w' });
    expect(w).toMatchObject({ aliases: ['lvs/w'], num_blocks: 3072 });
    await c.call('bdev_lvol_set_read_only', { name: 'lvs/w' });
    await expect(c.call('bdev_lvol_rename', { old_name: 'lvs/w', new_name: 'x' })).rejects.toEqual(new RpcFailure(-32602, 'Operation not permitted'));
  });
});

describe('an lvstore on an aio file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = tempDir('sim-aio-');
    const fd = openSync(join(dir, 'disk.img'), 'w');
    ftruncateSync(fd, 256 * MIB);
    closeSync(fd);
    sim = await startSim({ name: 'L' });
    c = await SimClient.connect(sim.socket);
  });

  afterEach(async () => {
    c.close();
    await sim.stop();
  });

  it('comes back with its lvols and data after bdev_aio_delete / create, and after a restart', async () => {
    const file = join(dir, 'disk.img');
    await c.call('bdev_aio_create', { name: 'aio0', filename: file, block_size: 4096 });
    const lvsUuid = await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });
    const vUuid = await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 8, thin_provision: true });
    const a = randomBytes(3 * MIB);
    await write('lvs/v', 1, a);
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's' });
    await c.call('bdev_lvol_clone', { snapshot_name: 'lvs/s', clone_name: 'c' });
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 'lonely' });
    await c.call('bdev_lvol_delete', { name: 'lvs/v' });
    const before = await lvols();

    await c.call('bdev_aio_delete', { name: 'aio0' });
    expect(await c.call('bdev_lvol_get_lvstores')).toEqual([]);
    await c.call('bdev_aio_create', { name: 'aio1', filename: file, block_size: 4096 });
    const [s] = await c.call<Array<{ uuid: string; base_bdev: string }>>('bdev_lvol_get_lvstores');
    expect(s).toMatchObject({ uuid: lvsUuid, base_bdev: 'aio1' });
    const after = await lvols();
    expect([...after.keys()]).toEqual([...before.keys()]);
    // A snapshot whose clones are gone comes back as a plain lvol.
    expect(before.get('lvs/lonely')!.is_snapshot).toBe(true);
    expect(after.get('lvs/lonely')!.is_snapshot).toBe(false);
    expect((await read('lvs/c', 1, 3)).equals(a)).toBe(true);

    c.close();
    await sim.stop();
    sim = await startSim({ name: 'L2' });
    c = await SimClient.connect(sim.socket);
    await c.call('bdev_aio_create', { name: 'aio0', filename: file, block_size: 4096 });
    expect((await read('lvs/c', 1, 3)).equals(a)).toBe(true);
    expect((await lvols()).get('lvs/s')).toMatchObject({ is_snapshot: true, num_allocated_clusters: 3 });
    expect(vUuid).not.toBe('');

    await c.call('bdev_lvol_delete_lvstore', { lvs_name: 'lvs' });
    await c.call('bdev_aio_delete', { name: 'aio0' });
    await c.call('bdev_aio_create', { name: 'aio0', filename: file, block_size: 4096 });
    expect(await c.call('bdev_lvol_get_lvstores')).toEqual([]);
  });

  it('half-deletes a snapshot a shallow copy reads, as v26.05 does (test/real/backup-snapshot-busy.test.ts)', async () => {
    const file = join(dir, 'disk.img');
    await c.call('bdev_aio_create', { name: 'aio0', filename: file, block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'r', size_in_mib: 8, thin_provision: false });
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/r', snapshot_name: 's' });
    const free = (await c.call<Array<{ free_clusters: number }>>('bdev_lvol_get_lvstores'))[0]!.free_clusters;
    await c.call('bdev_malloc_create', { name: 'dst', num_blocks: 2048, block_size: 4096 });
    await c.call('bdev_wait_for_examine');
    await c.call('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const { operation_id } = await c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s', dst_bdev_name: 'dst' });
    await expect(c.call('bdev_lvol_delete', { name: 'lvs/s' })).rejects.toEqual(new RpcFailure(-32603, 'Device or resource busy'));
    await expect(c.call('bdev_get_bdevs', { name: 'lvs/s' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    expect([...(await lvols()).keys()]).toEqual(['lvs/r']);
    await expect(c.call('bdev_lvol_delete', { name: 'lvs/s' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    expect((await c.call<Array<{ free_clusters: number }>>('bdev_lvol_get_lvstores'))[0]!.free_clusters).toBe(free);
    await c.call('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    let state: Record<string, unknown>;
    const deadline = Date.now() + 5000;
    do {
      state = await c.call('bdev_lvol_check_shallow_copy', { operation_id });
    } while (state['state'] === 'in progress' && Date.now() < deadline);
    expect(state).toEqual({ copied_clusters: 8, total_clusters: 8, state: 'complete' });
    // Its metadata is still on the base: the next load brings it back.
    await c.call('bdev_aio_delete', { name: 'aio0' });
    await c.call('bdev_aio_create', { name: 'aio0', filename: file, block_size: 4096 });
    expect([...(await lvols()).keys()].sort()).toEqual(['lvs/r', 'lvs/s']);
  });

  it('answers a second copy while one runs as v26.05 does (test/real/shallow-copy-busy.test.ts)', async () => {
    await c.call('bdev_aio_create', { name: 'aio0', filename: join(dir, 'disk.img'), block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'r', size_in_mib: 8, thin_provision: false });
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/r', snapshot_name: 's1' });
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'q', size_in_mib: 2, thin_provision: false });
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/q', snapshot_name: 's2' });
    for (const name of ['st1', 'st2', 'st3']) await c.call('bdev_malloc_create', { name, num_blocks: 2048, block_size: 4096 });
    await c.call('bdev_wait_for_examine');
    const start = (src: string, dst: string) => c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: src, dst_bdev_name: dst });
    const ended = async (operation_id: number) => {
      const deadline = Date.now() + 5000;
      let state: Record<string, unknown>;
      do state = await c.call('bdev_lvol_check_shallow_copy', { operation_id });
      while (state['state'] === 'in progress' && Date.now() < deadline);
      return state;
    };
    await c.call('sim_shallow_copy_rate', { bytes_per_ms: 0, pause_after: 2 });
    const { operation_id: op } = await start('lvs/s1', 'st1');
    const { operation_id: op2 } = await start('lvs/s1', 'st2');
    expect(op2).toBe(op + 1);
    expect(await c.call('bdev_lvol_check_shallow_copy', { operation_id: op2 })).toEqual({ copied_clusters: 0, total_clusters: 8, state: 'error', error: 'Device or resource busy' });
    await expect(c.call('bdev_lvol_check_shallow_copy', { operation_id: op2 })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(start('lvs/s1', 'st1')).rejects.toEqual(new RpcFailure(-32602, 'Operation not permitted'));
    await expect(start('lvs/s2', 'st1')).rejects.toEqual(new RpcFailure(-32602, 'Operation not permitted'));
    // Refused starts took ids; another snapshot into another bdev runs beside it.
    const { operation_id: op5 } = await start('lvs/s2', 'st3');
    expect(op5).toBe(op2 + 3);
    await c.call('sim_shallow_copy_rate', { bytes_per_ms: 0 });
    expect(await ended(op5)).toEqual({ copied_clusters: 2, total_clusters: 2, state: 'complete' });
    expect(await ended(op)).toEqual({ copied_clusters: 8, total_clusters: 8, state: 'complete' });
    // Once it ended, the snapshot copies again, also into the destination it wrote.
    expect(await ended((await start('lvs/s1', 'st2')).operation_id)).toEqual({ copied_clusters: 8, total_clusters: 8, state: 'complete' });
    expect(await ended((await start('lvs/s1', 'st1')).operation_id)).toEqual({ copied_clusters: 8, total_clusters: 8, state: 'complete' });
  });

  it('answers aio errors as spdk_tgt does', async () => {
    const file = join(dir, 'disk.img');
    await expect(c.call('bdev_aio_create', { name: 'x', filename: join(dir, 'missing.img'), block_size: 4096 })).rejects.toEqual(new RpcFailure(-2, 'No such file or directory'));
    await expect(c.call('bdev_aio_create', { name: 'x', filename: dir, block_size: 4096 })).rejects.toEqual(new RpcFailure(-21, 'Is a directory'));
    await expect(c.call('bdev_aio_create', { name: 'x', filename: file })).rejects.toEqual(new RpcFailure(-22, 'Invalid argument'));
    await expect(c.call('bdev_aio_create', { name: 'x', filename: file, block_size: 1000 })).rejects.toEqual(new RpcFailure(-22, 'Invalid argument'));
    await expect(c.call('bdev_aio_delete', { name: 'x' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
  });

  it('copies into a sparse aio file only the clusters written; too small a file fails at the check (transcript 20)', async () => {
    await c.call('bdev_aio_create', { name: 'aio0', filename: join(dir, 'disk.img'), block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });
    await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'v', size_in_mib: 8, thin_provision: true });
    await write('lvs/v', 2, randomBytes(MIB));
    await c.call('bdev_lvol_snapshot', { lvol_name: 'lvs/v', snapshot_name: 's' });
    for (const [name, mib] of [
      ['bk', 8],
      ['small', 4],
    ] as const) {
      const fd = openSync(join(dir, `${name}.img`), 'w');
      ftruncateSync(fd, mib * MIB);
      closeSync(fd);
      await c.call('bdev_aio_create', { name, filename: join(dir, `${name}.img`), block_size: 4096 });
    }
    await c.call('bdev_wait_for_examine');
    const small = await c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s', dst_bdev_name: 'small' });
    expect(await c.call('bdev_lvol_check_shallow_copy', small)).toEqual({ copied_clusters: 0, total_clusters: 1, state: 'error', error: 'Invalid argument' });
    const op = await c.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s', dst_bdev_name: 'bk' });
    let state = '';
    for (let i = 0; i < 500 && state !== 'complete'; i++) state = (await c.call<{ state: string }>('bdev_lvol_check_shallow_copy', op)).state;
    expect(state).toBe('complete');
    await c.call('bdev_aio_delete', { name: 'bk' });
    // One 1 MiB cluster at 2 MiB written on disk, the rest holes.
    expect(statSync(join(dir, 'bk.img')).blocks * 512).toBe(MIB);
  });

  it('never answers the delete of an esnap parent in use, serves the other calls, and keeps the clone whole (transcript 20)', async () => {
    const fd = openSync(join(dir, 'parent.img'), 'w');
    ftruncateSync(fd, 8 * MIB);
    closeSync(fd);
    await c.call('bdev_aio_create', { name: 'aio0', filename: join(dir, 'disk.img'), block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });
    await c.call('bdev_aio_create', { name: 'rs', filename: join(dir, 'parent.img'), block_size: 4096, readonly: true });
    await c.call('bdev_wait_for_examine');
    await c.call('bdev_lvol_clone_bdev', { bdev: 'rs', lvs_name: 'lvs', clone_name: 'pv' });
    const other = await SimClient.connect(sim.socket);
    try {
      let settled = false;
      void other.call('bdev_aio_delete', { name: 'rs' }).then(
        () => (settled = true),
        () => (settled = true),
      );
      // The bdev leaves the lists; other calls are answered meanwhile, on this connection and on the waiting one's.
      const deadline = Date.now() + 10_000;
      while ((await c.request('bdev_get_bdevs', { name: 'rs' })).error === undefined) {
        if (Date.now() > deadline) throw new Error('rs is still listed');
        await new Promise((r) => setTimeout(r, 10));
      }
      await expect(c.call('bdev_get_bdevs', { name: 'rs' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
      expect(await other.call('bdev_lvol_get_lvstores')).toHaveLength(1);
      const [pv] = await c.call<Array<{ is_esnap_clone: boolean; is_degraded: boolean }>>('bdev_lvol_get_lvols');
      expect(pv).toMatchObject({ is_esnap_clone: true, is_degraded: false });
      expect(settled).toBe(false);
    } finally {
      other.close();
    }
  });
});
