/**
 * The service, started as serve starts it, against a real spdk_tgt. Runs when SPDK_TGT names its binary (run
 * as root or with enough memlock; started as test/real/helpers/real-node.ts starts targets);
 * skipped, saying so, when it is not set: CI has no spdk_tgt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { NodeService } from '../../src/domain/node/node-service.js';
import { startService, type ServiceHandle } from '../../src/service.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import { portBlock } from '../helpers/ports.js';
import { commonArgs } from './helpers/real-node.js';
import { createLocalEngine } from '../helpers/local-engine.js';

const SPDK_TGT = process.env.SPDK_TGT;
const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000001';

if (!SPDK_TGT) console.log('test/real: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('against a real spdk_tgt (SPDK_TGT)', () => {
  let dir: string;
  let tgt: ChildProcess;
  let service: ServiceHandle;
  let client: SpdkClient;
  let node: NodeService;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-real-'));
    const socket = path.join(dir, 'spdk.sock');
    tgt = spawn(SPDK_TGT!, ['-r', socket, ...commonArgs()], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    tgt.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(socket)) {
      if (tgt.exitCode !== null) throw new Error(`spdk_tgt exited ${tgt.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`spdk_tgt did not open ${socket}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ports = portBlock();
    const config = loadConfig({
      env: {
        CONDUCTOR_SPDK_SOCKET: socket,
        CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
        CONDUCTOR_API_TCP: 'off',
        CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
        CONDUCTOR_EXPORT_PORT_MIN: String(ports),
        CONDUCTOR_EXPORT_PORT_MAX: String(ports + 99),
      },
    });
    // An empty sysfs: the default budget, whatever this host's nvme_core io_timeout is.
    service = await startService(config, { logger: pino({ level: 'silent' }), sysfsRoot: dir });
    client = service.client;
    node = service.domain;
    const report = await service.recovered;
    if (!report) throw new Error(`recovery did not finish: ${node.readiness().reason}`);
  }, 90_000);

  afterAll(async () => {
    await service?.close();
    if (tgt && tgt.exitCode === null) {
      const exited = new Promise((resolve) => tgt.once('exit', resolve));
      tgt.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the version and methods, and is not the simulator', async () => {
    const caps = await client.capabilities.get();
    expect(caps.version.version).toMatch(/^SPDK v/);
    expect(caps.simulator).toBeUndefined();
    expect(caps.methods.has('bdev_lvol_create')).toBe(true);
  });

  it("reads max_subsystems from spdk_tgt: NodeInfo says spdk_tgt's own figure and that it came from there", async () => {
    // v26.05's default: SPDK_NVMF_DEFAULT_MAX_SUBSYSTEMS in lib/nvmf/nvmf.c, 1024; spdk_tgt reports
    // it in framework_get_config nvmf as nvmf_set_max_subsystems.
    const config = await client.callUnchecked<Array<{ method: string; params?: { max_subsystems?: number } }>>('framework_get_config', { name: 'nvmf' });
    const reported = config.find((c) => c.method === 'nvmf_set_max_subsystems')?.params?.max_subsystems;
    expect(reported).toBe(1024);
    const info = await node.nodeInfo();
    expect(info).toMatchObject({ maxSubsystems: reported, maxSubsystemsSource: 'spdk_tgt', simulator: false });
  });

  it('creates a disk, an exposed replica and a snapshot, and removes them', async () => {
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 256 * MIB);
    await node.diskCreate({ name: 'real', path: file });
    const replica = await node.replicaCreate('real-r', 'real', 16 * MIB, undefined, [HOST]);
    expect(replica.export?.hostNqns).toEqual([HOST]);
    await node.snapshotCreate({ replicaName: 'real-r', name: 's1' });
    expect((await node.snapshotList('real-r')).map((s) => s.name)).toEqual(['s1']);
    await node.replicaDelete('real-r');
    await node.diskDelete('real', true);
    expect(await node.diskList()).toEqual([]);
  });

  it('rebuilds a local replica with its snapshot through NVMe/TCP loopback, leaving nothing behind', async () => {
    const file = path.join(dir, 'rebuild.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 256 * MIB);
    await node.diskCreate({ name: 'rb', path: file });
    for (const r of ['rb1', 'rb2', 'rb3']) await node.replicaCreate(r, 'rb', 16 * MIB);
    await createLocalEngine(node, 'rbv', 16 * MIB, ['rb1', 'rb2'], HOST);
    for (const r of ['rb1', 'rb2']) await node.snapshotCreate({ replicaName: r, name: 'base' });
    await node.engineReplicaRemove('rbv', 'rb2');
    await node.engineReplicaAdd('rbv', { name: 'rb3', kind: 'local' });
    const deadline = Date.now() + 60_000;
    let rebuild = await node.rebuildGet('rbv', 'rb3');
    while (!['done', 'failed', 'cancelled'].includes(rebuild.state) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rebuild = await node.rebuildGet('rbv', 'rb3');
    }
    expect(rebuild.state, rebuild.reason).toBe('done');
    expect(rebuild.path, rebuild.pathReason).toBe('snapshot-preserving');
    expect((await node.snapshotList('rb3')).map((s) => s.name)).toEqual(['base']);
    expect((await node.replicaGet('rb3')).export).toBeUndefined();
    expect(await client.call('bdev_nvme_get_controllers')).toEqual([]);
    expect((await node.engineGet('rbv')).state).toBe('healthy');
    await node.engineDelete('rbv');
    await node.diskDelete('rb', true);
  }, 90_000);
});
