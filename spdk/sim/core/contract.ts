/**
 * The contract between the simulator's core (RPC server, poll loop, bdev registry, memory, lvols)
 * and its modules (nvmf target, bdev_nvme initiator, raid). Modules depend on this file only,
 * never on each other's internals.
 */

/** An error answered to the client exactly as spdk_tgt would: same code, same message. */
export class SimRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A claim on a bdev, as bdev_get_bdevs reports it (`claimed: true`, `claim_type`). */
export interface SimClaim {
  /** The claiming module: "lvol", "raid", "nvmf_tgt". */
  readonly module: string;
  /** What holds it: lvstore name, raid name, subsystem NQN. */
  readonly holder: string;
  /** spdk_tgt's claim_type string, e.g. "exclusive_write", "read_many_write_one". */
  readonly claimType: string;
}

export interface SimBdev {
  readonly name: string;
  readonly uuid: string;
  readonly aliases: string[];
  /** bdev_get_bdevs product_name: "Malloc disk", "AIO disk", "Logical Volume", "Raid Volume", "NVMe disk". */
  readonly productName: string;
  readonly blockSize: number;
  numBlocks: number;
  claim: SimClaim | null;
  /** optimal_io_boundary in blocks (an lvol's cluster); a raid superblock's data offset is rounded up to it. */
  readonly optimalIoBoundary?: number;
  /** Reads `count` blocks at `lba`. Rejects with an errno-style SimIoError on failure. */
  read(lba: number, count: number): Promise<Buffer>;
  write(lba: number, data: Buffer): Promise<void>;
  /**
   * Module-specific parts of this bdev's bdev_get_bdevs entry (e.g. `driver_specific`,
   * `assigned_rate_limits`...). Merged over the core's common fields.
   */
  describe(): Record<string, unknown>;
  /** Called by the registry when the bdev is deleted or hot-removed, after it left the registry. */
  destroy?(): void;
  /**
   * (Added by the core.) The call that re-creates this bdev in framework_get_config's `bdev`
   * section (e.g. bdev_malloc_create, bdev_raid_create); omit for bdevs that examine brings back.
   */
  configEntry?(): SimConfigEntry | null;
  /**
   * (Added for bdev_get_iostat.) The module's part of the bdev's iostat entry (`driver_specific`),
   * for modules whose fn_table has dump_device_stat_json (bdev_nvme); omit otherwise.
   */
  deviceStat?(): Record<string, unknown>;
}

/** An I/O failure of a bdev (member lost, fault injected). */
export class SimIoError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

export interface BdevRegistry {
  /** Adds a bdev; rejects a duplicate name or alias with -17 "File exists". */
  add(bdev: SimBdev): void;
  /** Looks up by name, alias or uuid. */
  get(nameAliasOrUuid: string): SimBdev | undefined;
  list(): SimBdev[];
  /** Removes a bdev (delete or hot-remove) and tells every listener. */
  remove(name: string, reason: string): void;
  /** `listener(bdev, reason)` after any bdev leaves the registry. Returns an unsubscribe. */
  onRemove(listener: (bdev: SimBdev, reason: string) => void): () => void;
  /** `listener(bdev)` after any bdev joins the registry (examine: raid picks up its members). */
  onAdd(listener: (bdev: SimBdev) => void): () => void;
  /** Sets a claim, or throws the SimRpcError spdk_tgt gives the given method on a claimed bdev. */
  claim(name: string, claim: SimClaim): void;
  release(name: string, holder: string): void;
  /**
   * (Added for resize events.) Tells every listener that `bdev` changed its block count
   * (spdk_bdev_notify_blockcnt_change's SPDK_BDEV_EVENT_RESIZE to each open descriptor).
   */
  resized?(bdev: SimBdev): void;
  /** (Added for resize events.) `listener(bdev)` after a bdev's block count changed. Returns an unsubscribe. */
  onResize?(listener: (bdev: SimBdev) => void): () => void;
}

/** The DMA heap (hugepages) budget, as env_dpdk_get_mem_stats and transcript 14 show it. */
export interface MemoryBudget {
  /**
   * Takes `bytes` of DMA memory for `tag` (e.g. "malloc:Malloc0", "qpair:nvme0", "rebuild:raid1").
   * Returns false when it does not fit (or a sim_ fault says the next allocations fail).
   * `aligned2M` allocations need a free 2 MiB-aligned run (malloc buffers): fragmentation decides.
   * `align` is spdk_zmalloc's alignment otherwise (default one cache line). A tag may hold several
   * allocations; `free` releases them all.
   */
  alloc(tag: string, bytes: number, opts?: { aligned2M?: boolean; align?: number }): boolean;
  free(tag: string): void;
  /**
   * (Added by the core.) Lists `module` in iobuf_get_stats with these per-channel cache sizes, or
   * updates it. spdk_tgt shows `nvmf_TCP` (4096/512) once a TCP transport exists, and `accel`
   * goes from 0/0 to 128/16 at the same time.
   */
  registerIobufUser(module: string, smallCacheSize: number, largeCacheSize: number): void;
}

