/**
 * An in-memory NodeDomain and EngineDomain, honest enough to exercise every RPC: idempotent
 * creates, deletes of missing objects that succeed, the domain's error codes, watch events. It
 * records every call (readiness excepted) so tests can prove the edge refused bad input before
 * reaching it, and can be told to fail or to hang a method until the caller's signal aborts.
 * The engine part lives in fake-engines.ts.
 */
import { ConductorError, SpdkTransportError } from '../../../src/errors.js';
import type {
  DiskCreate,
  DiskInfo,
  EngineCreate,
  EngineEvent,
  CopyTarget,
  NodeInfo,
  RebuildInfo,
  ShallowCopyProgress,
  EngineInfo,
  EngineReplicaSpec,
  ReplicaEvent,
  ReplicaInfo,
  SnapshotCreate,
  SnapshotInfo,
  VolumeSnapshotInfo,
} from '../../../src/domain/model.js';
import type { EngineDomain, NodeDomain, Readiness, SpdkInfo } from '../../../src/domain/operations.js';
import { onlyReads } from '../../../src/domain/node/raw-call.js';
import type { DeleteOutcome } from '../../../src/domain/model.js';
import type { VolumeSnapshotCreate } from '../../../src/domain/engine/volume-snapshots.js';
import type { CloneRequest } from '../../../src/domain/replica/clones.js';
import { FakeEngines } from './fake-engines.js';

type Options = Parameters<NodeDomain['diskGet']>[1];
type Method = Exclude<keyof NodeDomain | keyof EngineDomain, 'readiness'>;

export interface RecordedCall {
  method: Method;
  args: unknown[];
  options: Options;
}

const MiB = 1024 * 1024;

export class FakeDomain implements NodeDomain, EngineDomain {
  ready: Readiness = { ready: true, reason: 'ready' };
  readonly calls: RecordedCall[] = [];
  readonly #disks = new Map<string, DiskInfo>();
  readonly #replicas = new Map<string, ReplicaInfo>();
  readonly #snapshots = new Map<string, SnapshotInfo[]>();
  readonly #listeners = new Set<(event: ReplicaEvent) => void>();
  readonly #failures = new Map<Method, unknown>();
  readonly #hanging = new Set<Method>();
  /** The engines, with hooks for tests (setMemberState, hostFrontend, listenerCount). */
  readonly engines = new FakeEngines({
    enter: (method, args, options) => this.#enter(method, args, options),
    hasLocalReplica: (name) => this.#replicas.has(name),
  });

  /** ReplicaWatch subscriptions. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** The next call of `method` rejects with `error` (after being recorded). */
  failNext(method: Method, error: unknown): void {
    this.#failures.set(method, error);
  }

  /** Calls of `method` never finish on their own: they reject when the caller's signal aborts. */
  hang(method: Method): void {
    this.#hanging.add(method);
  }

