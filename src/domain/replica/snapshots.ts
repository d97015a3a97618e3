/**
 * Snapshots of a replica: SPDK lvol snapshots named s.<snapshot>.<owner tag>, with their creation
 * time, labels and origin kept in the state file (spdk_tgt has nowhere to keep them). Metadata is
 * written before the snapshot is made, so a crash can leave metadata without a snapshot (dropped
 * at restart) but never a snapshot without its metadata.
 */
import { ConductorError, SpdkRpcError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { LvolRecord } from '../node/inventory.js';
import type { DeleteOutcome, ReplicaInfo, SnapshotCreate, SnapshotInfo } from '../model.js';
import { alias, checkName, headLvolName, namespaceIds, revertLvolName, snapshotLvolName } from '../node/naming.js';
import type { Replicas } from './replicas.js';
import type { ReplicaUsage } from './usage.js';
import { labelsProblem } from '../../validation/labels.js';
import { ResumePacing, resumeEach } from '../node/resume-pacing.js';
import { deleteQuietly, existsVerdict, isGone, translate } from '../node/spdk-verdicts.js';

export class Snapshots {
  /** Deletes waiting for the copy that reads the snapshot to end (replica/snapshot). */
  private readonly deferred = new Set<string>();

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'events' | 'log' | 'copyHolds'>,
    private readonly replicas: Replicas,
    private readonly usage: ReplicaUsage,
  ) {}

  /** Waits between the engine monitor's tries of a replica revert that failed half-way. */
  private readonly revertPacing = new ResumePacing();

  async create(request: SnapshotCreate, options?: CallOptions): Promise<SnapshotInfo> {
    const replica = checkName('replica', request.replicaName);
    const name = checkName('snapshot', request.name);
    const labels = checkLabels(request.labels ?? {});
    const userCreated = request.userCreated ?? true;
    return this.ctx.locks.with(`replica:${replica}`, async () => {
      const head = this.replicas.head(replica);
      const lvolName = snapshotLvolName(replica, name);
      const existing = this.ctx.inventory.lvol(head.disk, lvolName);
      if (existing) {
        const meta = this.ctx.state.snapshotMeta(replica, name);
        if (meta?.deletePending) throw this.deletePending(replica, name, existing);
        if (meta && JSON.stringify(meta.labels) !== JSON.stringify(labels)) {
          throw new ConductorError('SNAPSHOT_EXISTS', `snapshot ${name} of ${replica} exists with other labels`);
        }
        return this.info(replica, existing);
      }
      await this.ctx.state.setSnapshotMeta(replica, name, { createdAt: new Date().toISOString(), labels, userCreated });
      try {
        await this.ctx.spdk.lvol.snapshot({ lvol_name: alias(head.disk, head.name), snapshot_name: lvolName }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error) !== 'exists') {
          await this.ctx.state.dropSnapshotMeta(replica, [name]);
          throw translate(error, `snapshot ${name} of ${replica}`);
        }
      }
      await this.ctx.inventory.reread(this.ctx, head.disk, [lvolName, head.name, ...(head.parent ? [head.parent] : [])], options);
      const made = this.ctx.inventory.lvol(head.disk, lvolName);
      if (!made) throw new ConductorError('SPDK_INCONSISTENT', `snapshot ${lvolName} was made but spdk_tgt does not list it`);
      this.ctx.log.info({ replica, snapshot: name, userCreated }, 'snapshot created');
      this.ctx.events.emit('modified', this.replicas.info(this.replicas.head(replica)), `snapshot ${name} created`);
      return this.info(replica, made);
    });
  }

  list(replicaName: string): SnapshotInfo[] {
    const replica = checkName('replica', replicaName);
    this.replicas.head(replica);
    return this.replicas.chainOf(replica).map((s) => this.info(replica, s));
  }

  async delete(replicaName: string, name: string, options?: CallOptions): Promise<DeleteOutcome> {
    const replica = checkName('replica', replicaName);
    checkName('snapshot', name);
    return this.ctx.locks.with(`replica:${replica}`, async () => {
      const head = this.replicas.head(replica);
      const lvolName = snapshotLvolName(replica, name);
      const snapshot = this.ctx.inventory.lvol(head.disk, lvolName);
      if (!snapshot) {
        await this.ctx.state.dropSnapshotMeta(replica, [name]);
        return 'already-absent';
      }
      if (snapshot.clones.length > 1) {
        throw new ConductorError(
          'SNAPSHOT_HAS_CHILDREN',
          `snapshot ${name} has ${snapshot.clones.length} children (${snapshot.clones.join(', ')}); SPDK can merge a snapshot only into a single child`,
        );
      }
      // A shallow copy of this snapshot, or of its only child (a delete merges into it), locks
      // the blob it reads until the copy ends, and nothing stops the copy: a delete now would be
      // refused -32603 EBUSY with the snapshot half-deleted (copy-holds.ts). The delete is taken
      // (recorded first, so a restart finishes it) and done when the copy ends; the backup reading
      // it finishes from its staged copy.
      const held = this.ctx.copyHolds.of(head.disk, lvolName) ?? (snapshot.clones.length === 1 ? this.ctx.copyHolds.of(head.disk, snapshot.clones[0]!) : undefined);
      if (held) {
        const meta = this.ctx.state.snapshotMeta(replica, name);
        await this.ctx.state.setSnapshotMeta(replica, name, {
          createdAt: meta?.createdAt ?? new Date().toISOString(),
          labels: meta?.labels ?? {},
          userCreated: meta?.userCreated ?? true,
          deletePending: true,
        });
        this.deferDelete(replica, name, held.ended);
        this.ctx.log.info({ replica, snapshot: name, reader: held.holder }, 'snapshot delete taken; spdk_tgt deletes it once the copy reading it ends');
        this.ctx.events.emit('modified', this.replicas.info(head), `snapshot ${name} deleted (removed once ${held.holder}'s copy of it ends)`);
        return 'deleted';
      }
      try {
        await this.ctx.spdk.lvol.delete({ name: alias(head.disk, lvolName) }, options);
      } catch (error) {
        if (!isGone(this.ctx, error)) {
          if (error instanceof SpdkRpcError && /Operation not permitted/.test(error.rpcMessage)) {
            throw new ConductorError('SNAPSHOT_HAS_CHILDREN', `spdk_tgt refused to delete snapshot ${name} (${error.rpcMessage}): it has more than one child`);
          }
          throw translate(error, `delete snapshot ${name}`);
        }
      }
      this.ctx.inventory.dropLvol(head.disk, lvolName);
      // The merge moved the child onto the snapshot's parent: read both back.
      await this.ctx.inventory.reread(this.ctx, head.disk, [...snapshot.clones, ...(snapshot.parent ? [snapshot.parent] : [])], options);
      await this.ctx.state.dropSnapshotMeta(replica, [name]);
      this.ctx.log.info({ replica, snapshot: name }, 'snapshot deleted');
      this.ctx.events.emit('modified', this.replicas.info(this.replicas.head(replica)), `snapshot ${name} deleted`);
      return 'deleted';
    });
  }

  /**
   * A create of a name whose delete was taken while a copy reads it (still in spdk_tgt until the
   * copy ends): refused, nothing changed. Answering the old snapshot would hand the caller one
   * about to go; making another of its name is impossible until it is gone (spdk_tgt names are
   * unique, and on v26.05 a half-deleted snapshot's name clashes at the next lvstore load).
   */
  private deletePending(replica: string, name: string, lvol: LvolRecord): ConductorError {
    const held = this.ctx.copyHolds.of(lvol.disk, lvol.name) ?? (lvol.clones.length === 1 ? this.ctx.copyHolds.of(lvol.disk, lvol.clones[0]!) : undefined);
    const progress = held?.progress && held.progress.total > 0 ? ` (${held.progress.copied} of ${held.progress.total} clusters copied)` : '';
    const when = held
      ? `spdk_tgt deletes it once ${held.holder}'s copy${progress} ends`
      : 'its delete is recorded and finishes when the copy that read it is seen to end (at the latest at the next start)';
    return new ConductorError('SNAPSHOT_DELETE_PENDING', `snapshot ${name} of ${replica} is being deleted: ${when}; create it after that or choose another name; nothing was changed`, {
      field: 'name',
    });
  }

  /** Runs a taken delete once `ended` (again deferred if another copy reads the snapshot by then). */
  private deferDelete(replica: string, name: string, ended: Promise<void>): void {
    const key = `${replica}/${name}`;
    if (this.deferred.has(key)) return;
    this.deferred.add(key);
    void ended
      .then(() => {
        this.deferred.delete(key);
        return this.delete(replica, name);
      })
      .catch((error: unknown) => {
        this.deferred.delete(key);
        // Left recorded (deletePending): the next start deletes it.
        this.ctx.log.error({ replica, snapshot: name, err: (error as Error).message }, 'a taken snapshot delete failed; the next start retries it');
      });
  }

  /**
   * Refused while a host is connected to the replica's export (whatever `force` says), and while
   * an engine uses it unless `force`. An exposed replica with no host connected (an engine
   * reverting its volume detached its controller first) keeps its export: the namespace leaves
   * the old head and is added back, with the same nsid, uuid and nguid, on the reverted one.
   */
  async revert(replicaName: string, name: string, options?: CallOptions, force = false): Promise<ReplicaInfo> {
    const replica = checkName('replica', replicaName);
    checkName('snapshot', name);
    return this.ctx.locks.with(`replica:${replica}`, async () => {
      const head = this.replicas.head(replica);
      const exported = this.ctx.inventory.exports.get(replica);
      if (exported) {
        const hosts = await this.usage.connectedHosts(replica, options);
        if (hosts.length > 0) {
          throw new ConductorError(
            'REPLICA_EXPOSED',
            `replica ${replica} is exposed and host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')} connected; its data would change under them: disconnect them (or unexpose it) before reverting`,
            {
              hosts,
            },
          );
        }
      }
      const snapshot = this.ctx.inventory.lvol(head.disk, snapshotLvolName(replica, name));
      if (!snapshot) throw new ConductorError('SNAPSHOT_NOT_FOUND', `snapshot ${name} of replica ${replica} does not exist`);
      await this.usage.refuseIfUsed(replica, `revert to snapshot ${name}`, force, options);
      await this.ctx.state.setIntent({ op: 'snapshot-revert', replica, disk: head.disk, snapshot: name });
      try {
        await this.ctx.spdk.lvol.clone({ snapshot_name: alias(head.disk, snapshot.name), clone_name: revertLvolName(replica) }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error) !== 'exists') {
          await this.ctx.state.clearIntent(replica);
          throw translate(error, `revert ${replica} to ${name}`);
        }
      }
      // A crash before the namespace is back leaves a subsystem without one: recovery removes it
      // and reconcile makes the recorded export again over the reverted head. A failure leaves the
      // intent, which the engine monitor finishes (finishUnfinishedReverts).
      await this.finishRevertExposed(replica, head.disk, false, options);
      const info = this.replicas.info(this.replicas.head(replica));
      this.ctx.events.emit('modified', info, `reverted to snapshot ${name}`);
      this.ctx.log.info({ replica, snapshot: name }, 'replica reverted');
      return info;
    });
  }

  /**
   * The revert's steps after the clone, with the replica's export kept: its namespace off the old
   * head, the clone in the head's place, the namespace back (same nsid and identity), and only
   * then the intent cleared, so a failure at any step leaves it for finishUnfinishedReverts.
   * `askNs`: whether the namespace is still there is asked first (the monitor's finish, after a
   * failure at any step); else it is taken as there (the call's own first try).
   */
  private async finishRevertExposed(replica: string, disk: string, askNs: boolean, options?: CallOptions): Promise<void> {
    const exported = this.ctx.inventory.exports.get(replica);
    const ns = exported?.namespace;
    let present = true;
    if (exported && ns && askNs) {
      const [subsystem] = await this.ctx.spdk.nvmf.getSubsystems({ nqn: exported.nqn }, options).catch((error: unknown) => {
        // No subsystem: reconcile makes the recorded export again, over the head as it is then.
        if (isGone(this.ctx, error)) return [];
        throw error;
      });
      present = subsystem?.namespaces?.some((n) => n.nsid === ns.nsid) ?? false;
      if (!subsystem) return this.finishRevert(replica, disk, options);
    }
    if (exported && ns && present) await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.removeNs({ nqn: exported.nqn, nsid: ns.nsid }, options));
    await this.finishRevert(replica, disk, options, !(exported && ns));
    if (exported && ns) {
      const ids = namespaceIds('replica', replica);
      await this.ctx.spdk.nvmf.addNs({ nqn: exported.nqn, namespace: { nsid: ns.nsid, bdev_name: alias(disk, headLvolName(replica)), uuid: ids.uuid, nguid: ids.nguid } }, options);
      await this.ctx.state.clearIntent(replica);
      this.ctx.log.info({ replica, nqn: exported.nqn }, 'namespace back on the reverted head; the export is unchanged');
    }
  }

  /**
   * Finishes every recorded replica revert no call is on (the engine monitor's pass; `paced`: only
   * those whose wait after a failed try is over): a revert that failed after its clone was made
   * would otherwise leave the replica without its head (and its export without a namespace) until
   * the next start. Never throws.
   */
  async finishUnfinishedReverts(paced: boolean, options?: CallOptions): Promise<void> {
    const unfinished = this.ctx.state
      .intents()
      .filter((i) => i.op === 'snapshot-revert')
      .map((i) => ({ name: i.replica, detail: { disk: i.disk, snapshot: i.snapshot } }));
    await resumeEach(this.ctx.log, this.revertPacing, { kind: 'replica', what: 'revert', orOperator: 'a restart' }, unfinished, paced, (replica) =>
      this.ctx.locks.with(`replica:${replica}`, async () => {
        const intent = this.ctx.state.intentOf(replica);
        if (intent?.op !== 'snapshot-revert') return;
        await this.finishRevertExposed(replica, intent.disk, true, options);
        this.ctx.log.info({ replica }, 'an unfinished replica revert finished by the engine monitor');
        const head = this.ctx.inventory.head(replica);
        if (head) this.ctx.events.emit('modified', this.replicas.info(head), 'revert finished by the node');
      }),
    );
  }

  /**
   * The rest of a revert once the new clone exists: the old head goes and the clone takes its
   * name. Also what recovery runs for a revert that died midway; each step is safe to repeat.
   * `clearIntent` false: the caller clears it after its own last step.
   */
  async finishRevert(replica: string, disk: string, options?: CallOptions, clearIntent = true): Promise<void> {
    const clone = alias(disk, revertLvolName(replica));
    const [cloneBdev] = await this.ctx.spdk.bdev.getBdevs({ name: clone }, options).catch((e: unknown) => {
      if (isGone(this.ctx, e)) return [];
      throw e;
    });
    const oldParent = this.ctx.inventory.lvol(disk, headLvolName(replica))?.parent;
    if (cloneBdev) {
      await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: alias(disk, headLvolName(replica)) }, options));
      await this.ctx.spdk.lvol.rename({ old_name: clone, new_name: headLvolName(replica) }, options);
    }
    if (clearIntent) await this.ctx.state.clearIntent(replica);
    this.ctx.inventory.dropLvol(disk, revertLvolName(replica));
    const newParent = (cloneBdev?.driver_specific.lvol as { base_snapshot?: string } | undefined)?.base_snapshot;
    await this.ctx.inventory.reread(this.ctx, disk, [headLvolName(replica), ...(oldParent ? [oldParent] : []), ...(newParent ? [newParent] : [])], options);
  }

  async purge(replicaName: string, options?: CallOptions): Promise<string[]> {
    const replica = checkName('replica', replicaName);
    const deleted: string[] = [];
    for (;;) {
      // System snapshots with at most one child can go (merging into it); repeat until none can.
      const next = this.replicas.chainOf(replica).find((s) => {
        const meta = this.ctx.state.snapshotMeta(replica, snapshotName(s));
        return meta !== undefined && !meta.userCreated && s.clones.length <= 1;
      });
      if (!next) return deleted;
      await this.delete(replica, snapshotName(next), options);
      deleted.push(snapshotName(next));
    }
  }

  private info(replica: string, lvol: LvolRecord): SnapshotInfo {
    const name = snapshotName(lvol);
    const meta = this.ctx.state.snapshotMeta(replica, name);
    const disk = this.ctx.inventory.disks.get(lvol.disk);
    const parent = lvol.parent ? this.ctx.inventory.lvol(lvol.disk, lvol.parent) : undefined;
    return {
      name,
      replicaName: replica,
      createdAt: meta ? new Date(meta.createdAt) : new Date(0),
      labels: meta?.labels ?? {},
      parent: parent?.role?.role === 'snapshot' ? parent.role.snapshot : undefined,
      children: lvol.clones.map((c) => {
        const child = this.ctx.inventory.lvol(lvol.disk, c);
        return child?.role?.role === 'snapshot' ? child.role.snapshot : '';
      }),
      sizeBytes: lvol.sizeBytes,
      allocatedBytes: lvol.allocatedClusters * (disk?.clusterSize ?? 0),
      userCreated: meta?.userCreated ?? true,
      ...(meta?.deletePending ? { deletePending: true } : {}),
    };
  }
}

function snapshotName(lvol: LvolRecord): string {
  return lvol.role?.role === 'snapshot' ? lvol.role.snapshot : lvol.name;
}

function checkLabels(labels: Record<string, string>): Record<string, string> {
  const problem = labelsProblem(labels);
  if (problem) throw new ConductorError('INVALID_LABELS', problem, { field: 'labels' });
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
