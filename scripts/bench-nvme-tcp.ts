/**
 * Write throughput of the userspace NVMe/TCP host (src/nvme-tcp/) into one namespace over
 * 127.0.0.1: --mib MiB written as --block-mib blocks (default 2 MiB, a restore's unit) with enough
 * blocks in flight to keep --qd commands on the I/O queue, then flushed. The target is a real
 * spdk_tgt started here (--spdk-tgt PATH, run with --no-huge -s 1024 on core mask SPDK_CORE_MASK
 * or 0x1), one already running (--spdk-socket PATH), or by default the simulator (dist/spdk/sim,
 * once its listeners speak NVMe/TCP). The namespace is a malloc bdev of --volume-mib (default 128:
 * ~176 MiB of an --no-huge spdk_tgt's memory is free), written round and round, or with --lvol a
 * thin lvol of --mib on an lvstore over an aio file in the scratch directory (a restore's target).
 *
 * With --read, the same blocks are read back the same way after each run's writes.
 *
 * Prints MiB/s, this process's CPU per GiB written (process.cpuUsage: the host's cost on the
 * service's loop) and the load average before and after.
 *
 *   npm run bench:nvme-tcp -- [--spdk-tgt PATH | --spdk-socket PATH] [--mib 2048] [--block-mib 2] [--qd 32] [--lvol] [--read] [--runs 3]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NvmeTcpHost } from '../src/nvme-tcp/host.js';
import { reapOnExit } from './lib/children.js';
import { startSpdkTarget } from './lib/spdk-target.js';
import { connectRaw, type RawRpc } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const MIB = 1024 * 1024;
const SUBNQN = 'nqn.2024-11.io.spdk-conductor:bench-nvme-tcp';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:b7e1c9a0-0000-4000-8000-00000000be17';

const { values } = parseArgs({
  options: {
    'spdk-tgt': { type: 'string' },
    'spdk-socket': { type: 'string' },
    mib: { type: 'string', default: '2048' },
    'block-mib': { type: 'string', default: '2' },
    'volume-mib': { type: 'string', default: '128' },
    qd: { type: 'string', default: '32' },
    /** 0: a free one the kernel picks. */
    port: { type: 'string', default: '0' },
    lvol: { type: 'boolean', default: false },
    /** Read the blocks back after each run's writes, timed the same way. */
    read: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
  },
});
const totalMib = Number(values.mib);
const blockBytes = Number(values['block-mib']) * MIB;
const qd = Number(values.qd);
const runs = Number(values.runs);
let port = Number(values.port);
const volumeBytes = values.lvol ? totalMib * MIB : Number(values['volume-mib']) * MIB;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nvme-tcp-'));
const track = reapOnExit(dir);

async function waitFor(file: string, child: ReturnType<typeof spawn> | undefined, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!fs.existsSync(file)) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${file} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function target(): Promise<{ socket: string; kind: string }> {
  if (values['spdk-socket']) return { socket: values['spdk-socket'], kind: `spdk_tgt at ${values['spdk-socket']}` };
  const socket = path.join(dir, 'spdk.sock');
  if (values['spdk-tgt']) {
    // Its own memory (the bench's malloc bdev lives there) and its own core mask, not the shared defaults.
    const args = ['-m', process.env.SPDK_CORE_MASK ?? '0x1', '--disable-cpumask-locks', '--shm-id', String(process.pid % 10_000), '--no-huge', '-s', '1024'];
    const started = await startSpdkTarget(values['spdk-tgt'], dir, args);
    return { socket: started.socket, kind: started.description };
  }
  await waitFor(socket, track(spawn(process.execPath, [SIM, '--socket', socket, '--name', 'bench-nvme-tcp'], { stdio: 'ignore' })), 'simulator');
  return { socket, kind: 'the simulator' };
}

