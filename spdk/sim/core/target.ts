/**
 * The core's SimTarget: what modules get (registry, memory, method registration, crash, log)
 * wired to the RPC server and the 4 ms poll loop.
 */
import type { MethodSpec, SimConfigEntry, SimModule, SimTarget } from './contract.js';
import { Dispatcher } from './dispatcher.js';
import { runOnThread } from './io-stats.js';
import { CoreMemory, type MemoryOptions } from './memory/budget.js';
import { PollLoop, type TickHook } from './poll-loop.js';
import { CoreRegistry } from './registry.js';
import { processClock } from './connection.js';
import { RpcServer } from './rpc-server.js';

export interface TargetOptions {
  readonly name: string;
  readonly memory: MemoryOptions;
  /** Where env_dpdk_get_mem_stats writes its dump (spdk_tgt: /tmp/spdk_mem_dump.txt). */
  readonly memDumpPath: string;
  readonly quiet?: boolean;
  /** RPC poll period; spdk_tgt's is 4 ms (replays of thousands of calls may shorten it). */
  readonly pollMs?: number;
}

export class CoreTarget implements SimTarget {
  readonly name: string;
  readonly bdevs: CoreRegistry;
  readonly memory: CoreMemory;
  readonly dispatcher: Dispatcher;
  readonly loop: PollLoop;
  readonly server: RpcServer;
  readonly startedAt = Date.now();
  private readonly configSources = new Map<string, Array<() => SimConfigEntry[]>>();
  private readonly modules: SimModule[] = [];

  constructor(readonly options: TargetOptions) {
    this.name = options.name;
    this.loop = new PollLoop((err) => this.log('poll_hook_failed', { error: String(err) }), options.pollMs);
    this.bdevs = new CoreRegistry(
      () => this.loop.tick,
      (err) => this.log('bdev_listener_failed', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
    this.memory = new CoreMemory(options.memory);
    this.dispatcher = new Dispatcher((method, err) => this.log('simulator_bug', { method, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
    this.server = new RpcServer(
      this.dispatcher,
      (event, fields) => this.log(event, fields),
      processClock(
        () => this.loop.tick,
        () => this.loop.tickStartCpuMs,
      ),
    );
    this.loop.every(() => this.server.poll());
  }

  register(method: string, spec: MethodSpec): void {
    this.dispatcher.register(method, spec);
  }

  crash(reason: string): never {
    this.log('crash', { reason });
    // A segfault: no answer to anything, the process dies by a signal as spdk_tgt v26.05 does.
    process.kill(process.pid, 'SIGSEGV');
    process.exit(139);
  }

  log(event: string, fields?: Record<string, unknown>): void {
    if (this.options.quiet) return;
    process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), sim: this.name, event, ...fields })}\n`);
  }

  addConfigSource(subsystem: string, source: () => SimConfigEntry[]): void {
    const list = this.configSources.get(subsystem);
    if (list) list.push(source);
    else this.configSources.set(subsystem, [source]);
  }

  onThread<T>(thread: number, fn: () => T): T {
    return runOnThread(thread, fn);
  }

  /** framework_get_config: null for a subsystem nothing registered. */
  config(subsystem: string): SimConfigEntry[] | null {
    const sources = this.configSources.get(subsystem);
    if (sources === undefined) return null;
    const entries = sources.flatMap((s) => s());
    if (subsystem === 'bdev') {
      for (const bdev of this.bdevs.list()) {
        const e = bdev.configEntry?.();
        if (e) entries.push(e);
        // bdev_qos_config_json: after the bdev's own entry, the limits that are set, by bdev name.
        const qos = this.bdevs.qosOf(bdev);
        if (qos.enabled) {
          const limits = Object.entries(qos.assigned()).filter(([, v]) => v > 0);
          entries.push({ method: 'bdev_set_qos_limit', params: { name: bdev.name, ...Object.fromEntries(limits) } });
        }
      }
      entries.push({ method: 'bdev_wait_for_examine' });
    }
    return entries;
  }

  currentPoll(): number {
    return this.loop.tick;
  }

  /** Poll-loop work of the core's own modules (examine holds, copy progress). */
  every(hook: TickHook): () => void {
    return this.loop.every(hook);
  }

  install(module: SimModule): void {
    module.install(this);
    this.modules.push(module);
  }

  async start(socketPath: string): Promise<void> {
    await this.server.listen(socketPath);
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.loop.stop();
    await this.server.close();
    for (const m of [...this.modules].reverse()) {
      try {
        await m.close?.();
      } catch (err) {
        this.log('module_close_failed', { module: m.name, error: String(err) });
      }
    }
  }
}
