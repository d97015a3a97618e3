/**
 * What real spdk_tgt v26.05 does with bdev_lvol_delete of a snapshot while
 * bdev_lvol_start_shallow_copy reads it (a backup's stage), and with the delete of its clone: the
 * behaviour the simulator copies (spdk/sim/lvol/rpc.ts bdev_lvol_delete) and the service avoids
 * (copy-holds.ts). A thick 1 GiB lvol's snapshot owns every cluster, so its copy runs for seconds.
 * lib/blob/blobstore.c: the copy opens the blob and sets locked_operation_in_progress; the delete
 * (vbdev_lvol.c _vbdev_lvol_destroy) unregisters the bdev first, then spdk_bs_delete_blob's
 * bs_is_blob_deletable refuses ("Cannot remove snapshot because it is open"), and lvol.c's
 * lvol_delete_blob_cb frees the lvol anyway ("forced removal"). The clone is not locked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcFailure, SimClient } from '../sim/helpers/sim-client.js';
import { MIB, RealTarget, SPDK_TGT, until } from './helpers/real-node.js';

const SIZE_MIB = 1024;

interface Lvol {
  name: string;
  is_snapshot: boolean;
  num_allocated_clusters: number;
}
interface Check {
  copied_clusters: number;
  total_clusters: number;
  state: string;
}

describe.skipIf(!SPDK_TGT)('snapshot delete under a running shallow copy (SPDK_TGT)', () => {
  let dir: string;
  let target: RealTarget;
  let rpc: SimClient;

  const failure = rpcFailure;
  const lvols = () => rpc.call<Lvol[]>('bdev_lvol_get_lvols');
  const freeClusters = async () => (await rpc.call<Array<{ free_clusters: number }>>('bdev_lvol_get_lvstores'))[0]!.free_clusters;
  const file = (name: string, mib: number) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, '');
    fs.truncateSync(p, mib * MIB);
    return p;
  };
  const start = async () => {
    await target.start();
    rpc = await SimClient.connect(target.socket);
    await rpc.call('bdev_aio_create', { filename: path.join(dir, 'disk.img'), name: 'disk', block_size: 4096 });
    await rpc.call('bdev_wait_for_examine');
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-real-busy-'));
    target = new RealTarget('busy', path.join(dir, 'spdk.sock'));
    file('disk.img', 3 * SIZE_MIB + 512);
    await start();
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'disk', lvs_name: 'lvs' });
  }, 120_000);

  afterAll(async () => {
    rpc?.close();
    await target?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the snapshot -32603 EBUSY but drops its bdev and lvol; the copy completes; the blob is back after a restart', async () => {
    await rpc.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'r', size_in_mib: SIZE_MIB, thin_provision: false });
    await rpc.call('bdev_lvol_snapshot', { lvol_name: 'lvs/r', snapshot_name: 's1' });
    const free = await freeClusters();
    await rpc.call('bdev_aio_create', { filename: file('st1.img', SIZE_MIB), name: 'st1', block_size: 4096 });
    const { operation_id: op } = await rpc.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s1', dst_bdev_name: 'st1' });
    const first = await rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: op });
    expect(first.state).toBe('in progress');

    const refused = await failure(rpc.call('bdev_lvol_delete', { name: 'lvs/s1' }));
    expect({ code: refused.code, message: refused.message }).toEqual({ code: -32603, message: 'Device or resource busy' });
    const during = await rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: op });
    // Only meaningful if the copy still ran when the delete came.
    expect(during.state).toBe('in progress');
    // Half-deleted: no bdev, no lvol, but the clusters still used.
    expect((await failure(rpc.call('bdev_get_bdevs', { name: 'lvs/s1' }))).code).toBe(-19);
    expect((await lvols()).map((l) => l.name)).toEqual(['r']);
    expect(await freeClusters()).toBe(free);

    const end = await until('the copy to end', 120_000, async () => {
      const c = await rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: op });
      return c.state === 'in progress' ? undefined : c;
    });
    expect(end).toEqual({ copied_clusters: SIZE_MIB / 4, total_clusters: SIZE_MIB / 4, state: 'complete' });
    // Nothing can delete it now: the name is unknown, the clusters stay used.
    expect((await failure(rpc.call('bdev_lvol_delete', { name: 'lvs/s1' }))).code).toBe(-19);
    expect(await freeClusters()).toBe(free);

    // The clone of a snapshot under copy is not locked: its delete succeeds, and the copy completes.
    await rpc.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'r2', size_in_mib: SIZE_MIB, thin_provision: false });
    await rpc.call('bdev_lvol_snapshot', { lvol_name: 'lvs/r2', snapshot_name: 's2' });
    await rpc.call('bdev_aio_create', { filename: file('st2.img', SIZE_MIB), name: 'st2', block_size: 4096 });
    const { operation_id: op2 } = await rpc.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs/s2', dst_bdev_name: 'st2' });
    expect(await rpc.call('bdev_lvol_delete', { name: 'lvs/r2' })).toBe(true);
    const end2 = await until('the second copy to end', 120_000, async () => {
      const c = await rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: op2 });
      return c.state === 'in progress' ? undefined : c;
    });
    expect(end2.state).toBe('complete');
    // Once the copy ended the snapshot deletes normally.
    expect(await rpc.call('bdev_lvol_delete', { name: 'lvs/s2' })).toBe(true);

    // The half-deleted snapshot's blob is still in the blobstore: the next load brings it back.
    rpc.close();
    await target.kill();
    await start();
    const back = await until('the lvstore loaded', 60_000, async () => {
      const l = await lvols();
      return l.length > 0 ? l : undefined;
    });
    expect(back.map((l) => l.name).sort()).toEqual(['r', 's1']);
    expect(back.find((l) => l.name === 's1')!.num_allocated_clusters).toBe(SIZE_MIB / 4);
  }, 300_000);
});
