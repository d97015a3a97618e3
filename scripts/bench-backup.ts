/**
 * Backup and restore throughput on the embedded simulator, in one process with the service:
 * a volume (default 1 GiB) half allocated with random data, a full backup to a filesystem target
 * in a temp directory, an incremental backup after 1% of the volume changed, and a restore into a
 * new replica; each against the raw sequential write/read rate of a file in the staging directory
 * measured in the same run (the data path's measureRawRate). Peak RSS of this process (the
 * service; the simulator is a child process and not counted) is sampled every 100 ms.
 *
 *   npm run bench:backup -- [--size-mib 1024]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { JobInfo } from '../src/domain/backup/jobs-model.js';
import { loadConfig } from '../src/config/load.js';
import { startService } from '../src/service.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '1024' } } });
const sizeMib = Number(values['size-mib']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backup-'));
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const rate = (bytes: number, ms: number) => `${((bytes / MiB) * 1000) / ms < 10 ? (((bytes / MiB) * 1000) / ms).toFixed(1) : Math.round(((bytes / MiB) * 1000) / ms)} MiB/s`;

const service = await startService(
  loadConfig({
    env: {
      CONDUCTOR_STATE_FILE: path.join(dir, 'state', 'state.json'),
      CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_HTTP_ADDRESS: 'off',
      CONDUCTOR_DISK_ALLOWED_PREFIXES: dir,
      CONDUCTOR_DISK_CLUSTER_SIZE_MIB: '2',
    },
  }),
  { logger: pino({ level: 'silent' }) },
);
try {
  await service.recovered;
  const domain = service.domain;
  const diskFile = path.join(dir, 'disk.img');
  fs.writeFileSync(diskFile, '');
  fs.truncateSync(diskFile, (sizeMib * 2 + 256) * MiB);
  await domain.diskCreate({ name: 'd', path: diskFile });
  await domain.replicaCreate('vol', 'd', sizeMib * MiB);
  const write = async (offset: number, bytes: number) => {
    for (let off = 0; off < bytes; off += 128 * 1024) {
      await service.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.vol', offset_blocks: (offset + off) / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
    }
  };
  // Half the volume: every other 4 MiB stretch.
  for (let off = 0; off < sizeMib * MiB; off += 8 * MiB) await write(off, 4 * MiB);
  await domain.snapshotCreate({ replicaName: 'vol', name: 's1' });
  const wait = async (id: string): Promise<JobInfo> => {
    for (;;) {
      const job = domain.backups.jobGet(id);
      if (['done', 'failed', 'cancelled'].includes(job.state)) {
        if (job.state !== 'done') throw new Error(`${job.kind} ${job.state}: ${job.reason}`);
        return job;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const raw = await domain.dataPath.measureRawRate(256 * MiB);
  const allocated = (sizeMib * MiB) / 2;

  let t = performance.now();
  const full = await wait((await domain.backups.backupCreate({ replica: 'vol', snapshot: 's1' })).id);
  const fullMs = performance.now() - t;

  // 1% of the volume, in whole 2 MiB blocks.
  await write(0, Math.max(1, Math.round(sizeMib / 200)) * 2 * MiB);
  await domain.snapshotCreate({ replicaName: 'vol', name: 's2' });
  t = performance.now();
  const incr = await wait((await domain.backups.backupCreate({ replica: 'vol', snapshot: 's2' })).id);
  const incrMs = performance.now() - t;

  t = performance.now();
  await wait((await domain.backups.restoreCreate({ volume: 'vol', backupId: full.backupId, disk: 'd', replica: 'back' })).id);
  const restoreMs = performance.now() - t;

  console.log(`volume ${sizeMib} MiB, ${allocated / MiB} MiB allocated, filesystem target, 2 MiB blocks, lz4`);
  console.log(`raw staging file: write ${rate(raw.writeBytesPerSec, 1000)}, read ${rate(raw.readBytesPerSec, 1000)} (${raw.bytes / MiB} MiB)`);
  console.log(
    `full backup: ${(fullMs / 1000).toFixed(1)} s, ${rate(allocated, fullMs)} of allocated data (${((allocated * 1000) / fullMs / raw.readBytesPerSec || 0).toFixed(2)}x raw read), ${full.blocksUploaded} blocks stored`,
  );
  console.log(`incremental backup after ~1% changed: ${(incrMs / 1000).toFixed(1)} s, ${incr.blocksUploaded} blocks stored, ${incr.blocksSkipped} skipped`);
  console.log(`restore: ${(restoreMs / 1000).toFixed(1)} s, ${rate(allocated, restoreMs)} of allocated data (${((allocated * 1000) / restoreMs / raw.writeBytesPerSec || 0).toFixed(2)}x raw write)`);
  console.log(`peak RSS of the service process: ${Math.round(peakRss / MiB)} MiB`);
} finally {
  clearInterval(sampler);
  await service.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
