/**
 * Crash consistency: the service SIGKILLed between any two SPDK calls of an operation and started
 * again adopts what exists, finishes or rolls back what was half made, and loses nothing; and
 * recovery never blocks liveness.
 *
 * Every operation first runs uninterrupted, which fixes how many SPDK calls it makes (asserted, so
 * a change in the domain's call sequence shows up here) and the state it leaves. Then, for each n,
 * a run with CONDUCTOR_KILL_AFTER=<operation>:<n> is asked for the operation and must SIGKILL
 * itself; a run without the kill point must recover to a state where
 *   (a) nothing is orphaned: every lvol of our lvstores is a listed head or a listed snapshot (no
 *       revert clone), every subsystem of ours belongs to a listed replica and is complete, every
 *       disk bdev and lvstore of ours belongs to a listed disk;
 *   (b) nothing is lost: disks, replicas and snapshots from before keep their data (checksums of
 *       heads and snapshots), labels, creation times, exports and chains;
 *   (c) the operation is fully done or fully not done, and a retry through the API succeeds and
 *       leaves exactly what the uninterrupted run left;
 *   (d) the state file parses, holds no intent, and holds metadata exactly for the listed snapshots.
 *
 * The service is the built program (`npx tsc -p tsconfig.json` first); each operation gets a
 * simulator of its own so operations run side by side, their cases one after another.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { invoke, isServiceError } from '../../src/api/client.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim } from '../sim/helpers/start-sim.js';
import { CrashGroup } from './helpers/crash-group.js';
import { createReplica, DISK, SCENARIOS, type Scenario } from './helpers/scenarios.js';
import { startService, type Exit } from './helpers/service.js';
import { tempDir } from '../helpers/temp-dir.js';
import { portBlock } from '../helpers/ports.js';

const groups = new Map<string, Promise<CrashGroup>>();

function groupOf(scenario: Scenario): Promise<CrashGroup> {
  let group = groups.get(scenario.operation);
  if (!group) {
    group = CrashGroup.start(scenario, portBlock());
    groups.set(scenario.operation, group);
  }
  return group;
}

afterAll(async () => {
  const started = await Promise.allSettled(groups.values());
  const reports = started.flatMap((g) => (g.status === 'fulfilled' ? g.value.reports : []));
  if (reports.length) {
    console.log(
      reports
        .map(
          (r) =>
            `${r.operation.padEnd(16)} kill after ${r.n} (${r.method})`.padEnd(62) +
            ` call ${r.call.padEnd(11)} after restart: ${r.afterRestart.padEnd(9)} retry ${r.retry}${r.problems.length ? `\n    ${r.problems.join('\n    ')}` : ''}`,
        )
        .join('\n'),
    );
  }
  await Promise.all(started.map((g) => (g.status === 'fulfilled' ? g.value.close() : undefined)));
});

describe('liveness while recovery is slow', () => {
  it('answers health at once, NOT_SERVING with a reason until recovery is done, then SERVING', async () => {
    const dir = tempDir('crash-live-');
    const sim = await startSim({ name: 'crash-live', socket: path.join(dir, 'spdk.sock'), args: ['--quiet'] });
    const raw = await SimClient.connect(sim.socket);
    const portMin = portBlock();
    const options = { spdkSocket: sim.socket, dir, portMin, portMax: portMin + 99 };
    try {
      // Something to recover.
      const first = await startService(options);
      try {
        fs.writeFileSync(path.join(dir, 'disk.img'), '');
        fs.truncateSync(path.join(dir, 'disk.img'), 64 * 1024 * 1024);
        await invoke(first.clients.disks, 'DiskCreate', { name: DISK, path: path.join(dir, 'disk.img'), kind: 'DISK_KIND_AIO' }, { deadlineMs: 10_000 });
        await createReplica({ clients: first.clients, sim: raw, dir }, 'slow-1');
      } finally {
        expect((await first.stop()).code).toBe(0);
      }

      const delayMs = 2000;
      await raw.call('sim_rpc_delay', { method: 'bdev_get_bdevs', ms: delayMs });
      const svc = await startService(options, { until: 'socket' });
      const socketAt = Date.now();
      let stopped: Exit;
      try {
        const statuses: string[] = [];
        let slowest = 0;
        let reason: string | undefined;
        let servingAt: number | undefined;
        while (servingAt === undefined) {
          if (Date.now() - socketAt > 20_000) throw new Error(`not SERVING after 20 s; saw ${statuses.join(',')}; the service's log:\n${svc.output()}`);
          const t0 = performance.now();
          const status = await svc.clients.healthCheck('', { deadlineMs: 1000 });
          slowest = Math.max(slowest, performance.now() - t0);
          if (statuses.at(-1) !== status) statuses.push(status);
          if (status === 'SERVING') servingAt = Date.now();
          else if (reason === undefined) {
            const refused = await invoke(svc.clients.replicas, 'ReplicaList', { diskName: '' }, { deadlineMs: 1000 }).then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(isServiceError(refused) && refused.code, 'calls are refused while recovering').toBe(grpc.status.UNAVAILABLE);
            reason = (refused as grpc.ServiceError).details;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(statuses).toEqual(['NOT_SERVING', 'SERVING']);
        expect(reason).toMatch(/not ready \(recovering/);
        expect(servingAt - socketAt, 'SERVING only once the delayed recovery read is done').toBeGreaterThanOrEqual(delayMs - 200);
        // Health.Check must not wait on recovery, which sits behind the delayed read: it answered
        // NOT_SERVING meanwhile (above), and no answer took anywhere near that read. How far under it
        // the answers come is the machine's speed (194 ms at worst beside two CPU burners), so the
        // bound is half the delay, as each call's own deadline is.
        expect(slowest, `no Health.Check waited on the ${delayMs} ms recovery read`).toBeLessThan(delayMs / 2);
        const { replicas } = await invoke(svc.clients.replicas, 'ReplicaList', { diskName: '' }, { deadlineMs: 10_000 });
        expect(replicas.map((r) => r.name)).toEqual(['slow-1']);
      } catch (error) {
        const simExit = sim.proc.exitCode ?? sim.proc.signalCode;
        throw simExit === null ? error : new Error(`${(error as Error).message}; the simulator exited (${simExit}):\n${sim.stderr()}`);
      } finally {
        stopped = await svc.stop();
      }
      expect(stopped.code, 'a clean stop').toBe(0);
      await raw.call('sim_rpc_delay', { method: 'bdev_get_bdevs', ms: 0 });
    } finally {
      raw.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A case's time includes its wait for the cases before it on its operation's simulator (step()
 * runs them one at a time): up to 7 of them, each a service start, a kill and a restart. At load
 * 20-25 six to nine cases passed the default 60 s in that queue, each reporting its crash checks
 * done without a problem.
 */
const QUEUED_CASE_TIMEOUT_MS = 300_000;

describe.concurrent('crash consistency: SIGKILL between SPDK calls, restart, nothing orphaned or lost', () => {
  for (const scenario of SCENARIOS) {
    it(
      `${scenario.operation} makes ${scenario.calls.length} SPDK calls uninterrupted: ${scenario.calls.join(', ')}`,
      async ({ expect }) => {
        const group = await groupOf(scenario);
        expect(await group.step(() => group.measure(expect))).toEqual(scenario.calls);
      },
      QUEUED_CASE_TIMEOUT_MS,
    );
  }
  // Interleaved by n, so the cases running at once belong to different operations.
  const most = Math.max(...SCENARIOS.map((s) => s.calls.length));
  for (let n = 1; n <= most; n++) {
    for (const scenario of SCENARIOS) {
      if (n > scenario.calls.length) continue;
      it(
        `${scenario.operation}: SIGKILL after SPDK call ${n} of ${scenario.calls.length} (${scenario.calls[n - 1]})`,
        async ({ expect }) => {
          const group = await groupOf(scenario);
          await group.step(() => group.crash(n, expect));
        },
        QUEUED_CASE_TIMEOUT_MS,
      );
    }
  }
});
