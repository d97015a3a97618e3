/**
 * Volume snapshots: one snapshot of the same name and labels on every member of an engine that is
 * in sync, made by each member's node (this node for a local member, the peer at its api_address
 * for a remote one), all or nothing.
 *
 * spdk_tgt v26.05 cannot quiesce a volume (no nvmf_subsystem_pause, no raid quiesce RPC:
 * transcript 21), so the members are snapshotted at once and a write in flight meanwhile may land
 * in one member's snapshot and not another's. Such a volume snapshot is recorded `unverified`:
 * each member's snapshot is a crash-consistent image of that member, and nothing treats two of
 * them as identical (a rebuild's snapshot-preserving path re-copies rather than skip one; a
 * revert takes one member's and rebuilds the others from it). Only a copy (a rebuild) makes
 * members' snapshots identical, and the record says which are. docs/volume-operations.md.
 *
 * The record is written before any member is touched (`creating`) and before any is deleted
 * (`deleting`): a create that dies is undone, a delete finished, by `recover` (at start and in
 * the engine monitor's pass) or by the caller asking again. Peer calls are made outside the
 * engine's lock; one operation per volume snapshot runs at a time.
 */
import { ConductorError, isConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import { labelsProblem } from '../../validation/labels.js';
import type { EngineReplicaSpec, VolumeSnapshotInfo } from '../model.js';
import type { DomainContext } from '../node/context.js';
import { checkName } from '../node/naming.js';
import type { EngineSpec, VolumeSnapshotRecord } from '../node/state-file.js';
import type { PeerDirectory, PeerNode } from '../peers.js';
import type { EngineRecords } from './engine-records.js';
import type { EngineStatus } from './engine-status.js';
import { ResumePacing } from '../node/resume-pacing.js';

export interface VolumeSnapshotCreate {
  engine: string;
  name: string;
  labels?: Record<string, string>;
}

export class VolumeSnapshots {
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly pacing = new ResumePacing();

  constructor(
    private readonly ctx: Pick<DomainContext, 'log'>,
    private readonly records: EngineRecords,
    private readonly status: EngineStatus,
    private readonly peers: PeerDirectory,
    private readonly self: PeerNode,
  ) {}

  create(request: VolumeSnapshotCreate, options?: CallOptions): Promise<VolumeSnapshotInfo> {
    const engine = checkName('volume', request.engine);
    const name = checkName('snapshot', request.name);
    const labels = checkLabels(request.labels ?? {});
    return this.serialized(engine, name, async () => {
      const spec = this.records.required(engine);
      const existing = recordOf(spec, name);
      if (existing?.state === 'deleting') throw new ConductorError('VOLUME_SNAPSHOT_CONFLICT', `volume snapshot ${name} of ${engine} is being deleted; delete it again to finish`);
      if (existing && JSON.stringify(existing.labels) !== JSON.stringify(labels)) throw new ConductorError('SNAPSHOT_EXISTS', `volume snapshot ${name} of ${engine} exists with other labels`);
      if (existing?.state === 'ready') return infoOf(engine, name, existing);
      // A create that died is finished over the members it recorded: each member's create is idempotent.
      const members = existing ? existing.members.map((m) => memberOf(spec, m)) : await this.inSync(spec, options);
      const peers = members.map((m) => this.peerOf(engine, m));
      if (!existing) await this.refuseForeign(engine, name, members, peers, options);
      const record: VolumeSnapshotRecord = existing ?? { createdAt: new Date().toISOString(), labels, members: members.map((m) => m.name), state: 'creating', identical: [] };
      if (!existing) await this.records.edit(engine, (edit) => edit.setVolumeSnapshot(name, record));
      const started = performance.now();
      const made = await Promise.allSettled(peers.map((peer, i) => peer.snapshotCreate({ replicaName: members[i]!.name, name, labels, userCreated: true }, options)));
      const windowMs = performance.now() - started;
      const failed = made.flatMap((r, i) => (r.status === 'rejected' ? [{ member: members[i]!.name, error: r.reason as Error }] : []));
      if (failed.length > 0) {
        this.ctx.log.warn({ engine, snapshot: name, failed: failed.map((f) => ({ member: f.member, err: f.error.message })) }, 'volume snapshot failed on a member; undoing it on every member');
        await this.undo(engine, name, members, peers, options);
        const { member, error } = failed[0]!;
        throw new ConductorError(
          error instanceof ConductorError ? error.code : 'REPLICA_UNREACHABLE',
          `volume snapshot ${name} of ${engine} failed on member ${member} (${error.message}); undone on every member`,
        );
      }
      // One member's snapshot is trivially identical to itself; more were taken under possible writes.
      const ready: VolumeSnapshotRecord = { ...record, state: 'ready', identical: members.length === 1 ? [members[0]!.name] : [] };
      await this.records.edit(engine, (edit) => (edit.current ? edit.setVolumeSnapshot(name, ready) : Promise.resolve()));
      this.ctx.log.info({ engine, snapshot: name, members: ready.members, windowMs: Math.round(windowMs), consistency: consistencyOf(ready) }, 'volume snapshot created');
      return infoOf(engine, name, ready);
    });
  }

  list(engine: string): VolumeSnapshotInfo[] {
    const spec = this.records.required(checkName('volume', engine));
    return Object.entries(spec.volumeSnapshots ?? {})
      .map(([name, record]) => infoOf(spec.name, name, record))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name));
  }

  get(engine: string, name: string): VolumeSnapshotInfo {
    const spec = this.records.required(checkName('volume', engine));
    const record = recordOf(spec, checkName('snapshot', name));
    if (!record) throw notFound(engine, name);
    return infoOf(engine, name, record);
  }

  /** Deletes every member's snapshot, then the record; a missing one is already deleted. */
  delete(engine: string, name: string, options?: CallOptions): Promise<void> {
    checkName('volume', engine);
    checkName('snapshot', name);
    return this.serialized(engine, name, async () => {
      const spec = this.records.get(engine);
      const record = spec && recordOf(spec, name);
      if (!spec || !record) return;
      await this.deleteRecorded(spec, name, record, options);
    });
  }

  /** The delete's work, in the snapshot's turn: refused with nothing changed while a member's copy has a clone. */
  private async deleteRecorded(spec: EngineSpec, name: string, record: VolumeSnapshotRecord, options?: CallOptions): Promise<void> {
    const engine = spec.name;
    await this.refuseCloned(spec, name, record, options);
    await this.records.edit(engine, (edit) => edit.setVolumeSnapshot(name, { ...record, state: 'deleting' }));
    await this.deleteOnMembers(spec, name, record, options);
    await this.records.edit(engine, (edit) => (edit.current ? edit.setVolumeSnapshot(name, undefined) : Promise.resolve()));
    this.ctx.log.info({ engine, snapshot: name, members: record.members }, 'volume snapshot deleted');
  }

  /**
   * Creates that died (a crash, or a failure whose undo could not reach every member) are undone
   * on every member, deletes that died are finished: at start, and by the engine monitor's pass
   * (`paced`: only those whose wait after a failed try is over, node/resume-pacing.ts). What
   * cannot be done now (a peer away) keeps its record and is logged with when it is tried again;
   * the caller asking again finishes it too. One operation per volume snapshot runs at a time: a
   * call under way is left to finish its own, and the record is read again in the snapshot's turn.
   */
  async recover(options?: CallOptions, paced = false): Promise<{ undone: string[]; finished: string[]; left: string[] }> {
    const done = { undone: [] as string[], finished: [] as string[], left: [] as string[] };
    const unfinished = new Set<string>();
    for (const spec of this.records.all()) {
      if (!spec.volumeSnapshots) continue;
      for (const [name, record] of Object.entries(spec.volumeSnapshots)) {
        if (record.state === 'ready') continue;
        const what = `${spec.name}/${name}`;
        unfinished.add(what);
        if (this.running.has(what) || (paced && !this.pacing.due(what))) continue;
        try {
          const outcome = await this.settleLeftover(spec.name, name, options);
          if (outcome) done[outcome].push(what);
          this.pacing.clear(what);
        } catch (error) {
          const retryInMs = this.pacing.failed(what);
          this.ctx.log.warn(
            { engine: spec.name, snapshot: name, state: record.state, err: (error as Error).message, retryInMs },
            'volume snapshot left as it was; the engine monitor tries again by itself, or the caller asking again finishes it',
          );
          done.left.push(what);
        }
      }
    }
    this.pacing.retain(unfinished);
    return done;
  }

  /** In the snapshot's turn: undoes a create left `creating`, finishes a delete left `deleting`; undefined when neither is left. */
  private settleLeftover(engine: string, name: string, options?: CallOptions): Promise<'undone' | 'finished' | undefined> {
    return this.serialized(engine, name, async () => {
      const spec = this.records.get(engine);
      const record = spec && recordOf(spec, name);
      // A call finished it, or it is ready (made again after a delete) since the list was read.
      if (!spec || !record || record.state === 'ready') return undefined;
      if (record.state === 'creating') {
        const members = record.members.filter((m) => spec.replicas.some((r) => r.name === m)).map((m) => memberOf(spec, m));
        const left = await this.undo(
          engine,
          name,
          members,
          members.map((m) => this.peerOf(engine, m)),
          options,
        );
        if (left.length > 0) throw new Error(`not undone on ${left.join('; ')}`);
        return 'undone';
      }
      await this.deleteRecorded(spec, name, record, options);
      return 'finished';
    });
  }

  /** Deletes the snapshot on every member, then the record; returns the members it could not delete on (the record then stays). */
  private async undo(engine: string, name: string, members: readonly EngineReplicaSpec[], peers: readonly PeerNode[], options?: CallOptions): Promise<string[]> {
    const undone = await Promise.allSettled(peers.map((peer, i) => peer.snapshotDelete(members[i]!.name, name, options)));
    const left = undone.flatMap((r, i) => (r.status === 'rejected' ? [`${members[i]!.name}: ${(r.reason as Error).message}`] : []));
    if (left.length > 0) {
      // The record stays `creating`: recovery (or the caller's retry) undoes or finishes it.
      this.ctx.log.error({ engine, snapshot: name, left }, 'a partial volume snapshot could not be undone on every member; it stays recorded and the engine monitor undoes it');
      return left;
    }
    await this.records.edit(engine, (edit) => (edit.current ? edit.setVolumeSnapshot(name, undefined) : Promise.resolve()));
    return [];
  }

  /**
   * A member's copy of the snapshot with a clone (more than one child: SPDK cannot merge it away)
   * would refuse its delete after the other members' copies were already gone: every member is
   * asked first, through its node (a remote member's clone lives on its node), and the delete is
   * refused with nothing changed. A member that cannot be asked refuses a first delete too (a
   * delete already under way goes on: that member's own delete then answers for it).
   */
  private async refuseCloned(spec: EngineSpec, name: string, record: VolumeSnapshotRecord, options?: CallOptions): Promise<void> {
    const members = record.members.filter((m) => spec.replicas.some((r) => r.name === m));
    const lists = await Promise.allSettled(members.map((m) => this.peerOf(spec.name, memberOf(spec, m)).snapshotList(m, options)));
    const cloned: string[] = [];
    for (const [i, listed] of lists.entries()) {
      const member = members[i]!;
      if (listed.status === 'rejected') {
        if (record.state === 'deleting' || (isConductorError(listed.reason) && listed.reason.code === 'REPLICA_NOT_FOUND')) continue;
        const error = listed.reason as Error;
        throw new ConductorError(
          isConductorError(error) ? error.code : 'REPLICA_UNREACHABLE',
          `volume snapshot ${name} of ${spec.name}: member ${member} could not be asked whether a clone depends on its copy (${error.message}); nothing was deleted, retry`,
        );
      }
      const own = listed.value.find((s) => s.name === name);
      if (own && own.children.length > 1) cloned.push(`${member} (${own.children.length} children)`);
    }
    if (cloned.length > 0) {
      throw new ConductorError(
        'SNAPSHOT_HAS_CHILDREN',
        `volume snapshot ${name} of ${spec.name} is not deleted: a clone depends on the copy of member${cloned.length > 1 ? 's' : ''} ${cloned.join('; ')}; SPDK can merge a snapshot only into a single child: delete the clone first; nothing was deleted`,
      );
    }
  }

  private async deleteOnMembers(spec: EngineSpec, name: string, record: VolumeSnapshotRecord, options?: CallOptions): Promise<void> {
    const members = record.members.filter((m) => {
      const still = spec.replicas.some((r) => r.name === m);
      if (!still) this.ctx.log.warn({ engine: spec.name, snapshot: name, replica: m }, 'member left the engine: its snapshot stays with the replica');
      return still;
    });
    const results = await Promise.allSettled(members.map((m) => this.peerOf(spec.name, memberOf(spec, m)).snapshotDelete(m, name, options)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ member: members[i]!, error: r.reason as Error }] : []));
    if (failed.length > 0) {
      const [first] = failed;
      throw new ConductorError(
        first!.error instanceof ConductorError ? first!.error.code : 'REPLICA_UNREACHABLE',
        `volume snapshot ${name} of ${spec.name} is not deleted on ${failed.map((f) => `${f.member} (${f.error.message})`).join(', ')}; it stays marked deleting, delete it again`,
      );
    }
  }

  /**
   * A member that already has a snapshot of this name made it on its own: never adopted, never
   * deleted by an undo. One whose snapshot of this name is still being deleted (a copy reads it,
   * Snapshots.delete) is refused as such: the name is free once that copy ends.
   */
  private async refuseForeign(engine: string, name: string, members: readonly EngineReplicaSpec[], peers: readonly PeerNode[], options?: CallOptions): Promise<void> {
    const lists = await Promise.all(peers.map((peer, i) => peer.snapshotList(members[i]!.name, options)));
    const pending = members.filter((_, i) => lists[i]!.some((s) => s.name === name && s.deletePending === true)).map((m) => m.name);
    if (pending.length > 0) {
      throw new ConductorError(
        'SNAPSHOT_DELETE_PENDING',
        `member${pending.length > 1 ? 's' : ''} ${pending.join(', ')} of ${engine} still ha${pending.length > 1 ? 've' : 's'} a snapshot ${name} being deleted: a copy (a backup's stage or a rebuild) reads it and spdk_tgt deletes it when that copy ends (SnapshotList of the member shows it with delete_pending); create the volume snapshot after that or choose another name; nothing was changed`,
        { field: 'name' },
      );
    }
    const holders = members.filter((_, i) => lists[i]!.some((s) => s.name === name)).map((m) => m.name);
    if (holders.length > 0) {
      throw new ConductorError(
        'VOLUME_SNAPSHOT_CONFLICT',
        `replica${holders.length > 1 ? 's' : ''} ${holders.join(', ')} of ${engine} already ha${holders.length > 1 ? 've' : 's'} a snapshot ${name}; choose another name`,
      );
    }
  }

  /** The members in sync now: a member being rebuilt or failed would snapshot partial data. */
  private async inSync(spec: EngineSpec, options?: CallOptions): Promise<EngineReplicaSpec[]> {
    const info = await this.status.info(spec, options);
    const healthy = info.members.filter((m) => m.state === 'healthy').map((m) => memberOf(spec, m.name));
    if (healthy.length === 0) throw new ConductorError('MEMBER_NOT_REACHABLE_BY_API', `engine ${spec.name} has no member in sync (${info.state}: ${info.reason}); nothing to snapshot`);
    for (const m of healthy) this.peerOf(spec.name, m);
    return healthy;
  }

  private peerOf(engine: string, member: EngineReplicaSpec): PeerNode {
    if (member.kind === 'local') return this.self;
    if (!member.apiAddress) {
      throw new ConductorError('MEMBER_NOT_REACHABLE_BY_API', `member ${member.name} of ${engine} has no api_address: its node cannot be asked to snapshot it; nothing was changed`);
    }
    return this.peers.peer(member.apiAddress);
  }

  private async serialized<T>(engine: string, name: string, work: () => Promise<T>): Promise<T> {
    const key = `${engine}/${name}`;
    for (let before = this.running.get(key); before; before = this.running.get(key)) await before.catch(() => undefined);
    const run = work();
    this.running.set(key, run);
    try {
      return await run;
    } finally {
      if (this.running.get(key) === run) this.running.delete(key);
    }
  }
}

