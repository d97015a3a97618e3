/**
 * Where a backup's data comes from: a replica's snapshot (named, or taken now for the backup), or
 * an engine's volume snapshot staged through a member on this node. What it takes for a request
 * (a snapshot made for it) is released by the caller when the request is refused later.
 */
import { ConductorError } from '../../errors.js';
import type { VolumeSnapshotInfo } from '../model.js';
import type { BackupCreate, BackupNode } from './jobs-model.js';
import { BACKUP_ID_LABEL, type BackupSnapshots } from './jobs-snapshots.js';

/** The replica whose snapshot is staged, and that snapshot. */
export interface BackupSource {
  replica: string;
  snapshot: string;
}

/** A replica's backup: the snapshot named (adopted if a backup took it), or one taken now, system-made, deleted at the backup's end. */
export async function replicaSource(node: BackupNode, snapshots: BackupSnapshots, request: BackupCreate, id: string): Promise<BackupSource> {
  const replica = request.replica;
  if (replica === undefined) throw new ConductorError('INVALID_ARGUMENT', 'a backup names a replica or an engine', { field: 'replica' });
  if (request.snapshot === undefined) {
    // System-made: the backup's end deletes it (jobs-snapshots.ts).
    const made = await node.snapshotCreate({ replicaName: replica, name: id, labels: { [BACKUP_ID_LABEL]: id }, userCreated: false });
    return { replica, snapshot: made.name };
  }
  const snapshot = request.snapshot;
  if (!(await node.snapshotList(replica)).some((s) => s.name === snapshot)) {
    throw new ConductorError('SNAPSHOT_NOT_FOUND', `replica ${replica} has no snapshot ${snapshot}`, { replica, snapshot });
  }
  await snapshots.adopt(replica, snapshot, `backup ${id} names it`);
  return { replica, snapshot };
}

/**
 * An engine's volume: a volume snapshot (named, or taken now on every member in sync as
 * EngineSnapshotCreate does) staged through one member on this node: the one named, else the
 * first local member that has the snapshot. Only a local member: the data path stages through
 * this node's spdk_tgt (a member elsewhere is backed up on its own node, naming the replica and
 * the volume snapshot). Refusals change nothing: a snapshot taken for a refused request is deleted.
 */
export async function engineSource(node: BackupNode, snapshots: BackupSnapshots, request: BackupCreate, engine: string, id: string): Promise<BackupSource> {
  const members = node.engineMembers(engine);
  const names = members.map((m) => `${m.name}${m.local ? '' : ' (another node)'}`).join(', ');
  if (request.replica !== undefined) {
    const member = members.find((m) => m.name === request.replica);
    if (!member) throw new ConductorError('ENGINE_MEMBER_NOT_FOUND', `replica ${request.replica} is not a member of engine ${engine} (members: ${names})`, { engine, replica: request.replica });
    if (!member.local) {
      throw new ConductorError(
        'BACKUP_NO_LOCAL_MEMBER',
        `member ${request.replica} of engine ${engine} is on another node: back it up there (BackupCreate with replica ${request.replica} and the volume snapshot)`,
        {
          engine,
          replica: request.replica,
        },
      );
    }
  }
  const local = request.replica !== undefined ? [request.replica] : members.filter((m) => m.local).map((m) => m.name);
  if (local.length === 0) throw new ConductorError('BACKUP_NO_LOCAL_MEMBER', `engine ${engine} has no member on this node (members: ${names}): back up on a member's node`, { engine });
  let snapshot: VolumeSnapshotInfo;
  if (request.snapshot === undefined) snapshot = await node.engineSnapshotCreate({ engine, name: id, labels: { [BACKUP_ID_LABEL]: id } });
  else {
    snapshot = node.engineSnapshotGet(engine, request.snapshot);
    if (snapshot.state !== 'ready')
      throw new ConductorError('VOLUME_SNAPSHOT_NOT_FOUND', `volume snapshot ${request.snapshot} of engine ${engine} is ${snapshot.state}, not ready`, { engine, snapshot: request.snapshot });
  }
  const chosen = local.find((m) => snapshot.members.includes(m));
  if (chosen === undefined) {
    const why = `no member on this node has volume snapshot ${snapshot.name} of engine ${engine} (local: ${local.join(', ')}; it is on ${snapshot.members.join(', ') || 'none'}): a member out of sync is not snapshotted`;
    if (request.snapshot === undefined) await snapshots.releaseVolume(engine, undefined, snapshot.name, `backup ${id} refused (${why})`);
    throw new ConductorError('BACKUP_NO_LOCAL_MEMBER', why, { engine, snapshot: snapshot.name });
  }
  return { replica: chosen, snapshot: snapshot.name };
}
