/**
 * What spdk_tgt is and how it is doing: version, methods, reactors, threads, memory.
 * Contracts: rpc-schemas/spdk/{spdk_get_version,rpc_get_methods,framework_get_reactors,
 * thread_get_stats,env_dpdk_get_mem_stats,iobuf_get_stats,framework_get_config}.json.
 */

import type { CallOptions, SpdkCaller } from '../call.js';

export interface SpdkVersion {
  /** "SPDK v26.05" */
  version: string;
  fields: { major: number; minor: number; patch: number; suffix: string };
}

export interface RpcGetMethodsParams {
  /** Only the methods allowed in the current state (runtime, after init). */
  current?: boolean;
  include_aliases?: boolean;
}

export interface LightweightThread {
  name: string;
  id: number;
  cpumask?: string;
  elapsed?: number;
}

export interface Reactor {
  lcore: number;
  /**
   * The reactor's thread id (gettid() on the reactor; v26.05 always sends it): with Reactors' pid,
   * /proc/<pid>/task/<tid> where the service shares spdk_tgt's PID namespace. Its comm is
   * `reactor_<lcore>` (lib/event/reactor.c). The simulator sends its own pid.
   */
  tid: number;
  /**
   * Ticks; divide by tick_rate. A polling reactor is busy nearly all the time. v26.05 counts them
   * only in its polling loop: a reactor in interrupt mode leaves both where they were (0 when it
   * started in interrupt mode).
   */
  busy: number;
  idle: number;
  /** The reactor sleeps on epoll (spdk_tgt --interrupt-mode) instead of busy-polling its core. */
  in_interrupt: boolean;
  /**
   * The core's CPU time since spdk_tgt started, in USER_HZ jiffies: /proc/stat's `cpuN` user,
   * system and irq+softirq columns less their values at start-up (lib/event/app.c
   * app_get_proc_stat). Everything that ran on the core counts, not only spdk_tgt; all three are 0
   * when /proc/stat could not be read.
   */
  usr: number;
  sys: number;
  irq: number;
  lw_threads: LightweightThread[];
}

export interface Reactors {
  tick_rate: number;
  pid?: number;
  reactors: Reactor[];
}

export interface ThreadStats {
  tick_rate: number;
  threads: Array<{ name: string; id: number; busy: number; idle: number }>;
}

export interface IobufPoolStats {
  cache: number;
  main: number;
  retry: number;
  cache_size?: number;
}

export interface IobufModuleStats {
  module: string;
  small_pool: IobufPoolStats;
  large_pool: IobufPoolStats;
}

/** One entry of framework_get_config: a call that would make this part of the configuration again. */
export interface ConfigEntry {
  method: string;
  params?: Record<string, unknown>;
}

export class InfoMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /** The cheapest call there is: use it to probe that spdk_tgt answers. Takes no params. */
  getVersion(options?: CallOptions): Promise<SpdkVersion> {
    return this.caller.call('spdk_get_version', undefined, options);
  }

  getMethods(params?: RpcGetMethodsParams, options?: CallOptions): Promise<string[]> {
    return this.caller.call('rpc_get_methods', params, options);
  }

  getReactors(options?: CallOptions): Promise<Reactors> {
    return this.caller.call('framework_get_reactors', undefined, options);
  }

  getThreadStats(options?: CallOptions): Promise<ThreadStats> {
    return this.caller.call('thread_get_stats', undefined, options);
  }

  /**
   * Makes spdk_tgt write its DPDK memory statistics (heaps, mempools, memzones) to a file on its
   * own host and resolves with that file's path; the figures are only in the file.
   */
  dumpMemStats(options?: CallOptions): Promise<{ filename: string }> {
    return this.caller.call('env_dpdk_get_mem_stats', undefined, options);
  }

  /** Buffer-pool use per module. The pools are allocated at start, so this does not track DMA use. */
  getIobufStats(options?: CallOptions): Promise<IobufModuleStats[]> {
    return this.caller.call('iobuf_get_stats', undefined, options);
  }

  /** A subsystem's configuration (bdev, nvmf, ...) as the calls that would make it again. */
  getConfig(name: string, options?: CallOptions): Promise<ConfigEntry[]> {
    return this.caller.call('framework_get_config', { name }, options);
  }
}