/** The namespace's bdev, and the subsystem allowing only this host on 127.0.0.1:port. */
async function exportVolume(rpc: RawRpc): Promise<() => Promise<void>> {
  const transports = await rpc.call<{ trtype: string }[]>('nvmf_get_transports');
  if (!transports.some((t) => t.trtype.toUpperCase() === 'TCP')) await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
  let bdev: string;
  const undo: (() => Promise<unknown>)[] = [];
  if (values.lvol) {
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, volumeBytes + 256 * MIB);
    await rpc.call('bdev_aio_create', { name: 'bench_aio', filename: file, block_size: 4096 });
    undo.push(() => rpc.call('bdev_aio_delete', { name: 'bench_aio' }));
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'bench_aio', lvs_name: 'bench_lvs', cluster_sz: 2 * MIB, clear_method: 'none' });
    undo.push(() => rpc.call('bdev_lvol_delete_lvstore', { lvs_name: 'bench_lvs' }));
    bdev = await rpc.call<string>('bdev_lvol_create', { lvs_name: 'bench_lvs', lvol_name: 'vol', size_in_mib: volumeBytes / MIB, thin_provision: true });
    undo.push(() => rpc.call('bdev_lvol_delete', { name: bdev }));
  } else {
    bdev = await rpc.call<string>('bdev_malloc_create', { name: 'bench_malloc', block_size: 4096, num_blocks: volumeBytes / 4096 });
    undo.push(() => rpc.call('bdev_malloc_delete', { name: 'bench_malloc' }));
  }
  await rpc.call('nvmf_create_subsystem', { nqn: SUBNQN, allow_any_host: false });
  undo.push(() => rpc.call('nvmf_delete_subsystem', { nqn: SUBNQN }));
  await rpc.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: HOSTNQN });
  await rpc.call('nvmf_subsystem_add_ns', { nqn: SUBNQN, namespace: { bdev_name: bdev } });
  await rpc.call('nvmf_subsystem_add_listener', { nqn: SUBNQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  return async () => {
    for (const step of undo.reverse()) await step().catch((e: Error) => console.error(`cleanup: ${e.message}`));
  };
}

async function run(index: number): Promise<void> {
  const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn: SUBNQN, hostnqn: HOSTNQN, queueDepth: qd });
  try {
    const ns = await host.namespace();
    // Distinct random blocks so nothing is all zeros or repeated (a lvol could skip neither, but be fair)
    const blocks = Array.from({ length: 4 }, () => randomBytes(blockBytes));
    const count = Math.floor((totalMib * MIB) / blockBytes);
    const slots = Math.floor((ns.blocks * ns.blockBytes) / blockBytes);
    const lanes = Math.max(1, Math.ceil((host.queueDepth * host.maxTransferBytes) / blockBytes));
    const shape = `${lanes} × ${blockBytes / MIB} MiB in flight on ${host.queueDepth} slots of ${host.maxTransferBytes / 1024} KiB`;
    await measure(`run ${index + 1} write`, count, shape, async () => {
      await inLanes(lanes, count, (i) => host.write(ns.nsid, (i % slots) * blockBytes, blocks[i % blocks.length]!));
      await host.flush(ns.nsid);
    });
    if (values.read) await measure(`run ${index + 1} read`, count, shape, () => inLanes(lanes, count, (i) => host.read(ns.nsid, (i % slots) * blockBytes, blockBytes)));
  } finally {
    await host.close();
  }
}

/** `count` calls of `work`, at most `lanes` at once. */
async function inLanes(lanes: number, count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function measure(what: string, count: number, shape: string, work: () => Promise<void>): Promise<void> {
  const load = os.loadavg();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const mib = (count * blockBytes) / MIB;
  const gib = mib / 1024;
  const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `${what}: ${mib} MiB in ${seconds.toFixed(2)} s = ${(mib / seconds).toFixed(0)} MiB/s; ` +
      `host CPU ${((used.user + used.system) / 1000 / gib).toFixed(0)} ms/GiB (user ${(used.user / 1000 / gib).toFixed(0)}, system ${(used.system / 1000 / gib).toFixed(0)}); ` +
      `${shape}; load ${loads(load)} -> ${loads(os.loadavg())}`,
  );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

async function main(): Promise<void> {
  if (port === 0) port = await freePort();
  const { socket, kind } = await target();
  const rpc = await connectRaw(socket);
  const cleanup = await exportVolume(rpc);
  console.log(
    `bench:nvme-tcp against ${kind}: ${values.lvol ? `a thin lvol of ${volumeBytes / MIB} MiB (aio file, 2 MiB clusters)` : `a malloc bdev of ${volumeBytes / MIB} MiB`}, node ${process.version}, ${os.cpus().length} CPUs`,
  );
  try {
    for (let i = 0; i < runs; i++) await run(i);
  } finally {
    await cleanup();
    rpc.close();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
