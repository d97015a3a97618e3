/**
 * Info methods: spdk_get_version (with the simulator's own marker beside the version it imitates),
 * rpc_get_methods, framework_get_reactors, thread_get_stats, framework_get_config, and the memory
 * reports env_dpdk_get_mem_stats and iobuf_get_stats; sim_reactor_load (never in spdk_tgt) adds a
 * load of its own to the reactor's figures.
 */
import { SimRpcError, type SimModule } from '../core/contract.js';
import { objectDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { writeMemDump } from '../core/memory/mem-dump.js';
import { PARAM_SPECS } from '../core/param-specs.js';
import { INVALID_PARAMS } from '../core/rpc-request.js';
import type { CoreTarget } from '../core/target.js';
import { SIMULATOR_NAME, SIMULATOR_VERSION } from './version.js';

/** rte_get_timer_hz() of the recorded machine: the unit of every busy/idle/elapsed figure. */
const TICK_RATE = 2_600_000_000;

const THREADS = [
  { name: 'app_thread', id: 1 },
  { name: 'nvmf_tgt_poll_group_000', id: 2 },
  { name: 'iscsi_poll_group_0', id: 3 },
] as const;

export interface InfoOptions {
  /**
   * Reactors in interrupt mode (spdk_tgt --interrupt-mode): framework_get_reactors says
   * in_interrupt true with busy and idle 0, as v26.05 does (it counts them only in its polling
   * loop); usr and sys move with the simulator's own CPU time either way.
   */
  interruptMode?: boolean;
}

/**
 * CPU time added to the reactor's figures at a set share of wall time (sim_reactor_load): a core
 * made busy by work the simulator does not do, so that a test can set the load it reads.
 */
class AddedLoad {
  private pct = 0;
  private since = Date.now();
  private doneMs = 0;

  set(pct: number): void {
    this.doneMs = this.ms();
    this.since = Date.now();
    this.pct = pct;
  }

  /** The added CPU time so far, ms. */
  ms(): number {
    return this.doneMs + ((Date.now() - this.since) * this.pct) / 100;
  }
}

export function infoModule(target: CoreTarget, options: InfoOptions = {}): SimModule {
  const interrupt = options.interruptMode === true;
  const added = new AddedLoad();
  const ticksSince = (ms: number) => Math.round(((Date.now() - ms) / 1000) * TICK_RATE);
  /** The reactor busy-polls, but the counters only need to grow: busy is the RPC share. */
  const busyTicks = () => {
    const cpu = process.cpuUsage();
    return Math.round(((cpu.user + cpu.system) / 1e6) * TICK_RATE);
  };
  return {
    name: 'info',
    install(t) {
      t.register('spdk_get_version', {
        handler: () => ({
          version: 'SPDK v26.05',
          fields: { major: 26, minor: 5, patch: 0, suffix: '' },
          // Never in real spdk_tgt: how the service (and people) tell the simulator apart.
          simulator: { name: SIMULATOR_NAME, version: SIMULATOR_VERSION },
        }),
      });
      t.register('rpc_get_methods', {
        decode: objectDecoder(PARAM_SPECS.rpc_get_methods),
        handler: (params) => target.dispatcher.names((params as { current?: boolean } | undefined)?.current === true),
      });
      t.register('framework_get_reactors', {
        handler: () => {
          const elapsed = ticksSince(target.startedAt);
          const addedMs = added.ms();
          const busy = interrupt ? 0 : Math.min(elapsed, busyTicks() + Math.round((addedMs / 1000) * TICK_RATE));
          const cpu = process.cpuUsage();
          return {
            tick_rate: TICK_RATE,
            pid: process.pid,
            reactors: [
              {
                lcore: 0,
                numa_id: 0,
                // The simulator's main thread, not named reactor_0 as v26.05's reactors are: the
                // service, which checks the name, falls back to the core's figure.
                tid: process.pid,
                busy,
                idle: interrupt ? 0 : Math.max(0, elapsed - busy),
                in_interrupt: interrupt,
                // USER_HZ (100 per second) jiffies, as /proc/stat's: the simulator's own CPU time
                // stands for its core's (v26.05 reports the whole core's since it started).
                irq: 0,
                sys: Math.floor(cpu.system / 10_000),
                usr: Math.floor((cpu.user / 1000 + addedMs) / 10),
                lw_threads: THREADS.map((th) => ({ name: th.name, id: th.id, cpumask: '1', elapsed })),
              },
            ],
          };
        },
      });
      t.register('sim_reactor_load', {
        decode: objectDecoder([{ name: 'pct', type: 'uint32', required: true }]),
        handler: (params) => {
          const { pct } = params as { pct: number };
          if (pct > 100) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
          added.set(pct);
          return true;
        },
      });
      t.register('thread_get_stats', {
        handler: () => {
          const elapsed = ticksSince(target.startedAt);
          const busy = busyTicks();
          return {
            tick_rate: TICK_RATE,
            threads: THREADS.map((th, i) => ({
              name: th.name,
              id: th.id,
              cpumask: '1',
              busy: i === 0 ? busy : 0,
              idle: i === 0 ? Math.max(0, elapsed - busy) : elapsed,
              active_pollers_count: i === 2 ? 1 : 0,
              timed_pollers_count: i === 1 ? 0 : 1,
              paused_pollers_count: 0,
            })),
          };
        },
      });
      t.register('framework_get_config', {
        decode: objectDecoder(PARAM_SPECS.framework_get_config),
        handler: (params) => {
          const { name } = params as { name: string };
          const entries = target.config(name);
          // Not recorded: spdk's rpc_framework_get_config answers an unknown subsystem this way.
          if (entries === null) throw new SimRpcError(INVALID_PARAMS, `Subsystem '${name}' not found`);
          return entries;
        },
      });
      t.register('env_dpdk_get_mem_stats', {
        handler: async () => {
          await writeMemDump(target.options.memDumpPath, target.memory);
          return { filename: target.options.memDumpPath };
        },
      });
      t.register('iobuf_get_stats', {
        handler: () =>
          target.memory.iobufUsers.map((u) => ({
            module: u.module,
            small_pool: { cache: 0, main: 0, retry: 0, cache_size: u.smallCacheSize },
            large_pool: { cache: 0, main: 0, retry: 0, cache_size: u.largeCacheSize },
          })),
      });
      t.addConfigSource('bdev', () => [
        {
          method: 'bdev_set_options',
          params: { bdev_io_pool_size: 65535, bdev_io_cache_size: 256, bdev_auto_examine: true, iobuf_small_cache_size: 128, iobuf_large_cache_size: 16 },
        },
      ]);
    },
  };
}
