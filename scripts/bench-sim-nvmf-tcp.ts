/**
 * The simulator's NVMe/TCP target moving data: 2 MiB writes at queue depth 32 over loopback, each
 * split into commands of the controller's MDTS (128 KiB with the transport's defaults: one R2T and
 * one H2CData each), spread over I/O qpairs (a qpair holds at most max_queue_depth - 1 commands).
 * Prints GB/s and the simulator's CPU per GB. The target is a malloc bdev (`--bdev malloc`) or a
 * thin lvol on one (`--bdev lvol`, the restore path); writes wrap around its size.
 *
 *   npm run build && flock /tmp/bench.lock node dist/scripts/bench-sim-nvmf-tcp.js [--gib 4] [--bdev lvol] [--qpairs 4]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectQpair, enable, writeSqe, type WireHost } from './lib/nvme-tcp-wire.js';
import { cpuMs } from './lib/proc-stats.js';
import { connectRaw } from './lib/raw-rpc.js';

const SIM_MAIN = fileURLToPath(new URL('../spdk/sim/main.js', import.meta.url));
const MIB = 1024 * 1024;
const NQN = 'nqn.2016-06.io.spdk:bench';
const HOST = 'nqn.2016-06.io.spdk:bench-host';

const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '4' },
    bdev: { type: 'string', default: 'malloc' },
    qpairs: { type: 'string', default: '4' },
    depth: { type: 'string', default: '32' },
    port: { type: 'string', default: '4420' },
  },
});
const totalBytes = Number(values.gib) * 1024 * MIB;
const depth = Number(values.depth);
const qpairCount = Number(values.qpairs);
const port = Number(values.port);
const WRITE = 2 * MIB;
const BS = 4096;
const SIZE_MIB = 512;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nvmf-tcp-'));
  const socket = join(dir, 'sim.sock');
  // SIM_NODE_ARGS: extra node flags for the simulator (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
  const nodeArgs = (process.env.SIM_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const sim = spawn(process.execPath, [...nodeArgs, SIM_MAIN, '--socket', socket, '--name', 'bench', '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    let rpc: Awaited<ReturnType<typeof connectRaw>> | null = null;
    for (let i = 0; i < 200 && !rpc; i++) {
      rpc = await connectRaw(socket).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return null;
      });
    }
    if (!rpc) throw new Error('simulator did not start');
    await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: ((SIZE_MIB + 64) * MIB) / BS, block_size: BS });
    let bdev = 'm0';
    if (values.bdev === 'lvol') {
      await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'ls' });
      await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'v', size_in_mib: SIZE_MIB, thin_provision: true });
      bdev = 'ls/v';
    }
    await rpc.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: bdev } });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });

    const { host: admin, done } = await connectQpair(port, NQN, HOST, 0);
    await enable(admin);
    const cntlid = done.cqe.cdw0 & 0xffff;
    const ios: WireHost[] = [];
    for (let q = 1; q <= qpairCount; q++) ios.push((await connectQpair(port, NQN, HOST, q, { cntlid, sqsize: 127 })).host);
    const mdts = admin.maxh2cdata; // MAXH2CDATA = max_io_size = MDTS here
    const payload = Buffer.alloc(WRITE, 0x5a);
    const spanBlocks = (SIZE_MIB * MIB) / BS;
    let issued = 0;
    let next = 0;
    const oneWrite = async (qp: WireHost): Promise<void> => {
      const lba = ((next++ * WRITE) / BS) % spanBlocks;
      const parts: Promise<unknown>[] = [];
      for (let off = 0; off < WRITE; off += mdts) {
        const blocks = mdts / BS;
        parts.push(qp.command(writeSqe(1, lba + off / BS, blocks, BS), { writeData: payload.subarray(off, off + mdts) }));
      }
      const results = (await Promise.all(parts)) as Array<{ cqe: { sc: number; sct: number } }>;
      if (results.some((r) => r.cqe.sc !== 0 || r.cqe.sct !== 0)) throw new Error('a write failed');
    };
    const lane = async (i: number): Promise<void> => {
      const qp = ios[i % ios.length]!;
      while (issued < totalBytes) {
        issued += WRITE;
        await oneWrite(qp);
      }
    };
    const cpu0 = cpuMs(sim.pid);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: depth }, (_, i) => lane(i)));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuMs(sim.pid) - cpu0) / 1000;
    const gb = issued / 1e9;
    console.log(
      JSON.stringify({
        bdev,
        write_bytes: WRITE,
        queue_depth: depth,
        qpairs: qpairCount,
        command_bytes: mdts,
        total_gib: issued / (1024 * MIB),
        seconds: Number(seconds.toFixed(2)),
        gb_per_s: Number((gb / seconds).toFixed(2)),
        sim_cpu_s_per_gb: Number((cpu / gb).toFixed(2)),
        load: loadavg().map((l) => Number(l.toFixed(1))),
      }),
    );
    for (const h of [admin, ...ios]) h.close();
    rpc.close();
  } finally {
    sim.kill('SIGTERM');
    await new Promise((r) => sim.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
