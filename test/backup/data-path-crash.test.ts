/**
 * kill -9 of the service in the middle of a stage (its shallow copy running into a bk- aio bdev)
 * and of a restore's commit (its esnap clone b.<replica> holding the restore's bk- aio bdev): the
 * next start removes all of it, the clone before its parent bdev (the other order is never
 * answered), and the staging files. The service runs as its own process (node on dist/), so the
 * kill is real; the simulator stays up across it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startService } from '../../src/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const DIST = fileURLToPath(new URL('../../dist/src/', import.meta.url));
const MIB = 1024 * 1024;

/** The service process: sets up a replica with a snapshot, then leaves a stage and a restore's commit hanging. */
const CHILD = `
const { loadConfig } = await import(${JSON.stringify(path.join(DIST, 'config/load.js'))});
const { startService } = await import(${JSON.stringify(path.join(DIST, 'service.js'))});
const service = await startService(loadConfig({ env: process.env }), {});
if (!(await service.recovered)) throw new Error('not recovered');
const node = service.domain;
await node.diskCreate({ name: 'd', path: process.env.DISK_FILE });
await node.replicaCreate('src', 'd', 16 * 1024 * 1024);
await service.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: 0, data_base64: Buffer.alloc(65536, 7).toString('base64') });
await node.snapshotCreate({ replicaName: 'src', name: 's' });
// Answers that never come in time: the copy and the inflate stay under way until the kill.
await service.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_check_shallow_copy', ms: 600000 });
await service.client.callUnchecked('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 600000 });
void node.dataPath.stageSnapshot({ replica: 'src', snapshot: 's', mode: 'full' }).catch(() => undefined);
const sink = await node.dataPath.openRestore({ disk: 'd', replica: 'back', sizeBytes: 16 * 1024 * 1024 });
await sink.write(0, Buffer.alloc(65536, 9));
void sink.commit().catch(() => undefined);
process.stdout.write('hanging\\n');
`;

let sim: RunningSim;
let sim2: SimClient;
let dir: string;
let child: ChildProcess | undefined;

function env(): Record<string, string> {
  const port = portBlock();
  return {
    CONDUCTOR_SPDK_SOCKET: sim.socket,
    CONDUCTOR_API_SOCKET: path.join(dir, `api-${Date.now()}.sock`),
    CONDUCTOR_API_TCP: 'off',
    CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
    CONDUCTOR_EXPORT_PORT_MIN: String(port),
    CONDUCTOR_EXPORT_PORT_MAX: String(port + 99),
    CONDUCTOR_LOG_LEVEL: 'warn',
    // The staging path's commit (restore-nvmf-crash.test.ts kills the NVMe/TCP path's).
    CONDUCTOR_BACKUP_RESTORE_VIA: 'staging',
  };
}

async function until(check: () => Promise<boolean>, what: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function ours(): Promise<{ bdevs: string[]; building: string[]; files: string[] }> {
  const bdevs = (await sim2.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const building = (await sim2.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const staging = path.join(dir, 'backup-staging');
  const files = fs.existsSync(staging) ? fs.readdirSync(staging) : [];
  return { bdevs: bdevs.sort(), building, files: files.sort() };
}

beforeAll(async () => {
  dir = tempDir('backup-crash-');
  sim = await startSim({ name: 'bkcrash', socket: path.join(dir, 'spdk.sock') });
  sim2 = await SimClient.connect(sim.socket);
  const file = path.join(dir, 'd.img');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 256 * MIB);
  child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, ...env(), DISK_FILE: file }, stdio: ['ignore', 'pipe', 'pipe'] });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  sim2?.close();
  await sim?.stop();
});

describe('kill -9 mid-stage and mid-restore', () => {
  it('the next start removes the restore clone, then the staging bdevs, then the files', async () => {
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child!.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    await until(async () => {
      if (child!.exitCode !== null) throw new Error(`the service exited early: ${out.slice(-2000)}`);
      const now = await ours();
      return out.includes('hanging') && now.bdevs.length === 2 && now.building.length === 1;
    }, 'a stage and a restore commit under way');
    const before = await ours();
    expect(before.bdevs.map((b) => b.slice(0, 5))).toEqual(['bk-r-', 'bk-s-']);
    expect(before.files).toEqual(before.bdevs.map((b) => `${b}.img`));
    child!.kill('SIGKILL');
    await exited;
    await sim2.call('sim_rpc_delay', { method: 'bdev_lvol_check_shallow_copy', ms: 0 });
    await sim2.call('sim_rpc_delay', { method: 'bdev_lvol_inflate', ms: 0 });

    const service = await startService(loadConfig({ env: env() }), { logger: pino({ level: 'silent' }), sysfsRoot: dir });
    try {
      expect(await service.recovered).toBeDefined();
      expect(await ours()).toEqual({ bdevs: [], building: [], files: [] });
      // The replica and its snapshot are untouched; the restore's replica never appeared.
      expect((await service.domain.snapshotList('src')).map((s) => s.name)).toEqual(['s']);
      expect((await service.domain.replicaList(undefined)).map((r) => r.name)).toEqual(['src']);
    } finally {
      await service.close();
    }
  });
});
