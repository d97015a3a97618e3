/**
 * The SPDK steps of a restore's commit (src/domain/backup/restore-sink.ts, transcript 20 part c),
 * timed one by one against any spdk_tgt: the simulator (started here, the default) or a real
 * v26.05 one given by --spdk-socket (started by the caller, on this host: it opens files here).
 *
 * A staging file of --size-mib (default 1024) with every other 4 MiB stretch written with random
 * data (half allocated, the rest holes, as bench:backup's volume), an lvstore (2 MiB clusters,
 * clear_method none, as a disk gets) on an aio bdev over a sparse disk file; then, as the restore
 * does: bdev_aio_create (read-only) of the staging file, bdev_wait_for_examine,
 * bdev_lvol_clone_bdev, bdev_lvol_inflate (or --decouple: bdev_lvol_decouple_parent), and the
 * teardown in the recorded order (the aio bdev after the copy, then the lvstore). Prints each
 * step's time, the copy's rate over the whole volume and over the allocated data, and the load.
 *
 *   npm run build && node dist/scripts/bench-inflate.js [--size-mib 1024] [--spdk-socket PATH] [--decouple] [--runs 3]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reapOnExit } from './lib/children.js';
import { connectRaw } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const MIB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    'spdk-socket': { type: 'string' },
    decouple: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
  },
});
const sizeMib = Number(values['size-mib']);
const runs = Number(values.runs);
const copyMethod = values.decouple ? 'bdev_lvol_decouple_parent' : 'bdev_lvol_inflate';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-inflate-'));
const track = reapOnExit(dir);

let sim: ReturnType<typeof spawn> | undefined;

async function simulator(): Promise<string> {
  const socket = path.join(dir, 'sim.sock');
  const child = (sim = track(spawn(process.execPath, [SIM, '--socket', socket, '--name', 'inflate', '--mem-dump', path.join(dir, 'mem-dump.txt')], { stdio: 'ignore' })));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`simulator exited ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${socket} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return socket;
}

/** Half the volume, every other 4 MiB stretch, random (incompressible, never zeros). */
function stagingFile(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.ftruncateSync(fd, sizeMib * MIB);
    for (let off = 0; off < sizeMib * MIB; off += 8 * MIB) fs.writeSync(fd, randomBytes(4 * MIB), 0, 4 * MIB, off);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const socket = values['spdk-socket'] ?? (await simulator());
const rpc = await connectRaw(socket);
const version = (await rpc.call<{ version: string }>('spdk_get_version')).version;
const staging = path.join(dir, 'staging.img');
stagingFile(staging);
const diskFile = path.join(dir, 'disk.img');
fs.writeFileSync(diskFile, '');
fs.truncateSync(diskFile, (sizeMib * 2 + 256) * MIB);
const timed = async (method: string, params?: object): Promise<number> => {
  const t = performance.now();
  await rpc.call(method, params);
  return performance.now() - t;
};
const ms = (n: number) => `${Math.round(n)} ms`;
const rate = (bytes: number, n: number) => `${Math.round(((bytes / MIB) * 1000) / n)} MiB/s`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

console.log(`${version} at ${socket}; staging ${sizeMib} MiB with ${sizeMib / 2} MiB written (random, 4 MiB stretches); lvstore on aio ${diskFile} (2 MiB clusters); ${copyMethod}`);
try {
  for (let run = 1; run <= runs; run++) {
    // Each run on a fresh lvstore over a fresh file: an lvstore's freed clusters are not its first.
    fs.truncateSync(diskFile, 0);
    fs.truncateSync(diskFile, (sizeMib * 2 + 256) * MIB);
    await rpc.call('bdev_aio_create', { name: 'inflate.disk', filename: diskFile, block_size: 4096 });
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'inflate.disk', lvs_name: 'lvs.inflate', cluster_sz: 2 * MIB, clear_method: 'none' });
    const loadBefore = load();
    const steps: Array<[string, number]> = [];
    steps.push(['bdev_aio_create', await timed('bdev_aio_create', { name: 'inflate.staging', filename: staging, block_size: 4096, readonly: true })]);
    steps.push(['bdev_wait_for_examine', await timed('bdev_wait_for_examine')]);
    steps.push(['bdev_lvol_clone_bdev', await timed('bdev_lvol_clone_bdev', { bdev: 'inflate.staging', lvs_name: 'lvs.inflate', clone_name: 'b.restored' })]);
    const copy = await timed(copyMethod, { name: 'lvs.inflate/b.restored' });
    steps.push([copyMethod, copy]);
    steps.push(['bdev_aio_delete (staging)', await timed('bdev_aio_delete', { name: 'inflate.staging' })]);
    steps.push(['bdev_lvol_rename', await timed('bdev_lvol_rename', { old_name: 'lvs.inflate/b.restored', new_name: 'r.restored' })]);
    const [lvs] = await rpc.call<Array<{ free_clusters: number; total_data_clusters: number }>>('bdev_lvol_get_lvstores', { lvs_name: 'lvs.inflate' });
    const used = lvs!.total_data_clusters - lvs!.free_clusters;
    const du = (fs.statSync(diskFile).blocks * 512) / MIB;
    steps.push(['bdev_lvol_delete', await timed('bdev_lvol_delete', { name: 'lvs.inflate/r.restored' })]);
    await rpc.call('bdev_lvol_delete_lvstore', { lvs_name: 'lvs.inflate' });
    await rpc.call('bdev_aio_delete', { name: 'inflate.disk' });
    const total = steps.reduce((sum, [, n]) => sum + n, 0);
    console.log(
      `run ${run} (load ${loadBefore} before, ${load()} after): ${copyMethod} ${ms(copy)} = ${rate(sizeMib * MIB, copy)} of the volume, ${rate((sizeMib * MIB) / 2, copy)} of the allocated data; ` +
        `${used} clusters used after, disk file ${Math.round(du)} MiB on disk; all steps ${ms(total)}`,
    );
    console.log(`  ${steps.map(([name, n]) => `${name} ${ms(n)}`).join(', ')}`);
  }
} finally {
  rpc.close();
  // The simulator child would keep this process alive.
  sim?.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
