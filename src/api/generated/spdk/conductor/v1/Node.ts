// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeInfo as _spdk_conductor_v1_NodeInfo, NodeInfo__Output as _spdk_conductor_v1_NodeInfo__Output } from '../../../spdk/conductor/v1/NodeInfo.js';
import type { NodeInfoRequest as _spdk_conductor_v1_NodeInfoRequest, NodeInfoRequest__Output as _spdk_conductor_v1_NodeInfoRequest__Output } from '../../../spdk/conductor/v1/NodeInfoRequest.js';
import type { NodeStats as _spdk_conductor_v1_NodeStats, NodeStats__Output as _spdk_conductor_v1_NodeStats__Output } from '../../../spdk/conductor/v1/NodeStats.js';
import type { NodeStatsRequest as _spdk_conductor_v1_NodeStatsRequest, NodeStatsRequest__Output as _spdk_conductor_v1_NodeStatsRequest__Output } from '../../../spdk/conductor/v1/NodeStatsRequest.js';

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
  
  /**
   * The node at a glance, from the service's memory (no call to spdk_tgt): objects, memory,
   * rebuilds under way, and the volumes doing the most I/O over the last sampling window.
   */
  NodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  NodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  NodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  NodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  /**
   * The node at a glance, from the service's memory (no call to spdk_tgt): objects, memory,
   * rebuilds under way, and the volumes doing the most I/O over the last sampling window.
   */
  nodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  nodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  nodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  nodeStats(argument: _spdk_conductor_v1_NodeStatsRequest, callback: grpc.requestCallback<_spdk_conductor_v1_NodeStats__Output>): grpc.ClientUnaryCall;
  
}

/**
 * What this node is, for its peers: engines on other nodes ask before copying snapshots to or from
 * it during a rebuild.
 */
export interface NodeHandlers extends grpc.UntypedServiceImplementation {
  NodeInfo: grpc.handleUnaryCall<_spdk_conductor_v1_NodeInfoRequest__Output, _spdk_conductor_v1_NodeInfo>;
  
  /**
   * The node at a glance, from the service's memory (no call to spdk_tgt): objects, memory,
   * rebuilds under way, and the volumes doing the most I/O over the last sampling window.
   */
  NodeStats: grpc.handleUnaryCall<_spdk_conductor_v1_NodeStatsRequest__Output, _spdk_conductor_v1_NodeStats>;
  
}

export interface NodeDefinition extends grpc.ServiceDefinition {
  NodeInfo: MethodDefinition<_spdk_conductor_v1_NodeInfoRequest, _spdk_conductor_v1_NodeInfo, _spdk_conductor_v1_NodeInfoRequest__Output, _spdk_conductor_v1_NodeInfo__Output>
  NodeStats: MethodDefinition<_spdk_conductor_v1_NodeStatsRequest, _spdk_conductor_v1_NodeStats, _spdk_conductor_v1_NodeStatsRequest__Output, _spdk_conductor_v1_NodeStats__Output>
}
