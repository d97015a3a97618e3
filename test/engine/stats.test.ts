/**
 * Per-volume I/O statistics on real processes (issue 14 item 5): a host simulator writes and reads
 * through an engine's export; EngineGet carries the counters of the last bdev_get_iostat reading of
 * the raid (the reading the metrics take), and EngineStats the rates and mean latency over the
 * window between the last two; the CLI's `engine stats` prints them.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { portBlock } from '../helpers/ports.js';
import { BLOCK, Host, HOST_NQN, MIB, until } from './helpers/cluster.js';
import { createLocalEngine } from '../helpers/local-engine.js';

/** The built CLI (`npm run build` first), as the CLI tests run it. */
const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');

let node: NodeFixture;
let api: ApiClients;
let host: Host;

beforeAll(async () => {
  node = await startNode({ portMin: portBlock(), env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', CONDUCTOR_METRICS_IOSTAT_PERIOD_MS: '200' } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  for (const r of ['s1', 's2']) await node.node.replicaCreate(r, 'd', 36 * MIB);
  const engine = await createLocalEngine(node.node, 'vol', 32 * MIB, ['s1', 's2'], HOST_NQN);
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  host = await Host.attach(engine, { ctrlLossTmoSec: 10, reconnectDelaySec: 1 });
}, 60_000);

afterAll(async () => {
  await host?.close();
  api?.close();
  await node?.close();
});

describe('engine I/O statistics', () => {
  it('EngineGet counts what the host did on the volume, and EngineStats gives rates over a window', async () => {
    const before = await until('a first reading', 10_000, async () => (await invoke(api.engines, 'EngineGet', { name: 'vol' })).io ?? undefined);
    const writes = 40;
    for (let i = 0; i < writes; i++) {
      await host.rpc.callUnchecked('sim_bdev_write', { name: host.bdev, offset_blocks: i * 16, data_base64: randomBytes(2 * BLOCK).toString('base64') });
    }
    for (let i = 0; i < 10; i++) await host.rpc.callUnchecked('sim_bdev_read', { name: host.bdev, offset_blocks: i, num_blocks: 1 });
    const after = await until('a reading with the host I/O', 10_000, async () => {
      const io = (await invoke(api.engines, 'EngineGet', { name: 'vol' })).io;
      return io !== null && Number(io.writeOps) - Number(before.writeOps) >= writes && Number(io.readOps) - Number(before.readOps) >= 10 && io;
    });
    expect(Number(after.writeBytes) - Number(before.writeBytes)).toBeGreaterThanOrEqual(writes * 2 * BLOCK);
    expect(after.writeLatencySec).toBeGreaterThan(0);
    expect(Number(after.sampledAtMs)).toBeGreaterThan(Date.now() - 60_000);

    // Writes keep coming while the rates are read: a window that saw them has a write rate and a mean latency.
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const writing = host.writeUntil(stopped, 5_000);
    const stats = await until('a window with writes', 10_000, async () => {
      const s = await invoke(api.engines, 'EngineStats', { name: 'vol' });
      return s.rates !== null && s.rates.windowSec > 0 && s.rates.writeOpsPerSec > 0 && s;
    });
    stop();
    await writing;
    expect(host.failures).toEqual([]);
    expect(stats.name).toBe('vol');
    expect(stats.reason).toBe('');
    expect(stats.rates!.writeBytesPerSec).toBeGreaterThanOrEqual(stats.rates!.writeOpsPerSec * BLOCK);
    expect(stats.rates!.writeLatencyAvgSec).toBeGreaterThan(0);
    expect(stats.rates!.windowSec).toBeLessThan(5);
  }, 60_000);

  it('is NOT_FOUND for an engine the node does not have', async () => {
    const err = await invoke(api.engines, 'EngineStats', { name: 'nope' }).then(
      () => undefined,
      (e: Error & { code?: number }) => e.code,
    );
    expect(err).toBe(5);
  });

  it('engine stats and engine get print it', async () => {
    const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, extendEnv: false, timeout: 30_000, env: { CONDUCTOR_API_SOCKET: path.join(node.dir, 'api.sock') } });
    const stats = await cli(['engine', 'stats', 'vol']);
    expect(stats.exitCode).toBe(0);
    expect(stats.stdout).toMatch(/total write\s+\d+ ops/);
    expect(stats.stdout).toMatch(/write\s+[\d.]+ IOPS, .*µs avg/);
    const get = await cli(['engine', 'get', 'vol']);
    expect(get.exitCode).toBe(0);
    expect(get.stdout).toMatch(/io write\s+\d+ ops/);
    expect(get.stdout).toMatch(/qos\s+none/);
  }, 60_000);
});
