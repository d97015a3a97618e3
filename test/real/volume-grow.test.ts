/**
 * EngineExpand and EngineQosSet against a real spdk_tgt (issue 14 items 1 and 4): an engine over two
 * local members (a superblock raid1, exported) grows online, the raid following its members by
 * itself as transcript 21 recorded, and QoS limits land on its raid bdev with spdk_tgt's rounding.
 * Runs when SPDK_TGT names its binary (started with --no-huge); skipped, saying so, when it is not
 * set: CI has no spdk_tgt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeService } from '../../src/domain/node/node-service.js';
import type { SpdkClient } from '../../src/spdk/client.js';
import { MIB, RealNode, SPDK_TGT } from './helpers/real-node.js';
import { createLocalEngine } from '../helpers/local-engine.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-000000000002';

if (!SPDK_TGT) console.log('test/real/volume-grow: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('volume growth and QoS against a real spdk_tgt (SPDK_TGT)', () => {
  let real: RealNode;
  let client: SpdkClient;
  let node: NodeService;

  beforeAll(async () => {
    real = await RealNode.start('grow');
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

  it('sets QoS on the raid bdev as spdk_tgt applies it', async () => {
    const { engine, adjustments } = await node.engineQosSet('grow', { rwIosPerSec: 1500, wMbytesPerSec: 2 });
    expect(adjustments).toHaveLength(1);
    expect(engine.qos).toEqual({ rwIosPerSec: 2000, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 2 });
    const [raid] = await client.call<Array<{ assigned_rate_limits: Record<string, number> }>>('bdev_get_bdevs', { name: 'e.grow' });
    expect(raid!.assigned_rate_limits).toEqual({ rw_ios_per_sec: 2000, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 2 });
  }, 60_000);
});
