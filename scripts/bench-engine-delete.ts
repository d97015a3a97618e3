/**
 * What one engine delete costs an engine node that holds many remote controllers: two simulators
 * (a replica target exporting every namespace, and the engine node's), `--controllers` controllers
 * of other volumes attached on the engine node, and the service in-process on the engine node
 * through a proxy that counts the bytes of each answer by method. `--engines` engines of two
 * remote members are made and deleted one at a time; per delete it prints the bytes spdk_tgt
 * answered (all methods, and bdev_nvme_get_controllers alone), the get_controllers calls (whole
 * list / by name) and the delete's wall time (p50, max). The monitor pass is pushed out of the
 * way (its whole-list read is once per period, not per delete).
 *
 *   npm run build && node dist/scripts/bench-engine-delete.js [--controllers 500] [--engines 10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/load.js';
import { startService } from '../src/service.js';
import { connectRaw, inLanes } from './lib/raw-rpc.js';

const SIM = fileURLToPath(new URL('../spdk/sim/main.js', import.meta.url));
const ENGINE_HOST_NQN = 'nqn.2024-11.io.spdk-conductor:engine:bench-engine-node';
const HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000de1e';
const MIB = 1024 * 1024;
const SIZE = 8 * MIB;

const { values } = parseArgs({ options: { controllers: { type: 'string', default: '500' }, engines: { type: 'string', default: '10' } } });
const controllerCount = Number(values.controllers);
const engineCount = Number(values.engines);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-engine-delete-'));
const children: ChildProcess[] = [];

async function startSim(name: string): Promise<string> {
  const socket = path.join(dir, `${name}.sock`);
  const child = spawn(process.execPath, [SIM, '--socket', socket, '--name', name, '--quiet', '--mem-dump', path.join(dir, `${name}-mem.txt`), '--max-subsystems', '4096', '--lifeline'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  children.push(child);
  for (const deadline = Date.now() + 30_000; ; ) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socket);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return socket;
    if (Date.now() > deadline) throw new Error(`simulator ${name} did not listen`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Per method: answers and their bytes, matched to requests by id. */
class CountingProxy {
  readonly bytes = new Map<string, number>();
  readonly calls: Array<{ method: string; named: boolean }> = [];

  constructor(private readonly upstream: string) {}