  emit(event: ReplicaEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  readiness(): Readiness {
    return this.ready;
  }

  async diskCreate(request: DiskCreate, options?: Options): Promise<DiskInfo> {
    await this.#enter('diskCreate', [request], options);
    const existing = this.#disks.get(request.name);
    if (existing) {
      if (existing.path !== request.path) throw new ConductorError('DISK_EXISTS', `disk ${request.name} exists on ${existing.path}, not ${request.path}`);
      return existing;
    }
    const cluster = request.clusterSizeBytes ?? MiB;
    const disk: DiskInfo = {
      name: request.name,
      kind: request.kind ?? 'aio',
      path: request.path,
      bdevName: `d.${request.name}`,
      lvstoreName: `lvs.${request.name}`,
      lvstoreUuid: '6f1b2c3d-0000-4000-8000-000000000001',
      clusterSizeBytes: cluster,
      blockSize: request.blockSize ?? 4096,
      totalBytes: 1024 * cluster,
      freeBytes: 1024 * cluster,
      allocatedBytes: 0,
      replicaCount: 0,
      adopted: false,
    };
    this.#disks.set(disk.name, disk);
    return disk;
  }

  async diskGet(name: string, options?: Options): Promise<DiskInfo> {
    await this.#enter('diskGet', [name], options);
    return this.#disk(name);
  }

  async diskList(options?: Options): Promise<DiskInfo[]> {
    await this.#enter('diskList', [], options);
    return [...this.#disks.values()];
  }

  async diskDelete(name: string, wipe: boolean, options?: Options): Promise<DeleteOutcome> {
    await this.#enter('diskDelete', [name, wipe], options);
    const onIt = [...this.#replicas.values()].filter((r) => r.diskName === name);
    if (onIt.length > 0 && !wipe) {
      throw new ConductorError('DISK_IN_USE', `disk ${name} holds ${onIt.length} replicas; delete them first or pass wipe`);
    }
    for (const replica of onIt) this.#dropReplica(replica.name);
    return this.#disks.delete(name) ? 'deleted' : 'already-absent';
  }

  async replicaCreate(name: string, diskName: string, sizeBytes: number, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaCreate', [name, diskName, sizeBytes], options);
    const existing = this.#replicas.get(name);
    if (existing) {
      if (existing.diskName !== diskName || existing.sizeBytes !== sizeBytes) {
        throw new ConductorError('REPLICA_EXISTS', `replica ${name} exists with ${existing.sizeBytes} bytes on disk ${existing.diskName}`);
      }
      return existing;
    }
    const disk = this.#disk(diskName);
    if (sizeBytes % disk.clusterSizeBytes !== 0) throw new ConductorError('INVALID_SIZE', `size_bytes must be a multiple of ${disk.clusterSizeBytes}`);
    if (sizeBytes > disk.freeBytes) throw new ConductorError('DISK_FULL', `disk ${diskName} has ${disk.freeBytes} bytes free`);
    const replica: ReplicaInfo = {
      name,
      diskName,
      sizeBytes,
      lvolUuid: '7a2b3c4d-0000-4000-8000-000000000002',
      lvolAlias: `lvs.${diskName}/r.${name}`,
      allocatedBytes: 0,
      export: undefined,
      headParent: undefined,
      snapshotCount: 0,
    };
    this.#replicas.set(name, replica);
    this.#disks.set(diskName, { ...disk, replicaCount: disk.replicaCount + 1 });
    this.emit({ type: 'added', replica, reason: 'created' });
    return replica;
  }

  async replicaGet(name: string, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaGet', [name], options);
    return this.#replica(name);
  }

  async replicaList(diskName: string | undefined, options?: Options): Promise<ReplicaInfo[]> {
    await this.#enter('replicaList', [diskName], options);
    return [...this.#replicas.values()].filter((r) => diskName === undefined || r.diskName === diskName);
  }

  async replicaExpand(name: string, sizeBytes: number, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaExpand', [name, sizeBytes], options);
    const replica = this.#replica(name);
    if (sizeBytes < replica.sizeBytes) throw new ConductorError('INVALID_SIZE', `replica ${name} is ${replica.sizeBytes} bytes; shrinking is refused`);
    return this.#update(name, { sizeBytes }, 'expanded');
  }

  async replicaDelete(name: string, options?: Options): Promise<DeleteOutcome> {
    await this.#enter('replicaDelete', [name], options);
    return this.#dropReplica(name) ? 'deleted' : 'already-absent';
  }

  async replicaExpose(name: string, hostNqns: string[], options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaExpose', [name, hostNqns], options);
    this.#replica(name);
    const exported = {
      nqn: `nqn.2024-11.io.spdk-conductor:replica:${name}`,
      address: '10.0.0.5',
      port: 4420,
      hostNqns: [...hostNqns],
      namespaceUuid: '8b3c4d5e-0000-4000-8000-000000000003',
      namespaceNguid: '8B3C4D5E000040008000000000000003',
    };
    return this.#update(name, { export: exported }, 'exposed');
  }

  /** A linked clone only: the fake has no data to copy, and a clone owes its snapshot's size. */
  async replicaClone(request: CloneRequest, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaClone', [request], options);
    const source = this.#replica(request.sourceReplica);
    const snapshot = (this.#snapshots.get(request.sourceReplica) ?? []).find((s) => s.name === request.snapshot);
    if (!snapshot) throw new ConductorError('SNAPSHOT_NOT_FOUND', `snapshot ${request.snapshot} of replica ${request.sourceReplica} does not exist`);
    return this.replicaCreate(request.name, source.diskName, snapshot.sizeBytes, options);
  }

  async replicaUnexpose(name: string, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('replicaUnexpose', [name], options);
    this.#replica(name);
    return this.#update(name, { export: undefined }, 'unexposed');
  }

  replicaWatch(listener: (event: ReplicaEvent) => void): () => void {
    this.calls.push({ method: 'replicaWatch', args: [], options: undefined });
    for (const replica of this.#replicas.values()) listener({ type: 'added', replica, reason: 'initial list' });
    listener({ type: 'synced', replica: undefined, reason: 'initial list complete' });
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async snapshotCreate(request: SnapshotCreate, options?: Options): Promise<SnapshotInfo> {
    await this.#enter('snapshotCreate', [request], options);
    this.#replica(request.replicaName);
    const chain = this.#snapshots.get(request.replicaName) ?? [];
    const existing = chain.find((s) => s.name === request.name);
    if (existing) return existing;
    const previous = chain.at(-1);
    if (previous) previous.children = [request.name];
    const snapshot: SnapshotInfo = {
      name: request.name,
      replicaName: request.replicaName,
      createdAt: new Date('2025-01-02T03:04:05.678Z'),
      labels: { ...(request.labels ?? {}) },
      parent: previous?.name,
      children: [''],
      sizeBytes: this.#replica(request.replicaName).sizeBytes,
      allocatedBytes: 0,
      userCreated: request.userCreated ?? true,
    };
    this.#snapshots.set(request.replicaName, [...chain, snapshot]);
    this.#update(request.replicaName, { snapshotCount: chain.length + 1, headParent: request.name }, 'snapshot taken');
    return snapshot;
  }

  async snapshotList(replicaName: string, options?: Options): Promise<SnapshotInfo[]> {
    await this.#enter('snapshotList', [replicaName], options);
    this.#replica(replicaName);
    return this.#snapshots.get(replicaName) ?? [];
  }

  async snapshotDelete(replicaName: string, name: string, options?: Options): Promise<DeleteOutcome> {
    await this.#enter('snapshotDelete', [replicaName, name], options);
    this.#replica(replicaName);
    const chain = this.#snapshots.get(replicaName) ?? [];
    const left = chain.filter((s) => s.name !== name);
    this.#snapshots.set(replicaName, left);
    return left.length < chain.length ? 'deleted' : 'already-absent';
  }

  async snapshotRevert(replicaName: string, name: string, options?: Options): Promise<ReplicaInfo> {
    await this.#enter('snapshotRevert', [replicaName, name], options);
    const replica = this.#replica(replicaName);
    if (!(this.#snapshots.get(replicaName) ?? []).some((s) => s.name === name)) {
      throw new ConductorError('SNAPSHOT_NOT_FOUND', `snapshot ${name} of replica ${replicaName} not found`);
    }
    if (replica.export) throw new ConductorError('REPLICA_EXPOSED', `replica ${replicaName} is exposed; unexpose it before reverting`);
    return this.#update(replicaName, { headParent: name }, 'reverted');
  }

  /** Raw spdk calls the fake answered, for tests to check what was sent. */
  readonly spdkCalls: { method: string; params: object | undefined; allowMutating: boolean }[] = [];

  async spdkInfo(options?: Options): Promise<SpdkInfo> {
    await this.#enter('spdkInfo', [], options);
    return { version: 'SPDK v26.05', simulator: { name: 'spdk-conductor-sim', version: '0.1.0' }, methods: ['bdev_get_bdevs', 'bdev_malloc_create', 'spdk_get_version'] };
  }

  async spdkCall(method: string, params: object | undefined, allowMutating: boolean, options?: Options): Promise<unknown> {
    await this.#enter('spdkCall', [method, params, allowMutating], options);
    if (!onlyReads(method) && !allowMutating) throw new ConductorError('SPDK_CALL_MUTATING', `${method} may change spdk_tgt's state; pass allow_mutating`);
    this.spdkCalls.push({ method, params, allowMutating });
    return method === 'spdk_get_version' ? { version: 'SPDK v26.05', fields: { major: 26, minor: 5, patch: 0, suffix: '' } } : { method, params: params ?? null };
  }

  async nodeInfo(options?: Options): Promise<NodeInfo> {
    await this.#enter('nodeInfo', [], options);
    return {
      hostNqn: 'nqn.2024-11.io.spdk-conductor:engine:fake-node',
      spdkVersion: 'SPDK v26.05',
      simulator: true,
      shallowCopy: true,
      exportAddress: '10.0.0.9',
      version: '0.1.0',
      maxSubsystems: 2048,
      maxSubsystemsSource: 'spdk_tgt',
      reactorMode: 'polling',
    };
  }

  /** Reports a wait for a backup's copy of the snapshot, two steps of progress, then completes; the signal aborts it between steps. */
  async snapshotShallowCopy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (p: ShallowCopyProgress) => void, options?: Options): Promise<ShallowCopyProgress> {
    await this.#enter('snapshotShallowCopy', [replicaName, snapshot, target], options);
    const step = (copiedClusters: number, state: ShallowCopyProgress['state']): ShallowCopyProgress => ({ state, copiedClusters, totalClusters: 4, clusterSizeBytes: 1024 * 1024 });
    onProgress({ ...step(0, 'in progress'), totalClusters: 0, waitingFor: { holder: 'backup bk-1', copiedClusters: 1, totalClusters: 3 } });
    onProgress(step(2, 'in progress'));
    options?.signal?.throwIfAborted();
    const done = step(4, 'complete');
    onProgress(done);
    return done;
  }

  async snapshotPurge(replicaName: string, options?: Options): Promise<string[]> {
    await this.#enter('snapshotPurge', [replicaName], options);
    this.#replica(replicaName);
    const chain = this.#snapshots.get(replicaName) ?? [];
    this.#snapshots.set(
      replicaName,
      chain.filter((s) => s.userCreated),
    );
    return chain.filter((s) => !s.userCreated).map((s) => s.name);
  }

  engineCreate(request: EngineCreate, options?: Options): Promise<EngineInfo> {
    return this.engines.engineCreate(request, options);
  }

  engineGet(name: string, options?: Options): Promise<EngineInfo> {
    return this.engines.engineGet(name, options);
  }

  engineList(options?: Options): Promise<EngineInfo[]> {
    return this.engines.engineList(options);
  }

  engineRepair(name: string, options?: Options): ReturnType<EngineDomain['engineRepair']> {
    return this.engines.engineRepair(name, options);
  }

  engineExpand(name: string, sizeBytes: number, options?: Options): Promise<EngineInfo> {
    return this.engines.engineExpand(name, sizeBytes, options);
  }

  engineSnapshotRevert(request: Parameters<EngineDomain['engineSnapshotRevert']>[0], options?: Options): Promise<EngineInfo> {
    return this.engines.engineSnapshotRevert(request, options);
  }

  engineQosSet(name: string, limits: Parameters<EngineDomain['engineQosSet']>[1], options?: Options): ReturnType<EngineDomain['engineQosSet']> {
    return this.engines.engineQosSet(name, limits, options);
  }

  engineDelete(name: string, options?: Options): Promise<DeleteOutcome> {
    return this.engines.engineDelete(name, options);
  }

  engineReplicaRemove(name: string, replica: string, options?: Options): Promise<EngineInfo> {
    return this.engines.engineReplicaRemove(name, replica, options);
  }

  engineReplicaAdd(name: string, replica: EngineReplicaSpec, options?: Options): Promise<EngineInfo> {
    return this.engines.engineReplicaAdd(name, replica, options);
  }

  rebuildList(engine: string | undefined): Promise<RebuildInfo[]> {
    return this.engines.rebuildList(engine);
  }

  rebuildGet(engine: string, replica: string): Promise<RebuildInfo> {
    return this.engines.rebuildGet(engine, replica);
  }

  rebuildCancel(engine: string, replica: string, options?: Options): Promise<RebuildInfo> {
    return this.engines.rebuildCancel(engine, replica, options);
  }

  engineSnapshotCreate(request: VolumeSnapshotCreate, options?: Options): Promise<VolumeSnapshotInfo> {
    return this.engines.engineSnapshotCreate(request, options);
  }

  engineSnapshotList(engine: string): Promise<VolumeSnapshotInfo[]> {
    return this.engines.engineSnapshotList(engine);
  }

  engineSnapshotDelete(engine: string, name: string, options?: Options): Promise<void> {
    return this.engines.engineSnapshotDelete(engine, name, options);
  }

  engineWatch(listener: (event: EngineEvent) => void): () => void {
    this.calls.push({ method: 'engineWatch', args: [], options: undefined });
    return this.engines.engineWatch(listener);
  }

  async #enter(method: Method, args: unknown[], options: Options): Promise<void> {
    this.calls.push({ method, args, options });
    const failure = this.#failures.get(method);
    if (failure !== undefined) {
      this.#failures.delete(method);
      throw failure;
    }
    if (this.#hanging.has(method)) {
      await new Promise<never>((_resolve, reject) => {
        const signal = options?.signal;
        if (!signal) return;
        const abort = (): void => reject(new SpdkTransportError('aborted', `${method} aborted by the caller`));
        if (signal.aborted) abort();
        else signal.addEventListener('abort', abort, { once: true });
      });
    }
  }

  #disk(name: string): DiskInfo {
    const disk = this.#disks.get(name);
    if (!disk) throw new ConductorError('DISK_NOT_FOUND', `disk ${name} not found; list disks to see what exists`);
    return disk;
  }

  #replica(name: string): ReplicaInfo {
    const replica = this.#replicas.get(name);
    if (!replica) throw new ConductorError('REPLICA_NOT_FOUND', `replica ${name} not found; list replicas to see what exists`);
    return replica;
  }

  #update(name: string, change: Partial<ReplicaInfo>, reason: string): ReplicaInfo {
    const replica = { ...this.#replica(name), ...change };
    this.#replicas.set(name, replica);
    this.emit({ type: 'modified', replica, reason });
    return replica;
  }

  #dropReplica(name: string): boolean {
    const replica = this.#replicas.get(name);
    if (!replica) return false;
    this.#replicas.delete(name);
    this.#snapshots.delete(name);
    const disk = this.#disks.get(replica.diskName);
    if (disk) this.#disks.set(disk.name, { ...disk, replicaCount: disk.replicaCount - 1 });
    this.emit({ type: 'deleted', replica, reason: 'deleted' });
    return true;
  }
}
