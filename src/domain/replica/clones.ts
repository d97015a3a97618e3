/**
 * Clones: a new replica from a snapshot.
 *
 * - linked: `bdev_lvol_clone` of the snapshot, named as the new replica's head, on the snapshot's
 *   lvstore. Instant; it reads through to the snapshot, which then cannot be deleted while it lives.
 * - full, here: the clone made under the restore prefix (`b.<name>`), inflated so that it owns
 *   every cluster, then renamed to the replica's head: the replica appears whole or not at all,
 *   and a clone that died is swept at start with the restores' leftovers.
 * - full, from another node: a replica made on a disk here, exposed to the source node, which
 *   shallow-copies the snapshot's chain into it oldest first (the copy rebuilds and backups use),
 *   then unexposed. Recorded as a replica to delete until it is whole, so recovery removes a copy
 *   that died.
 *
 * Every clone made is recorded in the state file as a fresh clone (StateFile.recordClone) until an
 * engine uses it or it is exported: it still holds its snapshot's first cluster, where the source
 * volume's raid superblock lies, and only such a replica may have that cleared for an engine
 * (engine/stale-superblock.ts). A clone whose record was lost to a crash is simply not cleared.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { CloneProgress, ExposeMode, ReplicaInfo } from '../model.js';
import type { DomainContext } from '../node/context.js';
import { alias, checkName, headLvolName, restoreLvolName, snapshotLvolName } from '../node/naming.js';
import { deleteQuietly, existsVerdict, translate } from '../node/spdk-verdicts.js';
import type { PeerDirectory } from '../peers.js';
import { apiAddressProblem } from '../../validation/network.js';
import type { Replicas } from './replicas.js';

export type CloneMode = 'linked' | 'full';

export interface CloneRequest {
  name: string;
  sourceReplica: string;
  snapshot: string;
  mode: CloneMode;
  /** Full from another node: the disk here. */
  diskName?: string;
  /** Full from another node: its API address. */
  sourceApiAddress?: string;
}

/** What a clone from another node does on this node: the operations a caller would call. */
export interface CloneNode {
  replicaCreate(name: string, diskName: string, sizeBytes: number, options?: CallOptions): Promise<ReplicaInfo>;
  replicaExpose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode): Promise<ReplicaInfo>;
  replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo>;
  replicaDelete(name: string, options?: CallOptions, force?: boolean): Promise<unknown>;
}

type ClonesContext = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'events' | 'log'>;

/** A progress event at most every this many percent (and at each snapshot's end). */
const PROGRESS_STEP_PERCENT = 10;

export class Clones {
  /** Full clones in flight, by the new replica's name: what ReplicaGet and ReplicaWatch show. */
  private readonly running = new Map<string, CloneProgress>();

  constructor(
    private readonly ctx: ClonesContext,
    private readonly replicas: Replicas,
    private readonly node: CloneNode,
    private readonly peers: PeerDirectory,
  ) {}

  /** The full clone filling `replica`, if one runs. */
  progress(replica: string): CloneProgress | undefined {
    const progress = this.running.get(replica);
    return progress && { ...progress };
  }

  clone(request: CloneRequest, options?: CallOptions): Promise<ReplicaInfo> {
    const name = checkName('replica', request.name);
    const source = checkName('replica', request.sourceReplica);
    const snapshot = checkName('snapshot', request.snapshot);
    if (request.mode !== 'linked' && request.mode !== 'full') throw new ConductorError('INVALID_ARGUMENT', `mode must be linked or full, got ${String(request.mode)}`, { field: 'mode' });
    if (request.sourceApiAddress !== undefined) {
      const problem = apiAddressProblem(request.sourceApiAddress);
      if (problem) throw new ConductorError('INVALID_ADDRESS', `source_api_address: ${problem}`, { field: 'source_api_address' });
      if (request.mode !== 'full') throw new ConductorError('INVALID_ARGUMENT', "a clone from another node is full: a linked clone lives on its snapshot's lvstore", { field: 'mode' });
      if (!request.diskName) throw new ConductorError('INVALID_ARGUMENT', 'a clone from another node needs disk_name, the disk here that takes it', { field: 'disk_name' });
      return this.fromPeer(name, checkName('disk', request.diskName), source, snapshot, request.sourceApiAddress, options);
    }
    if (request.diskName) throw new ConductorError('INVALID_ARGUMENT', "a clone on this node is made on its snapshot's disk: leave disk_name empty", { field: 'disk_name' });
    return request.mode === 'linked' ? this.linked(name, source, snapshot, options) : this.full(name, source, snapshot, options);
  }

