/**
 * Domain objects → API messages. The domain's shapes mirror the proto closely; what changes here
 * is spelling (enums by name, Date → Timestamp) and absence (undefined → unset message or '').
 */
import type {
  DiskInfo,
  EngineEvent,
  EngineInfo,
  EngineMemberInfo,
  EngineState,
  ExportInfo,
  FrontendInfo,
  FrontendKind,
  MemberState,
  QosLimits,
  RebuildInfo,
  RebuildPath,
  RebuildState,
  ReplicaEvent,
  ReplicaInfo,
  SnapshotInfo,
  VolumeSnapshotInfo,
} from '../domain/model.js';
import type { Disk } from './generated/spdk/conductor/v1/Disk.js';
import type { Engine } from './generated/spdk/conductor/v1/Engine.js';
import type { EngineEvent as EngineEventMessage } from './generated/spdk/conductor/v1/EngineEvent.js';
import type { EngineMember } from './generated/spdk/conductor/v1/EngineMember.js';
import type { Frontend } from './generated/spdk/conductor/v1/Frontend.js';
import type { ExportInfo as ExportMessage } from './generated/spdk/conductor/v1/ExportInfo.js';
import type { Rebuild } from './generated/spdk/conductor/v1/Rebuild.js';
import type { Replica } from './generated/spdk/conductor/v1/Replica.js';
import type { ReplicaEvent as ReplicaEventMessage } from './generated/spdk/conductor/v1/ReplicaEvent.js';
import type { Snapshot } from './generated/spdk/conductor/v1/Snapshot.js';
import type { VolumeSnapshot } from './generated/spdk/conductor/v1/VolumeSnapshot.js';
import type { Timestamp } from './generated/google/protobuf/Timestamp.js';
import type { EngineQos } from './generated/spdk/conductor/v1/EngineQos.js';
import type { EngineStatsResponse } from './generated/spdk/conductor/v1/EngineStatsResponse.js';
import type { VolumeIo } from './generated/spdk/conductor/v1/VolumeIo.js';
import type { VolumeIoReading, VolumeStats } from '../domain/engine/volume-stats.js';

const DISK_KINDS = { aio: 'DISK_KIND_AIO', nvme: 'DISK_KIND_NVME' } as const;
const EVENT_TYPES = { added: 'ADDED', modified: 'MODIFIED', deleted: 'DELETED', synced: 'SYNCED' } as const;
export const FRONTEND_KINDS = { 'nvme-host': 'FRONTEND_KIND_NVME_HOST', 'export-only': 'FRONTEND_KIND_EXPORT_ONLY' } as const satisfies Record<FrontendKind, string>;
const ENGINE_STATES = { healthy: 'ENGINE_STATE_HEALTHY', degraded: 'ENGINE_STATE_DEGRADED', faulted: 'ENGINE_STATE_FAULTED' } as const satisfies Record<EngineState, string>;
const MEMBER_STATES = {
  healthy: 'MEMBER_STATE_HEALTHY',
  rebuilding: 'MEMBER_STATE_REBUILDING',
  failed: 'MEMBER_STATE_FAILED',
  missing: 'MEMBER_STATE_MISSING',
} as const satisfies Record<MemberState, string>;
const LOCATIONS = { remote: 'REPLICA_LOCATION_REMOTE', local: 'REPLICA_LOCATION_LOCAL' } as const;

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
    hostAuth: (info.hostAuth ?? []).map((h) => ({ nqn: h.nqn, dhchap: h.dhchap !== 'none', dhchapBidirectional: h.dhchap === 'bidirectional', tls: h.tls })),
    secureChannel: info.secureChannel ?? false,
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
    clone: replica.clone ? { ...replica.clone } : null,
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
    deletePending: snapshot.deletePending === true,
  };
}

export function engineMemberMessage(member: EngineMemberInfo): EngineMember {
  return {
    name: member.name,
    location: LOCATIONS[member.kind],
    bdevName: member.bdevName,
    state: MEMBER_STATES[member.state],
    reason: member.reason,
    controllerState: member.controllerState ?? '',
  };
}

function frontendMessage(frontend: FrontendInfo): Frontend {
  return {
    kind: FRONTEND_KINDS[frontend.kind],
    nqn: frontend.nqn,
    address: frontend.address,
    port: frontend.port,
    hostNqns: [...frontend.hostNqns],
    namespaceUuid: frontend.namespaceUuid,
    namespaceNguid: frontend.namespaceNguid,
    device: frontend.device ?? '',
    recommendedCtrlLossTmoSec: frontend.recommendedCtrlLossTmoSec,
    connectCommand: frontend.connectCommand ?? '',
  };
}

