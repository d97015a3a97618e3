/**
 * The service over a simulator in interrupt mode (spdk_tgt --interrupt-mode as v26.05 answers
 * framework_get_reactors: in_interrupt true, busy and idle 0 for ever, usr/sys the core's jiffies):
 * the reactor's load is its CPU share, so reactor_busy_ratio is there, reactor_interrupt_mode says 1,
 * NodeInfo and `node info` say "interrupt", and the rebuild throttle judges that load as it judges a
 * polling reactor's busy ticks. The load is the simulator's own CPU: the test makes it hash a
 * memory bdev over and over (sim_bdev_checksum) so that it is well above the 1% threshold however
 * busy the machine is; the throttle must then engage, naming the interrupt-mode figure.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClients, createApiClients, invoke } from '../../src/api/client.js';
import { waitFor } from '../api/helpers/api-server.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type Exposition, parseExposition, value } from './helpers/exposition.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);

let node: ServeProcess;
let api: ApiClients;
let sim: SimClient;

async function scrape(): Promise<Exposition> {
  const res = await fetch(`${node.httpBase}/metrics`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

beforeAll(async () => {
  node = await startServe(
    {
      CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '300',
      // Only reactor load throttles here: a loaded machine's RPC latency must not engage it first.
      CONDUCTOR_HEALTH_RPC_LATENCY_MAX_MS: '600000',
      CONDUCTOR_HEALTH_REACTOR_BUSY_MAX_PCT: '1',
    },
    { simArgs: ['--interrupt-mode'] },
  );
  api = createApiClients({ unixSocket: node.apiSocket });
  sim = await SimClient.connect(node.sim.socket);
}, 120_000);

afterAll(async () => {
  sim?.close();
  api?.close();
  await node?.stop();
});

describe('spdk_tgt in interrupt mode', () => {
  it('has its reactor load as its core CPU share, and says the mode in the metrics, NodeInfo and node info', async () => {
    const raw = await sim.call<{ reactors: Array<{ lcore: number; in_interrupt: boolean; busy: number; idle: number }> }>('framework_get_reactors');
    expect(raw.reactors).toEqual([expect.objectContaining({ lcore: 0, in_interrupt: true, busy: 0, idle: 0 })]);
    // Two samples: a load needs the jiffies between two readings.
    const e = await waitFor(
      'a reactor load in interrupt mode',
      async () => {
        const e = await scrape();
        return value(e, 'spdk_conductor_reactor_busy_ratio', { lcore: '0' }) !== undefined && e;
      },
      30_000,
    );
    expect(value(e, 'spdk_conductor_reactor_interrupt_mode', { lcore: '0' })).toBe(1);
    const ratio = value(e, 'spdk_conductor_reactor_busy_ratio', { lcore: '0' })!;
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);

    expect(await invoke(api.node, 'NodeInfo', {})).toMatchObject({ reactorMode: 'interrupt', simulator: true });
    const { stdout } = await run(process.execPath, [CLI, 'node', 'info', '--api-socket', node.apiSocket], { timeout: 30_000 });
    expect(stdout).toMatch(/^reactors\s+interrupt mode$/m);
  }, 60_000);

  it('engages the rebuild throttle on that load as on a polling reactor busy ticks', async () => {
    await sim.call('bdev_malloc_create', { name: 'burn', num_blocks: 16384, block_size: 4096 });
    let burning = true;
    // Two hashes in flight: the simulator's event loop has always one to go on with.
    const burners = [0, 1].map(async () => {
      while (burning) await sim.call('sim_bdev_checksum', { name: 'burn' });
    });
    try {
      const e = await waitFor(
        'the throttle to engage',
        async () => {
          const e = await scrape();
          return value(e, 'spdk_conductor_rebuild_throttle_engaged') === 1 && e;
        },
        60_000,
      );
      expect(value(e, 'spdk_conductor_reactor_busy_ratio', { lcore: '0' })).toBeGreaterThan(0);
      const reason = /rebuild throttle engaged: busiest reactor (\d+)% of core 0's CPU \(interrupt mode\) > 1%/.exec(node.log());
      expect(reason, node.log().slice(-4000)).not.toBeNull();
      expect(Number(reason![1])).toBeGreaterThan(1);
    } finally {
      burning = false;
      await Promise.all(burners);
    }
  }, 90_000);
});