  listen(socket: string): Promise<void> {
    const server = net.createServer((client) => {
      const up = net.connect(this.upstream);
      const methods = new Map<unknown, string>();
      let pending = '';
      let answers = '';
      client.on('data', (chunk) => {
        pending += chunk.toString('utf8');
        // The service writes one compact request per call: cut on the object boundaries.
        let depth = 0;
        let start = 0;
        let inString = false;
        let escaped = false;
        for (let i = 0; i < pending.length; i++) {
          const c = pending[i]!;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === '\\') escaped = true;
            else if (c === '"') inString = false;
          } else if (c === '"') inString = true;
          else if (c === '{' || c === '[') depth++;
          else if ((c === '}' || c === ']') && --depth === 0) {
            const request = JSON.parse(pending.slice(start, i + 1)) as { id?: unknown; method: string; params?: { name?: unknown } };
            methods.set(request.id, request.method);
            this.calls.push({ method: request.method, named: request.params?.name !== undefined });
            start = i + 1;
          }
        }
        pending = pending.slice(start);
        up.write(chunk);
      });
      up.on('data', (chunk) => {
        client.write(chunk);
        answers += chunk.toString('utf8');
        let nl: number;
        while ((nl = answers.indexOf('\n')) >= 0) {
          const line = answers.slice(0, nl + 1);
          answers = answers.slice(nl + 1);
          const id = (JSON.parse(line) as { id?: unknown }).id;
          const method = methods.get(id) ?? '?';
          methods.delete(id);
          this.bytes.set(method, (this.bytes.get(method) ?? 0) + Buffer.byteLength(line));
        }
      });
      const end = (): void => {
        client.destroy();
        up.destroy();
      };
      client.on('close', end).on('error', end);
      up.on('close', end).on('error', end);
    });
    return new Promise((resolve) => server.listen(socket, () => resolve()));
  }

  total(): number {
    return [...this.bytes.values()].reduce((a, b) => a + b, 0);
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const [replicaSocket, engineSocket] = await Promise.all([startSim('R'), startSim('E')]);
  const r = await connectRaw(replicaSocket);
  const e = await connectRaw(engineSocket);
  const port = 42_000 + (process.pid % 1000);
  await r.call('nvmf_create_transport', { trtype: 'TCP' });
  const exports = controllerCount + 2 * engineCount;
  const nqn = (i: number): string => `nqn.2024-11.io.bench:x${i}`;
  await inLanes(exports, 32, async (i) => {
    const bdev = `x${i}`;
    if (i < controllerCount) await r.call('bdev_null_create', { name: bdev, num_blocks: 2048, block_size: 4096 });
    else await r.call('bdev_malloc_create', { name: bdev, num_blocks: (2 * SIZE) / 4096, block_size: 4096 });
    await r.call('nvmf_create_subsystem', { nqn: nqn(i), allow_any_host: true });
    await r.call('nvmf_subsystem_add_ns', { nqn: nqn(i), namespace: { bdev_name: bdev } });
    await r.call('nvmf_subsystem_add_listener', { nqn: nqn(i), listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  });
  // Other volumes' members on the engine node: what every whole-list read carries.
  await inLanes(controllerCount, 32, (i) =>
    e.call('bdev_nvme_attach_controller', { name: `other${i}`, trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port), subnqn: nqn(i), hostnqn: ENGINE_HOST_NQN }),
  );
  const oneList = JSON.stringify(await e.call('bdev_nvme_get_controllers')).length;

  const proxy = new CountingProxy(engineSocket);
  const proxied = path.join(dir, 'proxy.sock');
  await proxy.listen(proxied);
  const config = loadConfig({
    env: {
      CONDUCTOR_SPDK_SOCKET: proxied,
      CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(port + 1),
      CONDUCTOR_EXPORT_PORT_MAX: String(port + 200),
      CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN,
      CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '600000',
    },
  });
  const service = await startService(config, { logger: pino({ level: 'silent' }), sysfsRoot: dir, api: { shutdownGraceMs: 100 } });
  if (!(await service.recovered)) throw new Error('the service did not recover');
  const node = service.domain;
  const member = (i: number, k: number) => ({ name: `v${i}-r${k}`, kind: 'remote' as const, address: '127.0.0.1', port, nqn: nqn(controllerCount + 2 * i + k) });

  const bytes: number[] = [];
  const listBytes: number[] = [];
  const ms: number[] = [];
  let whole = 0;
  let named = 0;
  for (let i = 0; i < engineCount; i++) {
    await node.engineCreate({ name: `v${i}`, sizeBytes: SIZE, replicas: [member(i, 0), member(i, 1)], frontend: 'export-only', hostNqns: [HOST_NQN] });
    const before = proxy.total();
    const beforeList = proxy.bytes.get('bdev_nvme_get_controllers') ?? 0;
    const mark = proxy.calls.length;
    const t0 = performance.now();
    await node.engineDelete(`v${i}`);
    ms.push(performance.now() - t0);
    bytes.push(proxy.total() - before);
    listBytes.push((proxy.bytes.get('bdev_nvme_get_controllers') ?? 0) - beforeList);
    for (const call of proxy.calls.slice(mark)) {
      if (call.method !== 'bdev_nvme_get_controllers') continue;
      if (call.named) named++;
      else whole++;
    }
  }
  const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`engine node: ${controllerCount} other controllers (one whole list: ${oneList} bytes); ${engineCount} engines of 2 remote members, each deleted`);
  console.log(`per delete: ${mean(bytes)} bytes answered by spdk_tgt, of them bdev_nvme_get_controllers ${mean(listBytes)}`);
  console.log(`bdev_nvme_get_controllers per delete: whole list ${(whole / engineCount).toFixed(1)}, by name ${(named / engineCount).toFixed(1)}`);
  console.log(`delete time: p50 ${pct(sorted, 50).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (load average ${os.loadavg()[0]!.toFixed(1)})`);
  await service.close();
  r.close();
  e.close();
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve)))));
  fs.rmSync(dir, { recursive: true, force: true });
}
// The proxy's server and the service's worker threads are not wound down one by one: done.
process.exit(0);
