/**
 * A DataPath over images held in memory, for the job tests: the store side is tested on its own
 * while the real data path (spdk_tgt, staging files) is tested in data-path*.test.ts. Snapshots
 * form chains; a full stage yields the chain's image, a delta stage the snapshot's own blocks.
 * `gate` lets a test hold a stage between blocks (a long backup) and see what is open.
 */
import { ConductorError } from '../../../src/errors.js';
import type { DataPath, RestoreSink, StagedImage } from '../../../src/domain/backup/data-path.js';
import type { SnapshotInfo } from '../../../src/domain/model.js';
import { type BlockBuffers, SLOT_HEADROOM } from '../../../src/objectstore/block-buffers.js';

const ZEROS = Buffer.alloc(4 * 1024 * 1024);

export interface MemorySnapshot {
  parent: string | undefined;
  /** The snapshot's own data by byte offset (cluster-aligned). */
  own: Map<number, Buffer>;
}

export class MemoryDataPath implements DataPath {
  readonly snapshots = new Map<string, Map<string, MemorySnapshot>>();
  readonly restored = new Map<string, Buffer>();
  readonly stages: { mode: string; snapshot: string }[] = [];
  open = 0;
  /** Awaited before each block is yielded (with the stage's or restore's signal, which it may ignore: a stuck await; a gate may end on it). */
  gate: (signal?: AbortSignal) => Promise<void> = async () => {};

  constructor(
    readonly sizeBytes: number,
    readonly clusterBytes: number,
  ) {}

  snapshot(replica: string, name: string, parent: string | undefined, own: Map<number, Buffer>): void {
    let chain = this.snapshots.get(replica);
    if (!chain) this.snapshots.set(replica, (chain = new Map()));
    chain.set(name, { parent, own });
  }

  /** As SPDK deletes a snapshot with one child: the child takes the clusters it does not own, and the snapshot's parent. */
  deleteSnapshot(replica: string, name: string): void {
    const chain = this.snapshots.get(replica);
    const gone = chain?.get(name);
    if (!chain || !gone) return;
    const children = [...chain.values()].filter((s) => s.parent === name);
    if (children.length > 1) throw new ConductorError('SNAPSHOT_HAS_CHILDREN', `snapshot ${name} has ${children.length} children`);
    for (const child of children) {
      for (const [offset, data] of gone.own) if (!child.own.has(offset)) child.own.set(offset, data);
      child.parent = gone.parent;
    }
    chain.delete(name);
  }

  image(replica: string, name: string): Buffer {
    const out = Buffer.alloc(this.sizeBytes);
    const chain: MemorySnapshot[] = [];
    for (let s: string | undefined = name; s !== undefined; s = this.snapshots.get(replica)?.get(s)?.parent) chain.unshift(this.snapshots.get(replica)!.get(s)!);
    for (const snap of chain) for (const [offset, data] of snap.own) data.copy(out, offset);
    return out;
  }

  list(replica: string): SnapshotInfo[] {
    const chain = this.snapshots.get(replica);
    if (!chain) throw new ConductorError('REPLICA_NOT_FOUND', `no replica ${replica}`);
    return [...chain].map(([name, s]) => ({
      name,
      replicaName: replica,
      createdAt: new Date(),
      labels: {},
      parent: s.parent,
      children: [...chain].filter(([, c]) => c.parent === name).map(([c]) => c),
      sizeBytes: this.sizeBytes,
      allocatedBytes: 0,
      userCreated: true,
    }));
  }

  async stageSnapshot(req: Parameters<DataPath['stageSnapshot']>[0]): Promise<StagedImage> {
    const snap = this.snapshots.get(req.replica)?.get(req.snapshot);
    if (!snap) throw new ConductorError('SNAPSHOT_NOT_FOUND', `no snapshot ${req.snapshot}`);
    this.stages.push({ mode: req.mode, snapshot: req.snapshot });
    const image = req.mode === 'full' ? this.image(req.replica, req.snapshot) : undefined;
    const own = snap.own;
    this.open++;
    let closed = false;
    const { sizeBytes, clusterBytes } = this;
    const gate = (signal?: AbortSignal) => this.gate(signal);
    return {
      sizeBytes,
      clusterBytes,
      allocatedBytes: image ? sizeBytes : own.size * clusterBytes,
      async *blocks(blockBytes: number, signal?: AbortSignal, buffers?: BlockBuffers) {
        for (let offset = 0; offset < sizeBytes; offset += blockBytes) {
          signal?.throwIfAborted();
          let data: Buffer | undefined;
          if (image) data = Buffer.from(image.subarray(offset, Math.min(sizeBytes, offset + blockBytes)));
          else {
            const within = offset % clusterBytes;
            const cluster = own.get(offset - within);
            if (cluster) data = Buffer.from(cluster.subarray(within, within + blockBytes));
          }
          if (!data || data.equals(ZEROS.subarray(0, data.length))) continue;
          await gate(signal);
          signal?.throwIfAborted();
          if (!buffers) {
            yield { offset, data };
            continue;
          }
          // As the staging file's reader does: the block in a slot the caller gives back.
          const slot = await buffers.acquire(signal);
          data.copy(slot, SLOT_HEADROOM);
          yield { offset, data: slot.subarray(SLOT_HEADROOM, SLOT_HEADROOM + data.length), release: () => buffers.release(slot), slot };
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.open--;
      },
    };
  }

  private readonly restoring = new Set<string>();

  isRestoring(replica: string): boolean {
    return this.restoring.has(replica);
  }

  async openRestore(req: Parameters<DataPath['openRestore']>[0]): Promise<RestoreSink> {
    const image = Buffer.alloc(req.sizeBytes);
    this.open++;
    this.restoring.add(req.replica);
    let ended = false;
    const end = () => {
      if (!ended) this.open--;
      this.restoring.delete(req.replica);
      ended = true;
    };
    return {
      write: async (offset, data) => {
        req.signal?.throwIfAborted();
        await this.gate(req.signal);
        data.copy(image, offset);
      },
      commit: async () => {
        end();
        this.restored.set(req.replica, image);
        return { replica: req.replica, uuid: `uuid-${req.replica}` };
      },
      abort: async () => end(),
    };
  }

  async sweepOrphans(): Promise<{ removed: string[] }> {
    return { removed: [] };
  }

  async measureRawRate(): Promise<{ bytes: number; writeBytesPerSec: number; cachedWriteBytesPerSec: number; readBytesPerSec: number }> {
    return { bytes: 0, writeBytesPerSec: 0, cachedWriteBytesPerSec: 0, readBytesPerSec: 0 };
  }
}

/**
 * The jobs' node calls for a `MemoryDataPath` that tests without engines share: restores land in
 * `restored`, engine snapshots are not there (the engine path runs on the simulator).
 */
export function memoryNodeCalls(data: MemoryDataPath) {
  return {
    engineSnapshotCreate: async (): Promise<never> => {
      throw new Error('engine snapshots are not in these tests');
    },
    engineSnapshotGet: (): never => {
      throw new Error('engine snapshots are not in these tests');
    },
    engineSnapshotDelete: async () => {},
    volumeSnapshots: () => [],
    replicaExists: async (name: string) => data.restored.has(name),
    replicaDelete: async (name: string) => void data.restored.delete(name),
  };
}
