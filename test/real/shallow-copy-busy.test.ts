/**
 * What real spdk_tgt v26.05 answers to a second bdev_lvol_start_shallow_copy while one runs: of
 * the same snapshot into another bdev, and of the same snapshot (or another) into the same
 * destination. The simulator answers the same (spdk/sim/lvol/shallow-copy.ts), and the service
 * never asks (copy-holds.ts: one copy of a snapshot at a time; a destination is one copy's own).
 *
 * Where the answers come from (v26.05 source):
 * - vbdev_lvol_rpc.c rpc_bdev_lvol_start_shallow_copy takes the operation id (++g_shallow_copy_count)
 *   before vbdev_lvol_shallow_copy runs; that claims the destination (spdk_bs_bdev_claim), which
 *   fails -EPERM on a bdev the running copy claimed: the start answers -32602 (INVALID_PARAMS)
 *   "Operation not permitted", and the id it took is never answered.
 * - Of another destination the start answers an id: the blob is opened asynchronously, and
 *   blobstore.c bs_shallow_copy_blob_open_cpl finds locked_operation_in_progress set by the running
 *   copy and ends the new one -EBUSY. Its check answers state "error", error "Device or resource
 *   busy" (spdk_strerror), 0 of the snapshot's allocated clusters copied; the running copy goes on.
 * The running copy is slowed by a QoS write limit on its destination so that it surely still runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcFailure, SimClient } from '../sim/helpers/sim-client.js';
import { MIB, RealTarget, SPDK_TGT, until } from './helpers/real-node.js';

const SIZE_MIB = 256;
const CLUSTERS = SIZE_MIB / 4;

interface Check {
  copied_clusters: number;
  total_clusters: number;
  state: string;
  error?: string;
}

describe.skipIf(!SPDK_TGT)('a second shallow copy while one runs (SPDK_TGT; skipped without it: needs a real spdk_tgt v26.05)', () => {
  let dir: string;
  let target: RealTarget;
  let rpc: SimClient;

  const failure = rpcFailure;
  const aio = async (name: string, mib: number) => {
    const p = path.join(dir, `${name}.img`);
    fs.writeFileSync(p, '');
    fs.truncateSync(p, mib * MIB);
    await rpc.call('bdev_aio_create', { filename: p, name, block_size: 4096 });
  };
  const check = (op: number) => rpc.call<Check>('bdev_lvol_check_shallow_copy', { operation_id: op });
  const start = (src: string, dst: string) => rpc.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: src, dst_bdev_name: dst });
  const ended = (op: number) =>
    until(`copy ${op} to end`, 120_000, async () => {
      const c = await check(op);
      return c.state === 'in progress' ? undefined : c;
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-real-copybusy-'));
    target = new RealTarget('copybusy', path.join(dir, 'spdk.sock'));
    await target.start();
    rpc = await SimClient.connect(target.socket);
    await aio('disk', 2 * SIZE_MIB + 128);
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'disk', lvs_name: 'lvs' });
  }, 120_000);

  afterAll(async () => {
    rpc?.close();
    await target?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('of the same snapshot elsewhere: an id, then "error" EBUSY at its check; into the same destination: -32602 EPERM at the start', async () => {
    // A thick lvol's snapshot owns every cluster.
    await rpc.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'r', size_in_mib: SIZE_MIB, thin_provision: false });
    await rpc.call('bdev_lvol_snapshot', { lvol_name: 'lvs/r', snapshot_name: 's1' });
    await rpc.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: 'q', size_in_mib: 8, thin_provision: false });
    await rpc.call('bdev_lvol_snapshot', { lvol_name: 'lvs/q', snapshot_name: 's2' });
    await aio('st1', SIZE_MIB);
    await aio('st2', SIZE_MIB);
    await aio('st3', SIZE_MIB);
    await rpc.call('bdev_set_qos_limit', { name: 'st1', w_mbytes_per_sec: 1 });

    const { operation_id: op } = await start('lvs/s1', 'st1');
    expect((await check(op)).state).toBe('in progress');

    // The same snapshot into another bdev: answered, then ended by the lock.
    const { operation_id: op2 } = await start('lvs/s1', 'st2');
    expect(op2).toBe(op + 1);
    expect(await ended(op2)).toEqual({ copied_clusters: 0, total_clusters: CLUSTERS, state: 'error', error: 'Device or resource busy' });
    // Its final state is answered once, then the id is forgotten.
    const forgotten = await failure(check(op2));
    expect({ code: forgotten.code, message: forgotten.message }).toEqual({ code: -19, message: 'No such device' });

    // The same snapshot into the same (claimed) destination: refused at the start.
    const same = await failure(start('lvs/s1', 'st1'));
    expect({ code: same.code, message: same.message }).toEqual({ code: -32602, message: 'Operation not permitted' });
    // Another snapshot into it: the same refusal (the claim, not the snapshot).
    const other = await failure(start('lvs/s2', 'st1'));
    expect({ code: other.code, message: other.message }).toEqual({ code: -32602, message: 'Operation not permitted' });
    // Each refused start took an id all the same.
    const { operation_id: op5 } = await start('lvs/s2', 'st3');
    expect(op5).toBe(op2 + 3);
    expect(await ended(op5)).toEqual({ copied_clusters: 2, total_clusters: 2, state: 'complete' });

    // All this while, the first copy ran on.
    const during = await check(op);
    expect(during.state, 'the first copy ended before the second ones were tried').toBe('in progress');
    await rpc.call('bdev_set_qos_limit', { name: 'st1', w_mbytes_per_sec: 0 });
    expect(await ended(op)).toEqual({ copied_clusters: CLUSTERS, total_clusters: CLUSTERS, state: 'complete' });

    // Once it ended, a copy of the snapshot runs.
    const { operation_id: op6 } = await start('lvs/s1', 'st2');
    expect(await ended(op6)).toEqual({ copied_clusters: CLUSTERS, total_clusters: CLUSTERS, state: 'complete' });
  }, 300_000);
});