/** (Added by the core.) One entry of framework_get_config's answer. */
export interface SimConfigEntry {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/** One request as it arrived, for hazards that depend on what else arrived in the same poll. */
export interface PolledRequest {
  readonly method: string;
  readonly params: unknown;
}

/**
 * One request's life in the simulator, from the bytes that completed it arriving to its answer
 * being written to the socket: wall time, the polls it waited for, and the main thread's CPU from the
 * start of the last poll before it arrived (a spinning handler or poller shows in it, CPU-burning
 * neighbours do not; see Clock in connection.ts).
 */
export interface RequestTiming {
  readonly method: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly polls: number;
}

export interface CallContext {
  /** Everything that arrived on this connection in the same 4 ms poll, in order, this one included. */
  readonly poll: readonly PolledRequest[];
  /** Index of this request in `poll`. */
  readonly index: number;
  /** The last answer written on this connection before this request was handled, timed. */
  readonly previousAnswer?: RequestTiming | null;
}

export type Handler = (params: unknown, ctx: CallContext) => unknown;

export interface MethodSpec {
  /**
   * Validates params as spdk_tgt's decoder does and throws the SimRpcError it gives (codes differ
   * per method: -32603 "spdk_json_decode_object failed" for most, -32602 "Invalid parameters" for
   * nvmf_*, -32700 for raid). Omit for methods that take no params.
   */
  readonly decode?: (params: unknown) => void;
  /**
   * Returns the result, or a promise for slow calls (answered when it settles: out of order).
   * Throws SimRpcError for spdk_tgt errors.
   */
  readonly handler: Handler;
  /**
   * (Added for nvmf_set_config.) An SPDK_RPC_STARTUP-only method: the simulator runs as a started
   * framework, so it is listed by rpc_get_methods (not with `current`) and always refused with -1
   * "Method may only be called before framework is initialized. ..." (lib/rpc/rpc.c).
   */
  readonly startupOnly?: boolean;
}

/** The nvmf poll group's spdk thread id (thread_get_stats), where host I/O is served. */
export const POLL_GROUP_THREAD = 2;

/** What a module gets from the core. */
export interface SimTarget {
  /** "A", "B"...: shows in logs, controller names nothing. */
  readonly name: string;
  readonly bdevs: BdevRegistry;
  readonly memory: MemoryBudget;
  /** Registers an RPC method. Duplicate registration is a programming error. */
  register(method: string, spec: MethodSpec): void;
  /** Terminates the process without answering anything, as spdk_tgt v26.05 does on a segfault. */
  crash(reason: string): never;
  /** Structured log line to the simulator's stderr log. */
  log(event: string, fields?: Record<string, unknown>): void;
  /**
   * (Added by the core.) Contributes module-level entries (e.g. bdev_raid_set_options) to
   * framework_get_config for `subsystem`, after those registered before it. For `bdev`, the
   * bdevs' configEntry() and bdev_wait_for_examine follow all sources.
   */
  addConfigSource(subsystem: string, source: () => SimConfigEntry[]): void;
  /**
   * (Added for bdev_get_iostat.) Runs `fn` as work of spdk thread `thread`: the bdev I/O it
   * submits synchronously, and what the bdevs below submit for it before their first `await`, is
   * counted in that thread's channel of each bdev (per_channel). Other I/O counts as short-lived
   * channels do (device totals only).
   */
  onThread<T>(thread: number, fn: () => T): T;
  /**
   * (Added for objects that start asynchronously.) The number of the poll being run. spdk_tgt
   * registers an object by name while handling its create, but finishes making it through
   * messages to other threads (a subsystem's start on each poll group, a raid's reads of its
   * members), which run at the earliest in the next poll: an object made in poll N is whole from
   * poll N + 1, and a request on it before then, from any connection, sees it half-made.
   */
  currentPoll(): number;
}

/** A simulator module: nvmf target, bdev_nvme initiator, raid... */
export interface SimModule {
  readonly name: string;
  install(target: SimTarget): void;
  /** Closes sockets and timers at shutdown. */
  close?(): Promise<void> | void;
}
