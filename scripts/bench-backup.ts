/**
 * Backup and restore throughput on the embedded simulator, in one process with the service:
 * a volume (default 1 GiB) half allocated with random data, a full backup to a filesystem target
 * in a temp directory (or, with --target s3, to s3rver in a child process on loopback), an
 * incremental backup after 1% of the volume changed, and a restore into a new replica; each
 * against the raw sequential write/read rate of a file as large as the allocated data in the
 * staging directory, measured in the same run (the data path's measureRawRate), and the time of
 * each job's phases. The simulator's share (staging: its shallow copies; committing: its clone and
 * inflate, for a restore through a staging file) is printed apart from the service's (uploading,
 * downloading).
 *
 * How the legs compare: a backup reads the staged file, which the simulator has just written
 * (page cache, as the raw read of a just-written file is), and stores each block with an fsync
 * (filesystem target), so its yardstick is the slower of the raw read and the fdatasync'd raw
 * write ("raw move"). A restore (--restore-via, backup.restoreVia) over NVMe/TCP (the default)
 * writes the data blocks into a thin lvol through a loopback export, then flushes; through a
 * staging file it writes the file without a sync (spdk_tgt reads it next), then spdk_tgt writes the
 * whole volume into the lvstore, on the disk. Either way the whole restore is set against the
 * fdatasync'd raw write, its download part against the unsynced one. Peak RSS of this
 * process (the service; the simulator is a child process and not counted) is sampled every 100 ms,
 * and per job every 50 ms with the RSS at its start and what it was made of at its peak (JS heap,
 * external memory, the rest: code, the block slots' shared memory, threads, malloc). `npm run
 * bench:backup` runs this process as the image runs the service (Dockerfile: MALLOC_ARENA_MAX=2,
 * --max-semi-space-size=4 --heap-growing-percent=50); under plain `node` V8's 16 MiB semi-spaces and glibc's per-thread
 * arenas add ~40–50 MiB the service as deployed does not have.
 *
 * With --spdk-socket the same runs against that spdk_tgt (a real v26.05 on this host: it opens the
 * disk and staging files here). Its data reaches the volume as a host's would: the replica is
 * exported over NVMe/TCP (127.0.0.1, --nvmf-port) and spdk_dd (--spdk-dd, next to spdk_tgt in an
 * SPDK build) writes image files into it, the half-allocated one with --sparse so that its holes
 * stay unallocated. spdk_tgt's share of each job is then real SPDK's. --spdk-tgt PATH starts that
 * binary itself instead, and stops it at the end (scripts/lib/spdk-target.ts: one core, hugepages
 * when 1 GiB of them is free, else --no-huge; --spdk-args replaces those arguments); spdk_dd is then
 * looked for beside it.
 *
 * --staging-dir sets backup.stagingDir (e.g. a tmpfs: the raw rate is then measured there too, so
 * compare the jobs' times, not their ratios, with a run staging on the disk).
 *
 * --restore-direct-io sets backup.restoreDirectIo (auto: O_DIRECT staging writes under a real
 * spdk_tgt only; `on` shows them under the simulator, whose commit then reads the file from disk).
 *
 * BENCH_PROFILE=DIR writes a CPU profile of the service's main thread over the full backup (from its
 * create to its end) into DIR, as full-backup.cpuprofile (open it in Chrome's DevTools).
 *
 *   npm run bench:backup -- [--size-mib 1024] [--target fs|s3] [--restore-via nvmf-tcp|staging] [--restore-auth dhchap|none] [--restore-direct-io auto|on|off] [--staging-dir DIR]
 *       [--spdk-socket PATH | --spdk-tgt PATH [--spdk-args="..."]] [--spdk-dd PATH] [--nvmf-port 19700]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import pino from 'pino';
import { connectRaw } from './lib/raw-rpc.js';
import type { JobInfo } from '../src/domain/backup/jobs-model.js';
import { loadConfig } from '../src/config/load.js';
import { startService } from '../src/service.js';
import { reapOnExit } from './lib/children.js';
import { splitArgs, startSpdkTarget } from './lib/spdk-target.js';
import { threadCpuDelta, threadCpuMs, threadSchedMs } from './lib/proc-stats.js';
import { spdkCallChannel, type SpdkCallContext } from '../src/diagnostics.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    target: { type: 'string', default: 'fs' },
    'spdk-socket': { type: 'string' },
    'spdk-tgt': { type: 'string' },
    'spdk-args': { type: 'string' },
    'spdk-dd': { type: 'string' },
    'nvmf-port': { type: 'string', default: '19700' },
    'restore-direct-io': { type: 'string', default: 'auto' },
    'restore-via': { type: 'string', default: 'nvmf-tcp' },
    'restore-auth': { type: 'string', default: 'dhchap' },
    'staging-dir': { type: 'string' },
  },
});
const sizeMib = Number(values['size-mib']);
if (values.target !== 'fs' && values.target !== 's3') throw new Error(`--target is fs or s3, not ${values.target}`);
const viaNvmf = values['restore-via'] === 'nvmf-tcp';
if (!viaNvmf && values['restore-via'] !== 'staging') throw new Error(`--restore-via is nvmf-tcp or staging, not ${values['restore-via']}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backup-'));
const track = reapOnExit(dir);
const started = values['spdk-tgt'] ? await startSpdkTarget(values['spdk-tgt'], dir, splitArgs(values['spdk-args'])) : undefined;
if (started) console.log(`real target: ${started.description}`);
const realSocket = values['spdk-socket'] ?? started?.socket;
const spdkName = realSocket ? 'spdk_tgt' : 'the simulator';
// spdk_dd of the same build: beside --spdk-tgt unless named.
const spdkDd = values['spdk-dd'] ?? path.join(path.dirname(values['spdk-tgt'] ?? '/work/spdk-build/spdk/build/bin/spdk_tgt'), 'spdk_dd');
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
      CONDUCTOR_BACKUP_RESTORE_DIRECT_IO: values['restore-direct-io']!,
      CONDUCTOR_BACKUP_RESTORE_VIA: values['restore-via']!,
      CONDUCTOR_BACKUP_RESTORE_AUTH: values['restore-auth']!,
      ...(values['staging-dir'] ? { CONDUCTOR_BACKUP_STAGING_DIR: values['staging-dir'] } : {}),
      ...(realSocket ? { CONDUCTOR_SPDK_SOCKET: realSocket } : {}),
    },
  }),
  { logger: pino({ level: 'silent' }) },
);
/**
 * s3rver in a child process on loopback over a directory of the run: its request handling (Koa,
 * MD5 of each body, file writes) is the target's work, not the service's, and must not share its
 * main loop or count in its RSS. Resolves with the port it listens on.
 */
