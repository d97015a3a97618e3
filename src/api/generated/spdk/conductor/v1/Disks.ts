// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Disk as _spdk_conductor_v1_Disk, Disk__Output as _spdk_conductor_v1_Disk__Output } from '../../../spdk/conductor/v1/Disk.js';
import type { DiskCreateRequest as _spdk_conductor_v1_DiskCreateRequest, DiskCreateRequest__Output as _spdk_conductor_v1_DiskCreateRequest__Output } from '../../../spdk/conductor/v1/DiskCreateRequest.js';
import type { DiskDeleteRequest as _spdk_conductor_v1_DiskDeleteRequest, DiskDeleteRequest__Output as _spdk_conductor_v1_DiskDeleteRequest__Output } from '../../../spdk/conductor/v1/DiskDeleteRequest.js';
import type { DiskDeleteResponse as _spdk_conductor_v1_DiskDeleteResponse, DiskDeleteResponse__Output as _spdk_conductor_v1_DiskDeleteResponse__Output } from '../../../spdk/conductor/v1/DiskDeleteResponse.js';
import type { DiskGetRequest as _spdk_conductor_v1_DiskGetRequest, DiskGetRequest__Output as _spdk_conductor_v1_DiskGetRequest__Output } from '../../../spdk/conductor/v1/DiskGetRequest.js';
import type { DiskListRequest as _spdk_conductor_v1_DiskListRequest, DiskListRequest__Output as _spdk_conductor_v1_DiskListRequest__Output } from '../../../spdk/conductor/v1/DiskListRequest.js';
import type { DiskListResponse as _spdk_conductor_v1_DiskListResponse, DiskListResponse__Output as _spdk_conductor_v1_DiskListResponse__Output } from '../../../spdk/conductor/v1/DiskListResponse.js';

export interface DisksClient extends grpc.Client {
  /**
   * Attaches a block device or file (aio), or a PCIe NVMe device by BDF, and makes sure it carries
   * an lvstore: creates one only on a disk without any, adopts an existing one, and refuses a disk
   * whose lvstore has another name (it is not ours to reformat).
   */
  DiskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  /**
   * Attaches a block device or file (aio), or a PCIe NVMe device by BDF, and makes sure it carries
   * an lvstore: creates one only on a disk without any, adopts an existing one, and refuses a disk
   * whose lvstore has another name (it is not ours to reformat).
   */
  diskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskCreate(argument: _spdk_conductor_v1_DiskCreateRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  
  /**
   * Detaches the disk (its data stays on the device). Refused while replicas live on it unless
   * wipe is set, which also deletes the lvstore and everything in it.
   */
  DiskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  DiskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  DiskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  DiskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Detaches the disk (its data stays on the device). Refused while replicas live on it unless
   * wipe is set, which also deletes the lvstore and everything in it.
   */
  diskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  diskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  diskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  diskDelete(argument: _spdk_conductor_v1_DiskDeleteRequest, callback: grpc.requestCallback<_spdk_conductor_v1_DiskDeleteResponse__Output>): grpc.ClientUnaryCall;
  
  DiskGet(argument: _spdk_conductor_v1_DiskGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskGet(argument: _spdk_conductor_v1_DiskGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskGet(argument: _spdk_conductor_v1_DiskGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  DiskGet(argument: _spdk_conductor_v1_DiskGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskGet(argument: _spdk_conductor_v1_DiskGetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskGet(argument: _spdk_conductor_v1_DiskGetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskGet(argument: _spdk_conductor_v1_DiskGetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  diskGet(argument: _spdk_conductor_v1_DiskGetRequest, callback: grpc.requestCallback<_spdk_conductor_v1_Disk__Output>): grpc.ClientUnaryCall;
  
  DiskList(argument: _spdk_conductor_v1_DiskListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  DiskList(argument: _spdk_conductor_v1_DiskListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  DiskList(argument: _spdk_conductor_v1_DiskListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  DiskList(argument: _spdk_conductor_v1_DiskListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  diskList(argument: _spdk_conductor_v1_DiskListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  diskList(argument: _spdk_conductor_v1_DiskListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  diskList(argument: _spdk_conductor_v1_DiskListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  diskList(argument: _spdk_conductor_v1_DiskListRequest, callback: grpc.requestCallback<_spdk_conductor_v1_DiskListResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface DisksHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Attaches a block device or file (aio), or a PCIe NVMe device by BDF, and makes sure it carries
   * an lvstore: creates one only on a disk without any, adopts an existing one, and refuses a disk
   * whose lvstore has another name (it is not ours to reformat).
   */
  DiskCreate: grpc.handleUnaryCall<_spdk_conductor_v1_DiskCreateRequest__Output, _spdk_conductor_v1_Disk>;
  
  /**
   * Detaches the disk (its data stays on the device). Refused while replicas live on it unless
   * wipe is set, which also deletes the lvstore and everything in it.
   */
  DiskDelete: grpc.handleUnaryCall<_spdk_conductor_v1_DiskDeleteRequest__Output, _spdk_conductor_v1_DiskDeleteResponse>;
  
  DiskGet: grpc.handleUnaryCall<_spdk_conductor_v1_DiskGetRequest__Output, _spdk_conductor_v1_Disk>;
  
  DiskList: grpc.handleUnaryCall<_spdk_conductor_v1_DiskListRequest__Output, _spdk_conductor_v1_DiskListResponse>;
  
}

export interface DisksDefinition extends grpc.ServiceDefinition {
  DiskCreate: MethodDefinition<_spdk_conductor_v1_DiskCreateRequest, _spdk_conductor_v1_Disk, _spdk_conductor_v1_DiskCreateRequest__Output, _spdk_conductor_v1_Disk__Output>
  DiskDelete: MethodDefinition<_spdk_conductor_v1_DiskDeleteRequest, _spdk_conductor_v1_DiskDeleteResponse, _spdk_conductor_v1_DiskDeleteRequest__Output, _spdk_conductor_v1_DiskDeleteResponse__Output>
  DiskGet: MethodDefinition<_spdk_conductor_v1_DiskGetRequest, _spdk_conductor_v1_Disk, _spdk_conductor_v1_DiskGetRequest__Output, _spdk_conductor_v1_Disk__Output>
  DiskList: MethodDefinition<_spdk_conductor_v1_DiskListRequest, _spdk_conductor_v1_DiskListResponse, _spdk_conductor_v1_DiskListRequest__Output, _spdk_conductor_v1_DiskListResponse__Output>
}
