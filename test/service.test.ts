/**
 * The service as serve starts it, in-process: on the embedded simulator (a real process), its API
 * on a temp socket. What start-up opens, close() and failed start-ups close again.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../src/api/client.js';
import { loadConfig } from '../src/config/load.js';
import { startService, type ServiceHandle } from '../src/service.js';
import { waitFor } from './api/helpers/api-server.js';
import { tempDir } from './helpers/temp-dir.js';
import { alive } from './helpers/process.js';

/** A logger whose lines the test reads (the embedded simulator's pid is in one). */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** A budget whose controller outlives the host's ctrl-loss-tmo: rule ours.controller-gone-before-host-ctrl-loss. */
const BROKEN_BUDGET = { CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '30', CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '30' };

function serviceConfig(dir: string, env: Record<string, string> = {}) {
  // An empty sysfs root (dir): the configured host io_timeout counts, whatever this host's nvme_core says.
  return loadConfig({ env: { CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'), CONDUCTOR_API_TCP: 'off', ...env } });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('startService', () => {
  it('serves the API on the embedded simulator, and close() leaves no process or socket behind', async () => {
    const dir = tempDir('svc-');
    const { logger } = recordingLogger();
    const service: ServiceHandle = await startService(serviceConfig(dir, { CONDUCTOR_API_TCP: '127.0.0.1:0', CONDUCTOR_API_TCP_INSECURE: 'true' }), {
      logger,
      sysfsRoot: dir,
      api: { readinessPollMs: 20 },
    });
    cleanups.push(() => service.close());
    const sim = service.embeddedSim!;
    expect(sim.pid).toBeGreaterThan(0);
    expect(alive(sim.pid!)).toBe(true);
    expect(service.api.unixSocket).toBe(path.join(dir, 'api.sock'));
    expect(service.api.tcp?.port).toBeGreaterThan(0);

    expect(await service.recovered).toBeDefined();
    expect(service.readiness()).toEqual({ ready: true, reason: 'ready' });
    const clients: ApiClients = createApiClients({ unixSocket: service.api.unixSocket! });
    cleanups.push(() => clients.close());
    await waitFor('health SERVING', async () => (await clients.healthCheck('')) === 'SERVING');
    const info = await invoke(clients.node, 'NodeInfo', {});
    expect(info.spdkVersion).toBe('SPDK v26.05');
    expect(info.simulator).toBe(true);
    expect(await invoke(clients.disks, 'DiskList', {})).toEqual({ disks: [], nextPageToken: '', stale: false, staleReason: '' });

    await service.close();
    expect(alive(sim.pid!)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'api.sock'))).toBe(false);
    expect(fs.existsSync(path.dirname(sim.socketPath))).toBe(false);
    await service.close();
  });

  it('a start-up that fails after the simulator started (an API socket whose directory cannot be made) stops the simulator', async () => {
    const dir = tempDir('svc-');
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const { logger, lines } = recordingLogger();
    await expect(startService(serviceConfig(dir, { CONDUCTOR_API_SOCKET: path.join(file, 'sub', 'api.sock') }), { logger, sysfsRoot: dir })).rejects.toThrow(/ENOTDIR|not a directory/);
    const started = lines.find((l) => l['msg'] === 'embedded simulator started (no spdk.socket configured)');
    expect(started, 'the simulator was started before the API failed').toBeDefined();
    const pid = started!['pid'] as number;
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.dirname(started!['socket'] as string))).toBe(false);
  });

  it('refuses a broken timeout budget before opening anything, naming the rule', async () => {
    const dir = tempDir('svc-');
    const { logger, lines } = recordingLogger();
    await expect(startService(serviceConfig(dir, BROKEN_BUDGET), { logger, sysfsRoot: dir })).rejects.toThrow(
      /^config timeouts: timeout budget refused: \[ours\.controller-gone-before-host-ctrl-loss\] .*ctrl-loss-tmo 30 s$/m,
    );
    expect(lines.map((l) => l['msg'])).toEqual(['starting']);
    expect(fs.existsSync(path.join(dir, 'api.sock'))).toBe(false);
  });
});
