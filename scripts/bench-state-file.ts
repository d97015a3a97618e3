/**
 * What a state file write costs at scale: a node with 3,000 replicas (one snapshot each, with
 * labels), 1,000 exports, 300 engines and 4 disks. Prints the file's size, one write (its text,
 * write, fsync, rename, fsync of the directory), and 1,000 export records made one after another
 * (each awaited, as sequential ReplicaExpose calls make them), 64 at a time (as bench-replicas
 * drives the API) and all at once: writes that queue behind one in progress are carried by the
 * next together. Making the text is the part that holds the event loop; the rest is asynchronous
 * I/O, so the figure that matters under churn is the main thread's CPU per write (its on-CPU time from
 * /proc, so other threads' fsyncs and the machine's load do not count): for writes of one export
 * each, and for a mixed workload like bench:scale's churn (64 lanes setting and clearing intents,
 * snapshot metadata, exports with their kept ports, and engine records). Last, what the `copies`
 * table costs a shallow copy (a backup's stage of each snapshot, a rebuild's copy of each): its
 * three writes as CopyHolds makes them (the record before the start and with the operation id
 * after it, both awaited by the copy, then its removal at the end), one copy after another.
 *
 *   npm run bench:state-file [-- --replicas 3000 --exports 1000 --engines 300 --churn-ops 2000 --copies 200]
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { DiskRecord, ExportRecord } from '../src/domain/node/inventory.js';
import { StateFile, type EngineSpec } from '../src/domain/node/state-file.js';
import { frozenRecord } from '../src/domain/node/state-serialize.js';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '3000' },
    exports: { type: 'string', default: '1000' },
    engines: { type: 'string', default: '300' },
    'churn-ops': { type: 'string', default: '2000' },
    copies: { type: 'string', default: '200' },
  },
});
const replicas = Number(values.replicas);
const exportCount = Number(values.exports);
const engineCount = Number(values.engines);
const churnOps = Number(values['churn-ops']);
const copyCount = Number(values.copies);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-state-file-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

let writes = 0;
const log = pino({ level: 'debug' }, { write: (line: string) => void (line.includes('"msg":"state file written"') && writes++) });
const host = (n: number) => `nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const disk = (n: number): DiskRecord => ({
  name: `disk-${n}`,
  bdevName: `disk.disk-${n}`,
  kind: 'nvme',
  path: `0000:5e:00.${n}`,
  lvstoreName: `lvs.disk-${n}`,
  lvstoreUuid: `5f0c7a34-3f6e-4b8e-9d7a-2c1f0000000${n}`,
  clusterSize: 1048576,
  blockSize: 4096,
  totalClusters: 1_000_000,
  freeClusters: 1_000_000,
});
const exported = (n: number, hosts = 1): ExportRecord => ({
  replica: `pvc-${String(n).padStart(5, '0')}-r1`,
  nqn: `nqn.2024-01.io.spdk-conductor:replica:pvc-${n}-r1`,
  hosts: Array.from({ length: hosts }, (_, h) => host(h)),
  listeners: [{ address: '10.0.0.11', port: 20_000 + n }],
  namespace: undefined,
});
// engine-records.ts freezes every engine record it stores (see frozenRecord).
const engine = (n: number): EngineSpec => ({
  name: `pvc-${String(n).padStart(5, '0')}`,
  sizeBytes: 100 * 2 ** 30,
  replicas: [
    { name: `pvc-${n}-r1`, kind: 'local' },
    { name: `pvc-${n}-r2`, kind: 'remote', address: '10.0.0.12', port: 21_000 + n, nqn: `nqn.2024-01.io.spdk-conductor:replica:pvc-${n}-r2`, apiAddress: '10.0.0.12:50051' },
    { name: `pvc-${n}-r3`, kind: 'remote', address: '10.0.0.13', port: 22_000 + n, nqn: `nqn.2024-01.io.spdk-conductor:replica:pvc-${n}-r3`, apiAddress: '10.0.0.13:50051' },
  ],
  frontend: 'nvme-host',
  hostNqns: [host(0)],
  port: 4_420 + n,
});

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The main thread's time on a CPU so far, in ms (schedstat's first field is nanoseconds). */
function mainThreadCpuMs(): number {
  return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

const file = path.join(dir, 'state.json');
const state = StateFile.open(file, log);
await state.adopt([0, 1, 2, 3].map(disk), []);
await Promise.all(
  Array.from({ length: replicas }, (_, n) =>
    state.setSnapshotMeta(`pvc-${String(n).padStart(5, '0')}-r1`, 'daily-1', { createdAt: new Date().toISOString(), labels: { schedule: 'daily', app: `app-${n % 50}` }, userCreated: true }),
  ),
);
await Promise.all(Array.from({ length: engineCount }, (_, n) => state.putEngine(engine(n).name, frozenRecord(engine(n)))));
await Promise.all(Array.from({ length: exportCount }, (_, n) => state.recordExport(exported(n))));
const bytes = fs.statSync(file).size;

// One write of the whole file, the median of 20.
const single: number[] = [];
for (let i = 0; i < 20; i++) {
  const start = process.hrtime.bigint();
  await state.recordExport(exported(i % exportCount, 1 + (i % 2)));
  single.push(ms(start));
}
single.sort((a, b) => a - b);

writes = 0;
let start = process.hrtime.bigint();
for (let n = 0; n < exportCount; n++) await state.recordExport(exported(n, 2));
const sequentialMs = ms(start);
const sequentialWrites = writes;

writes = 0;
start = process.hrtime.bigint();
let next = 0;
const lane = async (): Promise<void> => {
  for (let n = next++; n < exportCount; n = next++) await state.recordExport(exported(n, 1));
};
await Promise.all(Array.from({ length: 64 }, lane));
const laneMs = ms(start);
const laneWrites = writes;

writes = 0;
start = process.hrtime.bigint();
await Promise.all(Array.from({ length: exportCount }, (_, n) => state.recordExport(exported(n, 2))));
const concurrentMs = ms(start);
const concurrentWrites = writes;

// Main-thread CPU per write, one export changed per write.
writes = 0;
let cpu = mainThreadCpuMs();
for (let n = 0; n < 200; n++) await state.recordExport(exported(n % exportCount, 1 + (n % 2)));
const perWriteCpu = (mainThreadCpuMs() - cpu) / writes;

// The floor under it: the same I/O protocol (temp file, writev, fsync, rename, fsync of the
// directory) for one byte, whose main-thread CPU is the dispatch and completion of 8 async calls.
cpu = mainThreadCpuMs();
for (let n = 0; n < 200; n++) {
  const tmp = path.join(dir, 'floor.tmp');
  const handle = await fsp.open(tmp, 'w', 0o600);
  await handle.writev([Buffer.from('x')], 0);
  await handle.sync();
  await handle.close();
  await fsp.rename(tmp, path.join(dir, 'floor.json'));
  const directory = await fsp.open(dir, 'r');
  await directory.sync();
  await directory.close();
}
const ioFloorCpu = (mainThreadCpuMs() - cpu) / 200;

// A churn-like mix, 64 lanes: each op deletes an export (its port kept, an intent set and
// cleared, a snapshot's metadata dropped), makes it again (the kept port taken, new metadata) and
// records a changed engine; writes carry whatever the lanes changed meanwhile.
writes = 0;
cpu = mainThreadCpuMs();
start = process.hrtime.bigint();
let op = 0;
const churnLane = async (): Promise<void> => {
  for (let i = op++; i < churnOps; i = op++) {
    const n = i % exportCount;
    const replica = exported(n).replica;
    await state.setIntent({ op: 'replica-delete', replica, disk: 'disk-0' });
    state.keepPort(`export/${replica}`, 20_000 + n);
    await state.forgetExport(replica);
    await state.dropSnapshotMeta(replica, [`churn-${i - exportCount}`]);
    await state.clearIntent(replica);
    state.keepPort(`export/${replica}`, undefined);
    await state.recordExport(exported(n, 1 + (i % 2)));
    await state.setSnapshotMeta(replica, `churn-${i}`, { createdAt: new Date().toISOString(), labels: { app: `app-${i % 50}` }, userCreated: false });
    const spec = engine(i % engineCount);
    // Frozen, as engine-records.ts makes every engine record.
    await state.putEngine(spec.name, frozenRecord({ ...spec, sizeBytes: spec.sizeBytes + i }));
  }
};
await Promise.all(Array.from({ length: 64 }, churnLane));
const churnMs = ms(start);
const churnCpu = mainThreadCpuMs() - cpu;
const churnWrites = writes;

// The copies table: a copy's record before its start, its operation id once answered (both
// awaited before the copy goes on, as CopyHolds.begin and CopyTicket.started are), its removal at
// its end (CopyTicket.release: not awaited by the copy, a write all the same).
writes = 0;
cpu = mainThreadCpuMs();
const awaited: number[] = [];
start = process.hrtime.bigint();
for (let n = 0; n < copyCount; n++) {
  const dst = `bk-s-${n.toString(16).padStart(16, '0')}`;
  const record = { disk: 'disk-0', lvol: `s.daily-1.${n}`, holder: `backup bk-${n}`, dst, startedAtMs: Date.now() };
  const t = process.hrtime.bigint();
  await state.putCopy(dst, record);
  await state.putCopy(dst, { ...record, operation: n + 1 });
  awaited.push(ms(t));
  await state.putCopy(dst, undefined);
}
const copiesMs = ms(start);
const copiesCpu = mainThreadCpuMs() - cpu;
const copyWrites = writes;
awaited.sort((a, b) => a - b);

const round = (n: number) => Math.round(n * 10) / 10;
console.log(`state file with ${replicas} snapshot records, ${exportCount} exports, ${engineCount} engines, 4 disks: ${round(bytes / 1024)} KiB`);
console.log(`one write (wall time, the fsyncs included): median ${round(single[10]!)} ms, max ${round(single[19]!)} ms`);
console.log(`${exportCount} export records one after another: ${round(sequentialMs)} ms (${round(sequentialMs / exportCount)} ms each, ${sequentialWrites} writes)`);
console.log(`${exportCount} export records 64 at a time: ${round(laneMs)} ms (${laneWrites} writes)`);
console.log(`${exportCount} export records at once: ${round(concurrentMs)} ms (${concurrentWrites} writes)`);
const ms2 = (n: number) => Math.round(n * 100) / 100;
console.log(`main-thread CPU per write of one export: ${ms2(perWriteCpu)} ms, of which the I/O calls' floor (the same calls writing one byte): ${ms2(ioFloorCpu)} ms`);
console.log(
  `copies table, ${copyCount} copies one after another: ${round(copiesMs / copyCount)} ms per copy (${copyWrites} writes, ${round(copyWrites / copyCount)} per copy), the copy waits for two of them: median ${round(awaited[Math.floor(copyCount / 2)]!)} ms, max ${round(awaited[copyCount - 1]!)} ms; main-thread CPU ${ms2(copiesCpu / copyCount)} ms per copy`,
);
console.log(
  `churn, ${churnOps} ops at 64 in flight (7 changes each): ${round(churnMs)} ms, ${churnWrites} writes, main-thread CPU ${round(churnCpu)} ms: ${ms2(churnCpu / churnWrites)} ms per write, ${ms2(churnCpu / churnOps)} ms per op`,
);
