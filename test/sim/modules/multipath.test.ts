/**
 * bdev_nvme_set_multipath_policy over two real TCP paths (bdev_nvme.c): active_passive keeps I/O
 * on the first path, active_active round robin switches every rr_min_io I/Os, queue_depth sends
 * an I/O to the path with the fewest in flight.
 */
import { describe, expect, it } from 'vitest';
import type { NvmeBdev } from '../../../spdk/sim/nvme/bdev.js';
import { freePort, pattern, rpcError } from './fake-target.js';
import { NQN, nvmeFixture } from './nvme-fixture.js';

const f = nvmeFixture();

/** Attaches two paths to one bdev and counts the I/Os each path submits. */
async function twoPaths(): Promise<{ bdev: NvmeBdev; served: number[] }> {
  const port2 = String(await freePort());
  await f.exportReplica();
  await f.b.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port2 } });
  await f.attach({}, 'h1');
  await f.attach({ trsvcid: port2, multipath: 'multipath' }, 'h1');
  const bdev = f.a.bdevs.get('h1n1') as NvmeBdev;
  const served = [0, 0];
  bdev.paths.forEach((path, i) => {
    const submit = path.submit.bind(path);
    path.submit = (...args) => {
      served[i]!++;
      return submit(...args);
    };
  });
  return { bdev, served };
}

describe('multipath policy', () => {
  it('active_passive: every I/O on the first path', async () => {
    const { bdev, served } = await twoPaths();
    for (let i = 0; i < 4; i++) await bdev.write(i, pattern(1, i));
    expect(served).toEqual([4, 0]);
  });

  it('active_active round robin: switches path every rr_min_io I/Os', async () => {
    const { bdev, served } = await twoPaths();
    expect(await f.a.call('bdev_nvme_set_multipath_policy', { name: 'h1n1', policy: 'active_active', rr_min_io: 2 })).toBe(true);
    for (let i = 0; i < 8; i++) await bdev.write(i, pattern(1, i));
    expect(served).toEqual([4, 4]);
    expect(f.replica.contents().subarray(7 * 4096, 8 * 4096)).toEqual(pattern(1, 7));
  });

  it('active_active queue_depth: the path with the fewest I/Os in flight', async () => {
    const { bdev, served } = await twoPaths();
    await f.a.call('bdev_nvme_set_multipath_policy', { name: 'h1n1', policy: 'active_active', selector: 'queue_depth' });
    await Promise.all([0, 1, 2, 3].map((i) => bdev.write(i, pattern(1, i))));
    expect(served).toEqual([2, 2]);
  });

  it('refuses an unknown policy or selector as a decode failure, and a bdev that is not NVMe with -19', async () => {
    await twoPaths();
    const decodeFailed = { code: -32603, message: 'spdk_json_decode_object failed' };
    expect(await rpcError(f.a.call('bdev_nvme_set_multipath_policy', { name: 'h1n1', policy: 'round_robin' }))).toEqual(decodeFailed);
    expect(await rpcError(f.a.call('bdev_nvme_set_multipath_policy', { name: 'h1n1', policy: 'active_active', selector: 'fastest' }))).toEqual(decodeFailed);
    expect(await rpcError(f.a.call('bdev_nvme_set_multipath_policy', { name: 'h1n1', policy: 'active_passive', selector: 'round_robin' }))).toEqual(decodeFailed);
    expect(await rpcError(f.a.call('bdev_nvme_set_multipath_policy', { name: 'nope', policy: 'active_passive' }))).toEqual({ code: -19, message: 'No such device' });
  });
});
