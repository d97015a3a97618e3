/**
 * EngineExpand, EngineStats and EngineQosSet against a real spdk_tgt (issue 14 items 1, 5 and 4): an
 * engine over two local members (a superblock raid1, exported) grows online, the raid following its
 * members by itself as transcript 21 recorded; what spdk_dd writes and reads through the export shows
 * in EngineStats (bdev_get_iostat's counters, its latency ticks as seconds); QoS limits land on its
 * raid bdev with spdk_tgt's rounding.
 * Runs when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not
 * set: CI has no spdk_tgt.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke } from '../../src/api/client.js';
import type { NodeService } from '../../src/domain/node/node-service.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import { ddOk, HAS_DD, MIB, RealNode, SPDK_TGT, until } from './helpers/real-node.js';
import { createLocalEngine } from '../helpers/local-engine.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000002';

if (!SPDK_TGT) console.log('test/real/volume-grow: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('volume growth and QoS against a real spdk_tgt (SPDK_TGT)', () => {
  let real: RealNode;
  let client: SpdkClient;
  let node: NodeService;

  beforeAll(async () => {
    real = await RealNode.start('grow', { env: { CONDUCTOR_METRICS_IOSTAT_PERIOD_MS: '300' } });
    client = real.service.client;
    node = real.domain;
    const file = real.diskFile('disk', 512);
    await node.diskCreate({ name: 'd', path: file });
    for (const r of ['g1', 'g2']) await node.replicaCreate(r, 'd', 68 * MIB);
    await createLocalEngine(node, 'grow', 64 * MIB, ['g1', 'g2'], HOST);
  }, 120_000);

  afterAll(async () => {
    await real?.close();
  });

  it('grows the engine: members resized, the raid follows without a raid RPC, a shrink refused', async () => {
    const grown = await node.engineExpand('grow', 128 * MIB);
    expect(grown.sizeBytes).toBe(128 * MIB);
    expect(grown.expansion).toBeUndefined();
    const [raid] = await client.call<Array<{ num_blocks: number; block_size: number }>>('bdev_get_bdevs', { name: 'e.grow' });
    expect(raid!.num_blocks * raid!.block_size).toBeGreaterThanOrEqual(128 * MIB);
    expect((await node.replicaGet('g1')).sizeBytes).toBe(132 * MIB);
    await expect(node.engineExpand('grow', 64 * MIB)).rejects.toMatchObject({ code: 'INVALID_SIZE' });
    expect((await node.engineExpand('grow', 128 * MIB)).sizeBytes).toBe(128 * MIB);
  }, 60_000);

  it('shows the I/O spdk_dd did through the export in EngineStats, from bdev_get_iostat', async () => {
    if (!HAS_DD) {
      console.log('test/real/volume-grow: spdk_dd not beside SPDK_TGT: EngineStats is not checked against real I/O');
      return;
    }
    const DATA = 8 * MIB;
    const input = path.join(real.dir, 'stats-in');
    fs.writeFileSync(input, randomBytes(DATA));
    const port = (await node.engineGet('grow')).frontend!;
    await ddOk(real.dir, port, { write: input }, DATA, { hostnqn: HOST });
    await ddOk(real.dir, port, { read: path.join(real.dir, 'stats-out') }, DATA, { hostnqn: HOST });
    const api = createApiClients({ unixSocket: path.join(real.dir, 'api.sock') });
    try {
      const stats = await until('EngineStats to show the writes and reads', 20_000, async () => {
        const s = await invoke(api.engines, 'EngineStats', { name: 'grow' });
        return s.io && Number(s.io.writeBytes) >= DATA && Number(s.io.readBytes) >= DATA ? s : undefined;
      });
      const io = stats.io!;
      expect(Number(io.writeOps)).toBeGreaterThan(0);
      expect(Number(io.readOps)).toBeGreaterThan(0);
      // spdk_tgt counts latency in ticks of its tick rate: as seconds, a mean per I/O above 0 and
      // below a second (spdk_dd's 128 KiB I/O to an lvol on a file).
      for (const [sum, ops] of [
        [io.readLatencySec, io.readOps],
        [io.writeLatencySec, io.writeOps],
      ] as const) {
        const mean = Number(sum) / Number(ops);
        expect(mean).toBeGreaterThan(0);
        expect(mean).toBeLessThan(1);
      }
      console.log(
        `test/real: EngineStats after 8 MiB written and read: ${io.writeOps} writes, ${io.readOps} reads, mean write ${((1000 * Number(io.writeLatencySec)) / Number(io.writeOps)).toFixed(2)} ms`,
      );
    } finally {
      api.close();
    }
  }, 60_000);

  it('sets QoS on the raid bdev as spdk_tgt applies it', async () => {
    const { engine, adjustments } = await node.engineQosSet('grow', { rwIosPerSec: 1500, wMbytesPerSec: 2 });
    expect(adjustments).toHaveLength(1);
    expect(engine.qos).toEqual({ rwIosPerSec: 2000, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 2 });
    const [raid] = await client.call<Array<{ assigned_rate_limits: Record<string, number> }>>('bdev_get_bdevs', { name: 'e.grow' });
    expect(raid!.assigned_rate_limits).toEqual({ rw_ios_per_sec: 2000, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 2 });
  }, 60_000);
});
