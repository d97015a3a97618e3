/**
 * Growing a raid1's members, as transcript 21 records it on two real targets: B exports a thin
 * lvol, A attaches it and builds a superblock raid1 with a local lvol, exported. v26.05 has no
 * raid resize RPC; the raid follows its smallest member (less its data offset) by itself: a local
 * lvol resize moves it at once, a remote lvol's resize reaches A's NVMe bdev through the
 * namespace notice within milliseconds, and a host attached to A's export sees the new size too.
 * Shrinking a claimed lvol is -32602 "Device or resource busy" and changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { truncateSync, writeFileSync } from 'node:fs';
import { RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { portBlock } from '../../helpers/ports.js';

const running: RunningSim[] = [];
const clients: SimClient[] = [];

async function sim(name: string): Promise<SimClient> {
  const proc = await startSim({ name });
  running.push(proc);
  const rpc = await SimClient.connect(proc.socket);
  clients.push(rpc);
  return rpc;
}

async function blocks(rpc: SimClient, name: string): Promise<number> {
  const [bdev] = await rpc.call<Array<{ num_blocks: number }>>('bdev_get_bdevs', { name });
  return bdev!.num_blocks;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RpcFailure);
  return { code: (err as RpcFailure).code, message: (err as RpcFailure).message };
}

async function exportBdev(rpc: SimClient, nqn: string, bdev: string, port: number): Promise<void> {
  await rpc.call('nvmf_create_subsystem', { nqn, allow_any_host: true });
  await rpc.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
  await rpc.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
}

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(running.map((s) => s.stop()));
});

describe('raid1 growth (transcript 21)', () => {
  it('follows its smallest member, local and remote, and the host sees it; a shrink is refused', async () => {
    const dir = tempDir('raid-resize');
    const ports = portBlock();
    const [a, b, host] = await Promise.all([sim('A'), sim('B'), sim('host')]);
    for (const [rpc, file] of [
      [a, join(dir, 'a.img')],
      [b, join(dir, 'b.img')],
    ] as const) {
      writeFileSync(file, '');
      truncateSync(file, 256 * 1024 * 1024);
      await rpc.call('bdev_aio_create', { name: 'aio', filename: file, block_size: 4096 });
      await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'aio', lvs_name: 'lvs' });
      await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    }
    await b.call('bdev_lvol_create', { lvol_name: 'rb', size_in_mib: 32, thin_provision: true, lvs_name: 'lvs' });
    await exportBdev(b, 'nqn.2016-06.io.spdk:rb21', 'lvs/rb', ports);
    await a.call('bdev_lvol_create', { lvol_name: 'la', size_in_mib: 32, thin_provision: true, lvs_name: 'lvs' });
    await a.call('bdev_nvme_attach_controller', { name: 'rB', trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(ports), subnqn: 'nqn.2016-06.io.spdk:rb21' });
    await a.call('bdev_raid_create', { name: 'r21', raid_level: 'raid1', base_bdevs: ['lvs/la', 'rBn1'], superblock: true });
    await exportBdev(a, 'nqn.2016-06.io.spdk:r21', 'r21', ports + 1);
    const [hostBdev] = await host.call<string[]>('bdev_nvme_attach_controller', {
      name: 'vol',
      trtype: 'tcp',
      adrfam: 'ipv4',
      traddr: '127.0.0.1',
      trsvcid: String(ports + 1),
      subnqn: 'nqn.2016-06.io.spdk:r21',
    });

    // Before: members 8192 blocks, offsets 1024 (lvol cluster) and 256 (NVMe): raid 7168.
    expect([await blocks(a, 'lvs/la'), await blocks(a, 'rBn1'), await blocks(a, 'r21')]).toEqual([8192, 8192, 7168]);
    expect(await refusal(a.call('bdev_raid_resize', { name: 'r21' }))).toEqual({ code: -32601, message: 'Method not found' });
    expect(await refusal(a.call('bdev_lvol_resize', { name: 'lvs/la', size_in_mib: 16 }))).toEqual({ code: -32602, message: 'Device or resource busy' });
    expect(await blocks(a, 'lvs/la')).toBe(8192);

    // The local member grows: the raid takes the remote one's 8192 - 256.
    await a.call('bdev_lvol_resize', { name: 'lvs/la', size_in_mib: 64 });
    expect([await blocks(a, 'lvs/la'), await blocks(a, 'rBn1'), await blocks(a, 'r21')]).toEqual([16384, 8192, 7936]);
    const [raid] = await a.call<Array<{ base_bdevs_list: Array<{ data_offset: number; data_size: number }> }>>('bdev_raid_get_bdevs', { category: 'all' });
    expect(raid!.base_bdevs_list.map((m) => [m.data_offset, m.data_size])).toEqual([
      [1024, 7936],
      [256, 7936],
    ]);

    // The remote member grows on B: A's NVMe bdev follows within moments, then the raid, then the host.
    await b.call('bdev_lvol_resize', { name: 'lvs/rb', size_in_mib: 64 });
    await until('A to see rBn1 grow', 5_000, async () => (await blocks(a, 'rBn1')) === 16384);
    expect(await blocks(a, 'r21')).toBe(15360);
    await until('the host to see the volume grow', 5_000, async () => (await blocks(host, hostBdev!)) === 15360);
    expect(await refusal(b.call('bdev_lvol_resize', { name: 'lvs/rb', size_in_mib: 32 }))).toEqual({ code: -32602, message: 'Device or resource busy' });

    // The grown range is usable end to end.
    const last = Buffer.alloc(4096, 0x5a);
    await host.call('sim_bdev_write', { name: hostBdev, offset_blocks: 15359, data_base64: last.toString('base64') });
    const read = await host.call<{ data_base64: string }>('sim_bdev_read', { name: hostBdev, offset_blocks: 15359, num_blocks: 1 });
    expect(Buffer.from(read.data_base64, 'base64').equals(last)).toBe(true);
  }, 60_000);
});
