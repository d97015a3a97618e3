/**
 * The embedded simulator is supervised: killed with SIGKILL it is started again on the same socket
 * and directory (the state file beside it survives), with the reason logged and a backoff that
 * doubles while it keeps dying, and the service answers spdk calls through it again; closing the
 * service stops it for good. The service runs in-process, the simulator as its real child.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClients, invoke } from '../src/api/client.js';
import { loadConfig } from '../src/config/load.js';
import { restartDelayMs, startEmbeddedSim } from '../src/embedded-sim.js';
import { startService } from '../src/service.js';
import { waitFor } from './api/helpers/api-server.js';
import { alive } from './helpers/process.js';
import { tempDir } from './helpers/temp-dir.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function diskFile(dir: string, name: string): string {
  const file = path.join(dir, `${name}.img`);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 64 * 1024 * 1024);
  return file;
}

describe('restartDelayMs', () => {
  it('doubles from the minimum with each exit in a row, up to the cap', () => {
    const options = { restartMinMs: 100, restartMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6, 100].map((n) => restartDelayMs(n, options))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });
});

describe('the embedded simulator under supervision', () => {
  it('comes back after kill -9, with a growing backoff, and the service answers spdk calls through it; close() stops it for good', async () => {
    const dir = tempDir('supervised-');
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const config = loadConfig({ env: { CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'), CONDUCTOR_API_TCP: 'off' } });
    const service = await startService(config, { logger, sysfsRoot: dir, api: { readinessPollMs: 20 } });
    cleanups.push(() => service.close());
    const clients = createApiClients({ unixSocket: service.api.unixSocket! });
    cleanups.push(() => clients.close());
    expect(await service.recovered).toBeDefined();
    await invoke(clients.disks, 'DiskCreate', { name: 'd1', path: diskFile(dir, 'd1'), kind: 'DISK_KIND_AIO' });
    const sim = service.embeddedSim!;
    const stateFile = path.join(path.dirname(sim.socketPath), 'state.json');
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).disks).toHaveProperty('d1');

    const pids = [sim.pid!];
    for (const [round, delayMs] of [
      [1, 100],
      [2, 200],
    ] as const) {
      const killed = pids[pids.length - 1]!;
      process.kill(killed, 'SIGKILL');
      const exit = await waitFor(`the exit of simulator ${killed} logged`, () => lines.find((l) => l['pid'] === killed && String(l['msg']).startsWith('embedded simulator exited unexpectedly')));
      expect(exit).toMatchObject({ level: 50, signal: 'SIGKILL', reason: 'killed by SIGKILL', delayMs, failures: round });
      const pid = await waitFor(`simulator restart ${round}`, () => sim.restarts === round && sim.pid !== undefined && sim.pid !== killed && sim.pid, 15_000);
      expect(alive(killed)).toBe(false);
      expect(alive(pid)).toBe(true);
      expect(lines.find((l) => l['msg'] === 'embedded simulator restarted' && l['pid'] === pid)).toMatchObject({ restarts: round, socket: sim.socketPath });
      pids.push(pid);
      // The same socket and directory: the state file, with its records, is still there.
      expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).disks).toHaveProperty('d1');
      // spdk_tgt calls through the service reach the new simulator once the client has reconnected.
      const made = await waitFor(
        `a disk made through the restarted simulator ${pid}`,
        async () => invoke(clients.disks, 'DiskCreate', { name: `after-${round}`, path: diskFile(dir, `after-${round}`), kind: 'DISK_KIND_AIO' }),
        15_000,
      );
      expect(made).toMatchObject({ name: `after-${round}`, lvstoreName: `lvs.after-${round}` });
      expect((await invoke(clients.disks, 'DiskList', {})).disks.map((d: { name: string }) => d.name)).toContain(`after-${round}`);
    }

    await service.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.dirname(sim.socketPath))).toBe(false);
    expect(lines.filter((l) => l['msg'] === 'embedded simulator restarted')).toHaveLength(2);
    expect(sim.restarts).toBe(2);
  });
});

describe('a restart that fails', () => {
  it('is tried again after a longer delay, and the simulator comes back once it can', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const sim = await startEmbeddedSim(logger, { memMib: 2048 }, { restartMinMs: 1_000 });
    cleanups.push(() => sim.stop());
    const first = sim.pid!;
    process.kill(first, 'SIGKILL');
    await waitFor('the exit logged', () => lines.find((l) => l['pid'] === first && l['delayMs'] === 1_000));
    // A directory where the socket goes: the next start cannot listen there.
    fs.rmSync(sim.socketPath, { force: true });
    fs.mkdirSync(sim.socketPath);
    const failed = await waitFor('the failed restart logged', () => lines.find((l) => l['msg'] === 'embedded simulator restart failed; trying again in 2000 ms'), 10_000);
    expect(failed).toMatchObject({ level: 50, failures: 2, delayMs: 2_000 });
    expect(sim.restarts).toBe(0);
    fs.rmdirSync(sim.socketPath);
    const pid = await waitFor('the simulator back', () => sim.restarts === 1 && sim.pid, 15_000);
    expect(pid).not.toBe(first);
    expect(alive(pid)).toBe(true);
    await sim.stop();
    expect(alive(pid)).toBe(false);
  });
});

describe('sim.interruptMode', () => {
  it('starts the simulator with its reactor in interrupt mode, and NodeInfo says so once sampled', async () => {
    const dir = tempDir('interrupt-');
    const config = loadConfig({
      env: {
        CONDUCTOR_SIM_INTERRUPT_MODE: 'true',
        CONDUCTOR_SIM_MEM_MIB: '1024',
        CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
        CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
        CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '200',
      },
    });
    const service = await startService(config, { logger: pino({ level: 'silent' }) });
    cleanups.push(() => service.close());
    const reactors = await service.client.call<{ reactors: Array<{ in_interrupt: boolean; busy: number; idle: number }> }>('framework_get_reactors');
    expect(reactors.reactors).toEqual([expect.objectContaining({ in_interrupt: true, busy: 0, idle: 0 })]);
    await waitFor('NodeInfo reactor_mode', async () => (await service.domain.nodeInfo()).reactorMode === 'interrupt', 10_000);
  });
});
