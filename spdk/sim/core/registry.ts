/**
 * The bdev registry: names, aliases and uuids in one namespace (as spdk_bdev_register checks them),
 * registration order for bdev_get_bdevs, claims, examine, and injected I/O failures.
 */
import { SimIoError, SimRpcError, type BdevRegistry, type SimBdev, type SimClaim } from './contract.js';
import { errno } from './errno.js';
import { DeviceStats, ioThread, isWriteZeroes, latencyClock, type IoKind } from './io-stats.js';
import { Qos } from './qos.js';

type RemoveListener = (bdev: SimBdev, reason: string) => void;
type AddListener = (bdev: SimBdev) => void | Promise<void>;
type ResizeListener = (bdev: SimBdev) => void;

export class CoreRegistry implements BdevRegistry {
  /** Registration order; the value is the bdev, the key its name. */
  private readonly byName = new Map<string, SimBdev>();
  /** Every alias and uuid, and the name, pointing at the bdev. */
  private readonly index = new Map<string, SimBdev>();
  private readonly removeListeners: RemoveListener[] = [];
  private readonly addListeners: AddListener[] = [];
  private readonly resizeListeners: ResizeListener[] = [];
  private readonly pendingExamines = new Set<Promise<void>>();
  /** Bdevs opened by examine until the given poll tick (a start_shallow_copy there gets EPERM). */
  private readonly examineHolds = new Map<SimBdev, number>();
  private readonly failingIo = new Set<SimBdev>();
  private readonly stats = new Map<SimBdev, DeviceStats>();
  private readonly qos = new Map<SimBdev, Qos>();

  constructor(
    private readonly currentTick: () => number,
    private readonly onListenerError: (err: unknown) => void,
  ) {}

  private keysOf(bdev: SimBdev): string[] {
    return [...new Set([bdev.name, bdev.uuid, ...bdev.aliases])];
  }

