// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeInfo as _spdk_conductor_v1_NodeInfo, NodeInfo__Output as _spdk_conductor_v1_NodeInfo__Output } from '../../../spdk/conductor/v1/NodeInfo.js';
import type { NodeInfoRequest as _spdk_conductor_v1_NodeInfoRequest, NodeInfoRequest__Output as _spdk_conductor_v1_NodeInfoRequest__Output } from '../../../spdk/conductor/v1/NodeInfoRequest.js';

/**
 * What this node is, for its peers: engines on other nodes ask before copying snapshots to or from
 * it during a rebuild.
 */
export interface NodeClient extends grpc.Client {
  NodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  NodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  NodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  NodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  nodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  nodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  nodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  nodeInfo(argument: _spdk_conductor_v1_NodeInfoRequest, callback: grpc.requestCallback<_spdk_conductor_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  
}

/**
 * What this node is, for its peers: engines on other nodes ask before copying snapshots to or from
 * it during a rebuild.
 */
export interface NodeHandlers extends grpc.UntypedServiceImplementation {
  NodeInfo: grpc.handleUnaryCall<_spdk_conductor_v1_NodeInfoRequest__Output, _spdk_conductor_v1_NodeInfo>;
  
}

export interface NodeDefinition extends grpc.ServiceDefinition {
  NodeInfo: MethodDefinition<_spdk_conductor_v1_NodeInfoRequest, _spdk_conductor_v1_NodeInfo, _spdk_conductor_v1_NodeInfoRequest__Output, _spdk_conductor_v1_NodeInfo__Output>
}
