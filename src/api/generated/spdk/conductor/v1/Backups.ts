// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupCancelRequest as _spdk_conductor_v1_BackupCancelRequest, BackupCancelRequest__Output as _spdk_conductor_v1_BackupCancelRequest__Output } from '../../../spdk/conductor/v1/BackupCancelRequest.js';
import type { BackupCreateRequest as _spdk_conductor_v1_BackupCreateRequest, BackupCreateRequest__Output as _spdk_conductor_v1_BackupCreateRequest__Output } from '../../../spdk/conductor/v1/BackupCreateRequest.js';
import type { BackupDeleteRequest as _spdk_conductor_v1_BackupDeleteRequest, BackupDeleteRequest__Output as _spdk_conductor_v1_BackupDeleteRequest__Output } from '../../../spdk/conductor/v1/BackupDeleteRequest.js';
import type { BackupDeleteResponse as _spdk_conductor_v1_BackupDeleteResponse, BackupDeleteResponse__Output as _spdk_conductor_v1_BackupDeleteResponse__Output } from '../../../spdk/conductor/v1/BackupDeleteResponse.js';
import type { BackupGetRequest as _spdk_conductor_v1_BackupGetRequest, BackupGetRequest__Output as _spdk_conductor_v1_BackupGetRequest__Output } from '../../../spdk/conductor/v1/BackupGetRequest.js';
import type { BackupJob as _spdk_conductor_v1_BackupJob, BackupJob__Output as _spdk_conductor_v1_BackupJob__Output } from '../../../spdk/conductor/v1/BackupJob.js';
import type { BackupJobEvent as _spdk_conductor_v1_BackupJobEvent, BackupJobEvent__Output as _spdk_conductor_v1_BackupJobEvent__Output } from '../../../spdk/conductor/v1/BackupJobEvent.js';
import type { BackupListRequest as _spdk_conductor_v1_BackupListRequest, BackupListRequest__Output as _spdk_conductor_v1_BackupListRequest__Output } from '../../../spdk/conductor/v1/BackupListRequest.js';
import type { BackupListResponse as _spdk_conductor_v1_BackupListResponse, BackupListResponse__Output as _spdk_conductor_v1_BackupListResponse__Output } from '../../../spdk/conductor/v1/BackupListResponse.js';
import type { BackupTarget as _spdk_conductor_v1_BackupTarget, BackupTarget__Output as _spdk_conductor_v1_BackupTarget__Output } from '../../../spdk/conductor/v1/BackupTarget.js';
import type { BackupTargetGetRequest as _spdk_conductor_v1_BackupTargetGetRequest, BackupTargetGetRequest__Output as _spdk_conductor_v1_BackupTargetGetRequest__Output } from '../../../spdk/conductor/v1/BackupTargetGetRequest.js';
import type { BackupWatchRequest as _spdk_conductor_v1_BackupWatchRequest, BackupWatchRequest__Output as _spdk_conductor_v1_BackupWatchRequest__Output } from '../../../spdk/conductor/v1/BackupWatchRequest.js';
import type { RestoreCreateRequest as _spdk_conductor_v1_RestoreCreateRequest, RestoreCreateRequest__Output as _spdk_conductor_v1_RestoreCreateRequest__Output } from '../../../spdk/conductor/v1/RestoreCreateRequest.js';

