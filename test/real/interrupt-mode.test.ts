/**
 * The service over a real SPDK target in interrupt mode: `nvmf_tgt --interrupt-mode` beside
 * SPDK_TGT (the same build; spdk_tgt --interrupt-mode keeps polling its core for its iSCSI poll
 * group, nvmf_tgt idles and has every method the service uses). Skipped, saying why, when SPDK_TGT
 * is unset or nvmf_tgt is not beside it. Started as test/real/helpers/real-node.ts starts targets
 * (one core, --no-huge -s 1024 without free hugepages), closed (SIGTERM) whatever happens.
 *
 * v26.05 answers framework_get_reactors with in_interrupt true and busy/idle that stay 0; the
 * service takes the reactor's load from its core's jiffies (usr/sys/irq) over the wall time, so
 * reactor_busy_ratio is there, reactor_interrupt_mode says 1, NodeInfo says "interrupt", and the
 * rebuild throttle's reason names the figure instead of "reactor load unknown". The figure is the
 * whole core's CPU (other processes on it count), so only its range is checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, value } from '../metrics/helpers/exposition.js';
import { HAS_NVMF_TGT, MIB, NVMF_TGT, RealNode, SPDK_TGT, until } from './helpers/real-node.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000f1';

if (!SPDK_TGT) console.log('test/real/interrupt-mode: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');
else if (!HAS_NVMF_TGT) console.log(`test/real/interrupt-mode: skipped because ${NVMF_TGT} is not beside SPDK_TGT (spdk_tgt itself polls in interrupt mode)`);

describe.skipIf(!HAS_NVMF_TGT)('a real nvmf_tgt --interrupt-mode (SPDK_TGT)', () => {
  let node: RealNode;

  beforeAll(async () => {
    node = await RealNode.start('intr', {
      target: { binary: NVMF_TGT, args: ['--interrupt-mode'] },
      // A load from every half-second's jiffies (2% steps); only reactor load may throttle here.
      env: { CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '500', CONDUCTOR_HEALTH_RPC_LATENCY_MAX_MS: '600000' },
    });
  }, 180_000);

  afterAll(async () => {
    await node?.close();
  });

  it('has the reactor load and the mode in the metrics, NodeInfo and the throttle, with an exposed replica', async () => {
    await node.domain.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
    const replica = await node.domain.replicaCreate('r1', 'd', 32 * MIB, undefined, [HOST]);
    expect(replica.export?.nqn).toBeTruthy();

    const raw = await node.service.client.call<{ reactors: Array<{ lcore: number; in_interrupt: boolean; busy: number; idle: number; usr: number }> }>('framework_get_reactors');
    expect(raw.reactors.length).toBeGreaterThan(0);
    for (const r of raw.reactors) expect(r).toMatchObject({ in_interrupt: true, busy: 0, idle: 0 });

    const lcore = String(raw.reactors[0]!.lcore);
    const e = await until('the reactor load in the metrics', 30_000, async () => {
      const e = parseExposition((await node.service.metrics.render()).body.toString());
      return value(e, 'spdk_conductor_reactor_busy_ratio', { lcore }) !== undefined && e;
    });
    expect(value(e, 'spdk_conductor_reactor_interrupt_mode', { lcore })).toBe(1);
    const ratio = value(e, 'spdk_conductor_reactor_busy_ratio', { lcore })!;
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    console.log(`test/real/interrupt-mode: lcore ${lcore} core CPU share ${(ratio * 100).toFixed(1)}% (nvmf_tgt --interrupt-mode, idle apart from the service's calls)`);

    expect(await node.domain.nodeInfo()).toMatchObject({ reactorMode: 'interrupt', simulator: false });
    expect(node.domain.observe().throttle.reason).toMatch(/busiest reactor \d+% of core \d+'s CPU \(interrupt mode\)/);
  }, 120_000);
});
