/**
 * Three simulators as real processes on real sockets (transcripts 01, 02, 03, 06, scaled down):
 *   B exports a replica lvol (aio file) over the fabric;
 *   A (the engine) attaches it, builds raid1 with a local lvol and exports the raid;
 *   C (the host) attaches A's export with its own ctrl-loss timeout.
 * B is SIGKILLed: A's controller retries, the raid fails the member under I/O and loses the bdev
 * at ctrlr-loss, staying online with one member; C never notices. B comes back on the same file,
 * A re-attaches and adds the member back; the rebuild copies everything and the members match.
 *
 * Needs the simulator built: `npx tsc -p tsconfig.json` first.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcFailure, SimClient } from './helpers/sim-client.js';
import { startSim, type RunningSim } from './helpers/start-sim.js';
import { freePort, pattern } from './modules/fake-target.js';
import { tempDir } from '../helpers/temp-dir.js';

const REPLICA_NQN = 'nqn.2016-06.io.spdk:replica1';
const ENGINE_NQN = 'nqn.2016-06.io.spdk:vol1';
/** Short timeouts keep the test fast; the rules are those of 10/2/5 in the transcripts. */
const LOSS = { ctrlr_loss_timeout_sec: 4, reconnect_delay_sec: 1, fast_io_fail_timeout_sec: 2 };

const running: RunningSim[] = [];
const clients: SimClient[] = [];

async function sim(name: string): Promise<{ proc: RunningSim; rpc: SimClient }> {
  const proc = await startSim({ name });
  running.push(proc);
  const rpc = await SimClient.connect(proc.socket);
  clients.push(rpc);
  return { proc, rpc };
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function checksum(rpc: SimClient, name: string): Promise<string> {
  return (await rpc.call<{ sha256: string }>('sim_bdev_checksum', { name })).sha256;
}

async function write(rpc: SimClient, name: string, lba: number, blocks: number, seed: number): Promise<void> {
  await rpc.call('sim_bdev_write', { name, offset_blocks: lba, data_base64: pattern(blocks, seed).toString('base64') });
}

async function exportBdev(rpc: SimClient, nqn: string, bdev: string, port: number): Promise<void> {
  await rpc.call('nvmf_create_subsystem', { nqn, allow_any_host: true });
  await rpc.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
  await rpc.call('nvmf_subsystem_add_listener', {
    nqn,
    listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) },
  });
}

interface RaidInfo {
  state: string;
  num_base_bdevs_discovered: number;
  num_base_bdevs_operational: number;
  process?: unknown;
}

async function raid(rpc: SimClient): Promise<RaidInfo> {
  const [r] = await rpc.call<RaidInfo[]>('bdev_raid_get_bdevs', { category: 'all' });
  return r!;
}

async function ctrlrState(rpc: SimClient, name: string): Promise<string | undefined> {
  try {
    const [c] = await rpc.call<Array<{ ctrlrs: Array<{ state: string }> }>>('bdev_nvme_get_controllers', { name });
    return c?.ctrlrs[0]?.state;
  } catch (err) {
    if (err instanceof RpcFailure && err.code === -22) return undefined;
    throw err;
  }
}

afterAll(async () => {
  if (process.env.SIM_DEBUG) for (const p of running) console.log(p.name, p.stderr().slice(-3000));
  for (const c of clients) c.close();
  await Promise.all(running.map((p) => p.stop()));
});

