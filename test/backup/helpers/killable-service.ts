/**
 * What the kill -9 tests of a backup share: a service started on the test's simulator one backup
 * at a time, an until() that shows the service's last output when it fails, and a job's state.
 * `get` reads the test's current simulator, directory and service (it restarts the service).
 */
import { invoke } from '../../../src/api/client.js';
import type { BackupJob } from '../../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import { startService, type ServiceRun } from '../../crash/helpers/service.js';
import { until as untilDeadline } from '../../helpers/until.js';
import type { SimClient } from '../../sim/helpers/sim-client.js';
import type { RunningSim } from '../../sim/helpers/start-sim.js';

export function killableService(get: () => { sim: RunningSim; simc: SimClient; dir: string; run: ServiceRun | undefined }, port: number) {
  return {
    serve: (): Promise<ServiceRun> =>
      startService({ spdkSocket: get().sim.socket, dir: get().dir, portMin: port, portMax: port + 99, env: { CONDUCTOR_BACKUP_CONCURRENCY: '1' } }, { deadlineMs: 120_000 }),
    until: <T>(what: string, check: () => Promise<T | undefined> | T | undefined, deadlineMs = 120_000): Promise<T> =>
      untilDeadline(what, check, deadlineMs, () => get().run?.output().slice(-3000) ?? ''),
    job: (id: string): Promise<BackupJob> => invoke(get().run!.clients.backups, 'BackupGet', { id }, { deadlineMs: 10_000 }),
    /** afterAll: copies let run again, then the service, the simulator's client and the simulator stopped. */
    teardown: async (): Promise<void> => {
      const { sim, simc, run } = get();
      await simc?.call('sim_shallow_copy_rate', { bytes_per_ms: 0 }).catch(() => undefined);
      await run?.stop();
      simc?.close();
      await sim?.stop();
    },
  };
}
