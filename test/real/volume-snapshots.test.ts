/**
 * Volume snapshots and clones against a real spdk_tgt: an engine over two local replicas (both
 * members snapshotted by this node), then a linked and a full clone of a member's snapshot. Runs
 * when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not set.
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
import { portBlock } from '../helpers/ports.js';

const SPDK_TGT = process.env.SPDK_TGT;
const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000002';

if (!SPDK_TGT) console.log('test/real: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('volume snapshots and clones against a real spdk_tgt (SPDK_TGT)', () => {
  let dir: string;
  let tgt: ChildProcess;
  let service: ServiceHandle;
  let node: NodeService;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-real-'));
    const socket = path.join(dir, 'spdk.sock');
    tgt = spawn(SPDK_TGT!, ['--no-huge', '-s', '1024', '-r', socket, '-m', '0x1'], { stdio: ['ignore', 'ignore', 'pipe'] });
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

  it('snapshots both members under one name, all or nothing, and deletes them', async () => {
    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 512 * MIB);
    await node.diskCreate({ name: 'd', path: disk });
    // Room for the raid superblock beyond the volume (docs/architecture.md, the size rule).
    for (const r of ['rv-a', 'rv-b']) await node.replicaCreate(r, 'd', 36 * MIB);
    await node.engineCreate({
      name: 'rv',
      sizeBytes: 32 * MIB,
      replicas: [
        { name: 'rv-a', kind: 'local' },
        { name: 'rv-b', kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    const made = await node.engineSnapshotCreate({ engine: 'rv', name: 'vs1', labels: { app: 'real' } });
    expect(made.members.sort()).toEqual(['rv-a', 'rv-b']);
    expect(made.consistency).toBe('unverified');
    for (const r of ['rv-a', 'rv-b']) expect((await node.snapshotList(r)).map((s) => [s.name, s.labels])).toEqual([['vs1', { app: 'real' }]]);
    expect((await node.engineSnapshotCreate({ engine: 'rv', name: 'vs1', labels: { app: 'real' } })).name).toBe('vs1');
  }, 120_000);

  it('clones a member snapshot linked and full, and the full clone outlives it', async () => {
    const linked = await node.replicaClone({ name: 'rv-linked', sourceReplica: 'rv-a', snapshot: 'vs1', mode: 'linked' });
    expect(linked.headParent).toBe('vs1');
    const full = await node.replicaClone({ name: 'rv-full', sourceReplica: 'rv-a', snapshot: 'vs1', mode: 'full' });
    expect(full.headParent).toBeUndefined();
    await node.replicaDelete('rv-linked');
    await node.engineSnapshotDelete('rv', 'vs1');
    for (const r of ['rv-a', 'rv-b']) expect(await node.snapshotList(r)).toEqual([]);
    expect((await node.replicaGet('rv-full')).sizeBytes).toBe(36 * MIB);
    await node.replicaDelete('rv-full');
    await node.engineDelete('rv');
    for (const r of ['rv-a', 'rv-b']) await node.replicaDelete(r);
    await node.diskDelete('d', false);
  }, 120_000);
});