export interface BackupsClient extends grpc.Client {
  BackupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCancel(argument: _spdk_conductor_v1_BackupCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
  /**
   * Queues a backup of a snapshot of a local replica (an engine's volume: name the engine as the
   * volume and a local member's existing snapshot). Without a snapshot, one is taken for it.
   */
  BackupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  /**
   * Queues a backup of a snapshot of a local replica (an engine's volume: name the engine as the
   * volume and a local member's existing snapshot). Without a snapshot, one is taken for it.
   */
  backupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupCreate(argument: _spdk_conductor_v1_BackupCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes the backup's manifest, then the blocks no other backup of the volume uses (now, or by
   * the service itself later when a backup of the volume is in flight: see BackupSweep).
   */
  BackupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  BackupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  BackupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  BackupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes the backup's manifest, then the blocks no other backup of the volume uses (now, or by
   * the service itself later when a backup of the volume is in flight: see BackupSweep).
   */
  backupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  backupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  backupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  backupDelete(argument: _spdk_conductor_v1_BackupDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A backup or restore job by id (finished ones are kept for a while).
   */
  BackupGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupGet(argument: _spdk_conductor_v1_BackupGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  BackupGet(argument: _spdk_conductor_v1_BackupGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  /**
   * A backup or restore job by id (finished ones are kept for a while).
   */
  backupGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupGet(argument: _spdk_conductor_v1_BackupGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  backupGet(argument: _spdk_conductor_v1_BackupGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
  /**
   * The backups in the target (of one volume, or all), this node's jobs, and the sweeps of
   * unreferenced blocks it has recorded and not yet run.
   */
  BackupList(argument: _spdk_conductor_v1_BackupListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  BackupList(argument: _spdk_conductor_v1_BackupListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  BackupList(argument: _spdk_conductor_v1_BackupListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  BackupList(argument: _spdk_conductor_v1_BackupListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The backups in the target (of one volume, or all), this node's jobs, and the sweeps of
   * unreferenced blocks it has recorded and not yet run.
   */
  backupList(argument: _spdk_conductor_v1_BackupListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  backupList(argument: _spdk_conductor_v1_BackupListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  backupList(argument: _spdk_conductor_v1_BackupListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  backupList(argument: _spdk_conductor_v1_BackupListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupListResponse__Output>): grpc.ClientUnaryCall;
  
  BackupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetGet(argument: _spdk_conductor_v1_BackupTargetGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  
  /**
   * Checks the target (a probe object is written, read back and deleted), then keeps it.
   */
  BackupTargetSet(argument: _spdk_conductor_v1_BackupTarget, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetSet(argument: _spdk_conductor_v1_BackupTarget, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetSet(argument: _spdk_conductor_v1_BackupTarget, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  BackupTargetSet(argument: _spdk_conductor_v1_BackupTarget, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  /**
   * Checks the target (a probe object is written, read back and deleted), then keeps it.
   */
  backupTargetSet(argument: _spdk_conductor_v1_BackupTarget, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetSet(argument: _spdk_conductor_v1_BackupTarget, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetSet(argument: _spdk_conductor_v1_BackupTarget, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  backupTargetSet(argument: _spdk_conductor_v1_BackupTarget, callback: grpc.requestCallback<_spdk_conductor_v1_BackupTarget__Output>): grpc.ClientUnaryCall;
  
  /**
   * Current jobs first (ADDED each, then SYNCED), then every change with its reason.
   */
  BackupWatch(argument: _spdk_conductor_v1_BackupWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_BackupJobEvent__Output>;
  BackupWatch(argument: _spdk_conductor_v1_BackupWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_BackupJobEvent__Output>;
  /**
   * Current jobs first (ADDED each, then SYNCED), then every change with its reason.
   */
  backupWatch(argument: _spdk_conductor_v1_BackupWatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_BackupJobEvent__Output>;
  backupWatch(argument: _spdk_conductor_v1_BackupWatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_spdk_conductor_v1_BackupJobEvent__Output>;
  
  RestoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCancel(argument: _spdk_conductor_v1_BackupCancelRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
  /**
   * Queues a restore of a backup into a new replica on a local disk; every block is checked
   * against the manifest's checksums before it is written.
   */
  RestoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  /**
   * Queues a restore of a backup into a new replica on a local disk; every block is checked
   * against the manifest's checksums before it is written.
   */
  restoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreCreate(argument: _spdk_conductor_v1_RestoreCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
  RestoreGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreGet(argument: _spdk_conductor_v1_BackupGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  RestoreGet(argument: _spdk_conductor_v1_BackupGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreGet(argument: _spdk_conductor_v1_BackupGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreGet(argument: _spdk_conductor_v1_BackupGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  restoreGet(argument: _spdk_conductor_v1_BackupGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_BackupJob__Output>): grpc.ClientUnaryCall;
  
}

export interface BackupsHandlers extends grpc.UntypedServiceImplementation {
  BackupCancel: grpc.handleUnaryCall<_spdk_conductor_v1_BackupCancelRequest__Output, _spdk_conductor_v1_BackupJob>;
  
  /**
   * Queues a backup of a snapshot of a local replica (an engine's volume: name the engine as the
   * volume and a local member's existing snapshot). Without a snapshot, one is taken for it.
   */
  BackupCreate: grpc.handleUnaryCall<_spdk_conductor_v1_BackupCreateRequest__Output, _spdk_conductor_v1_BackupJob>;
  
  /**
   * Removes the backup's manifest, then the blocks no other backup of the volume uses (now, or by
   * the service itself later when a backup of the volume is in flight: see BackupSweep).
   */
  BackupDelete: grpc.handleUnaryCall<_spdk_conductor_v1_BackupDeleteRequest__Output, _spdk_conductor_v1_BackupDeleteResponse>;
  
  /**
   * A backup or restore job by id (finished ones are kept for a while).
   */
  BackupGet: grpc.handleUnaryCall<_spdk_conductor_v1_BackupGetRequest__Output, _spdk_conductor_v1_BackupJob>;
  
  /**
   * The backups in the target (of one volume, or all), this node's jobs, and the sweeps of
   * unreferenced blocks it has recorded and not yet run.
   */
  BackupList: grpc.handleUnaryCall<_spdk_conductor_v1_BackupListRequest__Output, _spdk_conductor_v1_BackupListResponse>;
  
  BackupTargetGet: grpc.handleUnaryCall<_spdk_conductor_v1_BackupTargetGetRequest__Output, _spdk_conductor_v1_BackupTarget>;
  
  /**
   * Checks the target (a probe object is written, read back and deleted), then keeps it.
   */
  BackupTargetSet: grpc.handleUnaryCall<_spdk_conductor_v1_BackupTarget__Output, _spdk_conductor_v1_BackupTarget>;
  
  /**
   * Current jobs first (ADDED each, then SYNCED), then every change with its reason.
   */
  BackupWatch: grpc.handleServerStreamingCall<_spdk_conductor_v1_BackupWatchRequest__Output, _spdk_conductor_v1_BackupJobEvent>;
  
  RestoreCancel: grpc.handleUnaryCall<_spdk_conductor_v1_BackupCancelRequest__Output, _spdk_conductor_v1_BackupJob>;
  
  /**
   * Queues a restore of a backup into a new replica on a local disk; every block is checked
   * against the manifest's checksums before it is written.
   */
  RestoreCreate: grpc.handleUnaryCall<_spdk_conductor_v1_RestoreCreateRequest__Output, _spdk_conductor_v1_BackupJob>;
  
  RestoreGet: grpc.handleUnaryCall<_spdk_conductor_v1_BackupGetRequest__Output, _spdk_conductor_v1_BackupJob>;
  
}

export interface BackupsDefinition extends grpc.ServiceDefinition {
  BackupCancel: MethodDefinition<_spdk_conductor_v1_BackupCancelRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupCancelRequest__Output, _spdk_conductor_v1_BackupJob__Output>
  BackupCreate: MethodDefinition<_spdk_conductor_v1_BackupCreateRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupCreateRequest__Output, _spdk_conductor_v1_BackupJob__Output>
  BackupDelete: MethodDefinition<_spdk_conductor_v1_BackupDeleteRequest, _spdk_conductor_v1_BackupDeleteResponse, _spdk_conductor_v1_BackupDeleteRequest__Output, _spdk_conductor_v1_BackupDeleteResponse__Output>
  BackupGet: MethodDefinition<_spdk_conductor_v1_BackupGetRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupGetRequest__Output, _spdk_conductor_v1_BackupJob__Output>
  BackupList: MethodDefinition<_spdk_conductor_v1_BackupListRequest, _spdk_conductor_v1_BackupListResponse, _spdk_conductor_v1_BackupListRequest__Output, _spdk_conductor_v1_BackupListResponse__Output>
  BackupTargetGet: MethodDefinition<_spdk_conductor_v1_BackupTargetGetRequest, _spdk_conductor_v1_BackupTarget, _spdk_conductor_v1_BackupTargetGetRequest__Output, _spdk_conductor_v1_BackupTarget__Output>
  BackupTargetSet: MethodDefinition<_spdk_conductor_v1_BackupTarget, _spdk_conductor_v1_BackupTarget, _spdk_conductor_v1_BackupTarget__Output, _spdk_conductor_v1_BackupTarget__Output>
  BackupWatch: MethodDefinition<_spdk_conductor_v1_BackupWatchRequest, _spdk_conductor_v1_BackupJobEvent, _spdk_conductor_v1_BackupWatchRequest__Output, _spdk_conductor_v1_BackupJobEvent__Output>
  RestoreCancel: MethodDefinition<_spdk_conductor_v1_BackupCancelRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupCancelRequest__Output, _spdk_conductor_v1_BackupJob__Output>
  RestoreCreate: MethodDefinition<_spdk_conductor_v1_RestoreCreateRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_RestoreCreateRequest__Output, _spdk_conductor_v1_BackupJob__Output>
  RestoreGet: MethodDefinition<_spdk_conductor_v1_BackupGetRequest, _spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupGetRequest__Output, _spdk_conductor_v1_BackupJob__Output>
}
