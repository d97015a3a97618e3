// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeInfo as _spdk_conductor_v1_NodeInfo, NodeInfo__Output as _spdk_conductor_v1_NodeInfo__Output } from '../../../spdk/conductor/v1/NodeInfo.js';
import type { NodeInfoRequest as _spdk_conductor_v1_NodeInfoRequest, NodeInfoRequest__Output as _spdk_conductor_v1_NodeInfoRequest__Output } from '../../../spdk/conductor/v1/NodeInfoRequest.js';
import type { NodeStats as _spdk_conductor_v1_NodeStats, NodeStats__Output as _spdk_conductor_v1_NodeStats__Output } from '../../../spdk/conductor/v1/NodeStats.js';
import type { NodeStatsRequest as _spdk_conductor_v1_NodeStatsRequest, NodeStatsRequest__Output as _spdk_conductor_v1_NodeStatsRequest__Output } from '../../../spdk/conductor/v1/NodeStatsRequest.js';
import type { SpdkCallRequest as _spdk_conductor_v1_SpdkCallRequest, SpdkCallRequest__Output as _spdk_conductor_v1_SpdkCallRequest__Output } from '../../../spdk/conductor/v1/SpdkCallRequest.js';
import type { SpdkCallResponse as _spdk_conductor_v1_SpdkCallResponse, SpdkCallResponse__Output as _spdk_conductor_v1_SpdkCallResponse__Output } from '../../../spdk/conductor/v1/SpdkCallResponse.js';
import type { SpdkInfo as _spdk_conductor_v1_SpdkInfo, SpdkInfo__Output as _spdk_conductor_v1_SpdkInfo__Output } from '../../../spdk/conductor/v1/SpdkInfo.js';
import type { SpdkInfoRequest as _spdk_conductor_v1_SpdkInfoRequest, SpdkInfoRequest__Output as _spdk_conductor_v1_SpdkInfoRequest__Output } from '../../../spdk/conductor/v1/SpdkInfoRequest.js';

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
  
  /**
   * One raw JSON-RPC call to spdk_tgt over the service's own connection, as SPDK's rpc.py makes
   * it: for diagnosis. Only methods that read (a "get" in the name, and a few more) run unless
   * allow_mutating is set; a call on an object the service is working on waits its turn.
   */
  SpdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  SpdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  SpdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  SpdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One raw JSON-RPC call to spdk_tgt over the service's own connection, as SPDK's rpc.py makes
   * it: for diagnosis. Only methods that read (a "get" in the name, and a few more) run unless
   * allow_mutating is set; a call on an object the service is working on waits its turn.
   */
  spdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  spdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  spdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  spdkCall(argument: _spdk_conductor_v1_SpdkCallRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkCallResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * spdk_tgt as the running service is connected to it: its version, the simulator if it is one,
   * and every method it offers (rpc_get_methods).
   */
  SpdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  SpdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  SpdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  SpdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  /**
   * spdk_tgt as the running service is connected to it: its version, the simulator if it is one,
   * and every method it offers (rpc_get_methods).
   */
  spdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  spdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  spdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  spdkInfo(argument: _spdk_conductor_v1_SpdkInfoRequest, callback: grpc.requestCallback<_spdk_conductor_v1_SpdkInfo__Output>): grpc.ClientUnaryCall;
  
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
  
  /**
   * One raw JSON-RPC call to spdk_tgt over the service's own connection, as SPDK's rpc.py makes
   * it: for diagnosis. Only methods that read (a "get" in the name, and a few more) run unless
   * allow_mutating is set; a call on an object the service is working on waits its turn.
   */
  SpdkCall: grpc.handleUnaryCall<_spdk_conductor_v1_SpdkCallRequest__Output, _spdk_conductor_v1_SpdkCallResponse>;
  
  /**
   * spdk_tgt as the running service is connected to it: its version, the simulator if it is one,
   * and every method it offers (rpc_get_methods).
   */
  SpdkInfo: grpc.handleUnaryCall<_spdk_conductor_v1_SpdkInfoRequest__Output, _spdk_conductor_v1_SpdkInfo>;
  
}

export interface NodeDefinition extends grpc.ServiceDefinition {
  NodeInfo: MethodDefinition<_spdk_conductor_v1_NodeInfoRequest, _spdk_conductor_v1_NodeInfo, _spdk_conductor_v1_NodeInfoRequest__Output, _spdk_conductor_v1_NodeInfo__Output>
  NodeStats: MethodDefinition<_spdk_conductor_v1_NodeStatsRequest, _spdk_conductor_v1_NodeStats, _spdk_conductor_v1_NodeStatsRequest__Output, _spdk_conductor_v1_NodeStats__Output>
  SpdkCall: MethodDefinition<_spdk_conductor_v1_SpdkCallRequest, _spdk_conductor_v1_SpdkCallResponse, _spdk_conductor_v1_SpdkCallRequest__Output, _spdk_conductor_v1_SpdkCallResponse__Output>
  SpdkInfo: MethodDefinition<_spdk_conductor_v1_SpdkInfoRequest, _spdk_conductor_v1_SpdkInfo, _spdk_conductor_v1_SpdkInfoRequest__Output, _spdk_conductor_v1_SpdkInfo__Output>
}
