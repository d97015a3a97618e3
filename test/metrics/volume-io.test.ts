/**
 * The volume I/O sampler against a simulator process: counters of the named raids, latency in
 * seconds, rates over the window between two samples, and a raid that spdk_tgt does not have
 * costs one unfiltered bdev_get_iostat, not one every period.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spdkCallChannel, type SpdkCallContext } from '../../src/diagnostics.js';
import { VolumeIo } from '../../src/domain/engine/volume-io.js';
import { SpdkClient } from '../../src/spdk/client.js';
import { SpdkMethods } from '../../src/spdk/methods/index.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type RunningSim, startSim } from '../sim/helpers/start-sim.js';

let sim: RunningSim;
let rpc: SimClient;
let client: SpdkClient;
const iostatCalls: SpdkCallContext[] = [];
const onCall = (message: unknown): void => {
  const call = message as SpdkCallContext;
  if (call.method === 'bdev_get_iostat') iostatCalls.push(call);
};

beforeAll(async () => {
  sim = await startSim({ name: 'volume-io' });
  rpc = await SimClient.connect(sim.socket);
  for (const m of ['m1', 'm2']) await rpc.call('bdev_malloc_create', { name: m, num_blocks: 1024, block_size: 4096 });
  await rpc.call('bdev_raid_create', { name: 'e.vol', raid_level: 'raid1', base_bdevs: ['m1', 'm2'] });
  client = new SpdkClient({ socketPath: sim.socket, logger: pino({ level: 'silent' }) });
  spdkCallChannel.asyncEnd.subscribe(onCall);
}, 30_000);

afterAll(async () => {
  spdkCallChannel.asyncEnd.unsubscribe(onCall);
  rpc?.close();
  await client?.close();
  await sim?.stop();
});

describe('VolumeIo', () => {
  it('reads the raids, converts ticks to seconds, and gives rates over the last window', async () => {
    const raids = new Map([
      ['e.vol', 'vol'],
      ['e.gone', 'gone'],
    ]);
    const io = new VolumeIo({ spdk: new SpdkMethods(client), client, raids: () => raids, periodMs: 0, log: pino({ level: 'silent' }) });
    await io.sample();
    // The named call fails for e.gone (-19), then one call without names.
    expect(iostatCalls.map((c) => [c.outcome, c.rpcCode])).toEqual([
      ['rpc-error', -19],
      ['ok', undefined],
    ]);
    const first = io.latest()!;
    expect([...first.engines.keys()]).toEqual(['vol']);
    for (let i = 0; i < 5; i++) await rpc.call('sim_bdev_write', { name: 'e.vol', offset_blocks: i, data_base64: randomBytes(4096).toString('base64') });
    await rpc.call('sim_bdev_read', { name: 'e.vol', offset_blocks: 0, num_blocks: 2 });
    await io.sample();
    // e.gone was found absent: the second sample names e.vol only, in one call.
    expect(iostatCalls.length).toBe(3);
    const second = io.latest()!.engines.get('vol')!;
    const before = first.engines.get('vol')!;
    expect(second.writeOps - before.writeOps).toBe(5);
    expect(second.writeBytes - before.writeBytes).toBe(5 * 4096);
    expect(second.readOps - before.readOps).toBe(1);
    expect(second.writeLatencySec).toBeGreaterThan(0);
    expect(second.writeLatencySec).toBeLessThan(5);
    const { windowSec, rates } = io.rates();
    expect(windowSec).toBeGreaterThan(0);
    expect(rates).toHaveLength(1);
    expect(rates[0]!.writeOpsPerSec).toBeCloseTo(5 / windowSec, 5);
    await io.close();
  }, 30_000);
});
