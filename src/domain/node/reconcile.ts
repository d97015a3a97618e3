/**
 * Converges a spdk_tgt that forgot what this node was asked to have (it restarted, crashed, was
 * upgraded) back to the intent in the state file: disks first (their bdevs again; examine brings
 * each lvstore and its lvols back), then exports (the same NQN, hosts, address and port), then the
 * caller's engine pass. Idempotent (what spdk_tgt has is left alone), restartable at any step (a
 * new restart aborts the run and starts it over) and never destructive: what spdk_tgt shows that
 * the intent does not hold is reported, not deleted; a device that carries another lvstore than
 * the recorded one is detached again, not adopted.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { pathKind, FILE_DEFAULT_BLOCK_SIZE } from '../../host/devices.js';
import { SpdkTransportError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { Exports } from '../replica/exports.js';
import type { DomainContext } from './context.js';
import { diskBdevName, lvstoreName, parseDiskBdev, parseReplicaNqn } from './naming.js';
import { isGone } from './spdk-verdicts.js';
import type { DiskIntent, ExportIntent } from './state-file.js';

/** A burst of triggers (the connection back, a monitor pass) makes one run. */
const DEBOUNCE_MS = 100;
/**
 * Exports made at once: independent objects, pipelined on the one connection. Each lane takes the
 * next export as soon as its last one is done (no batch waits for its slowest).
 */
const EXPORT_CONCURRENCY = 64;

export type ReconcilePhase = 'idle' | 'waiting' | 'reconciling' | 'failed';

export interface ReconcileStatus {
  phase: ReconcilePhase;
  /** What it is doing or why it stopped; 'converged' when idle after a run. */
  reason: string;
  disks: { done: number; total: number };
  exports: { done: number; total: number };
  /** Recorded objects it could not bring back, each with why. */
  problems: string[];
  /** Objects spdk_tgt has with our names that no record holds: reported, never deleted. */
  unrecorded: string[];
  runs: number;
}

export interface ReconcilerHooks {
  /** Puts the keys the records hold back in spdk_tgt's keyring (before exports name them). */
  restoreKeys(options: CallOptions): Promise<unknown>;
  /**
   * Once the disks are examined, before exports: lets go of what examine made over replicas that
   * must be exported (raids assembled from another node's engine superblock).
   */
  releaseReplicas(options: CallOptions): Promise<unknown>;
  /**
   * Runs once disks and exports are back: the engines' turn (bdev_nvme options, re-assembly).
   * Returns what it could not bring back, which fails the run like a disk that cannot come back.
   */
  afterConverge(options: CallOptions): Promise<string[]>;
}

