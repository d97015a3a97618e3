// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Replica as _spdk_conductor_v1_Replica, Replica__Output as _spdk_conductor_v1_Replica__Output } from '../../../spdk/conductor/v1/Replica.js';
import type { ReplicaCloneRequest as _spdk_conductor_v1_ReplicaCloneRequest, ReplicaCloneRequest__Output as _spdk_conductor_v1_ReplicaCloneRequest__Output } from '../../../spdk/conductor/v1/ReplicaCloneRequest.js';
import type { ReplicaCreateRequest as _spdk_conductor_v1_ReplicaCreateRequest, ReplicaCreateRequest__Output as _spdk_conductor_v1_ReplicaCreateRequest__Output } from '../../../spdk/conductor/v1/ReplicaCreateRequest.js';
import type { ReplicaDeleteRequest as _spdk_conductor_v1_ReplicaDeleteRequest, ReplicaDeleteRequest__Output as _spdk_conductor_v1_ReplicaDeleteRequest__Output } from '../../../spdk/conductor/v1/ReplicaDeleteRequest.js';
import type { ReplicaDeleteResponse as _spdk_conductor_v1_ReplicaDeleteResponse, ReplicaDeleteResponse__Output as _spdk_conductor_v1_ReplicaDeleteResponse__Output } from '../../../spdk/conductor/v1/ReplicaDeleteResponse.js';
import type { ReplicaEvent as _spdk_conductor_v1_ReplicaEvent, ReplicaEvent__Output as _spdk_conductor_v1_ReplicaEvent__Output } from '../../../spdk/conductor/v1/ReplicaEvent.js';
import type { ReplicaExpandRequest as _spdk_conductor_v1_ReplicaExpandRequest, ReplicaExpandRequest__Output as _spdk_conductor_v1_ReplicaExpandRequest__Output } from '../../../spdk/conductor/v1/ReplicaExpandRequest.js';
import type { ReplicaExposeRequest as _spdk_conductor_v1_ReplicaExposeRequest, ReplicaExposeRequest__Output as _spdk_conductor_v1_ReplicaExposeRequest__Output } from '../../../spdk/conductor/v1/ReplicaExposeRequest.js';
import type { ReplicaGetRequest as _spdk_conductor_v1_ReplicaGetRequest, ReplicaGetRequest__Output as _spdk_conductor_v1_ReplicaGetRequest__Output } from '../../../spdk/conductor/v1/ReplicaGetRequest.js';
import type { ReplicaListRequest as _spdk_conductor_v1_ReplicaListRequest, ReplicaListRequest__Output as _spdk_conductor_v1_ReplicaListRequest__Output } from '../../../spdk/conductor/v1/ReplicaListRequest.js';
import type { ReplicaListResponse as _spdk_conductor_v1_ReplicaListResponse, ReplicaListResponse__Output as _spdk_conductor_v1_ReplicaListResponse__Output } from '../../../spdk/conductor/v1/ReplicaListResponse.js';
import type { ReplicaUnexposeRequest as _spdk_conductor_v1_ReplicaUnexposeRequest, ReplicaUnexposeRequest__Output as _spdk_conductor_v1_ReplicaUnexposeRequest__Output } from '../../../spdk/conductor/v1/ReplicaUnexposeRequest.js';
import type { ReplicaWatchRequest as _spdk_conductor_v1_ReplicaWatchRequest, ReplicaWatchRequest__Output as _spdk_conductor_v1_ReplicaWatchRequest__Output } from '../../../spdk/conductor/v1/ReplicaWatchRequest.js';