/**
 * Whether `a`'s and `b`'s snapshots `snapshot` may be taken as holding the same data: only when
 * the engine's volume snapshot record says a copy made them so. Same names prove nothing.
 */
export function recordedIdentical(spec: EngineSpec | undefined, snapshot: string, a: string, b: string): boolean {
  const record = spec && recordOf(spec, snapshot);
  return record !== undefined && record.identical.includes(a) && record.identical.includes(b);
}

/**
 * The record after a rebuild copied `source`'s snapshot to `copy`: the copy is identical to its
 * source, and a member of the volume snapshot. Undefined when `snapshot` is no volume snapshot.
 */
export function afterCopy(spec: EngineSpec, snapshot: string, source: string, copy: string): VolumeSnapshotRecord | undefined {
  const record = recordOf(spec, snapshot);
  if (!record) return undefined;
  const members = record.members.includes(copy) ? record.members : [...record.members, copy];
  const without = record.identical.filter((m) => m !== copy);
  // Only one group of identical members is recorded: a copy from outside it starts a new one.
  const identical = without.includes(source) ? [...without, copy] : [source, copy];
  return { ...record, members, identical };
}

function recordOf(spec: EngineSpec, name: string): VolumeSnapshotRecord | undefined {
  return spec.volumeSnapshots && Object.hasOwn(spec.volumeSnapshots, name) ? spec.volumeSnapshots[name] : undefined;
}

