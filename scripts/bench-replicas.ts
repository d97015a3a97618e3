/**
 * 1,000 exposed replicas (lvol + subsystem + host + namespace + listener) three ways, each on a
 * fresh simulator: a minimal raw client sequentially, the same raw client with 64 replicas in
 * flight (each replica's calls in order), and through the gRPC API of a real `serve` process with
 * 64 replicas in flight (one ReplicaCreate with host_nqns each: create and expose in one call).
 * Prints the three times and the API / raw-pipelined ratio (target ≤ 1.3).
 *
 *   npm run build && node dist/scripts/bench-replicas.js [--replicas 1000] [--inflight 64]
 *
 * For scale: real spdk_tgt v26.05 does these with a raw client in 16.3 s sequentially and
 * 0.46 s pipelined.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClients, unaryCall } from '../src/api/client.js';
import { connectRaw, inLanes } from './lib/raw-rpc.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001';
const MIB = 1024 * 1024;

const { values } = parseArgs({ options: { replicas: { type: 'string', default: '1000' }, inflight: { type: 'string', default: '64' } } });
const count = Number(values.replicas);
const inFlight = Number(values.inflight);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replicas-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
  } catch {
    return 0;
  }
}

async function waitForSocket(socket: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`${socket}: process exited ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${socket} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startSim(name: string): Promise<{ socket: string; pid: number | undefined; stop: () => Promise<void> }> {
  const socket = path.join(dir, `sim-${name}.sock`);
  const child = spawn(process.execPath, [SIM, '--socket', socket, '--name', name], { stdio: 'ignore' });
  children.push(child);
  await waitForSocket(socket, child);
  return { socket, pid: child.pid, stop: () => stopChild(child) };
}

/** Ends a process and waits for it: its listeners must be closed before the next phase binds. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function sparseFile(name: string, mib: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, mib * MIB);
  return file;
}

/** The SPDK calls of one exposed replica, as the service makes them. */
async function rawReplica(call: (m: string, p?: object) => Promise<unknown>, i: number, portBase: number): Promise<void> {
  const nqn = `nqn.2024-11.io.spdk-conductor:replica:b${i}`;
  await call('bdev_lvol_create', { lvol_name: `r.b${i}`, size_in_mib: 4, thin_provision: true, lvs_name: 'lvs.bench' });
  await call('nvmf_create_subsystem', { nqn, allow_any_host: false });
  await call('nvmf_subsystem_add_host', { nqn, host: HOST });
  await call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: `lvs.bench/r.b${i}` } });
  await call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(portBase + i) } });
}

async function raw(mode: 'sequential' | 'pipelined', portBase: number): Promise<number> {
  const sim = await startSim(`raw-${mode}`);
  const rpc = await connectRaw(sim.socket);
  await rpc.call('bdev_aio_create', { name: 'd.bench', filename: sparseFile(`raw-${mode}.img`, 16 * 1024), block_size: 4096 });
  await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'd.bench', lvs_name: 'lvs.bench', cluster_sz: MIB });
  await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
  const started = performance.now();
  await inLanes(count, mode === 'sequential' ? 1 : inFlight, (i) => rawReplica((m, p) => rpc.call(m, p), i, portBase));
  const ms = performance.now() - started;
  rpc.close();
  await sim.stop();
  return ms;
}

async function api(portBase: number): Promise<number> {
  const sim = await startSim('api');
  const spdkSocket = sim.socket;
  const apiSocket = path.join(dir, 'api.sock');
  const serve = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []),
      CLI,
      'serve',
      '--spdk-socket',
      spdkSocket,
      '--api-socket',
      apiSocket,
      '--api-tcp',
      'off',
      '--state-file',
      path.join(dir, 'state.json'),
      '--export-port-min',
      String(portBase),
      '--export-port-max',
      String(portBase + count + 10),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CONDUCTOR_LOG_LEVEL: process.env.CONDUCTOR_LOG_LEVEL ?? 'warn' },
    },
  );
  children.push(serve);
  await waitForSocket(apiSocket, serve);
  const clients = createApiClients({ unixSocket: apiSocket });
  try {
    const deadline = Date.now() + 20_000;
    let health = '';
    while ((health = await clients.healthCheck('').catch((e: unknown) => String(e))) !== 'SERVING') {
      if (Date.now() > deadline) throw new Error(`the service did not become ready: ${health}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await unaryCall((md, opts, cb) => clients.disks.DiskCreate({ name: 'bench', path: sparseFile('api.img', 16 * 1024) }, md, opts, cb), {});
    const started = performance.now();
    const cpuBefore = [process.cpuUsage(), cpuMs(serve.pid), cpuMs(sim.pid)] as const;
    await inLanes(count, inFlight, async (i) => {
      await unaryCall((md, opts, cb) => clients.replicas.ReplicaCreate({ name: `b${i}`, diskName: 'bench', sizeBytes: 4 * MIB, hostNqns: [HOST] }, md, opts, cb), {});
    });
    const ms = performance.now() - started;
    const client = process.cpuUsage(cpuBefore[0]);
    console.log(
      `API phase CPU: benchmark client ${Math.round((client.user + client.system) / 1000)} ms, serve ${cpuMs(serve.pid) - cpuBefore[1]} ms, simulator ${cpuMs(sim.pid) - cpuBefore[2]} ms, wall ${Math.round(ms)} ms`,
    );
    return ms;
  } finally {
    clients.close();
    await stopChild(serve);
    await sim.stop();
  }
}

// Each phase on its own ports, all below the kernel's ephemeral range (32768+), where any
// outgoing connection on the machine may hold a port and make a listen fail.
const pipelined = await raw('pipelined', 24000);
const viaApi = await api(26000);
const sequential = await raw('sequential', 28500);
console.log(`${count} exposed replicas (5 spdk_tgt calls each) on the simulator, ${inFlight} in flight`);
console.log(`raw sequential   ${(sequential / 1000).toFixed(2)} s`);
console.log(`raw pipelined    ${(pipelined / 1000).toFixed(2)} s`);
console.log(`API (gRPC)       ${(viaApi / 1000).toFixed(2)} s`);
console.log(`API / raw pipelined: ${(viaApi / pipelined).toFixed(2)}× (target ≤ 1.30×)`);
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