export function engineMessage(engine: EngineInfo): Engine {
  return {
    name: engine.name,
    sizeBytes: engine.sizeBytes,
    state: ENGINE_STATES[engine.state],
    reason: engine.reason,
    raidName: engine.raidName,
    members: engine.members.map(engineMemberMessage),
    frontend: engine.frontend ? frontendMessage(engine.frontend) : null,
    rebuild: engine.rebuild ? { member: engine.rebuild.member, percent: engine.rebuild.percent, blocks: engine.rebuild.blocks } : null,
    rebuilds: engine.rebuilds.map(rebuildMessage),
    superblock: engine.superblock === true,
    qos: engine.qos ? qosMessage(engine.qos) : null,
    expansion: engine.expansion ? { sizeBytes: engine.expansion.sizeBytes, grown: [...engine.expansion.grown] } : null,
    revert: engine.revert ? { ...engine.revert } : null,
    salvage: engine.salvage
      ? {
          source: engine.salvage.source,
          rule: engine.salvage.rule,
          reason: engine.salvage.reason,
          decidedAtMs: engine.salvage.decidedAtMs,
          members: engine.salvage.members.map((m) => ({ replica: m.replica, verdict: m.verdict, reason: m.reason })),
        }
      : null,
  };
}

export function qosMessage(qos: QosLimits): EngineQos {
  return { rwIosPerSec: qos.rwIosPerSec, rwMbytesPerSec: qos.rwMbytesPerSec, rMbytesPerSec: qos.rMbytesPerSec, wMbytesPerSec: qos.wMbytesPerSec };
}

export function volumeIoMessage(io: VolumeIoReading): VolumeIo {
  return {
    readOps: io.readOps,
    writeOps: io.writeOps,
    readBytes: io.readBytes,
    writeBytes: io.writeBytes,
    readLatencySec: io.readLatencySec,
    writeLatencySec: io.writeLatencySec,
    sampledAtMs: io.sampledAtMs,
  };
}

export function engineStatsMessage(stats: VolumeStats): EngineStatsResponse {
  return { name: stats.engine, io: stats.io ? volumeIoMessage(stats.io) : null, rates: { ...stats.rates }, reason: stats.reason };
}

const REBUILD_STATES = {
  queued: 'REBUILD_STATE_QUEUED',
  'copying-snapshots': 'REBUILD_STATE_COPYING_SNAPSHOTS',
  rebuilding: 'REBUILD_STATE_REBUILDING',
  done: 'REBUILD_STATE_DONE',
  failed: 'REBUILD_STATE_FAILED',
  cancelled: 'REBUILD_STATE_CANCELLED',
} as const satisfies Record<RebuildState, string>;
const REBUILD_PATHS = { 'snapshot-preserving': 'REBUILD_PATH_SNAPSHOT_PRESERVING', raid: 'REBUILD_PATH_RAID' } as const satisfies Record<RebuildPath, string>;

export function rebuildMessage(rebuild: RebuildInfo): Rebuild {
  return {
    engine: rebuild.engine,
    replica: rebuild.replica,
    state: REBUILD_STATES[rebuild.state],
    reason: rebuild.reason,
    path: rebuild.path ? REBUILD_PATHS[rebuild.path] : 'REBUILD_PATH_UNSPECIFIED',
    pathReason: rebuild.pathReason,
    sourceReplica: rebuild.sourceReplica,
    percent: rebuild.percent,
    bytesDone: rebuild.bytesDone,
    bytesTotal: rebuild.bytesTotal,
    rateBytesPerSec: rebuild.rateBytesPerSec,
    etaSec: rebuild.etaSec,
    queuePosition: rebuild.queuePosition,
    snapshots: rebuild.snapshots.map((s) => ({ ...s })),
    raid: rebuild.raid ? { ...rebuild.raid } : null,
    throttle: { ...rebuild.throttle },
    createdAtMs: rebuild.createdAtMs,
    startedAtMs: rebuild.startedAtMs,
    processStartedAtMs: rebuild.processStartedAtMs,
    finishedAtMs: rebuild.finishedAtMs,
  };
}

export function engineEventMessage(event: EngineEvent): EngineEventMessage {
  return {
    type: EVENT_TYPES[event.type],
    engine: event.engine ? engineMessage(event.engine) : null,
    reason: event.reason,
  };
}

export function volumeSnapshotMessage(snapshot: VolumeSnapshotInfo): VolumeSnapshot {
  return {
    engine: snapshot.engine,
    name: snapshot.name,
    createdAt: timestamp(snapshot.createdAt),
    labels: { ...snapshot.labels },
    members: [...snapshot.members],
    state: snapshot.state,
    consistency: snapshot.consistency,
    identical: [...snapshot.identical],
  };
}
