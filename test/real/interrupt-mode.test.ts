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
 * rebuild throttle's reason names the figure instead of "reactor load unknown". The service shares
 * the target's PID namespace here, so the figure is the reactor thread's own CPU
 * (/proc/<pid>/task/<tid>/stat, comm reactor_<lcore>), not the whole core's; only its range is
 * checked, and the core's share over the same time is printed beside it.
 */
import { readFile } from 'node:fs/promises';
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

    type Raw = { pid: number; reactors: Array<{ lcore: number; tid: number; in_interrupt: boolean; busy: number; idle: number; usr: number; sys: number; irq: number }> };
    const raw = await node.service.client.call<Raw>('framework_get_reactors');
    const rawAt = performance.now();
    expect(raw.reactors.length).toBeGreaterThan(0);
    for (const r of raw.reactors) expect(r).toMatchObject({ in_interrupt: true, busy: 0, idle: 0 });
    // v26.05 names each reactor's thread reactor_<lcore>, and says its tid: the service reads it.
    for (const r of raw.reactors) expect(await readFile(`/proc/${raw.pid}/task/${r.tid}/comm`, 'utf8')).toBe(`reactor_${r.lcore}\n`);

    const lcore = String(raw.reactors[0]!.lcore);
    const e = await until('the reactor load in the metrics', 30_000, async () => {
      const e = parseExposition((await node.service.metrics.render()).body.toString());
      return value(e, 'spdk_conductor_reactor_busy_ratio', { lcore }) !== undefined && e;
    });
    expect(value(e, 'spdk_conductor_reactor_interrupt_mode', { lcore })).toBe(1);
    const ratio = value(e, 'spdk_conductor_reactor_busy_ratio', { lcore })!;
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    // The core's share since the first answer, for comparison (other processes on the core count).
    const again = await node.service.client.call<Raw>('framework_get_reactors');
    const sec = (performance.now() - rawAt) / 1000;
    const jiffies = (r: Raw['reactors'][number]) => r.usr + r.sys + r.irq;
    const coreShare = (jiffies(again.reactors[0]!) - jiffies(raw.reactors[0]!)) / sec;
    console.log(
      `test/real/interrupt-mode: lcore ${lcore} reactor thread CPU share ${(ratio * 100).toFixed(1)}% (last sample); its core's ${coreShare.toFixed(1)}% over ${sec.toFixed(1)} s (nvmf_tgt --interrupt-mode, idle apart from the service's calls)`,
    );

    expect(await node.domain.nodeInfo()).toMatchObject({ reactorMode: 'interrupt', simulator: false });
    expect(node.domain.observe().throttle.reason).toMatch(/busiest reactor \d+% of reactor \d+'s thread CPU \(interrupt mode\)/);
  }, 120_000);
});