async function startS3Child(directory: string): Promise<number> {
  const code = `import S3rver from 's3rver';
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.env.BENCH_S3_DIR, configureBuckets: [{ name: 'backups', configs: [] }] });
const { port } = await server.run();
process.stdout.write(port + '\\n');
process.stdin.on('end', () => process.exit(0)).resume();`;
  const child = track(spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), env: { ...process.env, BENCH_S3_DIR: directory }, stdio: ['pipe', 'pipe', 'inherit'] }));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
}

try {
  await service.recovered;
  const startRss = process.memoryUsage().rss;
  const domain = service.domain;
  if (values.target === 's3') {
    const port = await startS3Child(path.join(dir, 's3'));
    process.env.BENCH_S3_KEY = 'S3RVER';
    await domain.backups.targetSet({
      kind: 's3',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket: 'backups',
      prefix: 'bench/',
      forcePathStyle: true,
      accessKeyIdEnv: 'BENCH_S3_KEY',
      secretAccessKeyEnv: 'BENCH_S3_KEY',
    });
  }
  const diskFile = path.join(dir, 'disk.img');
  fs.writeFileSync(diskFile, '');
  fs.truncateSync(diskFile, (sizeMib * 2 + 256) * MiB);
  await domain.diskCreate({ name: 'd', path: diskFile });
  await domain.replicaCreate('vol', 'd', sizeMib * MiB);
  /** Random data into the volume at each [offset, bytes) of `ranges`. */
  const write = async (ranges: Array<[number, number]>) => {
    if (realSocket) return writeOverNvmf(ranges);
    for (const [offset, bytes] of ranges) {
      for (let off = 0; off < bytes; off += 128 * 1024) {
        await service.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.vol', offset_blocks: (offset + off) / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
      }
    }
  };
  /**
   * spdk_tgt has no RPC that writes data: the volume is exported over NVMe/TCP for the time of the
   * write and spdk_dd copies a sparse image file holding the ranges into it, skipping its holes.
   */
  const writeOverNvmf = async (ranges: Array<[number, number]>) => {
    const image = path.join(dir, 'write.img');
    const fd = fs.openSync(image, 'w');
    const end = Math.max(...ranges.map(([offset, bytes]) => offset + bytes));
    fs.ftruncateSync(fd, end);
    // One chunk refilled: fresh 4 MiB Buffers would be this process's RSS, counted as the service's.
    const chunk = Buffer.allocUnsafe(4 * MiB);
    for (const [offset, bytes] of ranges) {
      for (let off = 0; off < bytes; off += chunk.length) fs.writeSync(fd, randomFillSync(chunk), 0, Math.min(chunk.length, bytes - off), offset + off);
    }
    fs.closeSync(fd);
    const rpc = await connectRaw(realSocket!);
    const nqn = 'nqn.2016-06.io.spdk:bench-backup';
    const port = values['nvmf-port']!;
    try {
      await rpc.call('nvmf_create_transport', { trtype: 'TCP' }).catch(() => undefined);
      await rpc.call('nvmf_create_subsystem', { nqn, allow_any_host: true });
      await rpc.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'lvs.d/r.vol' } });
      await rpc.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port } });
      const config = path.join(dir, 'spdk-dd.json');
      const attach = { method: 'bdev_nvme_attach_controller', params: { name: 'bench', trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port, subnqn: nqn } };
      fs.writeFileSync(config, JSON.stringify({ subsystems: [{ subsystem: 'bdev', config: [attach] }] }));
      const args = ['--no-huge', '-s', '512', '--disable-cpumask-locks', '--no-rpc-server', '--json', config, '--if', image, '--ob', 'benchn1', '--bs', String(4 * MiB), '--sparse'];
      const dd = track(spawn(spdkDd, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
      let errors = '';
      dd.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
      const code = await new Promise<number | null>((resolve) => dd.once('exit', resolve));
      if (code !== 0) throw new Error(`spdk_dd exited ${code}: ${errors.slice(-2000)}`);
    } finally {
      await rpc.call('nvmf_delete_subsystem', { nqn }).catch(() => undefined);
      rpc.close();
      fs.rmSync(image, { force: true });
    }
  };
  // Half the volume: every other 4 MiB stretch.
  const half: Array<[number, number]> = [];
  for (let off = 0; off < sizeMib * MiB; off += 8 * MiB) half.push([off, 4 * MiB]);
  await write(half);
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
  // When each job entered each state, to split a job's time into its phases.
  const entered = new Map<string, Map<string, number>>();
  // This process's CPU time (every thread: the block threads' hashing, libuv's reads and writes) when each state began.
  const cpuAt = new Map<string, Map<string, NodeJS.CpuUsage>>();
  domain.backups.watch((event) => {
    if (!event.job) return;
    const states = entered.get(event.job.id) ?? new Map<string, number>();
    if (!states.has(event.job.state)) {
      const cpu = cpuAt.get(event.job.id) ?? new Map<string, NodeJS.CpuUsage>();
      cpu.set(event.job.state, process.cpuUsage());
      cpuAt.set(event.job.id, cpu);
    }
    if (!states.has(event.job.state)) states.set(event.job.state, performance.now());
    entered.set(event.job.id, states);
  });
  // The full backup's shallow copy as the service saw it (spdk_tgt's answers on the spdk:call
  // channel): when it started, each count and when the stored bytes stood then, and when it was
  // seen complete (at most one poll, <= 100 ms, after spdk_tgt ended it).
  let fullJob: string | undefined;
  const copy: { startedAt?: number; polls: Array<{ at: number; copied: number; total: number; stored: number }>; completeAt?: number } = { polls: [] };
  // spdk_tgt's calls during the full backup, by method: their count and time (a --no-huge target's
  // memory dump, env_dpdk_get_mem_stats, holds its app thread, which also runs the copy, for 0.4-0.8 s).
  const fullCalls = new Map<string, { count: number; ms: number }>();
  const onCall = (message: unknown): void => {
    const call = message as SpdkCallContext;
    if (fullJob === undefined) return;
    const calls = fullCalls.get(call.method) ?? { count: 0, ms: 0 };
    fullCalls.set(call.method, { count: calls.count + 1, ms: calls.ms + call.durationMs });
    if (call.outcome !== 'ok' || copy.completeAt !== undefined) return;
    const at = call.startedAt + call.durationMs;
    if (call.method === 'bdev_lvol_start_shallow_copy') copy.startedAt ??= at;
    if (call.method !== 'bdev_lvol_check_shallow_copy') return;
    const status = call.result as { state: string; copied_clusters: number; total_clusters: number };
    copy.polls.push({ at, copied: status.copied_clusters, total: status.total_clusters, stored: domain.backups.jobGet(fullJob).bytesDone });
    if (status.state === 'complete') copy.completeAt = at;
  };
  spdkCallChannel.asyncEnd.subscribe(onCall);
  // Each thread of this process (the service) when the full backup's uploading began and ended:
  // its CPU time (user + system, /proc/self/task/*/stat) and the time it waited for a CPU.
  const threadsAt = new Map<string, { cpu: Map<string, number>; waitMs: number }>();
  const runQueueWaitMs = (): number => {
    let sum = 0;
    for (const tid of fs.readdirSync('/proc/self/task')) sum += threadSchedMs(process.pid, Number(tid))?.waitMs ?? 0;
    return sum;
  };
  domain.backups.watch((event) => {
    if (!event.job || event.job.id !== fullJob) return;
    const key = event.job.state === 'uploading' ? 'uploading' : ['done', 'failed', 'cancelled'].includes(event.job.state) ? 'end' : undefined;
    if (key && !threadsAt.has(key)) threadsAt.set(key, { cpu: threadCpuMs(process.pid), waitMs: runQueueWaitMs() });
  });
  // The same over the whole full backup (its stage included: work moved out of the upload still counts).
  let wholeFrom: Map<string, number> | undefined;
  const phases = (id: string): string => {
    const states = [...(entered.get(id) ?? new Map<string, number>()).entries()];
    return states
      .slice(0, -1)
      .map(([state, at], i) => `${state} ${((states[i + 1]![1] - at) / 1000).toFixed(1)} s`)
      .join(', ');
  };
  const allocated = (sizeMib * MiB) / 2;
  // A file as large as the data the jobs move, in the staging directory they use.
  const raw = await domain.dataPath.measureRawRate(allocated);

  const peaks = { full: 0, restore: 0 };
  const before = { full: 0, restore: 0 };
  // What the RSS was made of when it peaked in each job: the JS heap, memory outside it (Buffers,
  // the block slots' SharedArrayBuffer), and the rest (code, thread stacks and heaps, malloc).
  const atPeak: Record<keyof typeof peaks, NodeJS.MemoryUsage | undefined> = { full: undefined, restore: undefined };
  const peakDuring = async <T>(phase: keyof typeof peaks, work: () => Promise<T>): Promise<T> => {
    before[phase] = process.memoryUsage().rss;
    const sample = setInterval(() => {
      const usage = process.memoryUsage();
      if (usage.rss <= peaks[phase]) return;
      peaks[phase] = usage.rss;
      atPeak[phase] = usage;
    }, 50);
    try {
      return await work();
    } finally {
      clearInterval(sample);
    }
  };
  const profileDir = process.env.BENCH_PROFILE;
  const profiler = profileDir ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  let t = performance.now();
  const fullStart = t;
  wholeFrom = threadCpuMs(process.pid);
  const full = await peakDuring('full', async () => {
    fullJob = (await domain.backups.backupCreate({ replica: 'vol', snapshot: 's1' })).id;
    return wait(fullJob);
  });
  const wholeTo = threadCpuMs(process.pid);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.mkdirSync(profileDir!, { recursive: true });
    fs.writeFileSync(path.join(profileDir!, 'full-backup.cpuprofile'), JSON.stringify(profile));
    profiler.disconnect();
  }
  const fullMs = performance.now() - t;
  const fullEnd = performance.now();
  // The same window on CLOCK_MONOTONIC (µs), to cut a whole-run `perf record -k mono` to the full backup.
  const windowUs = (at: number): bigint => process.hrtime.bigint() / 1000n - BigInt(Math.round((performance.now() - at) * 1000));
  const fullWindow = `${windowUs(fullStart)} to ${windowUs(fullEnd)}`;
  spdkCallChannel.asyncEnd.unsubscribe(onCall);

  // 1% of the volume, in whole 2 MiB blocks.
  await write([[0, Math.max(1, Math.round(sizeMib / 200)) * 2 * MiB]]);
  await domain.snapshotCreate({ replicaName: 'vol', name: 's2' });
  t = performance.now();
  const incr = await wait((await domain.backups.backupCreate({ replica: 'vol', snapshot: 's2' })).id);
  const incrMs = performance.now() - t;

  t = performance.now();
  const restoreId = (await peakDuring('restore', async () => wait((await domain.backups.restoreCreate({ volume: 'vol', backupId: full.backupId, disk: 'd', replica: 'back' })).id))).id;
  const restoreMs = performance.now() - t;

  // Moving the bytes through the staging file goes no faster than its slower leg: the read of the
  // staged image (page cache) or the durable write (the target's fsync'd blocks).
  const rawMove = Math.min(raw.readBytesPerSec, raw.writeBytesPerSec);
  const fullRate = (allocated * 1000) / fullMs;
  const restoreRate = (allocated * 1000) / restoreMs;
  const phaseMs = (id: string, state: string): number => {
    const states = [...(entered.get(id) ?? new Map<string, number>()).entries()];
    const at = states.findIndex(([s]) => s === state);
    return at < 0 || at + 1 >= states.length ? 0 : states[at + 1]![1] - states[at]![1];
  };
  /** The copy's own times against the backup's: how long spdk_tgt copied, and how long the backup went on after. */
  const copyLine = (start: number, end: number): string => {
    if (copy.startedAt === undefined || copy.completeAt === undefined) return `the copy was not followed (${copy.polls.length} checks seen)`;
    const last = copy.polls[copy.polls.length - 1]!;
    const gaps = copy.polls.slice(1).map((p, i) => p.at - copy.polls[i]!.at);
    const meanGap = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0;
    const clusterBytes = last.total ? allocated / last.total : 0;
    // How far the stored blocks were behind the copy at each check, at most and when it was seen complete.
    const behind = copy.polls.map((p) => p.copied * clusterBytes - p.stored);
    const copyMs = copy.completeAt - copy.startedAt;
    return `${spdkName}'s shallow copy: started ${((copy.startedAt - start) / 1000).toFixed(2)} s into the job, seen complete ${((copy.completeAt - start) / 1000).toFixed(2)} s in (${last.total} clusters in ${(copyMs / 1000).toFixed(2)} s = ${rate(allocated, copyMs)}; ${copy.polls.length} checks, ${Math.round(meanGap)} ms apart on average), the backup ended ${((end - copy.completeAt) / 1000).toFixed(2)} s after it; blocks stored behind the copy: at most ${Math.round(Math.max(...behind) / MiB)} MiB, ${Math.round(behind[behind.length - 1]! / MiB)} MiB when it was seen complete`;
  };
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `${realSocket ? `spdk_tgt at ${realSocket}` : 'the simulator'}; volume ${sizeMib} MiB, ${allocated / MiB} MiB allocated (random data), ${values.target === 's3' ? 's3rver target (child process, loopback)' : 'filesystem target (fsync per block)'}, 2 MiB blocks, lz4, backup.restoreVia ${values['restore-via']}${viaNvmf ? '' : `, backup.restoreDirectIo ${values['restore-direct-io']}`}; load average ${load} (${os.cpus().length} cores)`,
  );
  console.log(
    `raw staging file (${raw.bytes / MiB} MiB, sequential 4 MiB calls): write ${rate(raw.writeBytesPerSec, 1000)} fdatasync'd, ${rate(raw.cachedWriteBytesPerSec, 1000)} before the sync (page cache); read back ${rate(raw.readBytesPerSec, 1000)} (${realSocket ? "page cache; spdk_tgt's aio bdev writes the staged image with O_DIRECT where the filesystem takes it (not tmpfs), so the service reads that one from the device" : "page cache, as the simulator's staged image is"}); raw move (the slower of read and synced write) ${rate(rawMove, 1000)}`,
  );
  const fullUpload = phaseMs(full.id, 'uploading');
  console.log(
    `full backup: ${(fullMs / 1000).toFixed(1)} s, ${rate(allocated, fullMs)} of allocated data = ${(fullRate / rawMove).toFixed(2)}x raw move; ${full.blocksUploaded} blocks stored [${phases(full.id)}]`,
  );
  console.log(
    `  ${spdkName}'s share (staging: until the shallow copy of a first snapshot starts, which then runs on under uploading, read behind) ${(phaseMs(full.id, 'staging') / 1000).toFixed(1)} s; the service's (uploading: read, hash, compress, store) ${(fullUpload / 1000).toFixed(1)} s = ${rate(allocated, fullUpload)} = ${((allocated * 1000) / fullUpload / rawMove).toFixed(2)}x raw move`,
  );
  console.log(`  ${copyLine(fullStart, fullEnd)}`);
  const byTime = [...fullCalls].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`  ${spdkName} calls during the full backup (count, total ms): ${byTime.map(([method, c]) => `${method} ${c.count} ${Math.round(c.ms)}`).join(', ')}`);
  const [upAt, endAt] = [threadsAt.get('uploading'), threadsAt.get('end')];
  const [upCpu, endCpu] = [cpuAt.get(full.id)?.get('uploading'), cpuAt.get(full.id)?.get('done')];
  if (upAt && endAt && upCpu && endCpu) {
    const user = (endCpu.user - upCpu.user) / 1000;
    const system = (endCpu.system - upCpu.system) / 1000;
    console.log(
      `  the service's CPU while uploading: ${Math.round(user)} ms user + ${Math.round(system)} ms system = ${((user + system) / fullUpload).toFixed(2)} of a core over ${(fullUpload / 1000).toFixed(1)} s; its threads waited ${Math.round(endAt.waitMs - upAt.waitMs)} ms for a CPU (run queue); per thread (ms): ${threadCpuDelta(upAt.cpu, endAt.cpu)}`,
    );
  }
  const wholeMs = [...wholeTo].reduce((sum, [name, ms]) => sum + ms - (wholeFrom?.get(name) ?? 0), 0);
  const mainMs = (wholeTo.get('main') ?? 0) - (wholeFrom?.get('main') ?? 0);
  console.log(`  the service's CPU over the whole full backup (stage included): ${Math.round(wholeMs)} ms, main thread ${Math.round(mainMs)} ms`);
  console.log(`  the full backup's window (CLOCK_MONOTONIC µs): ${fullWindow}`);
  console.log(`incremental backup after ~1% changed: ${(incrMs / 1000).toFixed(1)} s, ${incr.blocksUploaded} blocks stored, ${incr.blocksSkipped} skipped [${phases(incr.id)}]`);
  const download = phaseMs(restoreId, 'downloading');
  const downloadCpu = (kind: 'user' | 'system'): string => {
    const cpu = cpuAt.get(restoreId);
    const [from, to] = [cpu?.get('downloading'), cpu?.get('committing')];
    return from && to ? `${Math.round((to[kind] - from[kind]) / 1000)} ms` : '?';
  };
  console.log(
    `restore: ${(restoreMs / 1000).toFixed(1)} s, ${rate(allocated, restoreMs)} of allocated data = ${(restoreRate / raw.writeBytesPerSec).toFixed(2)}x raw synced write [${phases(restoreId)}]`,
  );
  console.log(
    viaNvmf
      ? `  downloading (fetch, verify, NVMe/TCP writes into the thin lvol; ${spdkName} writes the lvol meanwhile) ${(download / 1000).toFixed(1)} s = ${rate(allocated, download)} = ${((allocated * 1000) / download / raw.writeBytesPerSec).toFixed(2)}x raw synced write, the service's CPU ${downloadCpu('user')} user + ${downloadCpu('system')} system; committing (flush, disconnect, subsystem deleted, rename) ${(phaseMs(restoreId, 'committing') / 1000).toFixed(2)} s`
      : `  the service's share (downloading: fetch, verify, write the staging file unsynced) ${(download / 1000).toFixed(1)} s = ${rate(allocated, download)} = ${((allocated * 1000) / download / raw.cachedWriteBytesPerSec).toFixed(2)}x raw unsynced write, CPU ${downloadCpu('user')} user + ${downloadCpu('system')} system; ${spdkName}'s (committing: clone and inflate of the whole ${sizeMib} MiB volume) ${(phaseMs(restoreId, 'committing') / 1000).toFixed(1)} s`,
  );
  console.log(
    `peak RSS of the service process: ${Math.round(peakRss / MiB)} MiB overall (${Math.round(startRss / MiB)} MiB once started); during the full backup ${Math.round(peaks.full / MiB)} MiB (${Math.round(before.full / MiB)} MiB at its start), during the restore ${Math.round(peaks.restore / MiB)} MiB (${Math.round(before.restore / MiB)} MiB at its start)`,
  );
  const parts = (u: NodeJS.MemoryUsage | undefined): string =>
    u === undefined
      ? 'not sampled'
      : `heap ${Math.round(u.heapUsed / MiB)}/${Math.round(u.heapTotal / MiB)} MiB used/total, external ${Math.round(u.external / MiB)} MiB (array buffers ${Math.round(u.arrayBuffers / MiB)}), other ${Math.round((u.rss - u.heapTotal - u.external) / MiB)} MiB`;
  console.log(`  at the full backup's peak: ${parts(atPeak.full)}; at the restore's peak: ${parts(atPeak.restore)}`);
} finally {
  clearInterval(sampler);
  await service.close();
  await started?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
