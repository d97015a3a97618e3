import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from './spdk/conductor/v1/Engine.js';
import type { EngineCreateRequest as _spdk_conductor_v1_EngineCreateRequest, EngineCreateRequest__Output as _spdk_conductor_v1_EngineCreateRequest__Output } from './spdk/conductor/v1/EngineCreateRequest.js';
import type { EngineDeleteRequest as _spdk_conductor_v1_EngineDeleteRequest, EngineDeleteRequest__Output as _spdk_conductor_v1_EngineDeleteRequest__Output } from './spdk/conductor/v1/EngineDeleteRequest.js';
import type { EngineDeleteResponse as _spdk_conductor_v1_EngineDeleteResponse, EngineDeleteResponse__Output as _spdk_conductor_v1_EngineDeleteResponse__Output } from './spdk/conductor/v1/EngineDeleteResponse.js';
import type { EngineEvent as _spdk_conductor_v1_EngineEvent, EngineEvent__Output as _spdk_conductor_v1_EngineEvent__Output } from './spdk/conductor/v1/EngineEvent.js';
import type { EngineExpandRequest as _spdk_conductor_v1_EngineExpandRequest, EngineExpandRequest__Output as _spdk_conductor_v1_EngineExpandRequest__Output } from './spdk/conductor/v1/EngineExpandRequest.js';
import type { EngineExpansion as _spdk_conductor_v1_EngineExpansion, EngineExpansion__Output as _spdk_conductor_v1_EngineExpansion__Output } from './spdk/conductor/v1/EngineExpansion.js';
import type { EngineGetRequest as _spdk_conductor_v1_EngineGetRequest, EngineGetRequest__Output as _spdk_conductor_v1_EngineGetRequest__Output } from './spdk/conductor/v1/EngineGetRequest.js';
import type { EngineListRequest as _spdk_conductor_v1_EngineListRequest, EngineListRequest__Output as _spdk_conductor_v1_EngineListRequest__Output } from './spdk/conductor/v1/EngineListRequest.js';
import type { EngineListResponse as _spdk_conductor_v1_EngineListResponse, EngineListResponse__Output as _spdk_conductor_v1_EngineListResponse__Output } from './spdk/conductor/v1/EngineListResponse.js';
import type { EngineMember as _spdk_conductor_v1_EngineMember, EngineMember__Output as _spdk_conductor_v1_EngineMember__Output } from './spdk/conductor/v1/EngineMember.js';
import type { EngineQos as _spdk_conductor_v1_EngineQos, EngineQos__Output as _spdk_conductor_v1_EngineQos__Output } from './spdk/conductor/v1/EngineQos.js';
import type { EngineQosSetRequest as _spdk_conductor_v1_EngineQosSetRequest, EngineQosSetRequest__Output as _spdk_conductor_v1_EngineQosSetRequest__Output } from './spdk/conductor/v1/EngineQosSetRequest.js';
import type { EngineQosSetResponse as _spdk_conductor_v1_EngineQosSetResponse, EngineQosSetResponse__Output as _spdk_conductor_v1_EngineQosSetResponse__Output } from './spdk/conductor/v1/EngineQosSetResponse.js';
import type { EngineRepairRequest as _spdk_conductor_v1_EngineRepairRequest, EngineRepairRequest__Output as _spdk_conductor_v1_EngineRepairRequest__Output } from './spdk/conductor/v1/EngineRepairRequest.js';
import type { EngineRepairResponse as _spdk_conductor_v1_EngineRepairResponse, EngineRepairResponse__Output as _spdk_conductor_v1_EngineRepairResponse__Output } from './spdk/conductor/v1/EngineRepairResponse.js';
import type { EngineReplica as _spdk_conductor_v1_EngineReplica, EngineReplica__Output as _spdk_conductor_v1_EngineReplica__Output } from './spdk/conductor/v1/EngineReplica.js';
import type { EngineReplicaAddRequest as _spdk_conductor_v1_EngineReplicaAddRequest, EngineReplicaAddRequest__Output as _spdk_conductor_v1_EngineReplicaAddRequest__Output } from './spdk/conductor/v1/EngineReplicaAddRequest.js';
import type { EngineReplicaListRequest as _spdk_conductor_v1_EngineReplicaListRequest, EngineReplicaListRequest__Output as _spdk_conductor_v1_EngineReplicaListRequest__Output } from './spdk/conductor/v1/EngineReplicaListRequest.js';
import type { EngineReplicaListResponse as _spdk_conductor_v1_EngineReplicaListResponse, EngineReplicaListResponse__Output as _spdk_conductor_v1_EngineReplicaListResponse__Output } from './spdk/conductor/v1/EngineReplicaListResponse.js';
import type { EngineReplicaRemoveRequest as _spdk_conductor_v1_EngineReplicaRemoveRequest, EngineReplicaRemoveRequest__Output as _spdk_conductor_v1_EngineReplicaRemoveRequest__Output } from './spdk/conductor/v1/EngineReplicaRemoveRequest.js';
import type { EngineRevert as _spdk_conductor_v1_EngineRevert, EngineRevert__Output as _spdk_conductor_v1_EngineRevert__Output } from './spdk/conductor/v1/EngineRevert.js';
import type { EngineSalvage as _spdk_conductor_v1_EngineSalvage, EngineSalvage__Output as _spdk_conductor_v1_EngineSalvage__Output } from './spdk/conductor/v1/EngineSalvage.js';
import type { EngineSnapshotCreateRequest as _spdk_conductor_v1_EngineSnapshotCreateRequest, EngineSnapshotCreateRequest__Output as _spdk_conductor_v1_EngineSnapshotCreateRequest__Output } from './spdk/conductor/v1/EngineSnapshotCreateRequest.js';
import type { EngineSnapshotDeleteRequest as _spdk_conductor_v1_EngineSnapshotDeleteRequest, EngineSnapshotDeleteRequest__Output as _spdk_conductor_v1_EngineSnapshotDeleteRequest__Output } from './spdk/conductor/v1/EngineSnapshotDeleteRequest.js';
import type { EngineSnapshotDeleteResponse as _spdk_conductor_v1_EngineSnapshotDeleteResponse, EngineSnapshotDeleteResponse__Output as _spdk_conductor_v1_EngineSnapshotDeleteResponse__Output } from './spdk/conductor/v1/EngineSnapshotDeleteResponse.js';
import type { EngineSnapshotListRequest as _spdk_conductor_v1_EngineSnapshotListRequest, EngineSnapshotListRequest__Output as _spdk_conductor_v1_EngineSnapshotListRequest__Output } from './spdk/conductor/v1/EngineSnapshotListRequest.js';
import type { EngineSnapshotListResponse as _spdk_conductor_v1_EngineSnapshotListResponse, EngineSnapshotListResponse__Output as _spdk_conductor_v1_EngineSnapshotListResponse__Output } from './spdk/conductor/v1/EngineSnapshotListResponse.js';
import type { EngineSnapshotRevertRequest as _spdk_conductor_v1_EngineSnapshotRevertRequest, EngineSnapshotRevertRequest__Output as _spdk_conductor_v1_EngineSnapshotRevertRequest__Output } from './spdk/conductor/v1/EngineSnapshotRevertRequest.js';
import type { EngineStatsRequest as _spdk_conductor_v1_EngineStatsRequest, EngineStatsRequest__Output as _spdk_conductor_v1_EngineStatsRequest__Output } from './spdk/conductor/v1/EngineStatsRequest.js';
import type { EngineStatsResponse as _spdk_conductor_v1_EngineStatsResponse, EngineStatsResponse__Output as _spdk_conductor_v1_EngineStatsResponse__Output } from './spdk/conductor/v1/EngineStatsResponse.js';
import type { EngineWatchRequest as _spdk_conductor_v1_EngineWatchRequest, EngineWatchRequest__Output as _spdk_conductor_v1_EngineWatchRequest__Output } from './spdk/conductor/v1/EngineWatchRequest.js';
import type { EnginesClient as _spdk_conductor_v1_EnginesClient, EnginesDefinition as _spdk_conductor_v1_EnginesDefinition } from './spdk/conductor/v1/Engines.js';
import type { Frontend as _spdk_conductor_v1_Frontend, Frontend__Output as _spdk_conductor_v1_Frontend__Output } from './spdk/conductor/v1/Frontend.js';
import type { HostTimeoutsOverride as _spdk_conductor_v1_HostTimeoutsOverride, HostTimeoutsOverride__Output as _spdk_conductor_v1_HostTimeoutsOverride__Output } from './spdk/conductor/v1/HostTimeoutsOverride.js';
import type { LocalReplica as _spdk_conductor_v1_LocalReplica, LocalReplica__Output as _spdk_conductor_v1_LocalReplica__Output } from './spdk/conductor/v1/LocalReplica.js';
import type { Rebuild as _spdk_conductor_v1_Rebuild, Rebuild__Output as _spdk_conductor_v1_Rebuild__Output } from './spdk/conductor/v1/Rebuild.js';
import type { RebuildCancelRequest as _spdk_conductor_v1_RebuildCancelRequest, RebuildCancelRequest__Output as _spdk_conductor_v1_RebuildCancelRequest__Output } from './spdk/conductor/v1/RebuildCancelRequest.js';
import type { RebuildGetRequest as _spdk_conductor_v1_RebuildGetRequest, RebuildGetRequest__Output as _spdk_conductor_v1_RebuildGetRequest__Output } from './spdk/conductor/v1/RebuildGetRequest.js';
import type { RebuildListRequest as _spdk_conductor_v1_RebuildListRequest, RebuildListRequest__Output as _spdk_conductor_v1_RebuildListRequest__Output } from './spdk/conductor/v1/RebuildListRequest.js';
import type { RebuildListResponse as _spdk_conductor_v1_RebuildListResponse, RebuildListResponse__Output as _spdk_conductor_v1_RebuildListResponse__Output } from './spdk/conductor/v1/RebuildListResponse.js';
import type { RebuildProgress as _spdk_conductor_v1_RebuildProgress, RebuildProgress__Output as _spdk_conductor_v1_RebuildProgress__Output } from './spdk/conductor/v1/RebuildProgress.js';
import type { RebuildThrottle as _spdk_conductor_v1_RebuildThrottle, RebuildThrottle__Output as _spdk_conductor_v1_RebuildThrottle__Output } from './spdk/conductor/v1/RebuildThrottle.js';
import type { RemoteReplica as _spdk_conductor_v1_RemoteReplica, RemoteReplica__Output as _spdk_conductor_v1_RemoteReplica__Output } from './spdk/conductor/v1/RemoteReplica.js';
import type { ReplicaTimeoutsOverride as _spdk_conductor_v1_ReplicaTimeoutsOverride, ReplicaTimeoutsOverride__Output as _spdk_conductor_v1_ReplicaTimeoutsOverride__Output } from './spdk/conductor/v1/ReplicaTimeoutsOverride.js';
import type { SalvageVerdict as _spdk_conductor_v1_SalvageVerdict, SalvageVerdict__Output as _spdk_conductor_v1_SalvageVerdict__Output } from './spdk/conductor/v1/SalvageVerdict.js';
import type { SnapshotCopy as _spdk_conductor_v1_SnapshotCopy, SnapshotCopy__Output as _spdk_conductor_v1_SnapshotCopy__Output } from './spdk/conductor/v1/SnapshotCopy.js';
import type { TimeoutsOverride as _spdk_conductor_v1_TimeoutsOverride, TimeoutsOverride__Output as _spdk_conductor_v1_TimeoutsOverride__Output } from './spdk/conductor/v1/TimeoutsOverride.js';
import type { VolumeIo as _spdk_conductor_v1_VolumeIo, VolumeIo__Output as _spdk_conductor_v1_VolumeIo__Output } from './spdk/conductor/v1/VolumeIo.js';
import type { VolumeIoRates as _spdk_conductor_v1_VolumeIoRates, VolumeIoRates__Output as _spdk_conductor_v1_VolumeIoRates__Output } from './spdk/conductor/v1/VolumeIoRates.js';
import type { VolumeSnapshot as _spdk_conductor_v1_VolumeSnapshot, VolumeSnapshot__Output as _spdk_conductor_v1_VolumeSnapshot__Output } from './spdk/conductor/v1/VolumeSnapshot.js';

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
        Engine: MessageTypeDefinition<_spdk_conductor_v1_Engine, _spdk_conductor_v1_Engine__Output>
        EngineCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineCreateRequest, _spdk_conductor_v1_EngineCreateRequest__Output>
        EngineDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineDeleteRequest, _spdk_conductor_v1_EngineDeleteRequest__Output>
        EngineDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineDeleteResponse, _spdk_conductor_v1_EngineDeleteResponse__Output>
        EngineEvent: MessageTypeDefinition<_spdk_conductor_v1_EngineEvent, _spdk_conductor_v1_EngineEvent__Output>
        EngineExpandRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineExpandRequest, _spdk_conductor_v1_EngineExpandRequest__Output>
        EngineExpansion: MessageTypeDefinition<_spdk_conductor_v1_EngineExpansion, _spdk_conductor_v1_EngineExpansion__Output>
        EngineGetRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineGetRequest, _spdk_conductor_v1_EngineGetRequest__Output>
        EngineListRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineListRequest, _spdk_conductor_v1_EngineListRequest__Output>
        EngineListResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineListResponse, _spdk_conductor_v1_EngineListResponse__Output>
        EngineMember: MessageTypeDefinition<_spdk_conductor_v1_EngineMember, _spdk_conductor_v1_EngineMember__Output>
        EngineQos: MessageTypeDefinition<_spdk_conductor_v1_EngineQos, _spdk_conductor_v1_EngineQos__Output>
        EngineQosSetRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineQosSetRequest, _spdk_conductor_v1_EngineQosSetRequest__Output>
        EngineQosSetResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineQosSetResponse, _spdk_conductor_v1_EngineQosSetResponse__Output>
        EngineRepairRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineRepairRequest, _spdk_conductor_v1_EngineRepairRequest__Output>
        EngineRepairResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineRepairResponse, _spdk_conductor_v1_EngineRepairResponse__Output>
        EngineReplica: MessageTypeDefinition<_spdk_conductor_v1_EngineReplica, _spdk_conductor_v1_EngineReplica__Output>
        EngineReplicaAddRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineReplicaAddRequest, _spdk_conductor_v1_EngineReplicaAddRequest__Output>
        EngineReplicaListRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineReplicaListRequest, _spdk_conductor_v1_EngineReplicaListRequest__Output>
        EngineReplicaListResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineReplicaListResponse, _spdk_conductor_v1_EngineReplicaListResponse__Output>
        EngineReplicaRemoveRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineReplicaRemoveRequest, _spdk_conductor_v1_EngineReplicaRemoveRequest__Output>
        EngineRevert: MessageTypeDefinition<_spdk_conductor_v1_EngineRevert, _spdk_conductor_v1_EngineRevert__Output>
        EngineSalvage: MessageTypeDefinition<_spdk_conductor_v1_EngineSalvage, _spdk_conductor_v1_EngineSalvage__Output>
        EngineSnapshotCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotCreateRequest, _spdk_conductor_v1_EngineSnapshotCreateRequest__Output>
        EngineSnapshotDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotDeleteRequest, _spdk_conductor_v1_EngineSnapshotDeleteRequest__Output>
        EngineSnapshotDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotDeleteResponse, _spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>
        EngineSnapshotListRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotListRequest, _spdk_conductor_v1_EngineSnapshotListRequest__Output>
        EngineSnapshotListResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotListResponse, _spdk_conductor_v1_EngineSnapshotListResponse__Output>
        EngineSnapshotRevertRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineSnapshotRevertRequest, _spdk_conductor_v1_EngineSnapshotRevertRequest__Output>
        EngineState: EnumTypeDefinition
        EngineStatsRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineStatsRequest, _spdk_conductor_v1_EngineStatsRequest__Output>
        EngineStatsResponse: MessageTypeDefinition<_spdk_conductor_v1_EngineStatsResponse, _spdk_conductor_v1_EngineStatsResponse__Output>
        EngineWatchRequest: MessageTypeDefinition<_spdk_conductor_v1_EngineWatchRequest, _spdk_conductor_v1_EngineWatchRequest__Output>
        Engines: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_EnginesClient> & { service: _spdk_conductor_v1_EnginesDefinition }
        Frontend: MessageTypeDefinition<_spdk_conductor_v1_Frontend, _spdk_conductor_v1_Frontend__Output>
        FrontendKind: EnumTypeDefinition
        HostTimeoutsOverride: MessageTypeDefinition<_spdk_conductor_v1_HostTimeoutsOverride, _spdk_conductor_v1_HostTimeoutsOverride__Output>
        LocalReplica: MessageTypeDefinition<_spdk_conductor_v1_LocalReplica, _spdk_conductor_v1_LocalReplica__Output>
        MemberState: EnumTypeDefinition
        Rebuild: MessageTypeDefinition<_spdk_conductor_v1_Rebuild, _spdk_conductor_v1_Rebuild__Output>
        RebuildCancelRequest: MessageTypeDefinition<_spdk_conductor_v1_RebuildCancelRequest, _spdk_conductor_v1_RebuildCancelRequest__Output>
        RebuildGetRequest: MessageTypeDefinition<_spdk_conductor_v1_RebuildGetRequest, _spdk_conductor_v1_RebuildGetRequest__Output>
        RebuildListRequest: MessageTypeDefinition<_spdk_conductor_v1_RebuildListRequest, _spdk_conductor_v1_RebuildListRequest__Output>
        RebuildListResponse: MessageTypeDefinition<_spdk_conductor_v1_RebuildListResponse, _spdk_conductor_v1_RebuildListResponse__Output>
        RebuildPath: EnumTypeDefinition
        RebuildProgress: MessageTypeDefinition<_spdk_conductor_v1_RebuildProgress, _spdk_conductor_v1_RebuildProgress__Output>
        RebuildState: EnumTypeDefinition
        RebuildThrottle: MessageTypeDefinition<_spdk_conductor_v1_RebuildThrottle, _spdk_conductor_v1_RebuildThrottle__Output>
        RemoteReplica: MessageTypeDefinition<_spdk_conductor_v1_RemoteReplica, _spdk_conductor_v1_RemoteReplica__Output>
        ReplicaLocation: EnumTypeDefinition
        ReplicaTimeoutsOverride: MessageTypeDefinition<_spdk_conductor_v1_ReplicaTimeoutsOverride, _spdk_conductor_v1_ReplicaTimeoutsOverride__Output>
        SalvageVerdict: MessageTypeDefinition<_spdk_conductor_v1_SalvageVerdict, _spdk_conductor_v1_SalvageVerdict__Output>
        SnapshotCopy: MessageTypeDefinition<_spdk_conductor_v1_SnapshotCopy, _spdk_conductor_v1_SnapshotCopy__Output>
        TimeoutsOverride: MessageTypeDefinition<_spdk_conductor_v1_TimeoutsOverride, _spdk_conductor_v1_TimeoutsOverride__Output>
        VolumeIo: MessageTypeDefinition<_spdk_conductor_v1_VolumeIo, _spdk_conductor_v1_VolumeIo__Output>
        VolumeIoRates: MessageTypeDefinition<_spdk_conductor_v1_VolumeIoRates, _spdk_conductor_v1_VolumeIoRates__Output>
        VolumeSnapshot: MessageTypeDefinition<_spdk_conductor_v1_VolumeSnapshot, _spdk_conductor_v1_VolumeSnapshot__Output>
      }
    }
  }
}