export interface ReplicasClient extends grpc.Client {
  /**
   * A new replica from a snapshot. LINKED: an lvol clone of the snapshot on the snapshot's disk
   * (instant; shares the snapshot's clusters, so the snapshot cannot be deleted while it lives).
   * FULL: independent of the snapshot: a clone inflated here, or, with source_api_address, the
   * snapshot's chain shallow-copied from that node into a new replica on disk_name (the path
   * rebuilds use). Idempotent: the same clone again returns the replica; a replica of that name
   * made otherwise is ALREADY_EXISTS. A clone that fails leaves nothing behind.
   */
  ReplicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  /**
   * A new replica from a snapshot. LINKED: an lvol clone of the snapshot on the snapshot's disk
   * (instant; shares the snapshot's clusters, so the snapshot cannot be deleted while it lives).
   * FULL: independent of the snapshot: a clone inflated here, or, with source_api_address, the
   * snapshot's chain shallow-copied from that node into a new replica on disk_name (the path
   * rebuilds use). Idempotent: the same clone again returns the replica; a replica of that name
   * made otherwise is ALREADY_EXISTS. A clone that fails leaves nothing behind.
   */
  replicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaClone(argument: _spdk_conductor_v1_ReplicaCloneRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  /**
   * A thin lvol of size_bytes on a disk. A delete of the same name that did not finish is finished
   * first; while it cannot be, nothing is created (REPLICA_DELETE_UNFINISHED, UNAVAILABLE: retry).
   */
  ReplicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  /**
   * A thin lvol of size_bytes on a disk. A delete of the same name that did not finish is finished
   * first; while it cannot be, nothing is created (REPLICA_DELETE_UNFINISHED, UNAVAILABLE: retry).
   */
  replicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaCreate(argument: _spdk_conductor_v1_ReplicaCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes the export, the head and every snapshot of the replica. The delete is recorded first:
   * one that fails half-way is finished by the node by itself (or by this call again).
   */
  ReplicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  ReplicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  ReplicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  ReplicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes the export, the head and every snapshot of the replica. The delete is recorded first:
   * one that fails half-way is finished by the node by itself (or by this call again).
   */
  replicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  replicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  replicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  replicaDelete(argument: _spdk_conductor_v1_ReplicaDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Grows the replica (shrinking is refused).
   */
  ReplicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  /**
   * Grows the replica (shrinking is refused).
   */
  replicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpand(argument: _spdk_conductor_v1_ReplicaExpandRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  /**
   * Exports the replica over NVMe-oF/TCP to the given host NQNs only (never to any host); on an
   * exposed replica the request's mode says whether they are added or replace the hosts.
   */
  ReplicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  /**
   * Exports the replica over NVMe-oF/TCP to the given host NQNs only (never to any host); on an
   * exposed replica the request's mode says whether they are added or replace the hosts.
   */
  replicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaExpose(argument: _spdk_conductor_v1_ReplicaExposeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  ReplicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaGet(argument: _spdk_conductor_v1_ReplicaGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  ReplicaList(argument: _spdk_conductor_v1_ReplicaListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  ReplicaList(argument: _spdk_conductor_v1_ReplicaListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  ReplicaList(argument: _spdk_conductor_v1_ReplicaListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  ReplicaList(argument: _spdk_conductor_v1_ReplicaListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  replicaList(argument: _spdk_conductor_v1_ReplicaListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  replicaList(argument: _spdk_conductor_v1_ReplicaListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  replicaList(argument: _spdk_conductor_v1_ReplicaListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  replicaList(argument: _spdk_conductor_v1_ReplicaListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_ReplicaListResponse__Output>): grpc.ClientUnaryCall;
  
  ReplicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  ReplicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  replicaUnexpose(argument: _spdk_conductor_v1_ReplicaUnexposeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  /**
   * The current list first (one ADDED event per replica, then SYNCED), then every change.
   */
  ReplicaWatch(argument: _spdk_conductor_v1_ReplicaWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ReplicaEvent__Output>;
  ReplicaWatch(argument: _spdk_conductor_v1_ReplicaWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ReplicaEvent__Output>;
  /**
   * The current list first (one ADDED event per replica, then SYNCED), then every change.
   */
  replicaWatch(argument: _spdk_conductor_v1_ReplicaWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ReplicaEvent__Output>;
  replicaWatch(argument: _spdk_conductor_v1_ReplicaWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ReplicaEvent__Output>;
  
}

export interface ReplicasHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A new replica from a snapshot. LINKED: an lvol clone of the snapshot on the snapshot's disk
   * (instant; shares the snapshot's clusters, so the snapshot cannot be deleted while it lives).
   * FULL: independent of the snapshot: a clone inflated here, or, with source_api_address, the
   * snapshot's chain shallow-copied from that node into a new replica on disk_name (the path
   * rebuilds use). Idempotent: the same clone again returns the replica; a replica of that name
   * made otherwise is ALREADY_EXISTS. A clone that fails leaves nothing behind.
   */
  ReplicaClone: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaCloneRequest__Output, _spdk_conductor_v1_Replica>;
  
  /**
   * A thin lvol of size_bytes on a disk. A delete of the same name that did not finish is finished
   * first; while it cannot be, nothing is created (REPLICA_DELETE_UNFINISHED, UNAVAILABLE: retry).
   */
  ReplicaCreate: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaCreateRequest__Output, _spdk_conductor_v1_Replica>;
  
  /**
   * Removes the export, the head and every snapshot of the replica. The delete is recorded first:
   * one that fails half-way is finished by the node by itself (or by this call again).
   */
  ReplicaDelete: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaDeleteRequest__Output, _spdk_conductor_v1_ReplicaDeleteResponse>;
  
  /**
   * Grows the replica (shrinking is refused).
   */
  ReplicaExpand: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaExpandRequest__Output, _spdk_conductor_v1_Replica>;
  
  /**
   * Exports the replica over NVMe-oF/TCP to the given host NQNs only (never to any host); on an
   * exposed replica the request's mode says whether they are added or replace the hosts.
   */
  ReplicaExpose: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaExposeRequest__Output, _spdk_conductor_v1_Replica>;
  
  ReplicaGet: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaGetRequest__Output, _spdk_conductor_v1_Replica>;
  
  ReplicaList: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaListRequest__Output, _spdk_conductor_v1_ReplicaListResponse>;
  
  ReplicaUnexpose: grpc.handleUnaryCall<_spdk_conductor_v1_ReplicaUnexposeRequest__Output, _spdk_conductor_v1_Replica>;
  
  /**
   * The current list first (one ADDED event per replica, then SYNCED), then every change.
   */
  ReplicaWatch: grpc.handleServerStreamingCall<_spdk_conductor_v1_ReplicaWatchRequest__Output, _spdk_conductor_v1_ReplicaEvent>;
  
}

export interface ReplicasDefinition extends grpc.ServiceDefinition {
  ReplicaClone: MethodDefinition<_spdk_conductor_v1_ReplicaCloneRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaCloneRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaCreate: MethodDefinition<_spdk_conductor_v1_ReplicaCreateRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaCreateRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaDelete: MethodDefinition<_spdk_conductor_v1_ReplicaDeleteRequest, _spdk_conductor_v1_ReplicaDeleteResponse, _spdk_conductor_v1_ReplicaDeleteRequest__Output, _spdk_conductor_v1_ReplicaDeleteResponse__Output>
  ReplicaExpand: MethodDefinition<_spdk_conductor_v1_ReplicaExpandRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaExpandRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaExpose: MethodDefinition<_spdk_conductor_v1_ReplicaExposeRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaExposeRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaGet: MethodDefinition<_spdk_conductor_v1_ReplicaGetRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaGetRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaList: MethodDefinition<_spdk_conductor_v1_ReplicaListRequest, _spdk_conductor_v1_ReplicaListResponse, _spdk_conductor_v1_ReplicaListRequest__Output, _spdk_conductor_v1_ReplicaListResponse__Output>
  ReplicaUnexpose: MethodDefinition<_spdk_conductor_v1_ReplicaUnexposeRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_ReplicaUnexposeRequest__Output, _spdk_conductor_v1_Replica__Output>
  ReplicaWatch: MethodDefinition<_spdk_conductor_v1_ReplicaWatchRequest, _spdk_conductor_v1_ReplicaEvent, _spdk_conductor_v1_ReplicaWatchRequest__Output, _spdk_conductor_v1_ReplicaEvent__Output>
}
