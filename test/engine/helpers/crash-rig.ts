/**
 * A service that the crash tests kill and start again, on a simulator that outlives it, through a
 * recording proxy (test/crash/helpers/rpc-proxy.ts) whose marks say what the service sent when.
 * The disk file (256 MiB) is made; the test creates the disk, replicas and engines it needs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { invoke } from '../../../src/api/client.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import { type RequestRewrite, RpcProxy } from '../../crash/helpers/rpc-proxy.js';
import { startService, type ServiceRun } from '../../crash/helpers/service.js';
import { portBlock } from '../../helpers/ports.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { HOST_NQN, MIB, until } from './cluster.js';

export interface CrashRig {
  readonly sim: RunningSim;
  /** Straight to the simulator, past the proxy. */
  readonly rpc: SpdkClient;
  readonly proxy: RpcProxy;
  /** The service's state directory. */
  readonly dir: string;
  /** A 256 MiB sparse file for the disk. */
  readonly disk: string;
  /** Starts the service; `killAfter` is its CONDUCTOR_KILL_AFTER point (src/domain/node/kill-points.ts). */
  start(killAfter?: string): Promise<ServiceRun>;
  /** Resolves once the service has sent spdk_tgt nothing for two seconds. */
  quiet(): Promise<void>;
  /**
   * Stops `current` and starts the service afresh (as every killed run begins: a running service
   * has read more already), waits out its start's own calls, then runs `op` on it: the new run,
   * and the methods spdk_tgt answered for `op` in order (the volume I/O readings, on their own
   * clock, left out), from which a test picks its kill points.
   */
  recordFresh(current: ServiceRun, op: (run: ServiceRun) => Promise<unknown>): Promise<{ run: ServiceRun; answered: string[] }>;
  close(): Promise<void>;
}

export interface CrashRigOptions {
  /** What the proxy forwards in place of each request (test/crash/helpers/rpc-proxy.ts). */
  rewrite?: RequestRewrite;
  /** More environment for every run of the service. */
  env?: Record<string, string>;
}

export async function startCrashRig(name: string, options: CrashRigOptions = {}): Promise<CrashRig> {
  const portMin = portBlock();
  const sim = await startSim({ name });
  const rpc = new SpdkClient({ socketPath: sim.socket, logger: pino({ level: 'silent' }) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `conductor-${name}-`));
  const proxy = await RpcProxy.start(sim.socket, path.join(dir, 'proxy.sock'), options.rewrite ? { rewrite: options.rewrite } : {});
  const disk = path.join(dir, 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 256 * MIB);
  const start = (killAfter?: string): Promise<ServiceRun> =>
    // A loaded machine (2 cores shared by several suites) has taken over two minutes to load the service.
    startService({ spdkSocket: proxy.socket, dir, portMin, portMax: portMin + 99, ...(killAfter ? { killAfter } : {}), ...(options.env ? { env: options.env } : {}) }, { deadlineMs: 300_000 });
  const quiet = async (): Promise<void> => {
    let last = proxy.mark;
    let since = Date.now();
    await until('the service to go quiet', 120_000, async () => {
      if (proxy.mark !== last) {
        last = proxy.mark;
        since = Date.now();
      }
      return Date.now() - since >= 2000;
    });
  };
  return {
    sim,
    rpc,
    proxy,
    dir,
    disk,
    start,
    quiet,
    recordFresh: async (current, op) => {
      await current.stop();
      const run = await start();
      await quiet();
      const mark = proxy.mark;
      await op(run);
      const answered = proxy
        .since(mark)
        .filter((c) => c.ok === true && c.method !== 'bdev_get_iostat')
        .map((c) => c.method);
      return { run, answered };
    },
    close: async () => {
      await proxy.close();
      await rpc.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Disk `d` on the rig's file (`disk: false`: made already), `members` local replicas of
 * `replicaBytes`, and an export-only engine of `sizeBytes` over them.
 */
export async function createVolume(
  run: ServiceRun,
  rig: CrashRig,
  engine: string,
  members: readonly string[],
  replicaBytes: number,
  sizeBytes: number,
  { disk = true }: { disk?: boolean } = {},
): Promise<void> {
  const { disks, replicas, engines } = run.clients;
  if (disk) await invoke(disks, 'DiskCreate', { name: 'd', path: rig.disk });
  for (const name of members) await invoke(replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: replicaBytes });
  await invoke(engines, 'EngineCreate', {
    name: engine,
    sizeBytes,
    replicas: members.map((m) => ({ local: { name: m } })),
    frontend: 'FRONTEND_KIND_EXPORT_ONLY',
    hostNqns: [HOST_NQN],
  });
}
