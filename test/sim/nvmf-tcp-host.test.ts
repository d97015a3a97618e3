/**
 * The simulator's NVMe/TCP target (spdk/sim/nvmf/tcp/) under the service's own host
 * (src/nvme-tcp/), for what the target side must get right in issue 13's restore path: a thin
 * lvol exported on 127.0.0.1 to the service's host NQN only, written with only the data blocks,
 * flushed, disconnected, unexported and renamed; its clusters and iostat as spdk_tgt keeps them;
 * a host that keeps alive keeps its controller past KATO; the subsystem changing under the host.
 * (test/nvme-tcp/host-sim.test.ts checks the host's side against the same target.)
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { portBlock } from '../helpers/ports.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';
import { SimClient } from './helpers/sim-client.js';
import { type RunningSim, startSim } from './helpers/start-sim.js';

const MIB = 1024 * 1024;
const BLOCK = 4096;
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:0d7c1e3a-4b5f-4c2d-8e9f-00000000a017';
const CLUSTER = MIB;

let sim: RunningSim;
let rpc: SimClient;
let port: number;
const open: NvmeTcpHost[] = [];

interface LvolInfo {
  name: string;
  aliases: string[];
  claimed: boolean;
  driver_specific: { lvol: { num_allocated_clusters: number } };
}

const lvol = async (name: string) => (await rpc.call<LvolInfo[]>('bdev_get_bdevs', { name }))[0]!;
const iostat = async (name: string) => (await rpc.call<{ bdevs: Array<{ bytes_written: number; num_write_ops: number }> }>('bdev_get_iostat', { names: [name] })).bdevs[0]!;

async function exportLvol(nqn: string, bdev: string): Promise<void> {
  await rpc.call('nvmf_create_subsystem', { nqn, allow_any_host: false });
  await rpc.call('nvmf_subsystem_add_host', { nqn, host: HOSTNQN });
  await rpc.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
  await rpc.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
}

async function connect(subnqn: string): Promise<NvmeTcpHost> {
  const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn, hostnqn: HOSTNQN, timeoutMs: 60_000 });
  open.push(host);
  return host;
}

const controllers = (nqn: string) => rpc.call<Array<{ cntlid: number; num_io_qpairs: number }>>('nvmf_subsystem_get_controllers', { nqn });

beforeAll(async () => {
  port = portBlock();
  sim = await startSim({ name: 'tcp-host' });
  rpc = await SimClient.connect(sim.socket);
  await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
  await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: (96 * MIB) / BLOCK, block_size: BLOCK });
  await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'ls', cluster_sz: CLUSTER });
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((h) => h.close()));
  rpc?.close();
  await sim?.stop();
});

describe('the restore path on the simulator', () => {
  it('writes only the data clusters of a thin lvol: those clusters allocated, iostat counts them, the rest reads zeros; then unexport and rename', async () => {
    const nqn = 'nqn.2016-06.io.spdk:restore-1';
    await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'restore-tmp', size_in_mib: 32, thin_provision: true });
    await exportLvol(nqn, 'ls/restore-tmp');
    const before = await iostat('ls/restore-tmp');
    const host = await connect(nqn);
    expect(await host.namespace()).toEqual({ nsid: 1, blockBytes: BLOCK, blocks: (32 * MIB) / BLOCK });
    // A backup with data in clusters 0, 5 and 17 (2 MiB at 17: clusters 17 and 18), zeros elsewhere.
    const pieces = [
      { at: 0, data: Buffer.alloc(CLUSTER, 0x11) },
      { at: 5 * CLUSTER + 64 * 1024, data: Buffer.alloc(128 * 1024, 0x22) },
      { at: 17 * CLUSTER, data: Buffer.alloc(2 * CLUSTER, 0x33) },
    ];
    await Promise.all(pieces.map((p) => host.write(1, p.at, p.data)));
    await host.flush(1);
    const written = pieces.reduce((n, p) => n + p.data.length, 0);
    expect((await iostat('ls/restore-tmp')).bytes_written - before.bytes_written).toBe(written);
    expect((await lvol('ls/restore-tmp')).driver_specific.lvol.num_allocated_clusters).toBe(4);
    expect((await host.read(1, 5 * CLUSTER, CLUSTER)).equals(Buffer.concat([Buffer.alloc(64 * 1024), pieces[1]!.data, Buffer.alloc(CLUSTER - 192 * 1024)]))).toBe(true);
    expect((await host.read(1, 9 * CLUSTER, CLUSTER)).equals(Buffer.alloc(CLUSTER))).toBe(true);
    await host.close();
    await until('the controller gone', async () => (await controllers(nqn)).length === 0, 30_000);
    await rpc.call('nvmf_delete_subsystem', { nqn });
    expect((await lvol('ls/restore-tmp')).claimed).toBe(false);
    await rpc.call('bdev_lvol_rename', { old_name: 'ls/restore-tmp', new_name: 'restored' });
    const sum = await rpc.call<{ sha256: string }>('sim_bdev_checksum', { name: 'ls/restored', offset_blocks: (17 * CLUSTER) / BLOCK, num_blocks: (2 * CLUSTER) / BLOCK });
    expect(sum.sha256).toBe(createHash('sha256').update(pieces[2]!.data).digest('hex'));
  }, 120_000);
});

describe('the association over time', () => {
  it('a host that sends Keep Alive keeps its controller past KATO (10 s); I/O still works', async () => {
    const nqn = 'nqn.2016-06.io.spdk:kato';
    await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'kato', size_in_mib: 8, thin_provision: true });
    await exportLvol(nqn, 'ls/kato');
    const host = await connect(nqn);
    const [ctrl] = await controllers(nqn);
    expect(ctrl?.num_io_qpairs).toBe(2);
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await controllers(nqn)).map((c) => c.cntlid)).toEqual([ctrl!.cntlid]);
    await host.write(1, 0, Buffer.alloc(BLOCK, 7));
    expect((await host.read(1, 0, BLOCK)).equals(Buffer.alloc(BLOCK, 7))).toBe(true);
    await host.close();
    await rpc.call('nvmf_delete_subsystem', { nqn });
  }, 60_000);

  it('remove_ns fails the host reads with Invalid Namespace; remove_host ends its connections', async () => {
    const nqn = 'nqn.2016-06.io.spdk:changes';
    await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'changes', size_in_mib: 8, thin_provision: true });
    await exportLvol(nqn, 'ls/changes');
    const host = await connect(nqn);
    await host.namespace(1);
    await rpc.call('nvmf_subsystem_remove_ns', { nqn, nsid: 1 });
    const error = await conductorRefusal(host.read(1, 0, BLOCK));
    expect(error.details).toMatchObject({ sct: 0, sc: 0x0b });
    await rpc.call('nvmf_subsystem_remove_host', { nqn, host: HOSTNQN });
    await until('the controller gone', async () => (await controllers(nqn)).length === 0, 30_000);
    await expect(host.flush(1)).rejects.toThrow();
    await rpc.call('nvmf_delete_subsystem', { nqn });
  }, 60_000);
});