function memberOf(spec: EngineSpec, name: string): EngineReplicaSpec {
  const member = spec.replicas.find((r) => r.name === name);
  if (!member) throw new ConductorError('ENGINE_MEMBER_NOT_FOUND', `replica ${name} is no longer a member of engine ${spec.name}`);
  return member;
}

function consistencyOf(record: VolumeSnapshotRecord): VolumeSnapshotInfo['consistency'] {
  return record.members.length > 0 && record.members.every((m) => record.identical.includes(m)) ? 'identical' : 'unverified';
}

function infoOf(engine: string, name: string, record: VolumeSnapshotRecord): VolumeSnapshotInfo {
  return {
    engine,
    name,
    createdAt: new Date(record.createdAt),
    labels: { ...record.labels },
    members: [...record.members],
    state: record.state,
    consistency: consistencyOf(record),
    identical: [...record.identical],
  };
}

function notFound(engine: string, name: string): ConductorError {
  return new ConductorError('VOLUME_SNAPSHOT_NOT_FOUND', `engine ${engine} has no volume snapshot ${name}`);
}

function checkLabels(labels: Record<string, string>): Record<string, string> {
  const problem = labelsProblem(labels);
  if (problem) throw new ConductorError('INVALID_LABELS', problem, { field: 'labels' });
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
