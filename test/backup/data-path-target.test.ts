/**
 * The data path end to end on one target, without the simulator's block I/O: data goes in by a
 * restore (sparse file, clone_bdev, inflate), is snapshotted, and comes back out by stages, full
 * and delta, identical. It runs against a real spdk_tgt when SPDK_TGT names its binary (started
 * with --no-huge, as test/real does), and against the simulator otherwise: the same steps either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StagedImage } from '../../src/domain/backup/data-path.js';
import { startService, type ServiceHandle } from '../../src/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const SPDK_TGT = process.env.SPDK_TGT;
const MIB = 1024 * 1024;
const SIZE = 16 * MIB;
const BLOCK = 128 * 1024;

let dir: string;
let tgt: ChildProcess | undefined;
let sim: RunningSim | undefined;
let service: ServiceHandle;

async function startTarget(socket: string): Promise<void> {
  if (!SPDK_TGT) {
    sim = await startSim({ name: 'bktarget', socket });
    return;
  }
  const proc = spawn(SPDK_TGT, ['--no-huge', '-s', '1024', '-r', socket, '-m', '0x1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  tgt = proc;
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(socket)) {
    if (proc.exitCode !== null) throw new Error(`spdk_tgt exited ${proc.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`spdk_tgt did not open ${socket}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function assemble(image: StagedImage): Promise<{ data: Buffer; offsets: number[] }> {
  const data = Buffer.alloc(image.sizeBytes);
  const offsets: number[] = [];
  for await (const block of image.blocks(BLOCK)) {
    block.data.copy(data, block.offset);
    offsets.push(block.offset);
  }
  return { data, offsets };
}

beforeAll(async () => {
  dir = tempDir('backup-target-');
  const socket = path.join(dir, 'spdk.sock');
  await startTarget(socket);
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
  service = await startService(config, { logger: pino({ level: 'silent' }), sysfsRoot: dir });
  if (!(await service.recovered)) throw new Error('recovery did not finish');
  const file = path.join(dir, 'disk.img');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 256 * MIB);
  await service.domain.diskCreate({ name: 'd', path: file });
}, 90_000);

afterAll(async () => {
  await service?.close();
  await sim?.stop();
  if (tgt && tgt.exitCode === null) {
    const exited = new Promise((resolve) => tgt!.once('exit', resolve));
    tgt.kill('SIGTERM');
    await exited;
  }
});

describe(`the data path on ${SPDK_TGT ? 'a real spdk_tgt (SPDK_TGT)' : 'the simulator (set SPDK_TGT for a real spdk_tgt)'}`, () => {
  it('restores written data into a replica and stages its snapshot back, full and delta, identical', async () => {
    const node = service.domain;
    // Data in two separate runs, the rest holes: 1 MiB at 1 MiB and 384 KiB at 9 MiB.
    const image = Buffer.alloc(SIZE);
    randomBytes(MIB).copy(image, MIB);
    randomBytes(384 * 1024).copy(image, 9 * MIB);
    const sink = await node.dataPath.openRestore({ disk: 'd', replica: 'a', sizeBytes: SIZE, allocatedBytes: 2 * MIB });
    await sink.write(MIB, image.subarray(MIB, 2 * MIB));
    await sink.write(9 * MIB, image.subarray(9 * MIB, 9 * MIB + 384 * 1024));
    await sink.commit();
    await node.snapshotCreate({ replicaName: 'a', name: 's1' });

    for (const mode of ['full', 'delta'] as const) {
      const staged = await node.dataPath.stageSnapshot({ replica: 'a', snapshot: 's1', mode });
      try {
        const { data, offsets } = await assemble(staged);
        expect(sha(data), mode).toBe(sha(image));
        // The inflate allocated every cluster, but the zero blocks are never yielded.
        expect(offsets, mode).toEqual([...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => MIB + i * BLOCK), 9 * MIB, 9 * MIB + BLOCK, 9 * MIB + 2 * BLOCK]);
      } finally {
        await staged.close();
      }
    }
    const bdevs = await service.client.call<Array<{ name: string }>>('bdev_get_bdevs');
    expect(bdevs.filter((b) => b.name.startsWith('bk-'))).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'backup-staging'))).toEqual([]);
  });
});
