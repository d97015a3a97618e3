/**
 * What backup jobs ask of this node (`BackupNode`, `BackupJobsDeps.node`), answered by the node's own
 * operations: replicas' snapshots, an engine's members and volume snapshots, restored replicas.
 */
import { ConductorError } from '../../errors.js';
import type { BackupNode } from '../backup/jobs-model.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { VolumeSnapshots } from '../engine/volume-snapshots.js';
import type { EngineDomain, NodeDomain } from '../operations.js';

export function backupNodeCalls(
  node: Pick<NodeDomain, 'snapshotList' | 'snapshotCreate' | 'snapshotDelete' | 'replicaGet' | 'replicaDelete'> & Pick<EngineDomain, 'engineSnapshotCreate' | 'engineSnapshotDelete'>,
  records: EngineRecords,
  /** Made after the backup jobs (it needs the engine status they share): read when called. */
  volumeSnapshots: () => VolumeSnapshots,
): BackupNode {
  return {
    snapshotList: (replica) => node.snapshotList(replica),
    snapshotCreate: (request) => node.snapshotCreate(request),
    snapshotDelete: (replica, name) => node.snapshotDelete(replica, name),
    engineMembers: (engine) => records.required(engine).replicas.map((r) => ({ name: r.name, local: r.kind === 'local' })),
    engineSnapshotCreate: (request) => node.engineSnapshotCreate(request),
    engineSnapshotGet: (engine, name) => volumeSnapshots().get(engine, name),
    engineSnapshotDelete: (engine, name) => node.engineSnapshotDelete(engine, name),
    volumeSnapshots: () => records.all().flatMap((spec) => Object.entries(spec.volumeSnapshots ?? {}).map(([name, record]) => ({ engine: spec.name, name, labels: record.labels }))),
    replicaExists: (name) =>
      node.replicaGet(name).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ConductorError && err.code === 'REPLICA_NOT_FOUND') return false;
          throw err;
        },
      ),
    replicaDelete: async (name) => {
      await node.replicaDelete(name, undefined, true);
    },
  };
}
