/**
 * Online expansion of a 1 GiB volume under host writes (issue 14's figure): a replica node (a
 * simulator and the service, its API on TCP for the engine node to reach as a peer), an engine node
 * (a simulator and the service) with a superblock raid1 over the replica node's member and a local
 * one, and a host simulator attached to the engine's export over NVMe/TCP, writing 4 KiB blocks at
 * random one after another (queue depth 1, as the engine tests' host does).
 *
 *   npm run bench:expand -- [--size-mib 1024] [--to-mib 2048] [--rounds 3] [--port-min 14600]
 *
 * Each round grows the volume (EngineExpand, doubling by default) while the host writes, and
 * prints the call's time, the time until the host's namespace shows the new size, and the longest
 * gap between two host write completions during the expansion next to the longest gap in the same
 * time just before it (the host's own jitter): a pause the expansion costs shows as the difference.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/load.js';
import { startService, type ServiceHandle } from '../src/service.js';
import { SpdkClient } from '../src/spdk/client.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const SIM = path.join(ROOT, 'dist/spdk/sim/main.js');
const MIB = 1024 * 1024;
const BLOCK = 4096;
/** The size rule: a superblock engine's members are 4 MiB larger than the volume. */
const HEADROOM = 4 * MIB;
const ENGINE_NQN = 'nqn.2024-11.io.spdk-conductor:engine:bench-expand';
const HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000e4a0';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    'to-mib': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'port-min': { type: 'string', default: '14600' },
  },
});
const sizeMib = Number(values['size-mib']);
const rounds = Number(values.rounds);
const firstTarget = Number(values['to-mib'] ?? 2 * sizeMib);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-expand-'));
const children: ChildProcess[] = [];
const services: ServiceHandle[] = [];
const logger = pino({ level: process.env.CONDUCTOR_LOG_LEVEL ?? 'silent' });

async function sim(name: string): Promise<string> {
  const socket = path.join(dir, `${name}.sock`);
  const child = spawn(process.execPath, [SIM, '--socket', socket, '--name', name, '--mem-dump', path.join(dir, `mem-${name}.txt`), '--quiet'], { stdio: 'ignore' });
  children.push(child);
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`simulator ${name} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return socket;
}

async function node(name: string, portMin: number, api: boolean): Promise<ServiceHandle> {
  const socket = await sim(name);
  // One state directory per service (each takes its directory's lock).
  const own = path.join(dir, name);
  fs.mkdirSync(own);
  const config = loadConfig({
    env: {
      CONDUCTOR_SPDK_SOCKET: socket,
      CONDUCTOR_API_SOCKET: path.join(own, 'api.sock'),
      CONDUCTOR_API_TCP: api ? '127.0.0.1:0' : 'off',
      CONDUCTOR_API_TCP_INSECURE: api ? 'true' : 'false',
      CONDUCTOR_STATE_FILE: path.join(own, 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(portMin),
      CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99),
      CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_NQN}-${name}`,
    },
  });
  const service = await startService(config, { logger, sysfsRoot: own });
  services.push(service);
  if (!(await service.recovered)) throw new Error(`node ${name} did not recover`);
  const file = path.join(own, 'disk.img');
  fs.writeFileSync(file, '');
  // Sparse: room for the last round's member, which the host's writes never fill.
  fs.truncateSync(file, (firstTarget * 2 ** (rounds - 1) + 256) * MIB);
  await service.domain.diskCreate({ name: 'd', path: file });
  return service;
}

function stats(gaps: number[]): string {
  return gaps.length === 0 ? '-' : `${Math.max(...gaps).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const portMin = Number(values['port-min']);
  const replicaNode = await node('replica', portMin, true);
  const engineNode = await node('engine', portMin + 100, false);
  const memberBytes = sizeMib * MIB + HEADROOM;
  const remote = await replicaNode.domain.replicaCreate('bx-a', 'd', memberBytes, undefined, [`${ENGINE_NQN}-engine`]);
  await engineNode.domain.replicaCreate('bx-b', 'd', memberBytes);
  const engine = await engineNode.domain.engineCreate({
    name: 'bx',
    sizeBytes: sizeMib * MIB,
    replicas: [
      { name: 'bx-a', kind: 'remote', address: '127.0.0.1', port: remote.export!.port, nqn: remote.export!.nqn, apiAddress: `127.0.0.1:${replicaNode.api.tcp!.port}` },
      { name: 'bx-b', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: [HOST_NQN],
  });
  const hostSocket = await sim('host');
  const host = new SpdkClient({ socketPath: hostSocket, logger });
  const [bdev] = await host.call<string[]>('bdev_nvme_attach_controller', {
    name: 'vol',
    trtype: 'tcp',
    adrfam: 'ipv4',
    traddr: engine.frontend!.address,
    trsvcid: String(engine.frontend!.port),
    subnqn: engine.frontend!.nqn,
    hostnqn: HOST_NQN,
    ctrlr_loss_timeout_sec: 10,
    reconnect_delay_sec: 1,
  });

  // The host writes one block after another into the volume's first size, recording each completion.
  const completions: number[] = [];
  let failures = 0;
  let writing = true;
  const blocks = (sizeMib * MIB) / BLOCK;
  const writer = (async () => {
    while (writing) {
      const block = Math.floor(Math.random() * blocks);
      try {
        await host.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: block, data_base64: randomBytes(BLOCK).toString('base64'), timeout_ms: 5_000 }, { deadlineMs: 35_000 });
        completions.push(performance.now());
      } catch {
        failures++;
      }
    }
  })();
  const gapsBetween = (from: number, to: number): number[] => {
    const inside = completions.filter((t) => t >= from && t <= to);
    return inside.slice(1).map((t, i) => t - inside[i]!);
  };

  console.log(`volume ${sizeMib} MiB over a remote and a local member (superblock raid1), host writing 4 KiB at queue depth 1`);
  console.log('round  from → to (MiB)   EngineExpand   host sees it   longest write gap: during   just before   writes during');
  let size = sizeMib;
  await new Promise((r) => setTimeout(r, 2_000));
  for (let round = 1; round <= rounds; round++) {
    const target = round === 1 ? firstTarget : size * 2;
    const start = performance.now();
    await engineNode.domain.engineExpand('bx', target * MIB);
    const called = performance.now() - start;
    for (;;) {
      const [info] = await host.call<Array<{ num_blocks: number }>>('bdev_get_bdevs', { name: bdev });
      if (info!.num_blocks * BLOCK >= target * MIB) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen = performance.now() - start;
    // Writes still in flight when the host saw it count too: wait for the next completion.
    await new Promise((r) => setTimeout(r, 200));
    const end = performance.now();
    const during = gapsBetween(start, end);
    const before = gapsBetween(start - (end - start), start);
    console.log(
      `${String(round).padEnd(6)} ${`${size} → ${target}`.padEnd(18)} ${`${called.toFixed(0)} ms`.padEnd(14)} ${`${seen.toFixed(0)} ms`.padEnd(14)} ${stats(during).padEnd(33)}${stats(before).padEnd(14)}${during.length + 1}`,
    );
    size = target;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  writing = false;
  await writer;
  console.log(`host writes: ${completions.length} done, ${failures} failed`);
  await host.close();
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const service of services.reverse()) await service.close().catch(() => undefined);
    for (const child of children) child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });
