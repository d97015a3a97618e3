import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { CloneProgress as _spdk_conductor_v1_CloneProgress, CloneProgress__Output as _spdk_conductor_v1_CloneProgress__Output } from './spdk/conductor/v1/CloneProgress.js';
import type { Disk as _spdk_conductor_v1_Disk, Disk__Output as _spdk_conductor_v1_Disk__Output } from './spdk/conductor/v1/Disk.js';
import type { DiskCreateRequest as _spdk_conductor_v1_DiskCreateRequest, DiskCreateRequest__Output as _spdk_conductor_v1_DiskCreateRequest__Output } from './spdk/conductor/v1/DiskCreateRequest.js';
import type { DiskDeleteRequest as _spdk_conductor_v1_DiskDeleteRequest, DiskDeleteRequest__Output as _spdk_conductor_v1_DiskDeleteRequest__Output } from './spdk/conductor/v1/DiskDeleteRequest.js';
import type { DiskDeleteResponse as _spdk_conductor_v1_DiskDeleteResponse, DiskDeleteResponse__Output as _spdk_conductor_v1_DiskDeleteResponse__Output } from './spdk/conductor/v1/DiskDeleteResponse.js';
import type { DiskGetRequest as _spdk_conductor_v1_DiskGetRequest, DiskGetRequest__Output as _spdk_conductor_v1_DiskGetRequest__Output } from './spdk/conductor/v1/DiskGetRequest.js';
import type { DiskListRequest as _spdk_conductor_v1_DiskListRequest, DiskListRequest__Output as _spdk_conductor_v1_DiskListRequest__Output } from './spdk/conductor/v1/DiskListRequest.js';
import type { DiskListResponse as _spdk_conductor_v1_DiskListResponse, DiskListResponse__Output as _spdk_conductor_v1_DiskListResponse__Output } from './spdk/conductor/v1/DiskListResponse.js';
import type { DisksClient as _spdk_conductor_v1_DisksClient, DisksDefinition as _spdk_conductor_v1_DisksDefinition } from './spdk/conductor/v1/Disks.js';
import type { ExportInfo as _spdk_conductor_v1_ExportInfo, ExportInfo__Output as _spdk_conductor_v1_ExportInfo__Output } from './spdk/conductor/v1/ExportInfo.js';
import type { HostAccess as _spdk_conductor_v1_HostAccess, HostAccess__Output as _spdk_conductor_v1_HostAccess__Output } from './spdk/conductor/v1/HostAccess.js';
import type { HostAuth as _spdk_conductor_v1_HostAuth, HostAuth__Output as _spdk_conductor_v1_HostAuth__Output } from './spdk/conductor/v1/HostAuth.js';
import type { HugepageBoundFigure as _spdk_conductor_v1_HugepageBoundFigure, HugepageBoundFigure__Output as _spdk_conductor_v1_HugepageBoundFigure__Output } from './spdk/conductor/v1/HugepageBoundFigure.js';
import type { NodeClient as _spdk_conductor_v1_NodeClient, NodeDefinition as _spdk_conductor_v1_NodeDefinition } from './spdk/conductor/v1/Node.js';
import type { NodeInfo as _spdk_conductor_v1_NodeInfo, NodeInfo__Output as _spdk_conductor_v1_NodeInfo__Output } from './spdk/conductor/v1/NodeInfo.js';
import type { NodeInfoRequest as _spdk_conductor_v1_NodeInfoRequest, NodeInfoRequest__Output as _spdk_conductor_v1_NodeInfoRequest__Output } from './spdk/conductor/v1/NodeInfoRequest.js';
import type { NodeMemoryStats as _spdk_conductor_v1_NodeMemoryStats, NodeMemoryStats__Output as _spdk_conductor_v1_NodeMemoryStats__Output } from './spdk/conductor/v1/NodeMemoryStats.js';
import type { NodeObjectCounts as _spdk_conductor_v1_NodeObjectCounts, NodeObjectCounts__Output as _spdk_conductor_v1_NodeObjectCounts__Output } from './spdk/conductor/v1/NodeObjectCounts.js';
import type { NodeStats as _spdk_conductor_v1_NodeStats, NodeStats__Output as _spdk_conductor_v1_NodeStats__Output } from './spdk/conductor/v1/NodeStats.js';
import type { NodeStatsRebuild as _spdk_conductor_v1_NodeStatsRebuild, NodeStatsRebuild__Output as _spdk_conductor_v1_NodeStatsRebuild__Output } from './spdk/conductor/v1/NodeStatsRebuild.js';
import type { NodeStatsRequest as _spdk_conductor_v1_NodeStatsRequest, NodeStatsRequest__Output as _spdk_conductor_v1_NodeStatsRequest__Output } from './spdk/conductor/v1/NodeStatsRequest.js';
import type { Replica as _spdk_conductor_v1_Replica, Replica__Output as _spdk_conductor_v1_Replica__Output } from './spdk/conductor/v1/Replica.js';
import type { ReplicaCloneRequest as _spdk_conductor_v1_ReplicaCloneRequest, ReplicaCloneRequest__Output as _spdk_conductor_v1_ReplicaCloneRequest__Output } from './spdk/conductor/v1/ReplicaCloneRequest.js';
import type { ReplicaCreateRequest as _spdk_conductor_v1_ReplicaCreateRequest, ReplicaCreateRequest__Output as _spdk_conductor_v1_ReplicaCreateRequest__Output } from './spdk/conductor/v1/ReplicaCreateRequest.js';
import type { ReplicaDeleteRequest as _spdk_conductor_v1_ReplicaDeleteRequest, ReplicaDeleteRequest__Output as _spdk_conductor_v1_ReplicaDeleteRequest__Output } from './spdk/conductor/v1/ReplicaDeleteRequest.js';
import type { ReplicaDeleteResponse as _spdk_conductor_v1_ReplicaDeleteResponse, ReplicaDeleteResponse__Output as _spdk_conductor_v1_ReplicaDeleteResponse__Output } from './spdk/conductor/v1/ReplicaDeleteResponse.js';
import type { ReplicaEvent as _spdk_conductor_v1_ReplicaEvent, ReplicaEvent__Output as _spdk_conductor_v1_ReplicaEvent__Output } from './spdk/conductor/v1/ReplicaEvent.js';
import type { ReplicaExpandRequest as _spdk_conductor_v1_ReplicaExpandRequest, ReplicaExpandRequest__Output as _spdk_conductor_v1_ReplicaExpandRequest__Output } from './spdk/conductor/v1/ReplicaExpandRequest.js';
import type { ReplicaExposeRequest as _spdk_conductor_v1_ReplicaExposeRequest, ReplicaExposeRequest__Output as _spdk_conductor_v1_ReplicaExposeRequest__Output } from './spdk/conductor/v1/ReplicaExposeRequest.js';
import type { ReplicaGetRequest as _spdk_conductor_v1_ReplicaGetRequest, ReplicaGetRequest__Output as _spdk_conductor_v1_ReplicaGetRequest__Output } from './spdk/conductor/v1/ReplicaGetRequest.js';
import type { ReplicaListRequest as _spdk_conductor_v1_ReplicaListRequest, ReplicaListRequest__Output as _spdk_conductor_v1_ReplicaListRequest__Output } from './spdk/conductor/v1/ReplicaListRequest.js';
import type { ReplicaListResponse as _spdk_conductor_v1_ReplicaListResponse, ReplicaListResponse__Output as _spdk_conductor_v1_ReplicaListResponse__Output } from './spdk/conductor/v1/ReplicaListResponse.js';
import type { ReplicaUnexposeRequest as _spdk_conductor_v1_ReplicaUnexposeRequest, ReplicaUnexposeRequest__Output as _spdk_conductor_v1_ReplicaUnexposeRequest__Output } from './spdk/conductor/v1/ReplicaUnexposeRequest.js';
import type { ReplicaWatchRequest as _spdk_conductor_v1_ReplicaWatchRequest, ReplicaWatchRequest__Output as _spdk_conductor_v1_ReplicaWatchRequest__Output } from './spdk/conductor/v1/ReplicaWatchRequest.js';
import type { ReplicasClient as _spdk_conductor_v1_ReplicasClient, ReplicasDefinition as _spdk_conductor_v1_ReplicasDefinition } from './spdk/conductor/v1/Replicas.js';
import type { ShallowCopyProgress as _spdk_conductor_v1_ShallowCopyProgress, ShallowCopyProgress__Output as _spdk_conductor_v1_ShallowCopyProgress__Output } from './spdk/conductor/v1/ShallowCopyProgress.js';
import type { Snapshot as _spdk_conductor_v1_Snapshot, Snapshot__Output as _spdk_conductor_v1_Snapshot__Output } from './spdk/conductor/v1/Snapshot.js';
import type { SnapshotCreateRequest as _spdk_conductor_v1_SnapshotCreateRequest, SnapshotCreateRequest__Output as _spdk_conductor_v1_SnapshotCreateRequest__Output } from './spdk/conductor/v1/SnapshotCreateRequest.js';
import type { SnapshotDeleteRequest as _spdk_conductor_v1_SnapshotDeleteRequest, SnapshotDeleteRequest__Output as _spdk_conductor_v1_SnapshotDeleteRequest__Output } from './spdk/conductor/v1/SnapshotDeleteRequest.js';
import type { SnapshotDeleteResponse as _spdk_conductor_v1_SnapshotDeleteResponse, SnapshotDeleteResponse__Output as _spdk_conductor_v1_SnapshotDeleteResponse__Output } from './spdk/conductor/v1/SnapshotDeleteResponse.js';
import type { SnapshotListRequest as _spdk_conductor_v1_SnapshotListRequest, SnapshotListRequest__Output as _spdk_conductor_v1_SnapshotListRequest__Output } from './spdk/conductor/v1/SnapshotListRequest.js';
import type { SnapshotListResponse as _spdk_conductor_v1_SnapshotListResponse, SnapshotListResponse__Output as _spdk_conductor_v1_SnapshotListResponse__Output } from './spdk/conductor/v1/SnapshotListResponse.js';
import type { SnapshotPurgeRequest as _spdk_conductor_v1_SnapshotPurgeRequest, SnapshotPurgeRequest__Output as _spdk_conductor_v1_SnapshotPurgeRequest__Output } from './spdk/conductor/v1/SnapshotPurgeRequest.js';
import type { SnapshotPurgeResponse as _spdk_conductor_v1_SnapshotPurgeResponse, SnapshotPurgeResponse__Output as _spdk_conductor_v1_SnapshotPurgeResponse__Output } from './spdk/conductor/v1/SnapshotPurgeResponse.js';
import type { SnapshotRevertRequest as _spdk_conductor_v1_SnapshotRevertRequest, SnapshotRevertRequest__Output as _spdk_conductor_v1_SnapshotRevertRequest__Output } from './spdk/conductor/v1/SnapshotRevertRequest.js';
import type { SnapshotShallowCopyRequest as _spdk_conductor_v1_SnapshotShallowCopyRequest, SnapshotShallowCopyRequest__Output as _spdk_conductor_v1_SnapshotShallowCopyRequest__Output } from './spdk/conductor/v1/SnapshotShallowCopyRequest.js';
import type { SnapshotsClient as _spdk_conductor_v1_SnapshotsClient, SnapshotsDefinition as _spdk_conductor_v1_SnapshotsDefinition } from './spdk/conductor/v1/Snapshots.js';
import type { SpdkCallRequest as _spdk_conductor_v1_SpdkCallRequest, SpdkCallRequest__Output as _spdk_conductor_v1_SpdkCallRequest__Output } from './spdk/conductor/v1/SpdkCallRequest.js';
import type { SpdkCallResponse as _spdk_conductor_v1_SpdkCallResponse, SpdkCallResponse__Output as _spdk_conductor_v1_SpdkCallResponse__Output } from './spdk/conductor/v1/SpdkCallResponse.js';
import type { SpdkInfo as _spdk_conductor_v1_SpdkInfo, SpdkInfo__Output as _spdk_conductor_v1_SpdkInfo__Output } from './spdk/conductor/v1/SpdkInfo.js';
import type { SpdkInfoRequest as _spdk_conductor_v1_SpdkInfoRequest, SpdkInfoRequest__Output as _spdk_conductor_v1_SpdkInfoRequest__Output } from './spdk/conductor/v1/SpdkInfoRequest.js';
import type { VolumeIoRate as _spdk_conductor_v1_VolumeIoRate, VolumeIoRate__Output as _spdk_conductor_v1_VolumeIoRate__Output } from './spdk/conductor/v1/VolumeIoRate.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  spdk: {
    conductor: {
      v1: {
        CloneMode: EnumTypeDefinition
        CloneProgress: MessageTypeDefinition<_spdk_conductor_v1_CloneProgress, _spdk_conductor_v1_CloneProgress__Output>
        Disk: MessageTypeDefinition<_spdk_conductor_v1_Disk, _spdk_conductor_v1_Disk__Output>
        DiskCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_DiskCreateRequest, _spdk_conductor_v1_DiskCreateRequest__Output>
        DiskDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_DiskDeleteRequest, _spdk_conductor_v1_DiskDeleteRequest__Output>
        DiskDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_DiskDeleteResponse, _spdk_conductor_v1_DiskDeleteResponse__Output>
        DiskGetRequest: MessageTypeDefinition<_spdk_conductor_v1_DiskGetRequest, _spdk_conductor_v1_DiskGetRequest__Output>
        DiskKind: EnumTypeDefinition
        DiskListRequest: MessageTypeDefinition<_spdk_conductor_v1_DiskListRequest, _spdk_conductor_v1_DiskListRequest__Output>
        DiskListResponse: MessageTypeDefinition<_spdk_conductor_v1_DiskListResponse, _spdk_conductor_v1_DiskListResponse__Output>
        Disks: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_DisksClient> & { service: _spdk_conductor_v1_DisksDefinition }
        ExportInfo: MessageTypeDefinition<_spdk_conductor_v1_ExportInfo, _spdk_conductor_v1_ExportInfo__Output>
        ExposeMode: EnumTypeDefinition
        HostAccess: MessageTypeDefinition<_spdk_conductor_v1_HostAccess, _spdk_conductor_v1_HostAccess__Output>
        HostAuth: MessageTypeDefinition<_spdk_conductor_v1_HostAuth, _spdk_conductor_v1_HostAuth__Output>
        HugepageBoundFigure: MessageTypeDefinition<_spdk_conductor_v1_HugepageBoundFigure, _spdk_conductor_v1_HugepageBoundFigure__Output>
        /**
         * What this node is, for its peers: engines on other nodes ask before copying snapshots to or from
         * it during a rebuild.
         */
        Node: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_NodeClient> & { service: _spdk_conductor_v1_NodeDefinition }
        NodeInfo: MessageTypeDefinition<_spdk_conductor_v1_NodeInfo, _spdk_conductor_v1_NodeInfo__Output>
        NodeInfoRequest: MessageTypeDefinition<_spdk_conductor_v1_NodeInfoRequest, _spdk_conductor_v1_NodeInfoRequest__Output>
        NodeMemoryStats: MessageTypeDefinition<_spdk_conductor_v1_NodeMemoryStats, _spdk_conductor_v1_NodeMemoryStats__Output>
        NodeObjectCounts: MessageTypeDefinition<_spdk_conductor_v1_NodeObjectCounts, _spdk_conductor_v1_NodeObjectCounts__Output>
        NodeStats: MessageTypeDefinition<_spdk_conductor_v1_NodeStats, _spdk_conductor_v1_NodeStats__Output>
        NodeStatsRebuild: MessageTypeDefinition<_spdk_conductor_v1_NodeStatsRebuild, _spdk_conductor_v1_NodeStatsRebuild__Output>
        NodeStatsRequest: MessageTypeDefinition<_spdk_conductor_v1_NodeStatsRequest, _spdk_conductor_v1_NodeStatsRequest__Output>
        Replica: MessageTypeDefinition<_spdk_conductor_v1_Replica, _spdk_conductor_v1_Replica__Output>
        ReplicaCloneRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaCloneRequest, _spdk_conductor_v1_ReplicaCloneRequest__Output>
        ReplicaCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaCreateRequest, _spdk_conductor_v1_ReplicaCreateRequest__Output>
        ReplicaDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaDeleteRequest, _spdk_conductor_v1_ReplicaDeleteRequest__Output>
        ReplicaDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_ReplicaDeleteResponse, _spdk_conductor_v1_ReplicaDeleteResponse__Output>
        ReplicaEvent: MessageTypeDefinition<_spdk_conductor_v1_ReplicaEvent, _spdk_conductor_v1_ReplicaEvent__Output>
        ReplicaExpandRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaExpandRequest, _spdk_conductor_v1_ReplicaExpandRequest__Output>
        ReplicaExposeRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaExposeRequest, _spdk_conductor_v1_ReplicaExposeRequest__Output>
        ReplicaGetRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaGetRequest, _spdk_conductor_v1_ReplicaGetRequest__Output>
        ReplicaListRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaListRequest, _spdk_conductor_v1_ReplicaListRequest__Output>
        ReplicaListResponse: MessageTypeDefinition<_spdk_conductor_v1_ReplicaListResponse, _spdk_conductor_v1_ReplicaListResponse__Output>
        ReplicaUnexposeRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaUnexposeRequest, _spdk_conductor_v1_ReplicaUnexposeRequest__Output>
        ReplicaWatchRequest: MessageTypeDefinition<_spdk_conductor_v1_ReplicaWatchRequest, _spdk_conductor_v1_ReplicaWatchRequest__Output>
        Replicas: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_ReplicasClient> & { service: _spdk_conductor_v1_ReplicasDefinition }
        ShallowCopyProgress: MessageTypeDefinition<_spdk_conductor_v1_ShallowCopyProgress, _spdk_conductor_v1_ShallowCopyProgress__Output>
        Snapshot: MessageTypeDefinition<_spdk_conductor_v1_Snapshot, _spdk_conductor_v1_Snapshot__Output>
        SnapshotCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotCreateRequest, _spdk_conductor_v1_SnapshotCreateRequest__Output>
        SnapshotDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotDeleteRequest, _spdk_conductor_v1_SnapshotDeleteRequest__Output>
        SnapshotDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_SnapshotDeleteResponse, _spdk_conductor_v1_SnapshotDeleteResponse__Output>
        SnapshotListRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotListRequest, _spdk_conductor_v1_SnapshotListRequest__Output>
        SnapshotListResponse: MessageTypeDefinition<_spdk_conductor_v1_SnapshotListResponse, _spdk_conductor_v1_SnapshotListResponse__Output>
        SnapshotPurgeRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotPurgeRequest, _spdk_conductor_v1_SnapshotPurgeRequest__Output>
        SnapshotPurgeResponse: MessageTypeDefinition<_spdk_conductor_v1_SnapshotPurgeResponse, _spdk_conductor_v1_SnapshotPurgeResponse__Output>
        SnapshotRevertRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotRevertRequest, _spdk_conductor_v1_SnapshotRevertRequest__Output>
        SnapshotShallowCopyRequest: MessageTypeDefinition<_spdk_conductor_v1_SnapshotShallowCopyRequest, _spdk_conductor_v1_SnapshotShallowCopyRequest__Output>
        Snapshots: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_SnapshotsClient> & { service: _spdk_conductor_v1_SnapshotsDefinition }
        SpdkCallRequest: MessageTypeDefinition<_spdk_conductor_v1_SpdkCallRequest, _spdk_conductor_v1_SpdkCallRequest__Output>
        SpdkCallResponse: MessageTypeDefinition<_spdk_conductor_v1_SpdkCallResponse, _spdk_conductor_v1_SpdkCallResponse__Output>
        SpdkInfo: MessageTypeDefinition<_spdk_conductor_v1_SpdkInfo, _spdk_conductor_v1_SpdkInfo__Output>
        SpdkInfoRequest: MessageTypeDefinition<_spdk_conductor_v1_SpdkInfoRequest, _spdk_conductor_v1_SpdkInfoRequest__Output>
        VolumeIoRate: MessageTypeDefinition<_spdk_conductor_v1_VolumeIoRate, _spdk_conductor_v1_VolumeIoRate__Output>
      }
    }
  }
}

