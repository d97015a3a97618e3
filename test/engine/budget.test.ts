/**
 * Why the timeout budget is checked: SPDK's replica timeouts that reach the host's (the 30 s /
 * 30 s of the engine we replace; scaled down here to SPDK 6 s against the host's 5 s, so the
 * breach does not hang on which of two equal timers fires first) are refused at start; run anyway
 * with the check bypassed, a lost replica stalls the volume past the host's io_timeout and the
 * host's write fails: the volume fails, which the budget exists to prevent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { ENGINE_HOST_NQN, Host, HOST_NQN, MIB, replicaNode, type ReplicaNode } from './helpers/cluster.js';

const SIZE = 8 * MIB;
/** The production failure, scaled: fast_io_fail and ctrlr_loss reach past the host's io_timeout and ctrl-loss-tmo. */
const EQUAL_TIMEOUTS: Record<string, string> = {
  CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN,
  CONDUCTOR_TIMEOUTS_REPLICA_RECONNECT_DELAY_SEC: '1',
  CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: '6',
  CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '6',
  CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '1000',
  CONDUCTOR_TIMEOUTS_HOST_IO_TIMEOUT_SEC: '5',
  CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '5',
  CONDUCTOR_TIMEOUTS_HOST_RECONNECT_DELAY_SEC: '1',
};
const IO_TIMEOUT_MS = 5000;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('the timeout budget', () => {
  it('refuses SPDK timeouts that reach the host’s, naming the rules and the numbers', async () => {
    const err = await startNode({ env: EQUAL_TIMEOUTS }).then(
      (f) => {
        cleanup.push(() => f.close());
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/ours\.io-failover-before-host-io-timeout/);
    expect((err as Error).message).toMatch(/ours\.controller-gone-before-host-ctrl-loss/);
    expect((err as Error).message).toMatch(/\b6\b/);
    expect((err as Error).message).toMatch(/\b5\b/);
  });

  it('shows why when bypassed: a lost replica makes the host give up and the volume fail', async () => {
    const replicas: ReplicaNode[] = await Promise.all([0, 1].map((i) => replicaNode(`b${i}`, `bvol-r${i}`, SIZE)));
    cleanup.push(...replicas.map((r) => () => r.fixture.close()));
    const engine: NodeFixture = await startNode({ env: { ...EQUAL_TIMEOUTS, CONDUCTOR_TIMEOUTS_UNSAFE_SKIP_CHECK: 'true' } });
    cleanup.push(() => engine.close());
    const info = await engine.node.engineCreate({ name: 'bvol', sizeBytes: SIZE, replicas: replicas.map((r) => r.spec), frontend: 'export-only', hostNqns: [HOST_NQN] });
    const host = await Host.attach(info, { ctrlLossTmoSec: 5, reconnectDelaySec: 1 });
    cleanup.push(() => host.close());
    await host.writeOne(IO_TIMEOUT_MS);
    expect(host.failures).toEqual([]);

    await replicas[0]!.fixture.client.callUnchecked('sim_listeners_kill');
    // The raid holds the write until fast_io_fail (6 s): past the host's 5 s io_timeout.
    await host.writeOne(IO_TIMEOUT_MS);
    expect(host.failures).toHaveLength(1);
    expect(host.failures[0]).toMatch(/timed out/i);
  }, 60_000);
});
