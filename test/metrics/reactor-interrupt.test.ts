/**
 * The service over a simulator in interrupt mode (spdk_tgt --interrupt-mode as v26.05 answers
 * framework_get_reactors: in_interrupt true, busy and idle 0 for ever, usr/sys the core's jiffies):
 * the reactor's load is its CPU share, so reactor_busy_ratio is there, reactor_interrupt_mode says 1,
 * NodeInfo and `node info` say "interrupt", and the rebuild throttle judges that load as it judges a
 * polling reactor's busy ticks. The simulator's reactor "thread" (its tid, its own pid) is not named
 * reactor_0, so the service falls back to the core's figure, as it does for an spdk_tgt whose
 * threads it cannot see. The load is the simulator's own CPU (a few %) plus what
 * sim_reactor_load adds (a share of wall time, whatever the machine's load): at 80% the throttle
 * (50%) engages naming the interrupt-mode figure, back at 0 it releases.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClients, createApiClients, invoke } from '../../src/api/client.js';
import { waitFor } from '../api/helpers/api-server.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type Exposition, scrapeMetrics, value } from './helpers/exposition.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);

let node: ServeProcess;
let api: ApiClients;
let sim: SimClient;

function scrape(): Promise<Exposition> {
  return scrapeMetrics(node.httpBase);
}

beforeAll(async () => {
  node = await startServe(
    {
      // A jiffy is 1% of a second's interval.
      CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '1000',
      // Only reactor load throttles here: a loaded machine's RPC latency must not engage it first.
      CONDUCTOR_HEALTH_RPC_LATENCY_MAX_MS: '600000',
      CONDUCTOR_HEALTH_REACTOR_BUSY_MAX_PCT: '50',
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

    // The simulator reports its own pid as the reactor's tid: that thread is in this PID namespace,
    // but its comm is not reactor_0, so the load is the core's figure, and the service says so.
    expect(node.log()).toMatch(/spdk_tgt's reactors: 0:interrupt\(core CPU\) \(an interrupt-mode reactor's load is its core's CPU share/);
    expect(await invoke(api.node, 'NodeInfo', {})).toMatchObject({ reactorMode: 'interrupt', simulator: true });
    const { stdout } = await run(process.execPath, [CLI, 'node', 'info', '--api-socket', node.apiSocket], { timeout: 30_000 });
    expect(stdout).toMatch(/^reactors\s+interrupt mode$/m);
  }, 60_000);

  it('engages the rebuild throttle on that load as on a polling reactor busy ticks, and releases it', async () => {
    // The simulator's own CPU is in the figure: a start-up burst on a busy machine (a parallel run)
    // can pass 50% for a sample or two, so the test starts from a released throttle.
    await waitFor('the throttle released at idle', async () => value(await scrape(), 'spdk_conductor_rebuild_throttle_engaged') === 0, 30_000);
    await sim.call('sim_reactor_load', { pct: 80 });
    // The first sample after the load began straddles it (a share of it idle): the throttle may
    // engage on that one, the ratio reaches 80% on the next.
    await waitFor(
      'the throttle engaged with the reactor at 80%',
      async () => {
        const e = await scrape();
        return value(e, 'spdk_conductor_rebuild_throttle_engaged') === 1 && (value(e, 'spdk_conductor_reactor_busy_ratio', { lcore: '0' }) ?? 0) >= 0.79;
      },
      30_000,
    );
    // The last engagement (after the release checked above, so after the load began) names the
    // interrupt-mode figure that passed the threshold.
    const reason = [...node.log().matchAll(/rebuild throttle engaged: busiest reactor (\d+)% of core 0's CPU \(interrupt mode\) > 50%/g)].at(-1);
    expect(reason, node.log().slice(-4000)).not.toBeNull();
    expect(Number(reason![1])).toBeGreaterThan(50);
    await sim.call('sim_reactor_load', { pct: 0 });
    await waitFor('the throttle to release', async () => value(await scrape(), 'spdk_conductor_rebuild_throttle_engaged') === 0, 30_000);
  }, 90_000);
});
