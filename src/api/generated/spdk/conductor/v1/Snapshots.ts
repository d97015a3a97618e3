// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Replica as _spdk_conductor_v1_Replica, Replica__Output as _spdk_conductor_v1_Replica__Output } from '../../../spdk/conductor/v1/Replica.js';
import type { ShallowCopyProgress as _spdk_conductor_v1_ShallowCopyProgress, ShallowCopyProgress__Output as _spdk_conductor_v1_ShallowCopyProgress__Output } from '../../../spdk/conductor/v1/ShallowCopyProgress.js';
import type { Snapshot as _spdk_conductor_v1_Snapshot, Snapshot__Output as _spdk_conductor_v1_Snapshot__Output } from '../../../spdk/conductor/v1/Snapshot.js';
import type { SnapshotCreateRequest as _spdk_conductor_v1_SnapshotCreateRequest, SnapshotCreateRequest__Output as _spdk_conductor_v1_SnapshotCreateRequest__Output } from '../../../spdk/conductor/v1/SnapshotCreateRequest.js';
import type { SnapshotDeleteRequest as _spdk_conductor_v1_SnapshotDeleteRequest, SnapshotDeleteRequest__Output as _spdk_conductor_v1_SnapshotDeleteRequest__Output } from '../../../spdk/conductor/v1/SnapshotDeleteRequest.js';
import type { SnapshotDeleteResponse as _spdk_conductor_v1_SnapshotDeleteResponse, SnapshotDeleteResponse__Output as _spdk_conductor_v1_SnapshotDeleteResponse__Output } from '../../../spdk/conductor/v1/SnapshotDeleteResponse.js';
import type { SnapshotListRequest as _spdk_conductor_v1_SnapshotListRequest, SnapshotListRequest__Output as _spdk_conductor_v1_SnapshotListRequest__Output } from '../../../spdk/conductor/v1/SnapshotListRequest.js';
import type { SnapshotListResponse as _spdk_conductor_v1_SnapshotListResponse, SnapshotListResponse__Output as _spdk_conductor_v1_SnapshotListResponse__Output } from '../../../spdk/conductor/v1/SnapshotListResponse.js';
import type { SnapshotPurgeRequest as _spdk_conductor_v1_SnapshotPurgeRequest, SnapshotPurgeRequest__Output as _spdk_conductor_v1_SnapshotPurgeRequest__Output } from '../../../spdk/conductor/v1/SnapshotPurgeRequest.js';
import type { SnapshotPurgeResponse as _spdk_conductor_v1_SnapshotPurgeResponse, SnapshotPurgeResponse__Output as _spdk_conductor_v1_SnapshotPurgeResponse__Output } from '../../../spdk/conductor/v1/SnapshotPurgeResponse.js';
import type { SnapshotRevertRequest as _spdk_conductor_v1_SnapshotRevertRequest, SnapshotRevertRequest__Output as _spdk_conductor_v1_SnapshotRevertRequest__Output } from '../../../spdk/conductor/v1/SnapshotRevertRequest.js';
import type { SnapshotShallowCopyRequest as _spdk_conductor_v1_SnapshotShallowCopyRequest, SnapshotShallowCopyRequest__Output as _spdk_conductor_v1_SnapshotShallowCopyRequest__Output } from '../../../spdk/conductor/v1/SnapshotShallowCopyRequest.js';