  add(bdev: SimBdev): void {
    // bdev_register: "Bdev name must not be an empty string", before the name is looked up.
    if (bdev.name === '') throw new SimRpcError(-errno.EINVAL, 'Invalid argument');
    const keys = this.keysOf(bdev);
    if (keys.some((k) => this.index.has(k))) throw new SimRpcError(-errno.EEXIST, 'File exists');
    this.wrapIo(bdev);
    this.byName.set(bdev.name, bdev);
    for (const k of keys) this.index.set(k, bdev);
    this.examineHolds.set(bdev, this.currentTick() + 1);
    for (const listener of [...this.addListeners]) {
      try {
        const r = listener(bdev);
        if (r instanceof Promise) this.track(r);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /**
   * Every read and write of a registered bdev, whoever submits it (host, raid, lvol, sim_), goes
   * through the bdev layer as in spdk_tgt: QoS first, then the module, then the statistics
   * (latency from submission, so time queued by QoS counts). Injected failures
   * (sim_bdev_fail_io) apply to every caller, modules included. The zeros of a Write Zeroes
   * (io-stats.ts writeZeroesBuffer) pass QoS and are not counted, only their failures.
   */
  private wrapIo(bdev: SimBdev): void {
    const read = bdev.read.bind(bdev);
    const write = bdev.write.bind(bdev);
    const stats = new DeviceStats();
    const qos = new Qos();
    this.stats.set(bdev, stats);
    this.qos.set(bdev, qos);
    const submit = async <T>(kind: IoKind | 'write_zeroes', lba: number, blocks: number, module: () => Promise<T>): Promise<T> => {
      const op = () => (this.failingIo.has(bdev) ? Promise.reject(new SimIoError(-errno.EIO, 'Input/output error')) : module());
      // Out-of-range I/O is refused before a bdev_io exists: not counted.
      if (!Number.isInteger(blocks) || blocks <= 0 || lba < 0 || lba + blocks > bdev.numBlocks) return op();
      const thread = ioThread();
      const elapsed = latencyClock();
      const bytes = blocks * bdev.blockSize;
      const queued = kind === 'write_zeroes' ? undefined : qos.admit(kind === 'read', bytes);
      if (queued !== undefined) await queued;
      let result: T;
      try {
        result = await op();
      } catch (err) {
        stats.recordError('failed');
        throw err;
      }
      if (kind !== 'write_zeroes') stats.record(thread, kind, bytes, elapsed());
      return result;
    };
    bdev.read = (lba, count) => submit('read', lba, count, () => read(lba, count));
    bdev.write = (lba, data) => submit(isWriteZeroes(data) ? 'write_zeroes' : 'write', lba, data.length / bdev.blockSize, () => write(lba, data));
  }

  /** The bdev's I/O statistics (bdev_get_iostat). */
  statsOf(bdev: SimBdev): DeviceStats {
    return this.stats.get(bdev)!;
  }

  /** The bdev's QoS limits (bdev_set_qos_limit). */
  qosOf(bdev: SimBdev): Qos {
    return this.qos.get(bdev)!;
  }

  setFailIo(bdev: SimBdev, enable: boolean): void {
    if (enable) this.failingIo.add(bdev);
    else this.failingIo.delete(bdev);
  }

  get(nameAliasOrUuid: string): SimBdev | undefined {
    return this.index.get(nameAliasOrUuid);
  }

  list(): SimBdev[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }

  remove(name: string, reason: string): void {
    const bdev = this.index.get(name);
    if (bdev === undefined) return;
    this.byName.delete(bdev.name);
    for (const k of this.keysOf(bdev)) if (this.index.get(k) === bdev) this.index.delete(k);
    this.examineHolds.delete(bdev);
    this.failingIo.delete(bdev);
    this.stats.delete(bdev);
    this.qos.get(bdev)?.release();
    this.qos.delete(bdev);
    try {
      bdev.destroy?.();
    } catch (err) {
      this.onListenerError(err);
    }
    for (const listener of [...this.removeListeners]) {
      try {
        listener(bdev, reason);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Re-indexes a bdev whose aliases changed (lvol rename). Throws -17 if a new alias is taken. */
  reindex(bdev: SimBdev, oldAliases: readonly string[]): void {
    for (const a of bdev.aliases) {
      const holder = this.index.get(a);
      if (holder !== undefined && holder !== bdev) throw new SimRpcError(-errno.EEXIST, 'File exists');
    }
    for (const a of oldAliases) if (this.index.get(a) === bdev) this.index.delete(a);
    for (const k of this.keysOf(bdev)) this.index.set(k, bdev);
  }

  onRemove(listener: RemoveListener): () => void {
    this.removeListeners.push(listener);
    return () => {
      const i = this.removeListeners.indexOf(listener);
      if (i >= 0) this.removeListeners.splice(i, 1);
    };
  }

  onAdd(listener: AddListener): () => void {
    this.addListeners.push(listener);
    return () => {
      const i = this.addListeners.indexOf(listener);
      if (i >= 0) this.addListeners.splice(i, 1);
    };
  }

  resized(bdev: SimBdev): void {
    if (this.index.get(bdev.name) !== bdev) return;
    for (const listener of [...this.resizeListeners]) {
      try {
        listener(bdev);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  onResize(listener: ResizeListener): () => void {
    this.resizeListeners.push(listener);
    return () => {
      const i = this.resizeListeners.indexOf(listener);
      if (i >= 0) this.resizeListeners.splice(i, 1);
    };
  }

  claim(name: string, claim: SimClaim): void {
    const bdev = this.index.get(name);
    if (bdev === undefined) throw new SimRpcError(-errno.ENODEV, 'No such device');
    if (bdev.claim !== null) throw new SimRpcError(-errno.EPERM, 'Operation not permitted');
    bdev.claim = claim;
  }

  release(name: string, holder: string): void {
    const bdev = this.index.get(name);
    if (bdev?.claim && bdev.claim.holder === holder) bdev.claim = null;
  }

  /** An examine in progress (e.g. the lvol module reading a superblock); bdev_wait_for_examine waits. */
  track(examine: Promise<void>): void {
    const p = examine.catch((err) => this.onListenerError(err)).finally(() => this.pendingExamines.delete(p));
    this.pendingExamines.add(p);
  }

  async examinesDone(): Promise<void> {
    while (this.pendingExamines.size > 0) await Promise.all([...this.pendingExamines]);
  }

  /** True while examine still has the bdev open (until the poll after its registration). */
  heldByExamine(bdev: SimBdev): boolean {
    const until = this.examineHolds.get(bdev);
    if (until === undefined) return false;
    if (this.currentTick() >= until) {
      this.examineHolds.delete(bdev);
      return false;
    }
    return true;
  }
}