  private linked(name: string, source: string, snapshot: string, options?: CallOptions): Promise<ReplicaInfo> {
    return this.ctx.locks.with(`replica:${source}`, async () => {
      const { disk, snap } = this.snapshotOf(source, snapshot);
      const existing = this.ctx.inventory.head(name);
      if (existing) {
        if (existing.disk === disk && existing.parent === snap.name) return this.replicas.info(existing);
        throw new ConductorError('REPLICA_EXISTS', `replica ${name} exists and is not a linked clone of ${source}'s snapshot ${snapshot}`);
      }
      try {
        await this.ctx.spdk.lvol.clone({ snapshot_name: alias(disk, snap.name), clone_name: headLvolName(name) }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error) !== 'exists') throw translate(error, `linked clone ${name} of ${source}/${snapshot}`);
      }
      return this.made(name, disk, [snap.name], 'linked', source, snapshot, options);
    });
  }

  private async full(name: string, source: string, snapshot: string, options?: CallOptions): Promise<ReplicaInfo> {
    const found = await this.ctx.locks.with(`replica:${source}`, async () => {
      const found = this.snapshotOf(source, snapshot);
      if (this.sameFullClone(name, found.disk, found.snap.sizeBytes)) return undefined;
      const work = restoreLvolName(name);
      try {
        await this.ctx.spdk.lvol.clone({ snapshot_name: alias(found.disk, found.snap.name), clone_name: work }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error) !== 'exists') throw translate(error, `full clone ${name} of ${source}/${snapshot}`);
      }
      return found;
    });
    if (!found) return this.replicas.info(this.replicas.head(name));
    const { disk, snap } = found;
    const work = alias(disk, restoreLvolName(name));
    return this.ctx.locks.with(`replica:${name}`, async () => {
      try {
        // spdk_tgt reports no progress for an inflate: it is done when the call answers.
        this.running.set(name, { sourceReplica: source, snapshot, phase: 'inflating', bytesDone: 0, bytesTotal: snap.sizeBytes, step: 1, steps: 1, percent: 0 });
        this.ctx.log.info({ replica: name, source, snapshot }, 'full clone: inflating');
        await this.ctx.spdk.lvol.inflate({ name: work }, options);
        await this.ctx.spdk.lvol.rename({ old_name: work, new_name: headLvolName(name) }, options);
      } catch (error) {
        this.running.delete(name);
        await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: work })).catch((e: unknown) =>
          this.ctx.log.warn({ replica: name, err: (e as Error).message }, 'a failed full clone left its work lvol; the next start sweeps it'),
        );
        throw translate(error, `full clone ${name} of ${source}/${snapshot}`);
      }
      this.running.delete(name);
      const info = await this.made(name, disk, [snap.name], 'full', source, snapshot, options);
      return { ...info, clone: { sourceReplica: source, snapshot, phase: 'done', bytesDone: snap.sizeBytes, bytesTotal: snap.sizeBytes, step: 1, steps: 1, percent: 100 } };
    });
  }

  private async fromPeer(name: string, disk: string, source: string, snapshot: string, apiAddress: string, options?: CallOptions): Promise<ReplicaInfo> {
    const peer = this.peers.peer(apiAddress);
    const [sourceNode, chain] = await Promise.all([peer.nodeInfo(options), peer.snapshotList(source, options)]);
    if (!sourceNode.shallowCopy) throw new ConductorError('FAILED_PRECONDITION', `spdk_tgt on ${peer.where} (${sourceNode.spdkVersion}) has no bdev_lvol_start_shallow_copy`);
    const upTo = chain.findIndex((s) => s.name === snapshot);
    if (upTo < 0) throw new ConductorError('SNAPSHOT_NOT_FOUND', `replica ${source} on ${peer.where} has no snapshot ${snapshot}`);
    const copies = chain.slice(0, upTo + 1);
    const sizeBytes = copies[upTo]!.sizeBytes;
    if (this.sameFullClone(name, disk, sizeBytes)) return this.replicas.info(this.replicas.head(name));
    // Until the copy is whole the new replica is one to delete: recovery removes a copy that died.
    await this.ctx.state.setIntent({ op: 'replica-delete', replica: name, disk });
    const started = performance.now();
    try {
      await this.node.replicaCreate(name, disk, sizeBytes, options);
      const exposed = (await this.node.replicaExpose(name, [sourceNode.hostNqn], options)).export;
      if (!exposed) throw new ConductorError('SPDK_INCONSISTENT', `replica ${name} has no export after exposing it`);
      let bytes = 0;
      const progress: CloneProgress = {
        sourceReplica: source,
        snapshot,
        phase: 'copying',
        bytesDone: 0,
        bytesTotal: copies.reduce((n, s) => n + s.allocatedBytes, 0),
        step: 1,
        steps: copies.length,
        percent: 0,
      };
      this.running.set(name, progress);
      let shown = -PROGRESS_STEP_PERCENT;
      const report = (force: boolean): void => {
        progress.percent = progress.bytesTotal > 0 ? Math.min(100, Math.floor((progress.bytesDone / progress.bytesTotal) * 100)) : 0;
        if (!force && progress.percent < shown + PROGRESS_STEP_PERCENT) return;
        shown = progress.percent;
        const head = this.ctx.inventory.head(name);
        if (head) this.ctx.events.emit('modified', { ...this.replicas.info(head), clone: { ...progress } }, `full clone: ${progress.percent}% (snapshot ${progress.step} of ${progress.steps})`);
      };
      for (const [i, copy] of copies.entries()) {
        progress.step = i + 1;
        const final = await peer.snapshotShallowCopy(
          source,
          copy.name,
          { address: exposed.address, port: exposed.port, nqn: exposed.nqn },
          (p) => {
            progress.bytesDone = Math.min(progress.bytesTotal, bytes + p.copiedClusters * p.clusterSizeBytes);
            report(false);
          },
          options,
        );
        bytes += final.copiedClusters * final.clusterSizeBytes;
        progress.bytesDone = Math.min(progress.bytesTotal, bytes);
        report(true);
        this.ctx.log.info({ replica: name, source, snapshot: copy.name, step: `${i + 1}/${copies.length}`, bytes }, 'full clone: snapshot copied from the source node');
      }
      await this.node.replicaUnexpose(name, options);
      await this.ctx.state.recordClone(name, { source, snapshot, mode: 'full', createdAt: new Date().toISOString() });
      await this.ctx.state.clearIntent(name);
      this.running.delete(name);
      this.ctx.log.info({ replica: name, source, snapshot, from: peer.where, bytes, ms: Math.round(performance.now() - started) }, 'replica cloned (full, from another node)');
      return { ...this.replicas.info(this.replicas.head(name)), clone: { ...progress, phase: 'done', bytesDone: bytes, bytesTotal: Math.max(bytes, progress.bytesTotal), percent: 100 } };
    } catch (error) {
      this.running.delete(name);
      await this.node
        .replicaDelete(name, undefined, true)
        .catch((e: unknown) => this.ctx.log.warn({ replica: name, err: (e as Error).message }, 'a failed clone left its replica; recovery deletes it at the next start'));
      throw error;
    }
  }

  private snapshotOf(source: string, snapshot: string): { disk: string; snap: NonNullable<ReturnType<ClonesContext['inventory']['lvol']>> } {
    const head = this.replicas.head(source);
    const snap = this.ctx.inventory.lvol(head.disk, snapshotLvolName(source, snapshot));
    if (!snap) throw new ConductorError('SNAPSHOT_NOT_FOUND', `snapshot ${snapshot} of replica ${source} does not exist`);
    return { disk: head.disk, snap };
  }

  /**
   * Whether the full clone exists already (idempotence): a replica of that name on that disk, of
   * that size, owing nothing to a snapshot and not a copy that died. Another one is refused.
   */
  private sameFullClone(name: string, disk: string, sizeBytes: number): boolean {
    const existing = this.ctx.inventory.head(name);
    if (!existing) return false;
    if (existing.disk === disk && existing.sizeBytes === sizeBytes && !existing.parent && !this.ctx.state.intentOf(name)) return true;
    throw new ConductorError('REPLICA_EXISTS', `replica ${name} exists and is not a full clone of that size on disk ${disk}`);
  }

  private async made(name: string, disk: string, alsoRead: string[], mode: CloneMode, source: string, snapshot: string, options?: CallOptions): Promise<ReplicaInfo> {
    await this.ctx.inventory.reread(this.ctx, disk, [headLvolName(name), ...alsoRead], options);
    const head = this.ctx.inventory.head(name);
    if (!head) throw new ConductorError('SPDK_INCONSISTENT', `clone ${name} was made but spdk_tgt does not list it`);
    await this.ctx.state.recordClone(name, { source, snapshot, mode, createdAt: new Date().toISOString() });
    const info = this.replicas.info(head);
    this.ctx.events.emit('added', info, `cloned (${mode}) from ${source}/${snapshot}`);
    this.ctx.log.info({ replica: name, source, snapshot, mode }, 'replica cloned');
    return info;
  }
}