export interface SnapshotsClient extends grpc.Client {
  SnapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  SnapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  SnapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  SnapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  snapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  snapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  snapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  snapshotCreate(argument: _spdk_conductor_v1_SnapshotCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Snapshot__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes one snapshot: SPDK merges it into its only child; with two or more children it is
   * refused (FAILED_PRECONDITION).
   */
  SnapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  SnapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  SnapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  SnapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes one snapshot: SPDK merges it into its only child; with two or more children it is
   * refused (FAILED_PRECONDITION).
   */
  snapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  snapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  snapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  snapshotDelete(argument: _spdk_conductor_v1_SnapshotDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The replica's snapshots, oldest first, with parent/children links.
   */
  SnapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  SnapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  SnapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  SnapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The replica's snapshots, oldest first, with parent/children links.
   */
  snapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  snapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  snapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  snapshotList(argument: _spdk_conductor_v1_SnapshotListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotListResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes the snapshots the system made (user_created false) wherever SPDK allows.
   */
  SnapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes the snapshots the system made (user_created false) wherever SPDK allows.
   */
  snapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  snapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  snapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  snapshotPurge(argument: _spdk_conductor_v1_SnapshotPurgeRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SnapshotPurgeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replaces the replica's head with a fresh clone of the snapshot. An exposed replica keeps its
   * export when no host is connected (REPLICA_EXPOSED otherwise): the namespace moves to the new
   * head. Recorded first: a revert a failure cut after its clone is finished by the node by itself.
   */
  SnapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  SnapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  SnapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  SnapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  /**
   * Replaces the replica's head with a fresh clone of the snapshot. An exposed replica keeps its
   * export when no host is connected (REPLICA_EXPOSED otherwise): the namespace moves to the new
   * head. Recorded first: a revert a failure cut after its clone is finished by the node by itself.
   */
  snapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  snapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  snapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  snapshotRevert(argument: _spdk_conductor_v1_SnapshotRevertRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Replica__Output>): grpc.ClientUnaryCall;
  
  /**
   * Copies one snapshot's own clusters (not its parents') to an NVMe-oF target, e.g. a new
   * replica's head on another node during a rebuild: this node attaches the target with its
   * engine host NQN, runs spdk_tgt's shallow copy, streams progress, and detaches. Cancelling the
   * call (or this service restarting) detaches the target, which stops the copy; nothing is left.
   * A target that requires DH-HMAC-CHAP or TLS is attached as `host` with its secrets, which this
   * node keeps in its keyring for the copy alone (removed on every path, and at a restart).
   */
  SnapshotShallowCopy(argument: _spdk_conductor_v1_SnapshotShallowCopyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ShallowCopyProgress__Output>;
  SnapshotShallowCopy(argument: _spdk_conductor_v1_SnapshotShallowCopyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ShallowCopyProgress__Output>;
  /**
   * Copies one snapshot's own clusters (not its parents') to an NVMe-oF target, e.g. a new
   * replica's head on another node during a rebuild: this node attaches the target with its
   * engine host NQN, runs spdk_tgt's shallow copy, streams progress, and detaches. Cancelling the
   * call (or this service restarting) detaches the target, which stops the copy; nothing is left.
   * A target that requires DH-HMAC-CHAP or TLS is attached as `host` with its secrets, which this
   * node keeps in its keyring for the copy alone (removed on every path, and at a restart).
   */
  snapshotShallowCopy(argument: _spdk_conductor_v1_SnapshotShallowCopyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ShallowCopyProgress__Output>;
  snapshotShallowCopy(argument: _spdk_conductor_v1_SnapshotShallowCopyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_ShallowCopyProgress__Output>;
  
}

export interface SnapshotsHandlers extends grpc.UntypedServiceImplementation {
  SnapshotCreate: grpc.handleUnaryCall<_spdk_conductor_v1_SnapshotCreateRequest__Output, _spdk_conductor_v1_Snapshot>;
  
  /**
   * Deletes one snapshot: SPDK merges it into its only child; with two or more children it is
   * refused (FAILED_PRECONDITION).
   */
  SnapshotDelete: grpc.handleUnaryCall<_spdk_conductor_v1_SnapshotDeleteRequest__Output, _spdk_conductor_v1_SnapshotDeleteResponse>;
  
  /**
   * The replica's snapshots, oldest first, with parent/children links.
   */
  SnapshotList: grpc.handleUnaryCall<_spdk_conductor_v1_SnapshotListRequest__Output, _spdk_conductor_v1_SnapshotListResponse>;
  
  /**
   * Deletes the snapshots the system made (user_created false) wherever SPDK allows.
   */
  SnapshotPurge: grpc.handleUnaryCall<_spdk_conductor_v1_SnapshotPurgeRequest__Output, _spdk_conductor_v1_SnapshotPurgeResponse>;
  
  /**
   * Replaces the replica's head with a fresh clone of the snapshot. An exposed replica keeps its
   * export when no host is connected (REPLICA_EXPOSED otherwise): the namespace moves to the new
   * head. Recorded first: a revert a failure cut after its clone is finished by the node by itself.
   */
  SnapshotRevert: grpc.handleUnaryCall<_spdk_conductor_v1_SnapshotRevertRequest__Output, _spdk_conductor_v1_Replica>;
  
  /**
   * Copies one snapshot's own clusters (not its parents') to an NVMe-oF target, e.g. a new
   * replica's head on another node during a rebuild: this node attaches the target with its
   * engine host NQN, runs spdk_tgt's shallow copy, streams progress, and detaches. Cancelling the
   * call (or this service restarting) detaches the target, which stops the copy; nothing is left.
   * A target that requires DH-HMAC-CHAP or TLS is attached as `host` with its secrets, which this
   * node keeps in its keyring for the copy alone (removed on every path, and at a restart).
   */
  SnapshotShallowCopy: grpc.handleServerStreamingCall<_spdk_conductor_v1_SnapshotShallowCopyRequest__Output, _spdk_conductor_v1_ShallowCopyProgress>;
  
}

export interface SnapshotsDefinition extends grpc.ServiceDefinition {
  SnapshotCreate: MethodDefinition<_spdk_conductor_v1_SnapshotCreateRequest, _spdk_conductor_v1_Snapshot, _spdk_conductor_v1_SnapshotCreateRequest__Output, _spdk_conductor_v1_Snapshot__Output>
  SnapshotDelete: MethodDefinition<_spdk_conductor_v1_SnapshotDeleteRequest, _spdk_conductor_v1_SnapshotDeleteResponse, _spdk_conductor_v1_SnapshotDeleteRequest__Output, _spdk_conductor_v1_SnapshotDeleteResponse__Output>
  SnapshotList: MethodDefinition<_spdk_conductor_v1_SnapshotListRequest, _spdk_conductor_v1_SnapshotListResponse, _spdk_conductor_v1_SnapshotListRequest__Output, _spdk_conductor_v1_SnapshotListResponse__Output>
  SnapshotPurge: MethodDefinition<_spdk_conductor_v1_SnapshotPurgeRequest, _spdk_conductor_v1_SnapshotPurgeResponse, _spdk_conductor_v1_SnapshotPurgeRequest__Output, _spdk_conductor_v1_SnapshotPurgeResponse__Output>
  SnapshotRevert: MethodDefinition<_spdk_conductor_v1_SnapshotRevertRequest, _spdk_conductor_v1_Replica, _spdk_conductor_v1_SnapshotRevertRequest__Output, _spdk_conductor_v1_Replica__Output>
  SnapshotShallowCopy: MethodDefinition<_spdk_conductor_v1_SnapshotShallowCopyRequest, _spdk_conductor_v1_ShallowCopyProgress, _spdk_conductor_v1_SnapshotShallowCopyRequest__Output, _spdk_conductor_v1_ShallowCopyProgress__Output>
}
