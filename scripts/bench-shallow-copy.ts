/**
 * spdk_tgt's shallow copy alone, as a backup's stage runs it (src/domain/backup/data-path-spdk.ts),
 * with raw RPC and nothing reading the destination: how long v26.05 takes to copy a snapshot that
 * owns --size-mib (default 512) of random data into a fresh sparse file opened as an aio bdev, and
 * how that changes with what upstream lets a caller choose: the lvstore's cluster size
 * (--cluster-mib, a list), the destination's directory (--dest, a list: e.g. the disk and a tmpfs)
 * and the destination aio bdev's block size (--dest-block-size, a list).
 *
 * The source is made by RPC alone: a file of random data as an aio bdev, esnap-cloned into the
 * lvstore and inflated (every cluster then the lvol's own, written with the data), then snapshotted.
 * Each copy is polled every 2 ms (bdev_lvol_check_shallow_copy), so the time printed is the copy's
 * to within a poll, and the count over time gives its rate. Only against a real spdk_tgt (the
 * simulator's copy is another program); on this host (it opens files here). `flock /tmp/bench.lock`.
 *
 *   npm run build && node dist/scripts/bench-shallow-copy.js --spdk-socket PATH [--size-mib 512]
 *       [--cluster-mib 2[,4,...]] [--dest DIR[,DIR...]] [--dest-block-size 4096[,512]] [--runs 2]
 */
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectRaw } from './lib/raw-rpc.js';

const MIB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    'spdk-socket': { type: 'string' },
    'size-mib': { type: 'string', default: '512' },
    'cluster-mib': { type: 'string', default: '2' },
    dest: { type: 'string' },
    'dest-block-size': { type: 'string', default: '4096' },
    runs: { type: 'string', default: '2' },
  },
});
if (!values['spdk-socket']) throw new Error('--spdk-socket is needed: this measures a real spdk_tgt');
const sizeMib = Number(values['size-mib']);
const runs = Number(values.runs);
const list = (s: string) => s.split(',').map((x) => x.trim());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-shallow-copy-'));
const dests = values.dest ? list(values.dest) : [dir];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const rpc = await connectRaw(values['spdk-socket']);
const version = (await rpc.call<{ version: string }>('spdk_get_version')).version;

// The source data: random, written and synced once, read by the inflate with O_DIRECT.
const sourceFile = path.join(dir, 'source.img');
{
  const fd = fs.openSync(sourceFile, 'w');
  const chunk = Buffer.allocUnsafe(4 * MIB);
  for (let off = 0; off < sizeMib * MIB; off += chunk.length) fs.writeSync(fd, randomFillSync(chunk), 0, chunk.length, off);
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
}
const diskFile = path.join(dir, 'disk.img');
console.log(`${version}; source snapshot owning ${sizeMib} MiB of random data; lvstore on aio over ${diskFile}; load ${load()}; ${os.cpus().length} cores`);

interface Poll {
  at: number;
  copied: number;
}

try {
  for (const clusterMib of list(values['cluster-mib']!).map(Number)) {
    fs.rmSync(diskFile, { force: true });
    fs.writeFileSync(diskFile, '');
    fs.truncateSync(diskFile, (sizeMib * 2 + 256) * MIB);
    await rpc.call('bdev_aio_create', { name: 'sc.disk', filename: diskFile, block_size: 4096 });
    await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'sc.disk', lvs_name: 'lvs.sc', cluster_sz: clusterMib * MIB, clear_method: 'none' });
    await rpc.call('bdev_aio_create', { name: 'sc.source', filename: sourceFile, block_size: 4096, readonly: true });
    await rpc.call('bdev_wait_for_examine');
    await rpc.call('bdev_lvol_clone_bdev', { bdev: 'sc.source', lvs_name: 'lvs.sc', clone_name: 'v' });
    await rpc.call('bdev_lvol_inflate', { name: 'lvs.sc/v' });
    await rpc.call('bdev_aio_delete', { name: 'sc.source' });
    await rpc.call('bdev_lvol_snapshot', { lvol_name: 'lvs.sc/v', snapshot_name: 's' });
    try {
      for (let run = 1; run <= runs; run++) {
        for (const dest of dests) {
          for (const blockSize of list(values['dest-block-size']!).map(Number)) {
            const file = path.join(dest, `sc-dest-${process.pid}.img`);
            fs.writeFileSync(file, '');
            fs.truncateSync(file, sizeMib * MIB);
            await rpc.call('bdev_aio_create', { name: 'sc.dest', filename: file, block_size: blockSize });
            const loadBefore = load();
            try {
              const t0 = performance.now();
              const { operation_id } = await rpc.call<{ operation_id: number }>('bdev_lvol_start_shallow_copy', { src_lvol_name: 'lvs.sc/s', dst_bdev_name: 'sc.dest' });
              const polls: Poll[] = [];
              let total = 0;
              for (;;) {
                const s = await rpc.call<{ state: string; copied_clusters: number; total_clusters: number; error?: string }>('bdev_lvol_check_shallow_copy', { operation_id });
                polls.push({ at: performance.now() - t0, copied: s.copied_clusters });
                total = s.total_clusters;
                if (s.state === 'error') throw new Error(`copy failed: ${s.error}`);
                if (s.state === 'complete') break;
                await new Promise((r) => setTimeout(r, 2));
              }
              const ms = polls[polls.length - 1]!.at;
              const bytes = total * clusterMib * MIB;
              // The steadiest stretch: from the first poll past 10% to the last before 90%.
              const a = polls.find((p) => p.copied >= total * 0.1)!;
              const b = [...polls].reverse().find((p) => p.copied <= total * 0.9)!;
              const mid = b.at > a.at ? `${Math.round((((b.copied - a.copied) * clusterMib) / (b.at - a.at)) * 1000)} MiB/s between 10% and 90%` : '';
              console.log(
                `cluster ${clusterMib} MiB, dest ${dest} (${fsType(dest)}) block ${blockSize}, run ${run}: ${total} clusters in ${Math.round(ms)} ms = ${Math.round((bytes / MIB / ms) * 1000)} MiB/s, ${(ms / total).toFixed(2)} ms a cluster; ${mid}; load ${loadBefore} before, ${load()} after`,
              );
            } finally {
              await rpc.call('bdev_aio_delete', { name: 'sc.dest' }).catch((e: unknown) => console.error(`dest not deleted: ${(e as Error).message}`));
              fs.rmSync(file, { force: true });
            }
          }
        }
      }
    } finally {
      await rpc.call('bdev_lvol_delete_lvstore', { lvs_name: 'lvs.sc' }).catch((e: unknown) => console.error(`lvstore not deleted: ${(e as Error).message}`));
      await rpc.call('bdev_aio_delete', { name: 'sc.disk' }).catch(() => undefined);
    }
  }
} finally {
  rpc.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The filesystem type of a directory, from /proc/mounts (longest mount point that holds it). */
function fsType(directory: string): string {
  const real = fs.realpathSync(directory);
  let best = { point: '', type: '?' };
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, point, type] = line.split(' ');
    if (point && type && (real === point || real.startsWith(point === '/' ? '/' : `${point}/`)) && point.length > best.point.length) best = { point, type };
  }
  return best.type;
}
