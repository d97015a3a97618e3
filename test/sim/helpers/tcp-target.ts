/**
 * The target the NVMe/TCP wire tests (test/sim/nvmf-tcp*.test.ts) run against: a simulator process,
 * or real spdk_tgt with NVMF_TCP_TARGET=real and SPDK_TGT naming its binary (test/real's RealTarget:
 * its memory options, and --no-huge when another target took the hugepages), answering on its RPC
 * socket before the tests start.
 */
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';
import { RealTarget } from '../../real/helpers/real-node.js';
import { SimClient } from './sim-client.js';
import { startSim } from './start-sim.js';

export const REAL_TCP_TARGET = process.env.NVMF_TCP_TARGET === 'real';
if (REAL_TCP_TARGET && !process.env.SPDK_TGT) throw new Error('NVMF_TCP_TARGET=real needs SPDK_TGT (the spdk_tgt binary)');

export interface TcpTarget {
  readonly socket: string;
  stop(): Promise<void>;
  /** The simulator's stderr (its event log); real spdk_tgt's goes to the test's. */
  stderr?(): string;
}

export async function startTcpTarget(name: string): Promise<TcpTarget> {
  if (!REAL_TCP_TARGET) {
    const sim = await startSim({ name: 'T' });
    return { socket: sim.socket, stop: () => sim.stop(), stderr: () => sim.stderr() };
  }
  const target = new RealTarget(name, join(tempDir(`${name}-real`), 'spdk.sock'));
  await target.start();
  await until(
    'spdk_tgt answering',
    async () => {
      const c = await SimClient.connect(target.socket).catch(() => undefined);
      c?.close();
      return c !== undefined || undefined;
    },
    60_000,
  );
  return { socket: target.socket, stop: () => target.kill() };
}
