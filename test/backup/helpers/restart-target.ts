/**
 * kill -9 of a node fixture's simulator and a new one on the same socket (its disk files stay);
 * resolves once the service saw spdk_tgt go and has reconciled the new one (ready again).
 */
import path from 'node:path';
import type { NodeFixture } from '../../domain/helpers/node-fixture.js';
import { until } from '../../helpers/until.js';
import { startSim } from '../../sim/helpers/start-sim.js';

export async function restartTarget(node: NodeFixture): Promise<void> {
  const socket = node.sim.socket;
  await node.sim.kill();
  await until('the service to see spdk_tgt gone', () => node.node.readiness().ready === false);
  node.sim = await startSim({ name: 'node', socket, args: ['--mem-dump', path.join(node.dir, 'mem-dump-2.txt')] });
  await until(
    'the service ready again',
    () => node.node.readiness().ready,
    120_000,
    () => node.node.readiness().reason,
  );
}