describe('replica loss and rebuild across three simulators', () => {
  it('keeps the volume online through losing B and rebuilds it when B is back', async () => {
    const dir = tempDir('sim-mp-');
    const replicaFile = join(dir, 'replica-disk.img');
    writeFileSync(replicaFile, '');
    truncateSync(replicaFile, 64 * 1024 * 1024);
    const [replicaPort, enginePort] = [await freePort(), await freePort()];

    // B: an lvstore on a file, one thin 16 MiB replica, exported.
    let b = await sim('B');
    const createReplica = async (client: SimClient) => {
      await client.call('bdev_aio_create', { name: 'aioB', filename: replicaFile, block_size: 4096 });
      await client.call('nvmf_create_transport', { trtype: 'TCP' });
    };
    await createReplica(b.rpc);
    await b.rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'aioB', lvs_name: 'lvsB' });
    await b.rpc.call('bdev_lvol_create', { lvol_name: 'replica1', size_in_mib: 16, thin_provision: true, lvs_name: 'lvsB' });
    await exportBdev(b.rpc, REPLICA_NQN, 'lvsB/replica1', replicaPort);

    // A: the engine, raid1 of the remote replica and a local lvol, exported.
    const a = await sim('A');
    await a.rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    const attachReplica = () =>
      a.rpc.call('bdev_nvme_attach_controller', {
        name: 'r1',
        trtype: 'tcp',
        adrfam: 'ipv4',
        traddr: '127.0.0.1',
        trsvcid: String(replicaPort),
        subnqn: REPLICA_NQN,
        ...LOSS,
      });
    expect(await attachReplica()).toEqual(['r1n1']);
    await a.rpc.call('bdev_malloc_create', { name: 'MallocA', num_blocks: 8192, block_size: 4096 });
    await a.rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'MallocA', lvs_name: 'lvsA' });
    await a.rpc.call('bdev_lvol_create', { lvol_name: 'local1', size_in_mib: 16, thin_provision: true, lvs_name: 'lvsA' });
    expect(await a.rpc.call('bdev_raid_create', { name: 'raid1', raid_level: 'raid1', base_bdevs: ['r1n1', 'lvsA/local1'] })).toBe(true);
    expect(await raid(a.rpc)).toMatchObject({ state: 'online', num_base_bdevs_operational: 2 });
    await exportBdev(a.rpc, ENGINE_NQN, 'raid1', enginePort);

    // C: the host, with its own (longer) ctrl-loss timeout.
    const c = await sim('C');
    expect(
      await c.rpc.call('bdev_nvme_attach_controller', {
        name: 'vol',
        trtype: 'tcp',
        adrfam: 'ipv4',
        traddr: '127.0.0.1',
        trsvcid: String(enginePort),
        subnqn: ENGINE_NQN,
        ctrlr_loss_timeout_sec: 30,
        reconnect_delay_sec: 2,
        fast_io_fail_timeout_sec: 10,
      }),
    ).toEqual(['voln1']);

    // Data written on the raid and through the host lands on both members.
    await write(a.rpc, 'raid1', 0, 32, 1);
    await write(c.rpc, 'voln1', 1000, 32, 2);
    const local = await checksum(a.rpc, 'lvsA/local1');
    expect(await checksum(a.rpc, 'r1n1')).toBe(local);
    expect(await checksum(b.rpc, 'lvsB/replica1')).toBe(local);
    expect(await checksum(c.rpc, 'voln1')).toBe(local);

    // B dies. A retries, fails the member under writes after fast-io-fail, and drops the bdev
    // after ctrlr-loss; the raid stays online with one member.
    const killed = Date.now();
    await b.proc.kill();
    await until('reconnect_is_delayed', 1000, async () => (await ctrlrState(a.rpc, 'r1')) === 'reconnect_is_delayed');
    await write(c.rpc, 'voln1', 2000, 16, 3);
    const writeStalled = Date.now() - killed;
    expect(writeStalled).toBeGreaterThan(1500);
    expect(writeStalled).toBeLessThan(3500);
    expect(await raid(a.rpc)).toMatchObject({ state: 'online', num_base_bdevs_discovered: 1, num_base_bdevs_operational: 1 });
    expect(await ctrlrState(a.rpc, 'r1')).toBe('reconnect_is_delayed');
    await until('r1n1 removed', 6000, async () => {
      const bdevs = await a.rpc.call<Array<{ name: string }>>('bdev_get_bdevs');
      return !bdevs.some((x) => x.name === 'r1n1');
    });
    const bdevGone = Date.now() - killed;
    expect(bdevGone).toBeGreaterThan(3500);
    expect(bdevGone).toBeLessThan(5500);
    await until('controller r1 deleted', 2000, async () => (await ctrlrState(a.rpc, 'r1')) === undefined);
    expect(await raid(a.rpc)).toMatchObject({ state: 'online', num_base_bdevs_operational: 1 });
    expect(await ctrlrState(c.rpc, 'vol')).toBe('enabled');
    await write(a.rpc, 'raid1', 3000, 32, 4);

    // B restarts on the same file: the lvstore and the replica come back; it is exported again.
    b = await sim('B');
    await createReplica(b.rpc);
    await until('lvsB/replica1 reloaded', 3000, async () => {
      const bdevs = await b.rpc.call<Array<{ aliases: string[] }>>('bdev_get_bdevs');
      return bdevs.some((x) => x.aliases.includes('lvsB/replica1'));
    });
    await exportBdev(b.rpc, REPLICA_NQN, 'lvsB/replica1', replicaPort);

    // A re-attaches and adds the member back: a full rebuild.
    expect(await attachReplica()).toEqual(['r1n1']);
    expect(await a.rpc.call('bdev_raid_add_base_bdev', { raid_bdev: 'raid1', base_bdev: 'r1n1' })).toBe(true);
    expect(await raid(a.rpc)).toMatchObject({ num_base_bdevs_discovered: 2, num_base_bdevs_operational: 2 });
    await until('rebuild finished', 10000, async () => (await raid(a.rpc)).process === undefined);
    expect(await raid(a.rpc)).toMatchObject({ state: 'online', num_base_bdevs_operational: 2 });

    const rebuilt = await checksum(a.rpc, 'lvsA/local1');
    expect(await checksum(a.rpc, 'r1n1')).toBe(rebuilt);
    expect(await checksum(b.rpc, 'lvsB/replica1')).toBe(rebuilt);
    expect(await checksum(c.rpc, 'voln1')).toBe(rebuilt);
    expect(rebuilt).not.toBe(local);
  }, 60_000);
});
