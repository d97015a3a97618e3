// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';
import type { EngineCreateRequest as _spdk_conductor_v1_EngineCreateRequest, EngineCreateRequest__Output as _spdk_conductor_v1_EngineCreateRequest__Output } from '../../../spdk/conductor/v1/EngineCreateRequest.js';
import type { EngineDeleteRequest as _spdk_conductor_v1_EngineDeleteRequest, EngineDeleteRequest__Output as _spdk_conductor_v1_EngineDeleteRequest__Output } from '../../../spdk/conductor/v1/EngineDeleteRequest.js';
import type { EngineDeleteResponse as _spdk_conductor_v1_EngineDeleteResponse, EngineDeleteResponse__Output as _spdk_conductor_v1_EngineDeleteResponse__Output } from '../../../spdk/conductor/v1/EngineDeleteResponse.js';
import type { EngineEvent as _spdk_conductor_v1_EngineEvent, EngineEvent__Output as _spdk_conductor_v1_EngineEvent__Output } from '../../../spdk/conductor/v1/EngineEvent.js';
import type { EngineGetRequest as _spdk_conductor_v1_EngineGetRequest, EngineGetRequest__Output as _spdk_conductor_v1_EngineGetRequest__Output } from '../../../spdk/conductor/v1/EngineGetRequest.js';
import type { EngineListRequest as _spdk_conductor_v1_EngineListRequest, EngineListRequest__Output as _spdk_conductor_v1_EngineListRequest__Output } from '../../../spdk/conductor/v1/EngineListRequest.js';
import type { EngineListResponse as _spdk_conductor_v1_EngineListResponse, EngineListResponse__Output as _spdk_conductor_v1_EngineListResponse__Output } from '../../../spdk/conductor/v1/EngineListResponse.js';
import type { EngineReplicaAddRequest as _spdk_conductor_v1_EngineReplicaAddRequest, EngineReplicaAddRequest__Output as _spdk_conductor_v1_EngineReplicaAddRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaAddRequest.js';
import type { EngineReplicaListRequest as _spdk_conductor_v1_EngineReplicaListRequest, EngineReplicaListRequest__Output as _spdk_conductor_v1_EngineReplicaListRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaListRequest.js';
import type { EngineReplicaListResponse as _spdk_conductor_v1_EngineReplicaListResponse, EngineReplicaListResponse__Output as _spdk_conductor_v1_EngineReplicaListResponse__Output } from '../../../spdk/conductor/v1/EngineReplicaListResponse.js';
import type { EngineReplicaRemoveRequest as _spdk_conductor_v1_EngineReplicaRemoveRequest, EngineReplicaRemoveRequest__Output as _spdk_conductor_v1_EngineReplicaRemoveRequest__Output } from '../../../spdk/conductor/v1/EngineReplicaRemoveRequest.js';
import type { EngineWatchRequest as _spdk_conductor_v1_EngineWatchRequest, EngineWatchRequest__Output as _spdk_conductor_v1_EngineWatchRequest__Output } from '../../../spdk/conductor/v1/EngineWatchRequest.js';

export interface EnginesClient extends grpc.Client {
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind.
   */
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineCreate(argument: _spdk_conductor_v1_EngineCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind.
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
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
   */
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  EngineReplicaAdd(argument: _spdk_conductor_v1_EngineReplicaAddRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Engine__Output>): grpc.ClientUnaryCall;
  /**
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
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
  
}

export interface EnginesHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Attaches the replicas (remote ones with bdev_nvme under the timeout budget, local ones
   * directly), builds the raid1 over the reachable ones (at least two), exports it, and for the
   * nvme-host frontend connects this node's kernel to it. A replica that cannot be reached leaves
   * the engine DEGRADED, never half-built; a failed create leaves nothing behind.
   */
  EngineCreate: grpc.handleUnaryCall<_spdk_conductor_v1_EngineCreateRequest__Output, _spdk_conductor_v1_Engine>;
  
  /**
   * Disconnects the frontend, removes the export, the raid and every member controller.
   */
  EngineDelete: grpc.handleUnaryCall<_spdk_conductor_v1_EngineDeleteRequest__Output, _spdk_conductor_v1_EngineDeleteResponse>;
  
  EngineGet: grpc.handleUnaryCall<_spdk_conductor_v1_EngineGetRequest__Output, _spdk_conductor_v1_Engine>;
  
  EngineList: grpc.handleUnaryCall<_spdk_conductor_v1_EngineListRequest__Output, _spdk_conductor_v1_EngineListResponse>;
  
  /**
   * Attaches a replica and adds it to the raid; spdk_tgt rebuilds it from the healthy members
   * (Engine.rebuild shows the progress, EngineWatch the end). The raid keeps the number of members
   * it was created with: an added replica fills the slot a removed one left, so remove first.
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
   * The current engines first (one ADDED event each, then SYNCED), then every change with its
   * reason: operations, and what the monitor sees in spdk_tgt (a member lost, a rebuild done).
   */
  EngineWatch: grpc.handleServerStreamingCall<_spdk_conductor_v1_EngineWatchRequest__Output, _spdk_conductor_v1_EngineEvent>;
  
}

export interface EnginesDefinition extends grpc.ServiceDefinition {
  EngineCreate: MethodDefinition<_spdk_conductor_v1_EngineCreateRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineCreateRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineDelete: MethodDefinition<_spdk_conductor_v1_EngineDeleteRequest, _spdk_conductor_v1_EngineDeleteResponse, _spdk_conductor_v1_EngineDeleteRequest__Output, _spdk_conductor_v1_EngineDeleteResponse__Output>
  EngineGet: MethodDefinition<_spdk_conductor_v1_EngineGetRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineGetRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineList: MethodDefinition<_spdk_conductor_v1_EngineListRequest, _spdk_conductor_v1_EngineListResponse, _spdk_conductor_v1_EngineListRequest__Output, _spdk_conductor_v1_EngineListResponse__Output>
  EngineReplicaAdd: MethodDefinition<_spdk_conductor_v1_EngineReplicaAddRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineReplicaAddRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineReplicaList: MethodDefinition<_spdk_conductor_v1_EngineReplicaListRequest, _spdk_conductor_v1_EngineReplicaListResponse, _spdk_conductor_v1_EngineReplicaListRequest__Output, _spdk_conductor_v1_EngineReplicaListResponse__Output>
  EngineReplicaRemove: MethodDefinition<_spdk_conductor_v1_EngineReplicaRemoveRequest, _spdk_conductor_v1_Engine, _spdk_conductor_v1_EngineReplicaRemoveRequest__Output, _spdk_conductor_v1_Engine__Output>
  EngineWatch: MethodDefinition<_spdk_conductor_v1_EngineWatchRequest, _spdk_conductor_v1_EngineEvent, _spdk_conductor_v1_EngineWatchRequest__Output, _spdk_conductor_v1_EngineEvent__Output>
}
