/**
 * spdk_tgt (the simulator) killed again while the reconcile after its last restart re-attaches
 * and examines the disks, over and over: each time the next spdk_tgt gets both disks back with
 * their lvstores, every replica and export, and the reconcile ends converged with no problem.
 * The full restart test (restart-cycles) once failed here: after such a double kill the disk
 * re-attach was refused on every later attempt.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFixture } from '../domain/helpers/node-fixture.js';
import { startNode } from '../domain/helpers/node-fixture.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';
import { until } from '../engine/helpers/cluster.js';

const MIB = 1024 * 1024;
const REPLICAS = 24;
const CYCLES = 8;
/** When the second kill comes, after the reconcile started: one per cycle. */
const DELAYS_MS = [0, 10, 25, 50, 100, 200, 400, 800];
const BACK_MS = 120_000;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:3b7e1c2a-0000-4000-8000-0000000000d1';

let f: NodeFixture;
let live: RunningSim;
const started: RunningSim[] = [];
let exportsBefore: string;

async function restart(tag: string): Promise<void> {
  await live.kill();
  live = await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, `mem-${tag}.txt`)], timeoutMs: BACK_MS });
  started.push(live);
}

async function exportsNow(): Promise<string> {
  const replicas = await f.node.replicaList(undefined);
  return JSON.stringify(replicas.map((r) => [r.name, r.diskName, r.export?.nqn, r.export?.port]).sort());
}

beforeAll(async () => {
  f = await startNode({ env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200' } });
  live = f.sim;
  for (const disk of ['d1', 'd2']) await f.node.diskCreate({ name: disk, path: f.diskFile(disk, 256) });
  for (let i = 0; i < REPLICAS; i++) {
    const name = `r${i}`;
    await f.node.replicaCreate(name, i % 2 === 0 ? 'd1' : 'd2', 4 * MIB);
    await f.node.replicaExpose(name, [HOST]);
    await f.node.snapshotCreate({ replicaName: name, name: 's', labels: { n: String(i) }, userCreated: true });
  }
  exportsBefore = await exportsNow();
}, 120_000);

afterAll(async () => {
  for (const sim of started) await sim.stop();
  await f?.close();
});

describe('spdk_tgt killed again while its disks come back', () => {
  it(`converges after each of ${CYCLES} double kills, at different moments of the disk and export steps`, async () => {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await restart(`${cycle}a`);
      // Caught as early as possible: the reconcile is re-attaching or examining the disks.
      await until(`cycle ${cycle}: the reconcile under way`, BACK_MS, async () => f.node.reconcileStatus().phase === 'reconciling', 2);
      // Later each cycle: before, during and after the attach and its examine, then in the exports.
      await new Promise((resolve) => setTimeout(resolve, DELAYS_MS[cycle % DELAYS_MS.length]));
      // Converged means after a run for this spdk_tgt: a run that ended before the second kill
      // leaves the node idle and ready until the service sees the connection go (cycle 6 read an
      // empty spdk_tgt in that moment once, at load 20).
      const runsBefore = f.node.reconcileStatus().runs;
      await restart(`${cycle}b`);
      const status = await until(
        `cycle ${cycle}: converged`,
        BACK_MS,
        async () => {
          const s = f.node.reconcileStatus();
          return f.node.readiness().ready && s.phase === 'idle' && s.runs > runsBefore && s;
        },
        50,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; reconcile: ${JSON.stringify(f.node.reconcileStatus())}`);
      });
      expect(status.problems, `cycle ${cycle}`).toEqual([]);
      expect(await exportsNow(), `cycle ${cycle}: replicas and exports`).toBe(exportsBefore);
      const lvstores = await f.client.callUnchecked<Array<{ name: string }>>('bdev_lvol_get_lvstores');
      expect(lvstores.map((l) => l.name).sort(), `cycle ${cycle}: lvstores`).toEqual(['lvs.d1', 'lvs.d2']);
    }
  }, 900_000);
});
