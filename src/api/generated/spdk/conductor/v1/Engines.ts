// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';
import type { EngineCreateRequest as _spdk_conductor_v1_EngineCreateRequest, EngineCreateRequest__Output as _spdk_conductor_v1_EngineCreateRequest__Output } from '../../../spdk/conductor/v1/EngineCreateRequest.js';
import type { EngineDeleteRequest as _spdk_conductor_v1_EngineDeleteRequest, EngineDeleteRequest__Output as _spdk_conductor_v1_EngineDeleteRequest__Output } from '../../../spdk/conductor/v1/EngineDeleteRequest.js';
import type { EngineDeleteResponse as _spdk_conductor_v1_EngineDeleteResponse, EngineDeleteResponse__Output as _spdk_conductor_v1_EngineDeleteResponse__Output } from '../../../spdk/conductor/v1/EngineDeleteResponse.js';
import type { EngineEvent as _spdk_conductor_v1_EngineEvent, EngineEvent__Output as _spdk_conductor_v1_EngineEvent__Output } from '../../../spdk/conductor/v1/EngineEvent.js';
import type { EngineExpandRequest as _spdk_conductor_v1_EngineExpandRequest, EngineExpandRequest__Output as _spdk_conductor_v1_EngineExpandRequest__Output } from '../../../spdk/conductor/v1/EngineExpandRequest.js';
import type { EngineGetRequest as _spdk_conductor_v1_EngineGetRequest, EngineGetRequest__Output as _spdk_conductor_v1_EngineGetRequest__Output } from '../../../spdk/conductor/v1/EngineGetRequest.js';
import type { EngineListRequest as _spdk_conductor_v1_EngineListRequest, EngineListRequest__Output as _spdk_conductor_v1_EngineListRequest__Output } from '../../../spdk/conductor/v1/EngineListRequest.js';
import type { EngineListResponse as _spdk_conductor_v1_EngineListResponse, EngineListResponse__Output as _spdk_conductor_v1_EngineListResponse__Output } from '../../../spdk/conductor/v1/EngineListResponse.js';
import type { EngineQosSetRequest as _spdk_conductor_v1_EngineQosSetRequest, EngineQosSetRequest__Output as _spdk_conductor_v1_EngineQosSetRequest__Output } from '../../../spdk/conductor/v1/EngineQosSetRequest.js';
import type { EngineQosSetResponse as _spdk_conductor_v1_EngineQosSetResponse, EngineQosSetResponse__Output as _spdk_conductor_v1_EngineQosSetResponse__Output } from '../../../spdk/conductor/v1/EngineQosSetResponse.js';
import type { EngineRepairRequest as _spdk_conductor_v1_EngineRepairRequest, EngineRepairRequest__Output as _spdk_conductor_v1_EngineRepairRequest__Output } from '../../../spdk/conductor/v1/EngineRepairRequest.js';
import type { EngineRepairResponse as _spdk_conductor_v1_EngineRepairResponse, EngineRepairResponse__Output as _spdk_conductor_v1_EngineRepairResponse__Output } from '../../../spdk/conductor/v1/EngineRepairResponse.js';
import type { EngineReplicaAddRequest as _spdk_conductor_v1_EngineReplicaAddRequest, EngineReplicaAddRequest__Output as _spdk_conductor_v1_EngineReplicaAddRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaAddRequest.js';
import type { EngineReplicaListRequest as _spdk_conductor_v1_EngineReplicaListRequest, EngineReplicaListRequest__Output as _spdk_conductor_v1_EngineReplicaListRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaListRequest.js';
import type { EngineReplicaListResponse as _spdk_conductor_v1_EngineReplicaListResponse, EngineReplicaListResponse__Output as _spdk_conductor_v1_EngineReplicaListResponse__Output } from '../../../spdk/conductor/v1/EngineReplicaListResponse.js';
import type { EngineReplicaRemoveRequest as _spdk_conductor_v1_EngineReplicaRemoveRequest, EngineReplicaRemoveRequest__Output as _spdk_conductor_v1_EngineReplicaRemoveRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaRemoveRequest.js';
import type { EngineSnapshotCreateRequest as _spdk_conductor_v1_EngineSnapshotCreateRequest, EngineSnapshotCreateRequest__Output as _spdk_conductor_v1_EngineSnapshotCreateRequest__Output } from '../../../spdk/conductor/v1/EngineSnapshotCreateRequest.js';
import type { EngineSnapshotDeleteRequest as _spdk_conductor_v1_EngineSnapshotDeleteRequest, EngineSnapshotDeleteRequest__Output as _spdk_conductor_v1_EngineSnapshotDeleteRequest__Output } from '../../../spdk/conductor/v1/EngineSnapshotDeleteRequest.js';
import type { EngineSnapshotDeleteResponse as _spdk_conductor_v1_EngineSnapshotDeleteResponse, EngineSnapshotDeleteResponse__Output as _spdk_conductor_v1_EngineSnapshotDeleteResponse__Output } from '../../../spdk/conductor/v1/EngineSnapshotDeleteResponse.js';
import type { EngineSnapshotListRequest as _spdk_conductor_v1_EngineSnapshotListRequest, EngineSnapshotListRequest__Output as _spdk_conductor_v1_EngineSnapshotListRequest__Output } from '../../../spdk/conductor/v1/EngineSnapshotListRequest.js';
import type { EngineSnapshotListResponse as _spdk_conductor_v1_EngineSnapshotListResponse, EngineSnapshotListResponse__Output as _spdk_conductor_v1_EngineSnapshotListResponse__Output } from '../../../spdk/conductor/v1/EngineSnapshotListResponse.js';
import type { EngineSnapshotRevertRequest as _spdk_conductor_v1_EngineSnapshotRevertRequest, EngineSnapshotRevertRequest__Output as _spdk_conductor_v1_EngineSnapshotRevertRequest__Output } from '../../../spdk/conductor/v1/EngineSnapshotRevertRequest.js';
import type { EngineStatsRequest as _spdk_conductor_v1_EngineStatsRequest, EngineStatsRequest__Output as _spdk_conductor_v1_EngineStatsRequest__Output } from '../../../spdk/conductor/v1/EngineStatsRequest.js';
import type { EngineStatsResponse as _spdk_conductor_v1_EngineStatsResponse, EngineStatsResponse__Output as _spdk_conductor_v1_EngineStatsResponse__Output } from '../../../spdk/conductor/v1/EngineStatsResponse.js';
import type { EngineWatchRequest as _spdk_conductor_v1_EngineWatchRequest, EngineWatchRequest__Output as _spdk_conductor_v1_EngineWatchRequest__Output } from '../../../spdk/conductor/v1/EngineWatchRequest.js';
import type { Rebuild as _spdk_conductor_v1_Rebuild, Rebuild__Output as _spdk_conductor_v1_Rebuild__Output } from '../../../spdk/conductor/v1/Rebuild.js';
import type { RebuildCancelRequest as _spdk_conductor_v1_RebuildCancelRequest, RebuildCancelRequest__Output as _spdk_conductor_v1_RebuildCancelRequest__Output } from '../../../spdk/conductor/v1/RebuildCancelRequest.js';
import type { RebuildGetRequest as _spdk_conductor_v1_RebuildGetRequest, RebuildGetRequest__Output as _spdk_conductor_v1_RebuildGetRequest__Output } from '../../../spdk/conductor/v1/RebuildGetRequest.js';
import type { RebuildListRequest as _spdk_conductor_v1_RebuildListRequest, RebuildListRequest__Output as _spdk_conductor_v1_RebuildListRequest__Output } from '../../../spdk/conductor/v1/RebuildListRequest.js';
import type { RebuildListResponse as _spdk_conductor_v1_RebuildListResponse, RebuildListResponse__Output as _spdk_conductor_v1_RebuildListResponse__Output } from '../../../spdk/conductor/v1/RebuildListResponse.js';
import type { VolumeSnapshot as _spdk_conductor_v1_VolumeSnapshot, VolumeSnapshot__Output as _spdk_conductor_v1_VolumeSnapshot__Output } from '../../../spdk/conductor/v1/VolumeSnapshot.js';

export interface EnginesClient extends grpc.Client {
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind. The same create
   * over an existing engine returns it, repaired first (EngineRepair, same NQN and port) when it
   * is FAULTED.
   */
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind. The same create
   * over an existing engine returns it, repaired first (EngineRepair, same NQN and port) when it
   * is FAULTED.
   */
  engineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  /**
   * Disconnects the frontend, removes the export, the raid and every member controller.
   */
  EngineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Disconnects the frontend, removes the export, the raid and every member controller.
   */
  engineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineDelete(argument: _spdk_conductor_v1_EngineDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Grows the volume online to size_bytes: every member replica grows (a local one here, a remote
   * one through its node's ReplicaExpand, which needs its api_address), then the raid follows its
   * smallest member by itself (spdk_tgt has no raid resize) and the export's hosts see the new size.
   * Every member is checked first (size, free space on its disk, a healthy engine with no rebuild):
   * a refusal changes nothing. The size asked for is recorded before any member grows and each
   * member as it grows, so a failure or a crash leaves the expansion recorded (Engine.expansion) and
   * the same call again (or the node by itself: after a restart, or its monitor with a growing wait)
   * completes it; lvols cannot shrink back. The same
   * size again is a no-op; a smaller one is INVALID_ARGUMENT.
   */
  EngineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Grows the volume online to size_bytes: every member replica grows (a local one here, a remote
   * one through its node's ReplicaExpand, which needs its api_address), then the raid follows its
   * smallest member by itself (spdk_tgt has no raid resize) and the export's hosts see the new size.
   * Every member is checked first (size, free space on its disk, a healthy engine with no rebuild):
   * a refusal changes nothing. The size asked for is recorded before any member grows and each
   * member as it grows, so a failure or a crash leaves the expansion recorded (Engine.expansion) and
   * the same call again (or the node by itself: after a restart, or its monitor with a growing wait)
   * completes it; lvols cannot shrink back. The same
   * size again is a no-op; a smaller one is INVALID_ARGUMENT.
   */
  engineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineExpand(argument: _spdk_conductor_v1_EngineExpandRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  EngineGet(argument: _spdk_conductor_v1_EngineGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineGet(argument: _spdk_conductor_v1_EngineGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineGet(argument: _spdk_conductor_v1_EngineGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineGet(argument: _spdk_conductor_v1_EngineGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineGet(argument: _spdk_conductor_v1_EngineGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineGet(argument: _spdk_conductor_v1_EngineGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineGet(argument: _spdk_conductor_v1_EngineGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineGet(argument: _spdk_conductor_v1_EngineGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  EngineList(argument: _spdk_conductor_v1_EngineListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  EngineList(argument: _spdk_conductor_v1_EngineListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  EngineList(argument: _spdk_conductor_v1_EngineListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  EngineList(argument: _spdk_conductor_v1_EngineListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  engineList(argument: _spdk_conductor_v1_EngineListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  engineList(argument: _spdk_conductor_v1_EngineListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  engineList(argument: _spdk_conductor_v1_EngineListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  engineList(argument: _spdk_conductor_v1_EngineListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineListResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sets the volume's QoS limits on its raid bdev (every host I/O passes them); fields left unset
   * keep their value, 0 is unlimited. Recorded and put back after spdk_tgt restarts. spdk_tgt rounds
   * an IOPS limit up to a multiple of 1000: the answer gives the limits in force and says what changed.
   */
  EngineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  EngineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  EngineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  EngineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sets the volume's QoS limits on its raid bdev (every host I/O passes them); fields left unset
   * keep their value, 0 is unlimited. Recorded and put back after spdk_tgt restarts. spdk_tgt rounds
   * an IOPS limit up to a multiple of 1000: the answer gives the limits in force and says what changed.
   */
  engineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  engineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  engineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  engineQosSet(argument: _spdk_conductor_v1_EngineQosSetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineQosSetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reconciles one engine now, as the node does after spdk_tgt restarted: remote members without a
   * controller are attached again (same names, the budget's timeouts), the raid is re-assembled
   * (superblock engines by examine; older ones made again from the record with the members that
   * were in sync) and checked against the engine record (a member the record says was being
   * rebuilt is never counted in sync: it is taken out and rebuilt), and the export is made again
   * at the same NQN and port. Idempotent. Answers the engine as it ends up; `problem` says why it
   * could not be brought back whole (NOT_FOUND for an engine this node does not have).
   */
  EngineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  EngineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  EngineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  EngineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reconciles one engine now, as the node does after spdk_tgt restarted: remote members without a
   * controller are attached again (same names, the budget's timeouts), the raid is re-assembled
   * (superblock engines by examine; older ones made again from the record with the members that
   * were in sync) and checked against the engine record (a member the record says was being
   * rebuilt is never counted in sync: it is taken out and rebuilt), and the export is made again
   * at the same NQN and port. Idempotent. Answers the engine as it ends up; `problem` says why it
   * could not be brought back whole (NOT_FOUND for an engine this node does not have).
   */
  engineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  engineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  engineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  engineRepair(argument: _spdk_conductor_v1_EngineRepairRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineRepairResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
   * 
   * The rebuild runs in the background after this returns (RebuildGet follows it): it waits in the
   * node's fair queue (rebuild.maxConcurrent at once), is admitted only if spdk_tgt has the DMA
   * memory for it (else RESOURCE_EXHAUSTED with the numbers, nothing made), copies the volume's
   * snapshot chain first where both nodes can (RebuildPath), then SPDK's raid rebuild fills the head.
   * The member is HEALTHY only when the raid's rebuild process for it has ended. Take no volume
   * snapshot while Engine.rebuilds is not empty: the new replica's head is still being written, so
   * a snapshot of it would hold partial data, and one taken only on the others is not copied (the
   * ended rebuild's reason says so when it happens).
   */
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
   * 
   * The rebuild runs in the background after this returns (RebuildGet follows it): it waits in the
   * node's fair queue (rebuild.maxConcurrent at once), is admitted only if spdk_tgt has the DMA
   * memory for it (else RESOURCE_EXHAUSTED with the numbers, nothing made), copies the volume's
   * snapshot chain first where both nodes can (RebuildPath), then SPDK's raid rebuild fills the head.
   * The member is HEALTHY only when the raid's rebuild process for it has ended. Take no volume
   * snapshot while Engine.rebuilds is not empty: the new replica's head is still being written, so
   * a snapshot of it would hold partial data, and one taken only on the others is not copied (the
   * ended rebuild's reason says so when it happens).
   */
  engineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  /**
   * The engine's members with their state, why, and (remote ones) bdev_nvme's controller state.
   */
  EngineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  EngineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  EngineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  EngineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The engine's members with their state, why, and (remote ones) bdev_nvme's controller state.
   */
  engineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  engineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  engineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  engineReplicaList(argument: _spdk_conductor_v1_EngineReplicaListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineReplicaListResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Takes a replica out of the engine, in this order: out of the raid first, then its controller
   * is detached, then the call waits until its bdev is really gone from spdk_tgt. Only after this
   * returns may the caller tear the replica down on its node (I/O can no longer reach it).
   * Removing a replica the engine does not have returns the engine unchanged.
   */
  EngineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Takes a replica out of the engine, in this order: out of the raid first, then its controller
   * is detached, then the call waits until its bdev is really gone from spdk_tgt. Only after this
   * returns may the caller tear the replica down on its node (I/O can no longer reach it).
   * Removing a replica the engine does not have returns the engine unchanged.
   */
  engineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineReplicaRemove(argument: _spdk_conductor_v1_EngineReplicaRemoveRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  /**
   * A volume snapshot: the same snapshot name and labels on every member in sync, each made by its
   * own node (a remote member needs its api_address), all or nothing (a member failing undoes it
   * on the others; a create that died is undone at the next start). spdk_tgt v26.05 cannot
   * quiesce a volume, so members snapshotted under host writes may differ by the writes in flight:
   * such a snapshot is `unverified` and nothing treats its members' snapshots as identical
   * (docs/volume-operations.md). Idempotent; other labels under the same name are ALREADY_EXISTS.
   */
  EngineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  EngineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  EngineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  EngineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  /**
   * A volume snapshot: the same snapshot name and labels on every member in sync, each made by its
   * own node (a remote member needs its api_address), all or nothing (a member failing undoes it
   * on the others; a create that died is undone at the next start). spdk_tgt v26.05 cannot
   * quiesce a volume, so members snapshotted under host writes may differ by the writes in flight:
   * such a snapshot is `unverified` and nothing treats its members' snapshots as identical
   * (docs/volume-operations.md). Idempotent; other labels under the same name are ALREADY_EXISTS.
   */
  engineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  engineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  engineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  engineSnapshotCreate(argument: _spdk_conductor_v1_EngineSnapshotCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_VolumeSnapshot__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes the snapshot on every member, then its record; deleting a missing one succeeds.
   */
  EngineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes the snapshot on every member, then its record; deleting a missing one succeeds.
   */
  engineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotDelete(argument: _spdk_conductor_v1_EngineSnapshotDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  EngineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  EngineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  engineSnapshotList(argument: _spdk_conductor_v1_EngineSnapshotListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineSnapshotListResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reverts the volume to a volume snapshot. Refused (FAILED_PRECONDITION, nothing changed) while a
   * host is connected to the export (ENGINE_HOSTS_CONNECTED), while a rebuild, an expansion or
   * another revert runs, when the engine is not healthy or the source lacks the snapshot
   * (ENGINE_NOT_REVERTIBLE); an unknown snapshot is NOT_FOUND. Then: the export, the raid and the
   * remote members' controllers go down; one member, the source, is reverted (by its own node when
   * remote); the raid is made again over it alone and exported again at the same NQN, serial and
   * port; the other members are rebuilt from the source (Engine.rebuilds), never trusted, since
   * a snapshot taken under writes may differ between members. The source is `source` when given,
   * else the first member holding the snapshot, local before remote (a superblock engine's local
   * source has its stale superblock cleared, docs/volume-operations.md). Every step is recorded (Engine.revert):
   * a failure or crash leaves it there, and the same call again (or the node by itself: after a
   * restart, or its monitor with a growing wait) completes it. Answers once the export is back and
   * the rebuilds are queued.
   */
  EngineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Reverts the volume to a volume snapshot. Refused (FAILED_PRECONDITION, nothing changed) while a
   * host is connected to the export (ENGINE_HOSTS_CONNECTED), while a rebuild, an expansion or
   * another revert runs, when the engine is not healthy or the source lacks the snapshot
   * (ENGINE_NOT_REVERTIBLE); an unknown snapshot is NOT_FOUND. Then: the export, the raid and the
   * remote members' controllers go down; one member, the source, is reverted (by its own node when
   * remote); the raid is made again over it alone and exported again at the same NQN, serial and
   * port; the other members are rebuilt from the source (Engine.rebuilds), never trusted, since
   * a snapshot taken under writes may differ between members. The source is `source` when given,
   * else the first member holding the snapshot, local before remote (a superblock engine's local
   * source has its stale superblock cleared, docs/volume-operations.md). Every step is recorded (Engine.revert):
   * a failure or crash leaves it there, and the same call again (or the node by itself: after a
   * restart, or its monitor with a growing wait) completes it. Answers once the export is back and
   * the rebuilds are queued.
   */
  engineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  engineSnapshotRevert(argument: _spdk_conductor_v1_EngineSnapshotRevertRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  
  /**
   * The volume's I/O: counters from spdk_tgt's bdev_get_iostat on its raid (the reading the
   * metrics take every metrics.iostatPeriodMs) and rates over the window between the last two.
   */
  EngineStats(argument: _spdk_conductor_v1_EngineStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  EngineStats(argument: _spdk_conductor_v1_EngineStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  EngineStats(argument: _spdk_conductor_v1_EngineStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  EngineStats(argument: _spdk_conductor_v1_EngineStatsRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The volume's I/O: counters from spdk_tgt's bdev_get_iostat on its raid (the reading the
   * metrics take every metrics.iostatPeriodMs) and rates over the window between the last two.
   */
  engineStats(argument: _spdk_conductor_v1_EngineStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  engineStats(argument: _spdk_conductor_v1_EngineStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  engineStats(argument: _spdk_conductor_v1_EngineStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  engineStats(argument: _spdk_conductor_v1_EngineStatsRequest, callback: grpc.requestCallback<_spdk_conductor_v1_EngineStatsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The current engines first (one ADDED event each, then SYNCED), then every change with its
   * reason: operations, and what the monitor sees in spdk_tgt (a member lost, a rebuild done).
   */
  EngineWatch(argument: _spdk_conductor_v1_EngineWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_EngineEvent__Output>;
  EngineWatch(argument: _spdk_conductor_v1_EngineWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_EngineEvent__Output>;
  /**
   * The current engines first (one ADDED event each, then SYNCED), then every change with its
   * reason: operations, and what the monitor sees in spdk_tgt (a member lost, a rebuild done).
   */
  engineWatch(argument: _spdk_conductor_v1_EngineWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_EngineEvent__Output>;
  engineWatch(argument: _spdk_conductor_v1_EngineWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_EngineEvent__Output>;
  
  /**
   * Stops a queued or running rebuild: the member is taken out of the raid (never left looking
   * healthy with partial data) and everything made for the rebuild is removed. Cancelling a
   * rebuild that already ended returns it unchanged.
   */
  RebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  /**
   * Stops a queued or running rebuild: the member is taken out of the raid (never left looking
   * healthy with partial data) and everything made for the rebuild is removed. Cancelling a
   * rebuild that already ended returns it unchanged.
   */
  rebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildCancel(argument: _spdk_conductor_v1_RebuildCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  
  RebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  RebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  rebuildGet(argument: _spdk_conductor_v1_RebuildGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Rebuild__Output>): grpc.ClientUnaryCall;
  
  /**
   * Rebuilds on this node: running, queued, and the ones that ended (kept for an hour, at most 256).
   */
  RebuildList(argument: _spdk_conductor_v1_RebuildListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  RebuildList(argument: _spdk_conductor_v1_RebuildListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  RebuildList(argument: _spdk_conductor_v1_RebuildListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  RebuildList(argument: _spdk_conductor_v1_RebuildListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Rebuilds on this node: running, queued, and the ones that ended (kept for an hour, at most 256).
   */
  rebuildList(argument: _spdk_conductor_v1_RebuildListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  rebuildList(argument: _spdk_conductor_v1_RebuildListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  rebuildList(argument: _spdk_conductor_v1_RebuildListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  rebuildList(argument: _spdk_conductor_v1_RebuildListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_RebuildListResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface EnginesHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind. The same create
   * over an existing engine returns it, repaired first (EngineRepair, same NQN and port) when it
   * is FAULTED.
   */
  EngineCreate: grpc.handleUnaryCall<_spdk_conductor_v1_EngineCreateRequest__Output, _spdk_conductor_v1_Engine>;
  
  /**
   * Disconnects the frontend, removes the export, the raid and every member controller.
   */
  EngineDelete: grpc.handleUnaryCall<_spdk_conductor_v1_EngineDeleteRequest__Output, _spdk_conductor_v1_EngineDeleteResponse>;
  
  /**
   * Grows the volume online to size_bytes: every member replica grows (a local one here, a remote
   * one through its node's ReplicaExpand, which needs its api_address), then the raid follows its
   * smallest member by itself (spdk_tgt has no raid resize) and the export's hosts see the new size.
   * Every member is checked first (size, free space on its disk, a healthy engine with no rebuild):
   * a refusal changes nothing. The size asked for is recorded before any member grows and each
   * member as it grows, so a failure or a crash leaves the expansion recorded (Engine.expansion) and
   * the same call again (or the node by itself: after a restart, or its monitor with a growing wait)
   * completes it; lvols cannot shrink back. The same
   * size again is a no-op; a smaller one is INVALID_ARGUMENT.
   */
  EngineExpand: grpc.handleUnaryCall<_spdk_conductor_v1_EngineExpandRequest__Output, _spdk_conductor_v1_Engine>;
  
  EngineGet: grpc.handleUnaryCall<_spdk_conductor_v1_EngineGetRequest__Output, _spdk_conductor_v1_Engine>;
  
  EngineList: grpc.handleUnaryCall<_spdk_conductor_v1_EngineListRequest__Output, _spdk_conductor_v1_EngineListResponse>;
  
  /**
   * Sets the volume's QoS limits on its raid bdev (every host I/O passes them); fields left unset
   * keep their value, 0 is unlimited. Recorded and put back after spdk_tgt restarts. spdk_tgt rounds
   * an IOPS limit up to a multiple of 1000: the answer gives the limits in force and says what changed.
   */
  EngineQosSet: grpc.handleUnaryCall<_spdk_conductor_v1_EngineQosSetRequest__Output, _spdk_conductor_v1_EngineQosSetResponse>;
  
  /**
   * Reconciles one engine now, as the node does after spdk_tgt restarted: remote members without a
   * controller are attached again (same names, the budget's timeouts), the raid is re-assembled
   * (superblock engines by examine; older ones made again from the record with the members that
   * were in sync) and checked against the engine record (a member the record says was being
   * rebuilt is never counted in sync: it is taken out and rebuilt), and the export is made again
   * at the same NQN and port. Idempotent. Answers the engine as it ends up; `problem` says why it
   * could not be brought back whole (NOT_FOUND for an engine this node does not have).
   */
  EngineRepair: grpc.handleUnaryCall<_spdk_conductor_v1_EngineRepairRequest__Output, _spdk_conductor_v1_EngineRepairResponse>;
  
  /**
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
   * 
   * The rebuild runs in the background after this returns (RebuildGet follows it): it waits in the
   * node's fair queue (rebuild.maxConcurrent at once), is admitted only if spdk_tgt has the DMA
   * memory for it (else RESOURCE_EXHAUSTED with the numbers, nothing made), copies the volume's
   * snapshot chain first where both nodes can (RebuildPath), then SPDK's raid rebuild fills the head.
   * The member is HEALTHY only when the raid's rebuild process for it has ended. Take no volume
   * snapshot while Engine.rebuilds is not empty: the new replica's head is still being written, so
   * a snapshot of it would hold partial data, and one taken only on the others is not copied (the
   * ended rebuild's reason says so when it happens).
   */
  EngineReplicaAdd: grpc.handleUnaryCall<_spdk_conductor_v1_EngineReplicaAddRequest__Output, _spdk_conductor_v1_Engine>;
  
  /**
   * The engine's members with their state, why, and (remote ones) bdev_nvme's controller state.
   */
  EngineReplicaList: grpc.handleUnaryCall<_spdk_conductor_v1_EngineReplicaListRequest__Output, _spdk_conductor_v1_EngineReplicaListResponse>;
  
  /**
   * Takes a replica out of the engine, in this order: out of the raid first, then its controller
   * is detached, then the call waits until its bdev is really gone from spdk_tgt. Only after this
   * returns may the caller tear the replica down on its node (I/O can no longer reach it).
   * Removing a replica the engine does not have returns the engine unchanged.
   */
  EngineReplicaRemove: grpc.handleUnaryCall<_spdk_conductor_v1_EngineReplicaRemoveRequest__Output, _spdk_conductor_v1_Engine>;
  
  /**
   * A volume snapshot: the same snapshot name and labels on every member in sync, each made by its
   * own node (a remote member needs its api_address), all or nothing (a member failing undoes it
   * on the others; a create that died is undone at the next start). spdk_tgt v26.05 cannot
   * quiesce a volume, so members snapshotted under host writes may differ by the writes in flight:
   * such a snapshot is `unverified` and nothing treats its members' snapshots as identical
   * (docs/volume-operations.md). Idempotent; other labels under the same name are ALREADY_EXISTS.
   */
  EngineSnapshotCreate: grpc.handleUnaryCall<_spdk_conductor_v1_EngineSnapshotCreateRequest__Output, _spdk_conductor_v1_VolumeSnapshot>;
  
  /**
   * Deletes the snapshot on every member, then its record; deleting a missing one succeeds.
   */
  EngineSnapshotDelete: grpc.handleUnaryCall<_spdk_conductor_v1_EngineSnapshotDeleteRequest__Output, _spdk_conductor_v1_EngineSnapshotDeleteResponse>;
  
  EngineSnapshotList: grpc.handleUnaryCall<_spdk_conductor_v1_EngineSnapshotListRequest__Output, _spdk_conductor_v1_EngineSnapshotListResponse>;
  
  /**
   * Reverts the volume to a volume snapshot. Refused (FAILED_PRECONDITION, nothing changed) while a
   * host is connected to the export (ENGINE_HOSTS_CONNECTED), while a rebuild, an expansion or
   * another revert runs, when the engine is not healthy or the source lacks the snapshot
   * (ENGINE_NOT_REVERTIBLE); an unknown snapshot is NOT_FOUND. Then: the export, the raid and the
   * remote members' controllers go down; one member, the source, is reverted (by its own node when
   * remote); the raid is made again over it alone and exported again at the same NQN, serial and
   * port; the other members are rebuilt from the source (Engine.rebuilds), never trusted, since
   * a snapshot taken under writes may differ between members. The source is `source` when given,
   * else the first member holding the snapshot, local before remote (a superblock engine's local
   * source has its stale superblock cleared, docs/volume-operations.md). Every step is recorded (Engine.revert):
   * a failure or crash leaves it there, and the same call again (or the node by itself: after a
   * restart, or its monitor with a growing wait) completes it. Answers once the export is back and
   * the rebuilds are queued.
   */
  EngineSnapshotRevert: grpc.handleUnaryCall<_spdk_conductor_v1_EngineSnapshotRevertRequest__Output, _spdk_conductor_v1_Engine>;
  
  /**
   * The volume's I/O: counters from spdk_tgt's bdev_get_iostat on its raid (the reading the
   * metrics take every metrics.iostatPeriodMs) and rates over the window between the last two.
   */
  EngineStats: grpc.handleUnaryCall<_spdk_conductor_v1_EngineStatsRequest__Output, _spdk_conductor_v1_EngineStatsResponse>;
  
  /**
   * The current engines first (one ADDED event each, then SYNCED), then every change with its
   * reason: operations, and what the monitor sees in spdk_tgt (a member lost, a rebuild done).
   */
  EngineWatch: grpc.handleServerStreamingCall<_spdk_conductor_v1_EngineWatchRequest__Output, _spdk_conductor_v1_EngineEvent>;
  
  /**
   * Stops a queued or running rebuild: the member is taken out of the raid (never left looking
   * healthy with partial data) and everything made for the rebuild is removed. Cancelling a
   * rebuild that already ended returns it unchanged.
   */
  RebuildCancel: grpc.handleUnaryCall<_spdk_conductor_v1_RebuildCancelRequest__Output, _spdk_conductor_v1_Rebuild>;
  
  RebuildGet: grpc.handleUnaryCall<_spdk_conductor_v1_RebuildGetRequest__Output, _spdk_conductor_v1_Rebuild>;
  
  /**
   * Rebuilds on this node: running, queued, and the ones that ended (kept for an hour, at most 256).
   */
  RebuildList: grpc.handleUnaryCall<_spdk_conductor_v1_RebuildListRequest__Output, _spdk_conductor_v1_RebuildListResponse>;
  
}

export interface EnginesDefinition extends grpc.ServiceDefinition {
  EngineCreate: MethodDefinition<_spdk_conductor_v1_EngineCreateRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineCreateRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineDelete: MethodDefinition<_spdk_conductor_v1_EngineDeleteRequest, _spdk_conductor_v1_EngineDeleteResponse, _spdk_conductor_v1_EngineDeleteRequest__Output, _spdk_conductor_v1_EngineDeleteResponse__Output>
  EngineExpand: MethodDefinition<_spdk_conductor_v1_EngineExpandRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineExpandRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineGet: MethodDefinition<_spdk_conductor_v1_EngineGetRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineGetRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineList: MethodDefinition<_spdk_conductor_v1_EngineListRequest, _spdk_conductor_v1_EngineListResponse, _spdk_conductor_v1_EngineListRequest__Output, _spdk_conductor_v1_EngineListResponse__Output>
  EngineQosSet: MethodDefinition<_spdk_conductor_v1_EngineQosSetRequest, _spdk_conductor_v1_EngineQosSetResponse, _spdk_conductor_v1_EngineQosSetRequest__Output, _spdk_conductor_v1_EngineQosSetResponse__Output>
  EngineRepair: MethodDefinition<_spdk_conductor_v1_EngineRepairRequest, _spdk_conductor_v1_EngineRepairResponse, _spdk_conductor_v1_EngineRepairRequest__Output, _spdk_conductor_v1_EngineRepairResponse__Output>
  EngineReplicaAdd: MethodDefinition<_spdk_conductor_v1_EngineReplicaAddRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineReplicaAddRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineReplicaList: MethodDefinition<_spdk_conductor_v1_EngineReplicaListRequest, _spdk_conductor_v1_EngineReplicaListResponse, _spdk_conductor_v1_EngineReplicaListRequest__Output, _spdk_conductor_v1_EngineReplicaListResponse__Output>
  EngineReplicaRemove: MethodDefinition<_spdk_conductor_v1_EngineReplicaRemoveRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineReplicaRemoveRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineSnapshotCreate: MethodDefinition<_spdk_conductor_v1_EngineSnapshotCreateRequest, _spdk_conductor_v1_VolumeSnapshot, _spdk_conductor_v1_EngineSnapshotCreateRequest__Output, _spdk_conductor_v1_VolumeSnapshot__Output>
  EngineSnapshotDelete: MethodDefinition<_spdk_conductor_v1_EngineSnapshotDeleteRequest, _spdk_conductor_v1_EngineSnapshotDeleteResponse, _spdk_conductor_v1_EngineSnapshotDeleteRequest__Output, _spdk_conductor_v1_EngineSnapshotDeleteResponse__Output>
  EngineSnapshotList: MethodDefinition<_spdk_conductor_v1_EngineSnapshotListRequest, _spdk_conductor_v1_EngineSnapshotListResponse, _spdk_conductor_v1_EngineSnapshotListRequest__Output, _spdk_conductor_v1_EngineSnapshotListResponse__Output>
  EngineSnapshotRevert: MethodDefinition<_spdk_conductor_v1_EngineSnapshotRevertRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineSnapshotRevertRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineStats: MethodDefinition<_spdk_conductor_v1_EngineStatsRequest, _spdk_conductor_v1_EngineStatsResponse, _spdk_conductor_v1_EngineStatsRequest__Output, _spdk_conductor_v1_EngineStatsResponse__Output>
  EngineWatch: MethodDefinition<_spdk_conductor_v1_EngineWatchRequest, _spdk_conductor_v1_EngineEvent, _spdk_conductor_v1_EngineWatchRequest__Output, _spdk_conductor_v1_EngineEvent__Output>
  RebuildCancel: MethodDefinition<_spdk_conductor_v1_RebuildCancelRequest, _spdk_conductor_v1_Rebuild, _spdk_conductor_v1_RebuildCancelRequest__Output, _spdk_conductor_v1_Rebuild__Output>
  RebuildGet: MethodDefinition<_spdk_conductor_v1_RebuildGetRequest, _spdk_conductor_v1_Rebuild, _spdk_conductor_v1_RebuildGetRequest__Output, _spdk_conductor_v1_Rebuild__Output>
  RebuildList: MethodDefinition<_spdk_conductor_v1_RebuildListRequest, _spdk_conductor_v1_RebuildListResponse, _spdk_conductor_v1_RebuildListRequest__Output, _spdk_conductor_v1_RebuildListResponse__Output>
}
