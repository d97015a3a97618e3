/**
 * Domain objects → API messages. The domain's shapes mirror the proto closely; what changes here
 * is spelling (enums by name, Date → Timestamp) and absence (undefined → unset message or '').
 */
import type { DiskInfo, ExportInfo, ReplicaEvent, ReplicaInfo, SnapshotInfo } from '../domain/model.js';
import type { Disk } from './generated/spdk/conductor/v1/Disk.js';
import type { ExportInfo as ExportMessage } from './generated/spdk/conductor/v1/ExportInfo.js';
import type { Replica } from './generated/spdk/conductor/v1/Replica.js';
import type { ReplicaEvent as ReplicaEventMessage } from './generated/spdk/conductor/v1/ReplicaEvent.js';
import type { Snapshot } from './generated/spdk/conductor/v1/Snapshot.js';
import type { Timestamp } from './generated/google/protobuf/Timestamp.js';

const DISK_KINDS = { aio: 'DISK_KIND_AIO', nvme: 'DISK_KIND_NVME' } as const;
const EVENT_TYPES = { added: 'ADDED', modified: 'MODIFIED', deleted: 'DELETED', synced: 'SYNCED' } as const;

export function diskMessage(disk: DiskInfo): Disk {
  return {
    name: disk.name,
    kind: DISK_KINDS[disk.kind],
    path: disk.path,
    bdevName: disk.bdevName,
    lvstoreName: disk.lvstoreName,
    lvstoreUuid: disk.lvstoreUuid,
    clusterSizeBytes: disk.clusterSizeBytes,
    blockSize: disk.blockSize,
    totalBytes: disk.totalBytes,
    freeBytes: disk.freeBytes,
    allocatedBytes: disk.allocatedBytes,
    replicaCount: disk.replicaCount,
    adopted: disk.adopted,
  };
}

function exportMessage(info: ExportInfo): ExportMessage {
  return {
    nqn: info.nqn,
    address: info.address,
    port: info.port,
    hostNqns: [...info.hostNqns],
    namespaceUuid: info.namespaceUuid,
    namespaceNguid: info.namespaceNguid,
  };
}

export function replicaMessage(replica: ReplicaInfo): Replica {
  return {
    name: replica.name,
    diskName: replica.diskName,
    sizeBytes: replica.sizeBytes,
    lvolUuid: replica.lvolUuid,
    lvolAlias: replica.lvolAlias,
    allocatedBytes: replica.allocatedBytes,
    export: replica.export ? exportMessage(replica.export) : null,
    headParent: replica.headParent ?? '',
    snapshotCount: replica.snapshotCount,
  };
}

export function replicaEventMessage(event: ReplicaEvent): ReplicaEventMessage {
  return {
    type: EVENT_TYPES[event.type],
    replica: event.replica ? replicaMessage(event.replica) : null,
    reason: event.reason,
  };
}

export function timestamp(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function snapshotMessage(snapshot: SnapshotInfo): Snapshot {
  return {
    name: snapshot.name,
    replicaName: snapshot.replicaName,
    createdAt: timestamp(snapshot.createdAt),
    labels: { ...snapshot.labels },
    parent: snapshot.parent ?? '',
    children: [...snapshot.children],
    sizeBytes: snapshot.sizeBytes,
    allocatedBytes: snapshot.allocatedBytes,
    userCreated: snapshot.userCreated,
  };
}
