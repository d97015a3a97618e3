/**
 * A small in-process SimTarget for unit-testing the nvmf, nvme and raid modules without the core:
 * a bdev registry, a DMA budget, RPC dispatch with CallContext, and a crash that throws instead of
 * exiting. Calls go through the module's decode and handler exactly as the core would run them.
 */
import {
  SimIoError,
  SimRpcError,
  type BdevRegistry,
  type CallContext,
  type MemoryBudget,
  type MethodSpec,
  type PolledRequest,
  type SimBdev,
  type SimClaim,
  type SimModule,
  type SimTarget,
} from '../../../spdk/sim/core/contract.js';

export class CrashError extends Error {}

export class FakeRegistry implements BdevRegistry {
  private readonly bdevs: SimBdev[] = [];
  private readonly removeListeners: Array<(b: SimBdev, reason: string) => void> = [];
  private readonly addListeners: Array<(b: SimBdev) => void> = [];

  add(bdev: SimBdev): void {
    const names = [bdev.name, ...bdev.aliases];
    if (names.some((n) => this.get(n))) throw new SimRpcError(-17, 'File exists');
    this.bdevs.push(bdev);
    for (const l of [...this.addListeners]) l(bdev);
  }

  get(key: string): SimBdev | undefined {
    return this.bdevs.find((b) => b.name === key || b.aliases.includes(key) || b.uuid === key);
  }

  list(): SimBdev[] {
    return [...this.bdevs];
  }

  remove(name: string, reason: string): void {
    const bdev = this.get(name);
    if (!bdev) return;
    this.bdevs.splice(this.bdevs.indexOf(bdev), 1);
    bdev.destroy?.();
    for (const l of [...this.removeListeners]) l(bdev, reason);
  }

  onRemove(listener: (bdev: SimBdev, reason: string) => void): () => void {
    this.removeListeners.push(listener);
    return () => this.removeListeners.splice(this.removeListeners.indexOf(listener), 1);
  }

  onAdd(listener: (bdev: SimBdev) => void): () => void {
    this.addListeners.push(listener);
    return () => this.addListeners.splice(this.addListeners.indexOf(listener), 1);
  }

  claim(name: string, claim: SimClaim): void {
    const bdev = this.get(name);
    if (!bdev) throw new SimRpcError(-19, 'No such device');
    if (bdev.claim) throw new SimRpcError(-1, 'Operation not permitted');
    bdev.claim = claim;
  }

  release(name: string, holder: string): void {
    const bdev = this.get(name);
    if (bdev?.claim?.holder === holder) bdev.claim = null;
  }
}

export class FakeMemory implements MemoryBudget {
  readonly used = new Map<string, number>();
  readonly iobufUsers = new Map<string, [number, number]>();
  constructor(public capacity = 1 << 30) {}

  alloc(tag: string, bytes: number): boolean {
    const total = [...this.used.values()].reduce((a, b) => a + b, 0);
    if (total + bytes > this.capacity) return false;
    this.used.set(tag, (this.used.get(tag) ?? 0) + bytes);
    return true;
  }

  free(tag: string): void {
    this.used.delete(tag);
  }

  registerIobufUser(module: string, smallCacheSize: number, largeCacheSize: number): void {
    this.iobufUsers.set(module, [smallCacheSize, largeCacheSize]);
  }
}

export class FakeTarget implements SimTarget {
  readonly bdevs = new FakeRegistry();
  readonly memory = new FakeMemory();
  readonly methods = new Map<string, MethodSpec>();
  readonly logs: Array<{ event: string; fields?: Record<string, unknown> }> = [];
  readonly configSources: Array<{ subsystem: string; source: () => Array<{ method: string; params?: Record<string, unknown> }> }> = [];
  crashed: string | null = null;
  private readonly modules: SimModule[] = [];
  /** Each poll given to callInPoll (call() makes a new one) is the next poll of this target. */
  private readonly polls = new WeakMap<readonly PolledRequest[], number>();
  private pollNumber = 0;
  private lastPoll = 0;

  constructor(readonly name = 'A') {}

  install(...modules: SimModule[]): this {
    for (const m of modules) {
      m.install(this);
      this.modules.push(m);
    }
    return this;
  }