export class Reconciler {
  private status: ReconcileStatus = { phase: 'idle', reason: 'nothing to do yet', disks: { done: 0, total: 0 }, exports: { done: 0, total: 0 }, problems: [], unrecorded: [], runs: 0 };
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pending: string | undefined;
  private running: Promise<void> | undefined;
  private current: AbortController | undefined;
  private closed = false;
  private lastProblems = '';
  private readonly unsubscribe: () => void;
  private connectionLost = false;
  private readonly phaseListeners = new Set<() => void>();
  /** Why the inventory may not be what spdk_tgt has: set when spdk_tgt went away or lost disks, cleared by a run's reload. */
  private staleSince: { reason: string; at: number } | undefined;

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'ports' | 'log'>,
    private readonly exportsOf: Exports,
    private readonly hooks: ReconcilerHooks,
  ) {
    this.log = ctx.log.child({ component: 'reconcile' });
    this.unsubscribe = ctx.client.onConnection((event) => {
      if (event === 'lost') {
        this.connectionLost = true;
        this.staleSince ??= { reason: 'spdk_tgt connection lost', at: Date.now() };
        // Whatever the run was doing went to a spdk_tgt that is gone.
        this.current?.abort(new Error('the connection to spdk_tgt was lost'));
        this.set({ phase: 'waiting', reason: 'spdk_tgt connection lost; reconciling once it is back' });
        this.log.warn('spdk_tgt connection lost; a reconcile runs once it is back');
      } else if (this.connectionLost || this.status.phase === 'failed') {
        this.connectionLost = false;
        this.trigger('spdk_tgt connection regained: it may have restarted empty');
      }
    });
  }

  /** Where it is; read by readiness (cached, never waits). */
  state(): Readonly<ReconcileStatus> {
    return this.status;
  }

  /** Called when the phase changes: readiness follows at once, not at its next refresh. */
  onPhase(listener: () => void): () => void {
    this.phaseListeners.add(listener);
    return () => this.phaseListeners.delete(listener);
  }

  /** Whether the node can do its job as far as reconciliation goes, and why not. */
  blocking(): string | undefined {
    const s = this.status;
    if (s.phase === 'idle') return undefined;
    if (s.phase === 'reconciling') return `reconciling: ${s.reason}`;
    return s.phase === 'waiting' ? s.reason : `reconcile failed: ${s.reason}`;
  }

  /**
   * Why answers read from the inventory may not be what spdk_tgt has now (it went away, or came
   * back and the run has not read it again yet), or undefined when they are. Cached, never waits.
   */
  viewStale(): string | undefined {
    const stale = this.staleSince;
    if (!stale) return undefined;
    const since = new Date(stale.at).toISOString();
    return this.connectionLost ? `${stale.reason} at ${since}; views are as of then` : `${stale.reason} at ${since}; reconcile has not read spdk_tgt again yet`;
  }

  /** Asks for a run (debounced); a run in progress is aborted and starts over. */
  trigger(reason: string): void {
    if (this.closed) return;
    this.pending = reason;
    if (this.status.phase !== 'reconciling') this.set({ phase: 'reconciling', reason: `starting (${reason})` });
    this.current?.abort(new Error(`restarted: ${reason}`));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.drive(), DEBOUNCE_MS);
    this.timer.unref();
  }

  /** Runs now and resolves when done (at start, before the node says it is ready); never throws. */
  async converge(reason: string): Promise<void> {
    if (this.closed) return;
    this.pending = reason;
    clearTimeout(this.timer);
    this.drive();
    await this.running;
  }

  /**
   * The cheap check of a monitor pass: is every recorded disk's bdev still in spdk_tgt? A restart
   * always takes the disks with it, so one small read per disk finds it even when the connection
   * loss went unseen. A failed run is tried again here, once per pass.
   */
  async check(options?: CallOptions): Promise<void> {
    if (this.running || this.timer || this.connectionLost || this.closed) return;
    // Disks are independent objects: their reads go out together on the one connection.
    const disks = this.ctx.state.disks();
    const present = await Promise.all(disks.map((disk) => this.bdevPresent(disk, options)));
    const missing = disks.filter((_, i) => !present[i]).map((disk) => disk.name);
    if (missing.length > 0) this.staleSince ??= { reason: 'spdk_tgt lost disks', at: Date.now() };
    if (missing.length > 0) this.trigger(`disk bdevs missing from spdk_tgt: ${missing.join(', ')}`);
    else if (this.status.phase === 'failed') this.trigger('retrying the failed reconcile');
  }

  /** Stops for good; a run in progress is aborted and awaited. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe();
    this.current?.abort(new Error('the service is closing'));
    await this.running;
  }

  /** Waits for the runs asked for so far to end (tests, and callers that need the node converged). */
  async settled(): Promise<Readonly<ReconcileStatus>> {
    while (this.timer || this.running) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS));
    }
    return this.status;
  }

  private drive(): void {
    this.timer = undefined;
    if (this.running || this.closed) return;
    this.running = (async () => {
      while (this.pending !== undefined && !this.closed) {
        const reason = this.pending;
        this.pending = undefined;
        const controller = new AbortController();
        // Every call of the run listens on it: one per export lane and disk, not a leak.
        setMaxListeners(0, controller.signal);
        this.current = controller;
        try {
          await this.run(reason, { signal: controller.signal });
        } catch (error) {
          if (controller.signal.aborted) {
            this.log.info({ reason: String(controller.signal.reason?.message ?? controller.signal.reason) }, 'reconcile interrupted');
            continue;
          }
          this.set({ phase: 'failed', reason: (error as Error).message });
          this.log.warn({ err: (error as Error).message, trigger: reason }, 'reconcile failed; the next monitor pass tries again');
        } finally {
          this.current = undefined;
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
  }

  private async run(reason: string, options: CallOptions): Promise<void> {
    const disks = this.ctx.state.disks();
    const exports = this.ctx.state.exports();
    this.status.runs++;
    this.set({ phase: 'reconciling', reason: `re-created 0 of ${disks.length} disks`, disks: { done: 0, total: disks.length }, exports: { done: 0, total: exports.length }, problems: [] });
    this.log.info({ trigger: reason, disks: disks.length, exports: exports.length }, 'reconcile started');
    const problems: string[] = [];
    // Where the run's time goes, by step, for the log line that ends it (bench:restart reads it):
    // wall time, and this process's CPU time, which a loaded machine distorts less.
    const ms: Record<string, number> = {};
    const cpuMs: Record<string, number> = {};
    let mark = performance.now();
    let cpuMark = process.cpuUsage();
    const lap = (step: string): void => {
      const now = performance.now();
      const used = process.cpuUsage(cpuMark);
      ms[step] = Math.round(now - mark);
      cpuMs[step] = Math.round((used.user + used.system) / 1000);
      mark = now;
      cpuMark = process.cpuUsage();
    };

    // A spdk_tgt that restarted has no transport either.
    const transports = await this.ctx.spdk.nvmf.getTransports(undefined, options);
    if (!transports.some((t) => t.trtype.toUpperCase() === 'TCP')) {
      await this.ctx.spdk.nvmf.createTransport({ trtype: 'TCP' }, options);
      this.log.info('TCP transport created: spdk_tgt had none');
    }
    lap('transport');

    // (1) Disks: attach what is missing; examine loads each device's lvstore and its lvols.
    const outcomes = new Map<string, Awaited<ReturnType<Reconciler['attachDisk']>>>();
    let done = 0;
    // Disks are independent objects: their attaches go out together.
    await Promise.all(
      disks.map(async (disk) => {
        const outcome = await this.ctx.locks.with(`disk:${disk.name}`, () => this.attachDisk(disk, options));
        outcomes.set(disk.name, outcome);
        if (typeof outcome === 'object') problems.push(outcome.problem);
        else done++;
        this.set({ reason: `re-created ${done} of ${disks.length} disks`, disks: { done, total: disks.length } });
      }),
    );
    lap('disks');
    await this.ctx.spdk.bdev.waitForExamine(options);
    lap('examine');
    const lvstores = await this.ctx.spdk.lvol.getLvstores(undefined, options);
    for (const disk of disks) {
      const outcome = outcomes.get(disk.name);
      if (outcome !== 'present' && outcome !== 'attached') continue;
      const bdevName = diskBdevName(disk.name);
      const base = disk.kind === 'nvme' ? `${bdevName}n1` : bdevName;
      const found = lvstores.find((l) => l.base_bdev === base);
      if (found?.name === lvstoreName(disk.name) && found.uuid === disk.lvstoreUuid) continue;
      const what = found ? `lvstore ${found.name} (uuid ${found.uuid})` : 'no lvstore';
      const problem = `disk ${disk.name}: its device carries ${what}, not the recorded ${lvstoreName(disk.name)} (uuid ${disk.lvstoreUuid}); not adopted`;
      problems.push(problem);
      done--;
      // Only a bdev this run attached is detached again: one that was there is not ours to drop.
      if (outcome === 'attached') await this.detachDisk(disk, options);
      this.log.error({ disk: disk.name, found: found?.uuid, recorded: disk.lvstoreUuid }, 'disk device carries another lvstore; detached, not adopted');
    }
    this.set({ reason: `re-created ${done} of ${disks.length} disks`, disks: { done, total: disks.length } });

    // Views follow spdk_tgt: what it forgot is no longer listed, what came back is.
    await this.ctx.inventory.load(this.ctx.spdk, options);
    if (this.staleSince) this.log.info({ staleFor: Date.now() - this.staleSince.at }, 'inventory read again from spdk_tgt; views are fresh');
    this.staleSince = undefined;
    for (const record of this.ctx.inventory.exports.values()) for (const listener of record.listeners) this.ctx.ports.markUsed(listener.port);
    lap('inventory');

    // (2) Exports: the same NQN, hosts, address and port, and the same keys, which spdk_tgt's
    // keyring lost with the restart: they go back in first, from their files.
    await this.hooks.releaseReplicas(options);
    await this.hooks.restoreKeys(options);
    lap('keys');
    let exported = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < exports.length) {
        const intent = exports[next++]!;
        const outcome = await this.ctx.locks.with(`replica:${intent.replica}`, () => this.restoreExport(intent, options));
        if (typeof outcome === 'object') problems.push(outcome.problem);
        else exported++;
        this.set({ reason: `re-exported ${exported} of ${exports.length} replicas`, exports: { done: exported, total: exports.length } });
      }
    };
    await Promise.all(Array.from({ length: Math.min(EXPORT_CONCURRENCY, exports.length) }, lane));

    lap('exports');
    const unrecorded = this.unrecorded();
    this.set({ unrecorded });
    if (unrecorded.length > 0) this.log.warn({ unrecorded: unrecorded.slice(0, 20), count: unrecorded.length }, 'spdk_tgt holds objects of ours that no record holds; left alone');

    // (3) Engines: the caller's pass, now that their local members and exports are back.
    problems.push(...(await this.hooks.afterConverge(options)));
    lap('engines');

    const summary = `re-created ${done} of ${disks.length} disks, re-exported ${exported} of ${exports.length} replicas`;
    if (problems.length > 0) {
      this.set({ phase: 'failed', reason: `${summary}; ${problems.length} not brought back: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`, problems });
      const key = problems.join('\n');
      this.log[key === this.lastProblems ? 'debug' : 'error']({ problems }, `reconcile incomplete: ${summary}`);
      this.lastProblems = key;
      return;
    }
    this.lastProblems = '';
    this.set({ phase: 'idle', reason: 'converged', problems: [] });
    this.log.info({ disks: done, exports: exported, ms, cpuMs }, `reconcile done: ${summary}`);
  }

  /** 'present', 'attached', or why it cannot be. Under the disk's lock. */
  private async attachDisk(disk: DiskIntent, options: CallOptions): Promise<'present' | 'attached' | 'deleted' | { problem: string }> {
    // A delete that ran while this waited for the lock ended the intent.
    if (!this.ctx.state.disks().some((d) => d.name === disk.name)) return 'deleted';
    if (await this.bdevPresent(disk, options)) return 'present';
    const bdevName = diskBdevName(disk.name);
    if (disk.kind === 'aio') {
      const found = await pathKind(disk.path);
      if (found === 'missing' || found === 'directory') {
        this.log.error({ disk: disk.name, path: disk.path, found }, 'disk cannot be re-attached: its file or device is gone');
        return { problem: `disk ${disk.name}: ${disk.path} ${found === 'missing' ? 'does not exist' : 'is a directory'}; it cannot be re-attached` };
      }
      try {
        // The lvstore's block size; for an older record, what a disk create gives a file, and a device its own.
        const blockSize = disk.blockSize ?? (found === 'file' ? FILE_DEFAULT_BLOCK_SIZE : undefined);
        await this.ctx.spdk.bdev.aioCreate({ name: bdevName, filename: disk.path, ...(blockSize ? { block_size: blockSize } : {}) }, options);
      } catch (error) {
        failsTheRun(error, options);
        return { problem: `disk ${disk.name}: spdk_tgt refused ${disk.path} (${(error as Error).message})` };
      }
    } else {
      try {
        await this.ctx.spdk.nvme.attachController({ name: bdevName, trtype: 'PCIe', traddr: disk.path }, options);
      } catch (error) {
        failsTheRun(error, options);
        return { problem: `disk ${disk.name}: spdk_tgt could not attach PCIe device ${disk.path} (${(error as Error).message})` };
      }
    }
    this.log.info({ disk: disk.name, kind: disk.kind, path: disk.path }, 'disk re-attached: spdk_tgt had forgotten it');
    return 'attached';
  }

  private async detachDisk(disk: DiskIntent, options: CallOptions): Promise<void> {
    const bdevName = diskBdevName(disk.name);
    try {
      if (disk.kind === 'aio') await this.ctx.spdk.bdev.aioDelete({ name: bdevName }, options);
      else await this.ctx.spdk.nvme.detachController({ name: bdevName }, options);
    } catch (error) {
      if (!isGone(this.ctx, error)) throw error;
    }
  }

  private async bdevPresent(disk: DiskIntent, options?: CallOptions): Promise<boolean> {
    const name = disk.kind === 'nvme' ? `${diskBdevName(disk.name)}n1` : diskBdevName(disk.name);
    try {
      return (await this.ctx.spdk.bdev.getBdevs({ name }, options)).length > 0;
    } catch (error) {
      if (isGone(this.ctx, error)) return false;
      throw error;
    }
  }

  /** 'present', 'restored', or why it cannot be. Under the replica's lock. */
  private async restoreExport(intent: ExportIntent, options: CallOptions): Promise<'present' | 'restored' | 'deleted' | { problem: string }> {
    const current = this.ctx.state.exportOf(intent.replica);
    if (!current) return 'deleted';
    if (this.ctx.inventory.exports.has(intent.replica)) return 'present';
    const head = this.ctx.inventory.head(intent.replica);
    if (!head) return { problem: `export of ${intent.replica}: its replica is not in spdk_tgt (its disk not back?)` };
    try {
      await this.exportsOf.restore(current, head.disk, options);
    } catch (error) {
      failsTheRun(error, options);
      return { problem: `export of ${intent.replica}: ${(error as Error).message}` };
    }
    this.log.info({ replica: intent.replica, port: current.port, hosts: current.hostNqns.length }, 're-exported: spdk_tgt had forgotten it');
    return 'restored';
  }

  /** Disk bdevs and replica exports of ours in spdk_tgt that no record holds. */
  private unrecorded(): string[] {
    const out: string[] = [];
    const disks = new Set(this.ctx.state.disks().map((d) => d.name));
    for (const disk of this.ctx.inventory.disks.values()) if (!disks.has(disk.name) && parseDiskBdev(disk.bdevName)) out.push(`disk ${disk.name}`);
    for (const record of this.ctx.inventory.exports.values()) {
      if (parseReplicaNqn(record.nqn) !== undefined && !this.ctx.state.exportOf(record.replica)) out.push(`export ${record.nqn}`);
    }
    return out;
  }

  private set(change: Partial<ReconcileStatus>): void {
    const before = this.status.phase;
    this.status = { ...this.status, ...change };
    if (this.status.phase !== before) for (const listener of this.phaseListeners) listener();
  }
}

/**
 * An aborted run, or spdk_tgt out of reach, is the run's failure, not the object's: it is thrown
 * so the run ends (and starts over), instead of being reported as something that cannot come back.
 */
function failsTheRun(error: unknown, options: CallOptions): void {
  if (options.signal?.aborted || error instanceof SpdkTransportError) throw error;
}