  register(method: string, spec: MethodSpec): void {
    if (this.methods.has(method)) throw new Error(`${method} registered twice`);
    this.methods.set(method, spec);
  }

  addConfigSource(subsystem: string, source: () => Array<{ method: string; params?: Record<string, unknown> }>): void {
    this.configSources.push({ subsystem, source });
  }

  /** framework_get_config's entries for `subsystem`, as the core would assemble them. */
  config(subsystem: string): Array<{ method: string; params?: Record<string, unknown> }> {
    const entries = this.configSources.filter((s) => s.subsystem === subsystem).flatMap((s) => s.source());
    if (subsystem !== 'bdev') return entries;
    for (const bdev of this.bdevs.list()) {
      const entry = (bdev as { configEntry?: () => { method: string; params?: Record<string, unknown> } | null }).configEntry?.();
      if (entry) entries.push(entry);
    }
    return entries;
  }

  currentPoll(): number {
    return this.lastPoll;
  }

  /** No I/O accounting here: the work just runs. */
  onThread<T>(_thread: number, fn: () => T): T {
    return fn();
  }

  crash(reason: string): never {
    this.crashed = reason;
    throw new CrashError(reason);
  }

  log(event: string, fields?: Record<string, unknown>): void {
    this.logs.push(fields ? { event, fields } : { event });
  }

  /** One call, alone in its poll. */
  call(method: string, params?: unknown): Promise<unknown> {
    return this.callInPoll([{ method, params }], 0);
  }

  /** Request `index` of a poll in which all of `poll` arrived together. */
  async callInPoll(poll: PolledRequest[], index: number): Promise<unknown> {
    const req = poll[index]!;
    if (!this.polls.has(poll)) this.polls.set(poll, ++this.pollNumber);
    this.lastPoll = this.polls.get(poll)!;
    const spec = this.methods.get(req.method);
    if (!spec) throw new SimRpcError(-32601, 'Method not found');
    spec.decode?.(req.params);
    const ctx: CallContext = { poll, index };
    return await spec.handler(req.params, ctx);
  }

  /** Runs every request of one poll in order, as the core does; errors come back as values. */
  async poll(poll: PolledRequest[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < poll.length; i++) {
      try {
        out.push(await this.callInPoll(poll, i));
      } catch (err) {
        if (err instanceof CrashError) throw err;
        out.push(err);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const m of this.modules.splice(0).reverse()) await m.close?.();
  }
}

/** A RAM bdev ("Malloc disk") with switchable I/O failures. */
export class MemBdev implements SimBdev {
  readonly aliases: string[];
  readonly productName = 'Malloc disk';
  claim: SimClaim | null = null;
  failReads = false;
  failWrites = false;
  /** While set, I/O waits for it (a stalled device). */
  gate: Promise<void> | null = null;
  private readonly data: Buffer;

  constructor(
    readonly name: string,
    public numBlocks: number,
    readonly blockSize = 4096,
    readonly uuid: string = crypto.randomUUID(),
  ) {
    this.aliases = [uuid];
    this.data = Buffer.alloc(numBlocks * blockSize);
  }

  async read(lba: number, count: number): Promise<Buffer> {
    if (this.gate) await this.gate;
    if (this.failReads) throw new SimIoError(-5, `${this.name} read failed`);
    return Buffer.from(this.data.subarray(lba * this.blockSize, (lba + count) * this.blockSize));
  }

  async write(lba: number, data: Buffer): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failWrites) throw new SimIoError(-5, `${this.name} write failed`);
    data.copy(this.data, lba * this.blockSize);
  }

  describe(): Record<string, unknown> {
    return { memory_domains: [{ dma_device_type: 'DMA' }] };
  }

  /** The raw contents, for comparing members. */
  contents(): Buffer {
    return this.data;
  }
}

/** A buffer of `blocks` blocks filled with a pattern derived from `seed`. */
export function pattern(blocks: number, seed: number, blockSize = 4096): Buffer {
  const buf = Buffer.alloc(blocks * blockSize);
  for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE((seed * 2654435761 + i) >>> 0, i);
  return buf;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the SimRpcError a call rejected with (fails the test if it succeeded). */
export async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof SimRpcError)) throw new Error(`expected a SimRpcError, got ${String(caught)}`);
  return { code: caught.code, message: caught.message };
}
